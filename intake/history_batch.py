"""An operator's history through the intake pipeline (intake/pipeline.py).

A historical message (IntakeMessage.historical, from `manage.py import_complaints` or the demo
seed) carries what happened to the complaint in its metadata under "history": the department
code (and optionally the username of the agent assigned in it), the lifecycle steps that took it
to its final status ([action, ISO time] pairs), the resolution summary and optionally the
reasons of the steps that need one ({action: reason}). The pipeline records a batch of them like new complaints, dated by their
received time and without acknowledgement (complaints_create_many's `historical`), then applies
their histories here through the lifecycle service in one statement per table
(complaints.services.complaints_apply_history), before the classification, clock and figure
stages run on their final state; the SLA stage settles their clocks by those steps.

`history_apply` is the same history one step at a time (complaint_assign, complaint_transition
with `at`): what the import did per row before, kept for a message the batch does not take
(one with attachments) and as the reference the batch is compared with in the tests.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from complaints.lifecycle import REASON_REQUIRED
from complaints.models import Department
from complaints.services import (
    ComplaintHistory,
    complaint_assign,
    complaint_lock,
    complaint_transition,
    complaints_apply_history,
    complaints_plan_history,
)
from complaints.services import history_check as lifecycle_history_check
from kernel import memo
from kernel.errors import InvalidInput

from . import channels
from .parsers.message import IntakeMessage


def message_history(message: IntakeMessage) -> ComplaintHistory:
    """The history the message carries; InvalidInput for a department that does not exist."""
    history = message.metadata.get("history") or {}
    code = history.get("department") or ""
    department = _department(code) if code else None
    if code and department is None:
        raise InvalidInput(_("Unknown department “%(value)s” (give a department code or "
                             "name).") % {"value": code}, field="department")
    agent = _agent(history["agent"]) if history.get("agent") else None
    return ComplaintHistory(
        steps=[(action, datetime.fromisoformat(at)) for action, at in history.get("steps", ())],
        department=department, agent=agent, reasons=history.get("reasons") or {},
        department_reason=_("Department from the imported history.") if department else "",
        resolution_summary=history.get("resolution") or _(
            "Resolved before the import; the imported file gives no resolution summary."),
        reason=_("Cancelled before the import."))


def _agent(username: str):
    agent = memo.get(f"intake.history_agent.{username}", lambda: get_user_model().objects
                     .filter(username=username, is_active=True).first())
    if agent is None:
        raise InvalidInput(_("There is no active user %(value)s.") % {"value": username},
                           field="agent")
    return agent


def _department(code: str) -> Department | None:
    return memo.get(f"intake.history_department.{code}",
                    lambda: Department.objects.filter(code=code).first())  # once per batch


def history_check(message: IntakeMessage, *, now: datetime) -> None:
    """What applying the message's history would refuse (its DomainError), checked before
    anything of its batch is written."""
    lifecycle_history_check(received_at=message.received_at, history=message_history(message),
                            now=now)


def histories_apply(complaints: list, messages: list[IntakeMessage], actor) -> None:
    """The histories of a batch's new complaints (one per message, in order), in bulk."""
    complaints_apply_history(complaints=complaints,
                             histories=[message_history(m) for m in messages], actor=actor)


def histories_plan(complaints: list, messages: list[IntakeMessage], actor):
    """histories_apply on a batch's complaints before they are written (in memory): their
    state as their histories leave it, and the entries and events (PlannedHistory) the
    caller writes with them and publishes once they have ids."""
    return complaints_plan_history(complaints=complaints,
                                   histories=[message_history(m) for m in messages], actor=actor)


def receive_one(message: IntakeMessage, actor, payload_digest: str = ""):
    """A historical message the batch does not take, one by one: recorded, then its history
    applied step by step, in one transaction."""
    with transaction.atomic():
        result = channels._receive(message, actor, payload_digest)
        if result.created:
            history_apply(complaint_id=result.complaint.id, history=message_history(message),
                          actor=actor)
    return result


def history_apply(*, complaint_id: int, history: ComplaintHistory, actor) -> None:
    """The complaint's department, then its lifecycle steps at their times, one service call
    each on one lock of the row (inside the caller's transaction)."""
    if history.department is None and not history.steps:
        return
    locked = complaint_lock(complaint_id=complaint_id, expected_version=None)
    if history.department is not None:
        complaint_assign(complaint_id=complaint_id, actor=actor, expected_version=None,
                         department=history.department, agent=history.agent,
                         reason=history.department_reason, locked=locked)
    for action, at in history.steps:
        complaint_transition(
            complaint_id=complaint_id, action=action, actor=actor, expected_version=None,
            at=at, resolution_summary=history.resolution_summary, locked=locked,
            reason=history.reason_for(action) if action in REASON_REQUIRED else "")
