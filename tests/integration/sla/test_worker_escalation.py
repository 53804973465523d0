"""End to end: beat schedules the sweep, a real worker runs it, a due clock escalates."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from complaints.models import Complaint
from kernel.periodic import register_periodic_tasks
from sla import services as sla
from sla.models import Clock, Escalation, Metric, SlaEvent
from tests.factories import make_complaint
from tests.worker import celery_worker, read_log, wait_for

from .conftest import local

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_due_clock_escalates_through_beat_and_the_worker():
    register_periodic_tasks()
    # As if the last sweep ran a while ago, so beat sends one at once instead of in a minute.
    PeriodicTask.objects.filter(task="sla.sweep").update(
        last_run_at=timezone.now() - timedelta(minutes=5))
    complaint = make_complaint(received_at=local(2026, 11, 2, 10, 0))
    sla.clocks_start(complaint_id=complaint.id)  # in a request this runs after commit
    assert Clock.objects.filter(complaint=complaint, next_check_at__isnull=False).exists()
    with celery_worker(beat=True) as (_queue, log):
        escalated = wait_for(lambda: Escalation.objects.filter(complaint=complaint).exists(),
                             timeout=90)
        assert escalated, read_log(log)
    complaint.refresh_from_db()
    assert complaint.escalation_level == 3  # three weeks late: straight to the risk desk
    clock = Clock.objects.get(complaint=complaint, metric=Metric.RESOLUTION)
    assert clock.state == "breached"
    assert SlaEvent.objects.filter(clock=clock, kind="escalation").count() == 3
    assert Complaint.objects.get(pk=complaint.pk).activities.filter(kind="sla_breach").exists()
