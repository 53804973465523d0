"""Thin Celery tasks: take ids, call one service. Safe to retry: the services are idempotent."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from . import sweep as sweeps
from .calendar_services import calendar_check_next_year
from .services import clocks_start_missing

RETRY = {"autoretry_for": (OperationalError, ConnectionError), "retry_backoff": True,
         "retry_jitter": True, "max_retries": 5}


@shared_task(name="sla.sweep", acks_late=True, time_limit=300, soft_time_limit=240, **RETRY)
def sweep() -> dict:
    return sweeps.sla_sweep(batch_size=settings.SLA_SWEEP_BATCH).as_dict()


@shared_task(name="sla.send_event_emails", acks_late=True, time_limit=120, **RETRY)
def send_sla_event_emails(event_ids: list[int]) -> int:
    return sweeps.sla_event_send_emails(event_ids=event_ids)


@shared_task(name="sla.check_calendar_next_year", acks_late=True, time_limit=120, **RETRY)
def check_calendar_next_year() -> bool:
    """Daily; the service decides by date (from 1 December) and alerts at most once a day."""

    return calendar_check_next_year()


@shared_task(name="sla.start_missing_clocks", acks_late=True, time_limit=120, **RETRY)
def start_missing_clocks() -> int:
    """Every five minutes: clocks a lost creation event never started (sla.services)."""

    return clocks_start_missing()
