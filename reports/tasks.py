"""Thin Celery tasks: take ids, call one service. Safe to retry: the services are idempotent."""

from celery import shared_task
from django.db import OperationalError

from . import exports
from .aggregates import dirty_rebuild, facts_catch_up
from .scheduled import scheduled_reports_due_send

RETRY = {"autoretry_for": (OperationalError, ConnectionError), "retry_backoff": True,
         "retry_jitter": True, "max_retries": 5}


@shared_task(name="reports.refresh", acks_late=True, time_limit=600, soft_time_limit=540, **RETRY)
def refresh() -> int:
    """Every minute: rebuild the daily figures of past days that changes marked dirty."""

    return dirty_rebuild()


@shared_task(name="reports.catch_up", acks_late=True, time_limit=600, soft_time_limit=540,
             **RETRY)
def catch_up() -> int:
    """Every ten minutes: figures of complaints changed without an event (bulk loads)."""

    return facts_catch_up()


@shared_task(name="reports.export", acks_late=True, time_limit=3600, soft_time_limit=3500,
             **RETRY)
def export(job_id: int) -> str:
    return exports.export_job_run(job_id=job_id)


@shared_task(name="reports.send_waiting_exports", acks_late=True, time_limit=300,
             soft_time_limit=240, **RETRY)
def send_waiting_exports() -> list[int]:
    """Every five minutes: exports queued while the broker was down are sent again."""

    return exports.exports_send_waiting()


@shared_task(name="reports.send_scheduled", acks_late=True, time_limit=900, soft_time_limit=840,
             **RETRY)
def send_scheduled() -> list[int]:
    """Hourly; the service decides whether a weekly or monthly summary is due and sends each
    period's once (a unique constraint)."""

    return scheduled_reports_due_send()
