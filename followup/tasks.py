from celery import shared_task
from django.db import OperationalError

from .auto_close import auto_close_sweep
from .retention import anonymise_sweep


@shared_task(name="closing.auto_close", acks_late=True, time_limit=600,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def closing_auto_close() -> int:
    return auto_close_sweep()


@shared_task(name="closing.anonymise", acks_late=True, time_limit=1800,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def closing_anonymise() -> int:
    return anonymise_sweep()
