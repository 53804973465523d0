from celery import shared_task
from django.db import OperationalError

from . import outbound


@shared_task(name="complaints.send_outbound", acks_late=True, time_limit=120,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def send_outbound() -> dict:
    return outbound.outbound_send_due()


# --- closing the loop (issue 7) ---


@shared_task(name="closing.auto_close", acks_late=True, time_limit=600,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def closing_auto_close() -> int:
    from . import closing

    return closing.auto_close_sweep()


@shared_task(name="closing.anonymise", acks_late=True, time_limit=1800,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def closing_anonymise() -> int:
    from . import closing

    return closing.anonymise_sweep()
