"""Thin Celery tasks of the record."""

from celery import shared_task
from django.db import OperationalError

from .events import receivers_retry_failed


@shared_task(name="complaints.retry_failed_receivers", acks_late=True, time_limit=300,
             soft_time_limit=240, autoretry_for=(OperationalError, ConnectionError),
             retry_backoff=True, retry_jitter=True, max_retries=5)
def retry_failed_receivers() -> dict:
    result = receivers_retry_failed()
    return {"retried": result.retried, "cleared": result.cleared, "failed": result.failed}
