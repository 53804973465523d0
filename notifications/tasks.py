from celery import shared_task
from django.db import OperationalError

from . import outbound


# The task's name predates this app; beat rows and queued messages still carry it.
@shared_task(name="complaints.send_outbound", acks_late=True, time_limit=120,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def send_outbound() -> dict:
    # A backlog after an outage goes out in one run: the run's time budget (90 s, inside the
    # 120 s limit) is what stops it, not a count.
    return outbound.outbound_send_due(limit=SEND_RUN_LIMIT)


SEND_RUN_LIMIT = 100_000
