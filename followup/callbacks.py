"""Callbacks (回访): which resolved complaints are called back, the task for someone other than
the handler, the calls (in contact hours only) and what their outcome does to the complaint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services
from complaints.lifecycle import Action, Status
from complaints.models import (
    ActivityKind,
    Complaint,
    Customer,
    PersonalDataAccess,
    Priority,
)
from followup.common import add_working_days
from followup.models import (
    CallbackAttempt,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallbackTask,
    ResultAnswer,
    ResultConfirmation,
)
from kernel.errors import InvalidInput, NotAllowed
from notifications.contact_hours import is_contact_time, next_contact_time
from notifications.outbound import contact_window
from notifications.services import staff_notify

CALLBACK_PERMISSION = "followup.perform_callback"
# Supervisors see and work every callback task, not only their own.
CALLBACK_ALL_PERMISSION = "followup.change_callbacktask"
UNREACHABLE_DAYS = 3  # unreachable on three different days closes the callback



def in_sample(reference: str, rate: float) -> bool:
    """Whether a complaint is in the callback sample: a stable hash of its reference, so the
    same complaint is always in or out (testable, and a redelivered event decides the same)."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(reference.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < rate


def callback_reason(complaint: Complaint) -> str | None:
    """Why this complaint is called back after resolution, or None."""
    if complaint.is_regulator:
        return CallbackReason.REGULATOR
    if complaint.priority == Priority.MAJOR:
        return CallbackReason.MAJOR
    if complaint.reopen_count > 0:
        return CallbackReason.REOPENED
    if in_sample(complaint.reference, settings.CALLBACK_SAMPLE_RATE):
        return CallbackReason.SAMPLE
    return None


def _local_day(moment: datetime):
    return timezone.localtime(moment).date()


# --- scheduling -----------------------------------------------------------------------------------


def _callback_candidates(exclude_ids: set[int]):
    """Active users who may call customers back, fewest open callbacks first."""
    app_label, codename = CALLBACK_PERMISSION.split(".")
    perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=perm) | Q(user_permissions__in=perm))
            .exclude(pk__in=exclude_ids).distinct()
            .annotate(open_callbacks=Count("callback_tasks", distinct=True,
                                           filter=Q(callback_tasks__status=CallbackStatus.OPEN)))
            .order_by("open_callbacks", "username"))


