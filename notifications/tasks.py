from celery import shared_task
from django.db import OperationalError

from . import outbound


# The task's name predates this app; beat rows and queued messages still carry it.
@shared_task(name="complaints.send_outbound", acks_late=True, time_limit=120,
             autoretry_for=(OperationalError,), retry_backoff=True, retry_jitter=True,
             max_retries=5)
def send_outbound() -> dict:
    return outbound.outbound_send_due()
