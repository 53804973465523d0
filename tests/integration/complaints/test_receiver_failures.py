"""A receiver that fails never leaves a complaint silently without what it does (issue 15,
finding 6): the failure is recorded, retried by the periodic sweep, shown to administrators."""

import pytest
from django.contrib.auth import get_user_model

from complaints import events
from complaints.models import ReceiverFailure
from complaints.tasks import retry_failed_receivers
from kernel.periodic import SCHEDULES
from sla.models import Clock
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def sla_broken(monkeypatch):
    """The sla receiver raising, as it did on a received_at in year 1 (OverflowError)."""
    working = events._receivers["sla"]

    def broken(event):
        raise OverflowError("date value out of range")

    monkeypatch.setitem(events._receivers, "sla", broken)
    return lambda: monkeypatch.setitem(events._receivers, "sla", working)


def test_a_failed_receiver_is_flagged_then_retried_and_cleared(
        sla_broken, migration_seeds, django_capture_on_commit_callbacks, client):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = make_complaint()
    assert not Clock.objects.filter(complaint=complaint).exists()
    # Classification's change of category (FIELDS_CHANGED) missed the clocks too.
    assert sorted(ReceiverFailure.objects.values_list("event_kind", flat=True)) == [
        "created", "fields_changed"]
    failure = ReceiverFailure.objects.get(event_kind="created")
    assert (failure.complaint, failure.receiver, failure.event_kind) == (complaint, "sla",
                                                                          "created")
    assert "OverflowError: date value out of range" in failure.error

    # Administrators see it: in its own list and as a filter on the complaints.
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw"))
    listed = client.get("/admin/complaints/receiverfailure/")
    assert listed.status_code == 200 and complaint.reference in listed.content.decode()
    filtered = client.get("/admin/complaints/complaint/?receiver_failed=yes")
    assert complaint.reference in filtered.content.decode()

    # Still broken: the sweep counts the attempt and keeps the flag.
    assert retry_failed_receivers() == {"retried": 2, "cleared": 0, "failed": 2}
    failure.refresh_from_db()
    assert failure.attempts == 2

    # Mended: the next sweep starts the clocks and clears the flag.
    sla_broken()
    assert retry_failed_receivers() == {"retried": 2, "cleared": 2, "failed": 0}
    assert Clock.objects.filter(complaint=complaint).exists()
    assert not ReceiverFailure.objects.exists()
    filtered = client.get("/admin/complaints/complaint/?receiver_failed=yes")
    assert complaint.reference not in filtered.content.decode()


def test_the_retry_sweep_is_a_periodic_task():
    assert any(s.task == "complaints.retry_failed_receivers" for s in SCHEDULES)
