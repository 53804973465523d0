"""Clocks a lost creation event never started (issue 16): the database went down between a
complaint's commit and its after-commit receivers, so not even the failure could be recorded.
Beat's catch-up starts them, once."""

from datetime import timedelta

import pytest

from complaints import events
from kernel.periodic import SCHEDULES
from sla import services as sla
from sla.models import Clock, ClockState, Metric
from sla.tasks import start_missing_clocks

from .conftest import local

pytestmark = pytest.mark.django_db
MONDAY = local(2026, 11, 23, 10, 0)


def test_a_complaint_whose_creation_event_was_lost_gets_its_clocks_from_the_catch_up(
        new_complaint, act):
    with events.unsubscribed("sla"):  # the event never reached the deadlines
        lost = new_complaint(MONDAY)
        acknowledged = new_complaint(MONDAY)
        act(acknowledged, "acknowledge")
        resolved = new_complaint(MONDAY)
        act(resolved, "acknowledge")
        act(resolved, "resolve")
    fine = new_complaint(MONDAY)
    fine_clocks = Clock.objects.filter(complaint=fine).count()
    assert not Clock.objects.filter(complaint__in=[lost, acknowledged, resolved]).exists()

    assert sla.clocks_start_missing(now=MONDAY + timedelta(minutes=1)) == 0  # too fresh
    assert sla.clocks_start_missing(now=MONDAY + timedelta(minutes=5)) == 2

    lost_clocks = Clock.objects.filter(complaint=lost)
    assert lost_clocks.count() == fine_clocks
    assert {c.started_at for c in lost_clocks} == {MONDAY}  # from its arrival, not the catch-up
    assert lost_clocks.get(metric=Metric.ACKNOWLEDGE).state == ClockState.RUNNING
    acknowledged.refresh_from_db()
    ack_clock = Clock.objects.get(complaint=acknowledged, metric=Metric.ACKNOWLEDGE)
    assert ack_clock.state == ClockState.MET
    assert ack_clock.completed_at == acknowledged.acknowledged_at
    assert not Clock.objects.filter(complaint=resolved).exists()  # nothing left to measure
    assert Clock.objects.filter(complaint=fine).count() == fine_clocks  # untouched

    assert start_missing_clocks() == 0  # run again: nothing new
    assert Clock.objects.filter(complaint=lost).count() == fine_clocks


def test_beat_runs_the_catch_up():
    assert any(s.task == "sla.start_missing_clocks" for s in SCHEDULES)
