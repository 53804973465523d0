"""tests/builders.py: `complaint_in(status)` reaches every status the lifecycle allows, the way
users do (the timeline shows each step), inside a test's transaction and in a transactional test."""

from itertools import product

import pytest

from complaints import events
from complaints.events import EventKind
from complaints.lifecycle import TRANSITIONS, Action, Status, apply
from complaints.models import Activity, ActivityKind, Complaint
from sla.models import Clock, ClockState, Metric
from tests.builders import complaint_in, path_to
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def walked(complaint):
    """The actions of the complaint's status changes, oldest first, with their versions."""
    changes = Activity.objects.filter(complaint=complaint, kind=ActivityKind.STATUS_CHANGE)
    return [(Action(entry.data["action"]), entry.version) for entry in changes.order_by("id")]


@pytest.fixture
def heard():
    """The complaint events delivered after commit, in order."""
    seen = []
    with events.listening(seen.append):
        yield seen


# --- the path, from the table ---------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_the_path_is_legal_and_as_short_as_the_table_allows(status):
    path = path_to(status)
    current = Status.NEW
    for action in path:
        current = apply(current, action)
    assert current == status
    for length in range(len(path)):
        for shorter in product(list(Action), repeat=length):
            current = Status.NEW
            for action in shorter:
                current = TRANSITIONS.get((current, action))
                if current is None:
                    break
            assert current != status, shorter


def test_the_path_starts_where_the_complaint_is():
    assert path_to(Status.RESOLVED, start=Status.REOPENED) == [Action.START, Action.RESOLVE]
    assert path_to(Status.IN_PROGRESS, start=Status.IN_PROGRESS) == []
    with pytest.raises(ValueError, match="no way from closed to new"):
        path_to(Status.NEW, start=Status.CLOSED)


# --- the builder ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_every_status_can_be_built_and_the_timeline_shows_the_walk(status, agent):
    complaint = complaint_in(status, actor=agent)
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.status == complaint.status == status
    assert stored.version == complaint.version
    steps = walked(complaint)
    assert [action for action, _version in steps] == path_to(status)
    versions = [version for _action, version in steps]
    assert versions == sorted(set(versions))  # one version per step, in order
    assert all(entry.actor == agent for entry in Activity.objects.filter(
        complaint=complaint, kind=ActivityKind.STATUS_CHANGE))


def test_the_actions_get_what_the_lifecycle_asks_of_them(agent):
    resolved = complaint_in(Status.RESOLVED, actor=agent, resolution_summary="已退还多扣的 20 元。")
    assert resolved.resolution_summary == "已退还多扣的 20 元。"
    assert resolved.resolved_at is not None and resolved.acknowledged_at is not None
    reopened = complaint_in(Status.REOPENED, reason="客户说仍然没有信号")
    assert reopened.reopen_count == 1
    entry = Activity.objects.filter(complaint=reopened, kind=ActivityKind.STATUS_CHANGE).last()
    assert entry.data["reason"] == "客户说仍然没有信号"
    merged = complaint_in(Status.MERGED)
    assert merged.merged_into.customer == merged.customer
    assert merged.merged_into.status == Status.NEW


def test_creation_arguments_go_to_the_new_complaint(agent):
    complaint = complaint_in(Status.ACKNOWLEDGED, actor=agent, channel="web", priority="major",
                             description="宽带每天晚上掉线。")
    assert (complaint.channel, complaint.priority) == ("web", "major")
    assert complaint.description == "宽带每天晚上掉线。"


def test_an_existing_complaint_is_walked_on_from_where_it_is(agent):
    complaint = complaint_in(Status.REOPENED, actor=agent)
    same = complaint_in(Status.RESOLVED, complaint=complaint, actor=agent,
                        resolution_summary="再次处理：更换了光猫。")
    assert same is complaint and complaint.status == Status.RESOLVED
    assert [action for action, _v in walked(complaint)][-2:] == [Action.START, Action.RESOLVE]
    assert complaint.reopen_count == 1
    with pytest.raises(TypeError, match="existing complaint"):
        complaint_in(Status.CLOSED, complaint=complaint, channel="web")
    with pytest.raises(ValueError, match="no way"):
        complaint_in(Status.NEW, complaint=complaint)


# --- after commit ---------------------------------------------------------------------------


def lifecycle_events(heard):
    """The events of creation and of the walk (receivers publish their own, e.g. the fields
    classification sets)."""
    return [event.kind for event in heard
            if event.kind in {EventKind.CREATED, EventKind.TRANSITIONED}]


def expected_events(status):
    return [EventKind.CREATED] + [EventKind.TRANSITIONED] * len(path_to(status))


def test_each_step_is_a_request_whose_after_commit_work_runs_once(
        agent, heard, django_capture_on_commit_callbacks):
    complaint = complaint_in(Status.CLOSED, actor=agent)
    assert lifecycle_events(heard) == expected_events(Status.CLOSED)
    assert {event.complaint_id for event in heard} == {complaint.id}
    alone = [event.kind for event in heard]
    # Inside a capture that runs callbacks, the builder's have already run and are gone.
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        complaint_in(Status.CLOSED, actor=agent)
    assert [event.kind for event in heard] == alone
    assert callbacks == []


def test_receivers_see_each_step_as_it_commits(agent, heard):
    """The clocks start on creation and the first is met on acknowledgement, as in production:
    the receivers ran between the steps, not all at the end."""
    complaint = complaint_in(Status.ACKNOWLEDGED, actor=agent)
    clock = Clock.objects.get(complaint=complaint, metric=Metric.ACKNOWLEDGE)
    assert clock.state == ClockState.MET


def test_after_commit_false_leaves_the_work_queued(agent, heard,
                                                   django_capture_on_commit_callbacks):
    created = make_complaint(actor=agent)  # its classification has not run either
    with django_capture_on_commit_callbacks() as callbacks:
        complaint = complaint_in(Status.CLOSED, complaint=created, actor=agent,
                                 after_commit=False)
    assert complaint.status == Status.CLOSED
    assert heard == []
    assert len(callbacks) == len(path_to(Status.CLOSED))


@pytest.mark.django_db(transaction=True)
def test_in_a_transactional_test_the_services_commit_themselves(agent, heard):
    complaint = complaint_in(Status.WAITING_CUSTOMER, actor=agent)
    assert Complaint.objects.get(pk=complaint.pk).status == Status.WAITING_CUSTOMER
    assert lifecycle_events(heard) == expected_events(Status.WAITING_CUSTOMER)
    assert [action for action, _v in walked(complaint)] == [
        Action.ACKNOWLEDGE, Action.START, Action.REQUEST_INFO]
