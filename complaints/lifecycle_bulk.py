"""Many complaints' histories applied at once (an operator's import, seeded demo data): for each
complaint created in the caller's transaction, its department and its lifecycle steps at their
historical times, the same rows as `complaint_assign` and `complaint_transition(at=...)` one
step at a time, written with one INSERT for all the timeline entries and one UPDATE for all the
complaints. Every step is checked against the lifecycle table (complaints/lifecycle.py) and
complaint_transition's rules before anything is written (`history_check`), so a refused history
raises its DomainError and writes nothing. complaints/services.py re-exports these functions.

Only the steps that change nothing but the complaint row itself are taken here; a merge (which
names another complaint) goes through complaint_transition. A dispatch here names no
department and opens no department task: history tells that the work went out, not to whom."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.db import bulk_update_rows, copy_objects
from kernel.errors import InvalidInput

from . import lifecycle
from .creation import _actor_type
from .events import EventKind, publish_change
from .lifecycle import Action, Status
from .models import Activity, ActivityKind, Complaint, Department, Visibility

BULK_ACTIONS = frozenset(Action) - {Action.MERGE}
# The complaint fields a step writes, besides status, version and updated_at/by.
STEP_FIELDS = {Action.ACKNOWLEDGE: ["acknowledged_at"],
               Action.RESOLVE: ["resolution_summary", "resolved_at"],
               Action.CLOSE: ["closed_at"], Action.REOPEN: ["reopen_count", "resolved_at"]}


@dataclass(frozen=True)
class ComplaintHistory:
    """What happened to one complaint before it was recorded here. `reason`: for the steps
    that must say why (cancel, reopen…), unless `reasons` names one for the action;
    `resolution_summary`: for the resolve step; `agent`: assigned with the department (a
    member of it)."""

    steps: Sequence[tuple[str, datetime]] = ()
    department: Department | None = None
    department_reason: str = ""
    resolution_summary: str = ""
    reason: str = ""
    reasons: Mapping[str, str] = field(default_factory=dict)
    agent: object = None

    def reason_for(self, action: str) -> str:
        return (self.reasons.get(action) or self.reason).strip()


def history_check(*, received_at: datetime, history: ComplaintHistory,
                  now: datetime | None = None) -> Status:
    """The final status of a new complaint received at `received_at` after `history`, or the
    DomainError complaint_assign or complaint_transition would raise on one of its steps."""
    now = now or timezone.now()
    status = Status.NEW
    for action, at in history.steps:
        try:
            action = Action(action)
        except ValueError:
            raise InvalidInput(_("Unknown action “%(action)s”.") % {"action": action},
                               field="action") from None
        if action not in BULK_ACTIONS:
            raise InvalidInput(_("Action “%(action)s” cannot be part of an imported history.")
                               % {"action": action.label}, field="action")
        status = lifecycle.apply(status, action)
        if action in lifecycle.REASON_REQUIRED and not history.reason_for(action):
            raise InvalidInput(_("Give a reason for “%(action)s”.") % {"action": action.label},
                               field="reason")
        if action == Action.RESOLVE and not history.resolution_summary.strip():
            raise InvalidInput(_("Write a resolution summary before resolving."),
                               field="resolution_summary")
        _moment_check(at, received_at, now)
    return status


def _moment_check(at: datetime, received_at: datetime, now: datetime) -> None:
    """complaint_transition's checks of a historical `at`."""
    if timezone.is_naive(at):
        raise InvalidInput(_("A historical step needs a time with a time zone."), field="at")
    if at > now + timezone.timedelta(minutes=5):
        raise InvalidInput(_("A historical step cannot be in the future."), field="at")
    if at < received_at:
        raise InvalidInput(_("A historical step cannot be before the complaint was received."),
                           field="at")


def complaints_apply_history(*, complaints: list[Complaint],
                             histories: list[ComplaintHistory], actor=None) -> None:
    """Apply each complaint's history (department, then steps), inside the caller's
    transaction, to complaints it created: their rows are its own, so they are not locked
    again, and the objects are brought up to date in place. The events (ASSIGNED,
    TRANSITIONED marked historical) go out after commit as the one-by-one services send
    them."""
    if not connection.in_atomic_block:
        raise ValueError("complaints_apply_history runs inside the caller's transaction")
    planned = complaints_plan_history(complaints=complaints, histories=histories, actor=actor)
    if not planned.touched:
        return
    copy_objects(Activity, planned.entries)  # no ids needed: one COPY on PostgreSQL
    bulk_update_rows(Complaint, planned.touched,
                     sorted(planned.fields | {"status", "version", "updated_at", "updated_by"}))
    planned.publish()


