"""The lifecycle service: accepted changes are versioned and on the timeline; refused ones
change nothing."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from kernel.errors import InvalidInput, StaleVersion
from complaints import events
from complaints.lifecycle import TRANSITIONS, Action, InvalidTransition, Status
from complaints.models import Activity, ActivityKind, Complaint
from tests.builders import complaint_in
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db


def act(complaint, action, actor=None, **kwargs):
    kwargs.setdefault("reason", "客户要求")
    kwargs.setdefault("resolution_summary", "已为客户重置网络参数，信号恢复正常。")
    if action == Action.MERGE:
        kwargs.setdefault("merged_into_reference", make_complaint().reference)
    return services.complaint_transition(complaint_id=complaint.id, action=action, actor=actor,
                                         expected_version=complaint.version, **kwargs)


def walked_to(status, actor=None):
    """A complaint walked to `status`; the other apps' receivers do not run (the lifecycle
    service alone is under test)."""
    return complaint_in(status, actor=actor, after_commit=False)


def test_create_numbers_the_complaint_and_writes_the_timeline(agent):
    received = timezone.now() - timedelta(hours=3)
    complaint = make_complaint(received_at=received, actor=agent)
    assert re.fullmatch(r"TS\d{8}\d{6}", complaint.reference)
    assert complaint.reference[2:10] == timezone.localdate().strftime("%Y%m%d")
    assert complaint.received_at == received
    assert complaint.status == Status.NEW and complaint.version == 1
    entry = complaint.activities.get()
    assert entry.kind == ActivityKind.CREATED and entry.actor == agent


def test_references_count_up_and_are_not_reused():
    first, second = make_complaint(), make_complaint()
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1
    Complaint.objects.filter(pk=first.pk).delete()  # even when a complaint disappears…
    assert make_complaint().reference not in {first.reference, second.reference}


@pytest.mark.parametrize(("source", "action"), list(TRANSITIONS))
def test_every_legal_transition_is_applied_and_recorded(source, action, agent):
    complaint = walked_to(source, agent)
    before = complaint.activities.count()
    updated = act(complaint, action, agent)
    assert updated.status == TRANSITIONS[(source, action)]
    assert updated.version == complaint.version + 1
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == updated.status and stored.version == updated.version
    entry = stored.activities.order_by("id").last()
    assert stored.activities.count() == before + 1
    assert entry.kind == ActivityKind.STATUS_CHANGE and entry.actor == agent
    assert entry.data["from"] == source and entry.data["to"] == updated.status
    assert entry.version == updated.version


@pytest.mark.parametrize(("source", "action"),
                         [(s, a) for s in Status for a in Action if (s, a) not in TRANSITIONS])
def test_every_illegal_transition_changes_nothing(source, action, agent):
    complaint = walked_to(source, agent)
    entries = complaint.activities.count()
    with pytest.raises(InvalidTransition):
        act(complaint, action, agent)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert (stored.status, stored.version) == (source, complaint.version)
    assert stored.activities.count() == entries


def test_stale_version_is_refused_and_says_who_changed_what(agent, supervisor):
    complaint = make_complaint()
    services.complaint_transition(complaint_id=complaint.id, action=Action.ACKNOWLEDGE,
                                  actor=supervisor, expected_version=1)
    with pytest.raises(StaleVersion) as excinfo:
        services.complaint_transition(complaint_id=complaint.id, action=Action.CANCEL,
                                      actor=agent, expected_version=1, reason="重复")
    assert "王" in str(excinfo.value)  # supervisor's name
    assert [c.data["to"] for c in excinfo.value.changes] == [Status.ACKNOWLEDGED]
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == Status.ACKNOWLEDGED and stored.version == 2


@pytest.mark.parametrize("action", [Action.CANCEL, Action.MERGE])
def test_reason_is_required(action):
    complaint = make_complaint()
    with pytest.raises(InvalidInput):
        act(complaint, action, reason="  ")
    assert Complaint.objects.get(pk=complaint.pk).status == Status.NEW


def test_resolving_needs_a_summary_and_reopen_counts():
    complaint = walked_to(Status.IN_PROGRESS)
    with pytest.raises(InvalidInput):
        act(complaint, Action.RESOLVE, resolution_summary="")
    complaint = act(complaint, Action.RESOLVE)
    assert complaint.resolved_at is not None
    complaint = act(complaint, Action.REOPEN)
    assert complaint.reopen_count == 1 and complaint.resolved_at is None


def test_merge_points_at_the_original_and_refuses_bad_targets():
    original = make_complaint()
    duplicate = make_complaint(customer=original.customer)
    for bad in ["", "TS20000101000001", duplicate.reference]:
        with pytest.raises(InvalidInput):
            act(duplicate, Action.MERGE, merged_into_reference=bad)
    merged = act(duplicate, Action.MERGE, merged_into_reference=original.reference)
    assert merged.merged_into == original and merged.status == Status.MERGED


def test_events_are_published_only_after_commit(django_capture_on_commit_callbacks):
    seen = []

    def receiver(event):
        seen.append((event.kind, event.data.get("to")))

    with events.listening(receiver):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            complaint = make_complaint()
        assert seen == [] and len(callbacks) == 1
        with django_capture_on_commit_callbacks(execute=True):
            act(complaint, Action.ACKNOWLEDGE)
        assert seen == [(events.EventKind.TRANSITIONED, Status.ACKNOWLEDGED)]


def test_timeline_is_append_only():
    entry = make_complaint().activities.get()
    entry.message = "rewritten"
    with pytest.raises(Exception, match="cannot be changed"):
        entry.save()
    with pytest.raises(Exception, match="cannot be deleted"):
        entry.delete()
    assert Activity.objects.get(pk=entry.pk).message != "rewritten"


def test_received_at_must_not_be_in_the_future():
    with pytest.raises(InvalidInput):
        make_complaint(received_at=timezone.now() + timedelta(days=1))


def test_customer_is_found_by_normalised_phone():
    first = services.customer_get_or_create(phone="138 0013 8000", name="刘洋")
    again = services.customer_get_or_create(phone="+86 13800138000", email="ly@example.com")
    assert again.pk == first.pk and again.email == "ly@example.com"
    with pytest.raises(InvalidInput):
        services.customer_get_or_create(phone="12345")


def test_assignment_checks_membership(agent, supervisor):
    from tests.factories import DepartmentFactory

    dept = DepartmentFactory()
    complaint = make_complaint()
    with pytest.raises(InvalidInput):
        services.complaint_assign(complaint_id=complaint.id, actor=supervisor,
                                  expected_version=1, department=dept, agent=agent)
    dept.members.add(agent)
    complaint = services.complaint_assign(complaint_id=complaint.id, actor=supervisor,
                                          expected_version=1, department=dept, agent=agent,
                                          reason="熟悉网络问题")
    assert complaint.assigned_agent == agent and complaint.version == 2
    entry = complaint.activities.order_by("id").last()
    assert entry.kind == ActivityKind.ASSIGNMENT and entry.data["reason"] == "熟悉网络问题"


def test_flags_follow_customer_and_channel():
    vip = CustomerFactory(tier="vip")
    complaint = make_complaint(customer=vip, channel="regulator", regulator_case_no="GX2026-001")
    assert set(complaint.flags) == {"vip", "regulator"}


def test_field_updates_are_audited_with_old_and_new_values(agent, django_capture_on_commit_callbacks):
    from tests.factories import category

    complaint = make_complaint()
    seen = []
    with events.listening(seen.append), django_capture_on_commit_callbacks(execute=True):
        updated = services.complaint_update_fields(
            complaint_id=complaint.id, actor=agent, expected_version=1,
            changes={"priority": "urgent", "category": category("billing-refund")},
            reason="客户为VIP且多次投诉")
    assert updated.version == 2 and updated.priority == "urgent"
    entry = updated.activities.order_by("id").last()
    assert entry.data["changed"]["priority"] == ["ordinary", "urgent"]
    assert entry.data["reason"] == "客户为VIP且多次投诉"
    assert seen[-1].kind == "fields_changed" and "category" in seen[-1].data["changed"]
    same = services.complaint_update_fields(complaint_id=complaint.id, actor=agent,
                                            changes={"priority": "urgent"})
    assert same.version == 2  # nothing changed, nothing written
    with pytest.raises(InvalidInput):
        services.complaint_update_fields(complaint_id=complaint.id, changes={"status": "closed"})


def test_a_writer_given_the_locked_complaint_checks_it_and_leaves_it_as_it_was_if_refused():
    """`locked=` (complaints.services._lock): only the same complaint, inside a transaction;
    the version is still checked, and a refused change does not touch the caller's object.
    Such a writer takes no savepoint: its error fails the caller's transaction (each case here
    has a transaction of its own)."""
    from django.db import transaction

    complaint = make_complaint()
    other = make_complaint()
    with transaction.atomic(), pytest.raises(ValueError):
        services.complaint_update_fields(complaint_id=other.id, changes={"location": "x"},
                                         locked=complaint)
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        with pytest.raises(StaleVersion):
            services.complaint_update_fields(complaint_id=complaint.id, locked=locked,
                                             changes={"location": "x"},
                                             expected_version=locked.version + 1)
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.CLOSED)
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        with pytest.raises(InvalidInput):
            services.complaint_update_fields(complaint_id=complaint.id, locked=locked,
                                             changes={"location": "x"})
        assert locked.location != "x" and locked.version == complaint.version
