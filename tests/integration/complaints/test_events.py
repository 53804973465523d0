"""Complaint events: named kinds, one receiver per app, run in the order complaints.events states."""

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from complaints import events
from complaints.events import EventKind
from complaints.lifecycle import Action
from sla.models import Clock
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def test_the_receivers_run_in_the_stated_order():
    # Classification (intake) before the clocks (sla), whose deadlines depend on it; report
    # figures last. If this changes, change complaints.events.RECEIVER_ORDER on purpose.
    assert events.RECEIVER_ORDER == ("followup", "intake", "sla", "reports")
    assert [(label, fn.__module__) for label, fn in events.receivers()] == [
        ("followup", "followup.receivers"), ("intake", "intake.receivers"),
        ("sla", "sla.receivers"), ("reports", "reports.receivers")]


def test_each_event_reaches_the_receivers_in_that_order(monkeypatch, migration_seeds,
                                                        django_capture_on_commit_callbacks):
    calls = []
    for label, receiver in events.receivers():
        def recording(event, label=label, receiver=receiver):
            calls.append((label, event.kind))
            receiver(event)

        monkeypatch.setitem(events._receivers, label, recording)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = make_complaint()
    created = [label for label, kind in calls if kind == EventKind.CREATED]
    assert created == ["followup", "intake", "sla", "reports"]
    # And the order shows: the clocks started after classification set the priority.
    complaint.refresh_from_db()
    assert complaint.category_id is not None
    assert Clock.objects.filter(complaint=complaint).exists()


def test_an_app_must_be_placed_in_the_order_to_subscribe():
    with pytest.raises(ImproperlyConfigured, match="RECEIVER_ORDER"):
        events.subscribe("desk", lambda event: None)


def test_a_failing_receiver_is_logged_and_the_next_ones_still_run(monkeypatch, caplog):
    ran = []

    def broken(event):
        raise RuntimeError("boom")

    monkeypatch.setattr(events, "_receivers", {"intake": broken, "reports": ran.append})
    event = events.ComplaintEvent(1, EventKind.TRANSITIONED, None, {"action": Action.ACKNOWLEDGE})
    with caplog.at_level(logging.ERROR, logger="complaints.events"):
        events._send(event)
    assert ran == [event]
    assert "receiver of intake failed" in caplog.text


def test_kinds_are_named_not_bare_strings():
    assert {k.value for k in EventKind} >= {"created", "transitioned", "fields_changed",
                                             "assigned", "public_reply", "escalated"}
    assert EventKind("created") is EventKind.CREATED
