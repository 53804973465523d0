"""The complaint's nearest deadline (next_due_at, what the desk sorts and filters on) follows its
clocks through the whole lifecycle."""

import pytest
from django.db.models import Min

from complaints import events, services
from complaints.lifecycle import Action
from complaints.models import Complaint
from sla.models import Clock, ClockState
from sla.services import next_due_refresh
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def nearest(complaint):
    return Clock.objects.filter(complaint=complaint, state__in=[
        ClockState.RUNNING, ClockState.BREACHED]).aggregate(m=Min("due_at"))["m"]


def test_next_due_at_follows_the_clocks(committed):
    complaint = committed(make_complaint, priority="ordinary")
    complaint.refresh_from_db()
    assert complaint.next_due_at is not None and complaint.next_due_at == nearest(complaint)
    first = complaint.next_due_at

    def act(action, **kwargs):
        complaint.refresh_from_db()
        committed(services.complaint_transition, complaint_id=complaint.id, action=action,
                  expected_version=complaint.version, reason="测试",
                  resolution_summary="已处理", **kwargs)
        complaint.refresh_from_db()
        assert complaint.next_due_at == nearest(complaint), action

    act(Action.ACKNOWLEDGE)  # the acknowledge clock is met: the nearest moves on
    assert complaint.next_due_at >= first
    act(Action.START)
    act(Action.REQUEST_INFO)  # paused clocks do not count
    act(Action.RECEIVE_INFO)
    committed(services.complaint_update_fields, complaint_id=complaint.id,
              changes={"priority": "major"}, reason="升级")
    complaint.refresh_from_db()
    assert complaint.next_due_at == nearest(complaint)
    act(Action.RESOLVE)
    assert complaint.next_due_at is None
    act(Action.REOPEN)
    assert complaint.next_due_at is not None
    act(Action.START)
    act(Action.RESOLVE)
    act(Action.CLOSE)
    assert Complaint.objects.get(pk=complaint.pk).next_due_at is None


def test_refreshing_the_cached_deadline_is_not_an_edit_of_the_complaint(committed):
    """next_due_at is a cache of the clocks, written directly (complaints_set_next_due): no
    version, no timeline entry, no event — an agent's open form never goes stale for it."""
    complaint = committed(make_complaint, priority="ordinary")
    complaint.refresh_from_db()
    Complaint.objects.filter(pk=complaint.pk).update(next_due_at=None)  # stale cache
    entries, seen = complaint.activities.count(), []
    with events.listening(seen.append):
        committed(next_due_refresh, complaint_id=complaint.id)
    after = Complaint.objects.get(pk=complaint.pk)
    assert after.next_due_at == nearest(complaint) is not None
    assert (after.version, after.activities.count(), seen) == (complaint.version, entries, [])