def callback_schedule(*, complaint: Complaint, handler_id: int | None = None,
                      now: datetime | None = None) -> CallbackTask | None:
    """A callback task for this resolution if the complaint is selected; the existing one if
    it was scheduled before."""
    now = now or timezone.now()
    reason = callback_reason(complaint)
    if reason is None:
        return None
    existing = CallbackTask.objects.filter(complaint=complaint,
                                           cycle=complaint.reopen_count).first()
    if existing is not None:
        return existing
    handlers = {i for i in (handler_id, complaint.assigned_agent_id) if i}
    assignee = _callback_candidates(handlers).first()
    window = contact_window()
    due = add_working_days(now, settings.CALLBACK_DUE_WORKING_DAYS)
    if not is_contact_time(due, window):
        due = next_contact_time(due, window)
    try:
        with transaction.atomic():
            task = CallbackTask.objects.create(
                complaint=complaint, cycle=complaint.reopen_count, reason=reason,
                assignee=assignee, handler_id=handler_id or complaint.assigned_agent_id,
                scheduled_at=next_contact_time(now, window), due_at=due, created_at=now)
            services.timeline_append(
                complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
                message=_("Callback scheduled (%(reason)s) for %(who)s, due %(due)s.") % {
                    "reason": CallbackReason(reason).label,
                    "who": assignee.get_username() if assignee else _("the supervisors"),
                    "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                data={"callback_task": task.id, "reason": reason})
            if assignee is not None:
                staff_notify(
                    recipients=[assignee], complaint_id=complaint.id, kind="callback",
                    message=_("%(reference)s: call the customer back by %(due)s.") % {
                        "reference": complaint.reference,
                        "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")})
    except IntegrityError:  # scheduled at the same moment by a redelivered event
        return CallbackTask.objects.get(complaint=complaint, cycle=complaint.reopen_count)
    return task


# --- the calls ------------------------------------------------------------------------------------


def callback_can_work(user, task: CallbackTask) -> bool:
    if not user.has_perm(CALLBACK_PERMISSION):
        return False
    return task.assignee_id == user.pk or user.has_perm(CALLBACK_ALL_PERMISSION)


@dataclass(frozen=True)
class AttemptResult:
    attempt: CallbackAttempt
    task: CallbackTask
    complaint: Complaint


def callback_attempt_record(*, task_id: int, actor, result: str, note: str = "",
                            at: datetime | None = None) -> AttemptResult:
    """Record one call. Reached and satisfied closes the complaint; reached and not satisfied
    reopens it; unreachable on three different days closes it as unreachable. Calls are made
    in contact hours only, by someone other than the handler."""
    at = at or timezone.now()
    if result not in CallbackOutcome.values:
        raise InvalidInput(_("Choose what happened on the call."), field="result")
    note = (note or "").strip()
    if not is_contact_time(at, contact_window()):
        raise InvalidInput(_("Customers are called between %(opens)s and %(closes)s only.") % {
            "opens": settings.CUSTOMER_CONTACT_OPENS.strftime("%H:%M"),
            "closes": settings.CUSTOMER_CONTACT_CLOSES.strftime("%H:%M")}, field="result")
    if result == CallbackOutcome.REACHED_UNSATISFIED and not note:
        raise InvalidInput(_("Note what the customer is not satisfied with."), field="note")
    with transaction.atomic():
        task = (CallbackTask.objects.select_for_update(of=("self",))
                .select_related("complaint").get(pk=task_id))
        if not callback_can_work(actor, task):
            raise NotAllowed(_("This callback is assigned to someone else."))
        if actor.pk in {task.handler_id, task.complaint.assigned_agent_id}:
            raise NotAllowed(_("The callback must be made by someone other than the person "
                               "who handled the complaint."))
        if task.status != CallbackStatus.OPEN:
            raise InvalidInput(_("This callback is already done."))
        attempt = CallbackAttempt.objects.create(task=task, result=result, note=note,
                                                 actor=actor, attempted_at=at)
        days = {_local_day(t) for t in task.attempts.filter(
            result=CallbackOutcome.UNREACHABLE).values_list("attempted_at", flat=True)}
        finished = result != CallbackOutcome.UNREACHABLE or len(days) >= UNREACHABLE_DAYS
        complaint = task.complaint
        if not finished:
            # Not again today: the next try is on another day, at the next opening.
            tomorrow = timezone.localtime(at).replace(hour=23, minute=59, second=59)
            task.scheduled_at = next_contact_time(tomorrow + timedelta(seconds=1),
                                                  contact_window())
            task.save(update_fields=["scheduled_at"])
            services.timeline_append(
                complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE, actor=actor,
                message=_("Callback attempt: the customer could not be reached "
                          "(%(n)s of %(max)s days).") % {"n": len(days), "max": UNREACHABLE_DAYS}
                + (f"\n{note}" if note else ""),
                data={"callback_task": task.id, "attempt": attempt.id, "result": result})
            return AttemptResult(attempt, task, complaint)
        task.status, task.outcome, task.completed_at = CallbackStatus.DONE, result, at
        task.save(update_fields=["status", "outcome", "completed_at"])
        Customer.objects.filter(pk=complaint.customer_id).update(
            last_callback_outcome=result, last_callback_at=at)
        services.timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE, actor=actor,
            message=_("Callback done: %(outcome)s.") % {
                "outcome": CallbackOutcome(result).label} + (f"\n{note}" if note else ""),
            data={"callback_task": task.id, "attempt": attempt.id, "outcome": result})
        complaint = _after_callback(task, result, actor, note)
    return AttemptResult(attempt, task, complaint)


def _after_callback(task: CallbackTask, outcome: str, actor, note: str) -> Complaint:
    complaint = Complaint.objects.get(pk=task.complaint_id)
    if complaint.status != Status.RESOLVED:
        return complaint  # already closed (or reopened) another way: the outcome is recorded
    if outcome == CallbackOutcome.REACHED_UNSATISFIED:
        return services.complaint_transition(
            complaint_id=complaint.id, action=Action.REOPEN, actor=actor, expected_version=None,
            reason=_("Callback: the customer is not satisfied. %(note)s") % {"note": note})
    answer = ResultConfirmation.objects.filter(complaint=complaint,
                                               cycle=complaint.reopen_count).first()
    if answer is not None and answer.answer == ResultAnswer.NOT_SOLVED:
        return complaint
    reason = (_("Callback: the customer is satisfied.")
              if outcome == CallbackOutcome.REACHED_SATISFIED else
              _("Callback: the customer could not be reached on %(n)s different days; closed "
                "as unreachable.") % {"n": UNREACHABLE_DAYS})
    return services.complaint_transition(complaint_id=complaint.id, action=Action.CLOSE,
                                         actor=actor, expected_version=None, reason=reason)


def callback_phone_reveal(*, task: CallbackTask, user, ip_address: str | None = None) -> str:
    """The number to dial, for the person doing the callback; logged like every reveal."""
    if not callback_can_work(user, task):
        raise NotAllowed(_("This callback is assigned to someone else."))
    customer = task.complaint.customer
    PersonalDataAccess.objects.create(user=user, customer=customer, complaint=task.complaint,
                                      fields=["phone"], reason=_("Callback"),
                                      ip_address=ip_address)
    return customer.phone