@dataclass
class PlannedHistory:
    """complaints_plan_history's result: the timeline entries (not saved), the complaints
    changed and their fields, the events to publish once the complaints have ids."""

    actor: object
    entries: list = field(default_factory=list)
    events: list = field(default_factory=list)  # (complaint, kind, data)
    touched: list = field(default_factory=list)
    fields: set = field(default_factory=set)

    def publish(self) -> None:
        for complaint, kind, data in self.events:
            publish_change(complaint.id, kind, self.actor, data)


def complaints_plan_history(*, complaints: list[Complaint], histories: list[ComplaintHistory],
                            actor=None) -> PlannedHistory:
    """complaints_apply_history in memory, after the same checks: the objects brought to the
    state their histories leave, with the entries and events (batch intake plans an
    operator's history with it before writing its new complaints, each row written once)."""
    if len(complaints) != len(histories):
        raise ValueError("one history per complaint")
    now = timezone.now()
    for complaint, history in zip(complaints, histories):
        history_check(received_at=complaint.received_at, history=history, now=now)
    _members_check(histories)
    planned = PlannedHistory(actor)
    for complaint, history in zip(complaints, histories):
        mine = _assignment(complaint, history, actor, now) + _steps(complaint, history, actor,
                                                                    now)
        if not mine:
            continue
        planned.touched.append(complaint)
        for entry, kind, changed in mine:
            planned.entries.append(entry)
            planned.events.append((complaint, kind, entry.data))
            planned.fields.update(changed)
    return planned


def _members_check(histories: list[ComplaintHistory]) -> None:
    """complaint_assign's check that each agent belongs to the department (one read)."""
    pairs = {(h.department.id, h.agent.pk) for h in histories
             if h.agent is not None and h.department is not None}
    if not pairs:
        return
    members = set(Department.members.through.objects.filter(
        department_id__in={d for d, _u in pairs}, user_id__in={u for _d, u in pairs})
        .values_list("department_id", "user_id"))
    for history in histories:
        if history.agent is not None and (history.department.id, history.agent.pk) \
                not in members:
            raise InvalidInput(_("%(agent)s is not a member of %(department)s.") % {
                "agent": history.agent.get_username(), "department": history.department.name},
                field="agent")


def _bumped(complaint: Complaint, actor, now: datetime) -> None:
    complaint.version += 1
    complaint.updated_at, complaint.updated_by = now, actor


def _assignment(complaint: Complaint, history: ComplaintHistory, actor, now) -> list:
    """complaint_assign's change and entry for the history's department (no agent)."""
    department, agent = history.department, history.agent
    if department is None:
        return []
    old = {"department": complaint.assigned_department_id,
           "agent": complaint.assigned_agent_id}
    complaint.assigned_department, complaint.assigned_agent = department, agent
    _bumped(complaint, actor, now)
    data = {"old": old, "new": {"department": department.id,
                                "agent": agent.pk if agent is not None else None}}
    if history.department_reason:
        data["reason"] = history.department_reason.strip()
    target = " / ".join(filter(None, [department.name,
                                      agent.get_username() if agent is not None else ""]))
    entry = Activity(
        complaint=complaint, kind=ActivityKind.ASSIGNMENT, actor_type=_actor_type(actor),
        actor=actor, visibility=Visibility.INTERNAL, version=complaint.version, data=data,
        created_at=now, message=_("Assigned to %(target)s") % {"target": target})
    return [(entry, EventKind.ASSIGNED, ["assigned_department", "assigned_agent"])]


def _steps(complaint: Complaint, history: ComplaintHistory, actor, now) -> list:
    """complaint_transition(at=...)'s changes and entries for each step."""
    done = []
    for action, at in history.steps:
        action = Action(action)
        old_status = Status(complaint.status)
        new_status = lifecycle.apply(old_status, action)
        data = {"action": action.value, "from": old_status.value, "to": new_status.value,
                "historical": True, "at": at.isoformat()}
        if action == Action.ACKNOWLEDGE:
            complaint.acknowledged_at = at
        elif action == Action.RESOLVE:
            summary = history.resolution_summary.strip()
            complaint.resolution_summary, complaint.resolved_at = summary, at
            data["resolution_summary"] = summary
        elif action == Action.CLOSE:
            complaint.closed_at = at
        elif action == Action.REOPEN:
            complaint.reopen_count += 1
            complaint.resolved_at = None
            data["reopen_count"] = complaint.reopen_count
        complaint.status = new_status
        _bumped(complaint, actor, now)
        if action in lifecycle.REASON_REQUIRED:
            data["reason"] = history.reason_for(action)
        entry = Activity(
            complaint=complaint, kind=ActivityKind.STATUS_CHANGE, actor_type=_actor_type(actor),
            actor=actor, visibility=Visibility.PUBLIC, version=complaint.version,
            created_at=at, data=data,
            message=_("%(from)s → %(to)s (imported history)") % {
                "from": old_status.label, "to": new_status.label})
        done.append((entry, EventKind.TRANSITIONED, STEP_FIELDS.get(action, [])))
    return done
