"""The sweep that warns and escalates. Safe to run twice at once, to retry, and after an outage:
it takes due clocks with FOR UPDATE SKIP LOCKED, and every warning or escalation is a row that a
unique constraint allows once."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.lifecycle import OPEN_STATUSES
from complaints.models import ActivityKind, Complaint, Department
from kernel import memo
from kernel.db import bulk_update_rows, insert_rows
from kernel.display import local_minute
from notifications.outbound import customer_default_address, customer_messages_queue_many
from notifications.services import staff_notify_many

from . import policy as sla_policy
from .models import Clock, ClockState, Escalation, Metric, SlaEvent, SlaEventKind
from .services import Context, _metric_label, _next_check
from .tasks import send_sla_event_emails

logger = logging.getLogger(__name__)


# --- the sweep -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    batches: int = 0
    complaints: set[int] = field(default_factory=set)
    progress_notices: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"warnings": self.warnings, "breaches": self.breaches,
                "escalations": self.escalations, "batches": self.batches,
                "complaints": len(self.complaints)}


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500,
              max_batches: int = 1000) -> SweepResult:
    """Handle every clock whose warning or escalation time has passed, in batches.

    One memo scope for the whole sweep: the report figures of every complaint it escalates
    are recomputed together at the end (one refresh, not one per complaint's event)."""
    with memo.scope():
        return _sweep(now or timezone.now(), batch_size, max_batches)


def _sweep(now: datetime, batch_size: int, max_batches: int) -> SweepResult:
    ctx = Context.load()
    directory = EscalationDirectory.load()
    result = SweepResult()
    # A batch allocates tens of thousands of short-lived objects; the cyclic collector would
    # scan the whole heap (Django, calendars, the classifier) several times per batch for
    # nothing. Reference counting still frees everything; cycles are collected afterwards.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _batch in range(max_batches):
            handled = _sweep_batch(now, batch_size, ctx, directory, result)
            if handled < batch_size:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    return result


# What the sweep reads: the clock, and of its complaint only what notices and levels need.
SWEEP_FIELDS = [
    "id", "complaint_id", "metric", "cycle", "policy_id", "calendar_id", "state", "started_at",
    "due_at", "warn_at", "warned_at", "breached_at", "escalation_level", "next_check_at",
    "complaint__id", "complaint__reference", "complaint__status",
    "complaint__assigned_department_id", "complaint__assigned_agent_id",
    "complaint__assigned_agent__id", "complaint__assigned_agent__username",
    "complaint__assigned_agent__email", "complaint__assigned_agent__first_name",
    "complaint__assigned_agent__last_name",
]


def _sweep_batch(now, batch_size, ctx, directory, result) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Safe to skip the wait for the disk: a batch lost in a crash is simply swept
            # again next minute, and nothing outside the database saw it (mail goes on commit).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        clocks = list(
            Clock.objects.filter(next_check_at__lte=now).order_by("next_check_at")
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("complaint", "complaint__assigned_agent")
            .only(*SWEEP_FIELDS)[:batch_size])
        if not clocks:
            return 0
        result.batches += 1
        events, entries, levels, notices = [], [], {}, []
        for clock in clocks:
            _advance_clock(clock, now, ctx, directory, events, entries, levels, notices,
                           result)
        # The unique constraint forbids any repeat: a second sweep's insert fails and rolls back.
        event_ids = insert_rows(SlaEvent, events, returning_ids=True)
        bulk_update_rows(Clock, clocks, ["state", "warned_at", "breached_at",
                                         "escalation_level", "next_check_at"])
        _write_timeline(entries)
        _escalate_complaints(levels, {c.complaint_id: c.complaint for c in clocks}, now,
                             directory, notices)
        staff_notify_many(rows=notices)
        _queue_progress_notices(result, now)
        if event_ids:
            send_sla_event_emails.delay_on_commit(event_ids)
    return len(clocks)


def _advance_clock(clock, now, ctx, directory, events, entries, levels, notices,
                   result) -> None:
    rule, target = ctx.rule_and_target(clock)
    cal = ctx.calendar(clock.calendar_id)
    complaint = clock.complaint
    label = _metric_label(clock.metric)
    if clock.state == ClockState.RUNNING and clock.due_at > now:
        # Not due yet: only the warning can be due.
        if clock.warned_at is None and clock.warn_at and clock.warn_at <= now:
            _warn(clock, now, label, directory, events, entries, notices, result)
        clock.next_check_at = _next_check(clock, rule, target, cal)
        return
    if clock.state == ClockState.RUNNING:
        if clock.warned_at is None and clock.warn_at:
            # No sweep ran between the warning time and the deadline (beat, the broker or the
            # database was down): the assignee still gets the warning, once, with the breach.
            _warn(clock, now, label, directory, events, entries, notices, result)
        clock.state, clock.breached_at = ClockState.BREACHED, clock.due_at
        clock.warned_at = clock.warned_at or now
        entries.append((complaint.id, ActivityKind.SLA_BREACH, _(
            "Deadline breached: %(metric)s was due at %(due)s.") % {
            "metric": label, "due": local_minute(clock.due_at)}, {"metric": clock.metric}))
        result.breaches += 1
    level = sla_policy.level_at(now, clock.due_at, rule.breach_level,
                                rule.escalation_step_hours, target, cal)
    for new_level in range(clock.escalation_level + 1, level + 1):
        reason = _("%(metric)s overdue since %(due)s") % {"metric": label,
                                                           "due": local_minute(clock.due_at)}
        events.append({"clock_id": clock.id, "complaint_id": complaint.id,
                       "kind": SlaEventKind.ESCALATION, "level": new_level,
                       "created_at": now, "reason": reason})
        previous = levels.get(complaint.id, (0, ""))
        if new_level > previous[0]:
            levels[complaint.id] = (new_level, _("Escalated to level %(level)s: %(reason)s.") % {
                "level": new_level, "reason": reason})
        result.escalations += 1
        result.complaints.add(complaint.id)
    clock.escalation_level = max(clock.escalation_level, level)
    clock.next_check_at = _next_check(clock, rule, target, cal)


def _warn(clock, now, label, directory, events, entries, notices, result) -> None:
    complaint = clock.complaint
    clock.warned_at = now
    events.append({"clock_id": clock.id, "complaint_id": complaint.id,
                   "kind": SlaEventKind.WARNING, "level": 0, "created_at": now,
                   "reason": _("%(metric)s due %(due)s") % {
                       "metric": label, "due": local_minute(clock.due_at)}})
    entries.append((complaint.id, ActivityKind.SLA_WARNING, _(
        "Deadline warning: %(metric)s is due at %(due)s.") % {
        "metric": label, "due": local_minute(clock.due_at)}, {"metric": clock.metric}))
    for user in directory.warning_recipients(complaint):
        notices.append({
            "recipient_id": user.id, "complaint_id": complaint.id, "kind": "sla_warning",
            "created_at": now,
            "message": _("%(reference)s: %(metric)s is due at %(due)s.") % {
                "reference": complaint.reference, "metric": label,
                "due": local_minute(clock.due_at)}})
    result.warnings += 1
    if clock.metric == Metric.PROGRESS_UPDATE:
        result.progress_notices.append(clock)


def _queue_progress_notices(result: SweepResult, now: datetime) -> None:
    """A progress update is nearly due: tell the customer the complaint is being handled.

    Caused by a timer, so it waits for contact hours; the key makes it once per clock. One
    INSERT for the batch's notices (not one statement and savepoint each)."""

    clocks, result.progress_notices = result.progress_notices, []
    if not clocks:
        return
    customers = {c.id: c for c in Complaint.objects.filter(
        pk__in=[clock.complaint_id for clock in clocks]).select_related("customer")}
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for clock in clocks:
            complaint = customers[clock.complaint_id]
            if complaint.status not in OPEN_STATUSES:
                continue
            address = customer_default_address(complaint.customer)
            if address is None:
                logger.info("no contact address for %s", complaint.reference)
                continue
            body = _("Your complaint %(reference)s is being handled; we will contact you as "
                     "soon as there is a result.") % {"reference": complaint.reference}
            messages.append({"complaint": complaint, "body": body, "purpose": "progress",
                             "channel": address[0], "dedupe_key": f"progress:{clock.id}"})
    customer_messages_queue_many(messages=messages, now=now, skip_queued=True)


def _write_timeline(entries) -> None:
    complaint_services.timeline_append_many(entries=[
        {"complaint_id": cid, "kind": kind, "message": message, "data": data}
        for cid, kind, message, data in entries])


def _escalate_complaints(levels, complaints, now, directory, notices) -> None:
    if not levels:
        return
    raised = set(complaint_services.complaints_raise_escalation(levels=levels, now=now))
    escalation_queue_upsert(levels, now)
    for complaint_id in raised:
        complaint = complaints[complaint_id]
        level, reason = levels[complaint_id]
        for user in directory.recipients(complaint, level):
            notices.append({"recipient_id": user.id, "complaint_id": complaint.id,
                            "kind": "escalation", "created_at": now,
                            "message": f"{complaint.reference}: {reason}"[:500]})


def escalation_queue_upsert(levels: dict[int, tuple[int, str]], now: datetime) -> None:
    existing = {e.complaint_id: e for e in Escalation.objects.filter(complaint_id__in=levels)}
    new, changed = [], []
    for complaint_id, (level, reason) in levels.items():
        entry = existing.get(complaint_id)
        if entry is None:
            new.append(Escalation(complaint_id=complaint_id, level=level, reason=reason[:500],
                                  escalated_at=now))
        elif level > entry.level or not entry.is_open:
            entry.level, entry.reason = max(level, entry.level), reason[:500]
            entry.is_open, entry.closed_at = True, None
            entry.acknowledged_at = entry.acknowledged_by = None
            entry.escalated_at = now
            changed.append(entry)
    Escalation.objects.bulk_create(new, ignore_conflicts=True)
    # Not Django's bulk_update: its CASE per field took 2.4 s for ~500 complaints already in
    # the queue (pipeline-made data escalates the same complaint again and again).
    bulk_update_rows(Escalation, changed, ["level", "reason", "is_open", "closed_at",
                                           "acknowledged_at", "acknowledged_by",
                                           "escalated_at"])


@dataclass
class EscalationDirectory:
    """Who hears about each escalation level; loaded once per sweep (departments are few)."""

    departments: dict[int, Department]
    desk_users: list
    fallback: list

    @classmethod
    def load(cls) -> EscalationDirectory:
        departments = {d.id: d for d in Department.objects.select_related("supervisor")}
        desk = Department.objects.filter(code=settings.SLA_REGULATOR_DESK).first()
        desk_users = []
        if desk:
            desk_users = list(desk.members.filter(is_active=True))
            if desk.supervisor_id and desk.supervisor not in desk_users:
                desk_users.append(desk.supervisor)
        fallback = list(get_user_model().objects.filter(groups__name="supervisor",
                                                        is_active=True).distinct())
        return cls(departments, desk_users, fallback)

    def warning_recipients(self, complaint: Complaint) -> list:
        """The assignee, or the department's supervisor while nobody is assigned."""
        if complaint.assigned_agent_id:
            return [complaint.assigned_agent]
        department = self.departments.get(complaint.assigned_department_id)
        return [department.supervisor] if department and department.supervisor_id else []

    def recipients(self, complaint: Complaint, level: int) -> list:
        """Level 1: the assigned department's supervisor; level 2: the supervisor of the
        department above; level 3: the regulator-risk desk. Supervisors when nobody is set."""
        department = self.departments.get(complaint.assigned_department_id)
        if level >= 3:
            return self.desk_users or self.fallback
        if level == 2 and department is not None:
            department = self.departments.get(department.parent_id)
        if department is not None and department.supervisor_id:
            return [department.supervisor]
        return self.fallback


def sla_event_send_emails(*, event_ids: list[int]) -> int:
    """Email the people an escalation concerns. Idempotent: each event is mailed once."""

    sent = 0
    directory = EscalationDirectory.load()
    for event_id in event_ids:
        with transaction.atomic():
            event = (SlaEvent.objects.select_for_update(of=("self",))
                     .select_related("complaint", "complaint__assigned_agent")
                     .filter(pk=event_id, notified_at__isnull=True).first())
            if event is None:
                continue
            complaint = event.complaint
            if event.kind == SlaEventKind.ESCALATION:
                people = directory.recipients(complaint, event.level)
                subject = _("[Escalation L%(level)s] %(reference)s") % {
                    "level": event.level, "reference": complaint.reference}
            else:
                people = directory.warning_recipients(complaint)
                subject = _("[Deadline warning] %(reference)s") % {
                    "reference": complaint.reference}
            addresses = sorted({u.email for u in people if u.email})
            if addresses:
                body = f"{event.reason}\n\n{complaint.subject}"
                send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [a])
                                for a in addresses])
                sent += len(addresses)
            event.notified_at = timezone.now()
            event.save(update_fields=["notified_at"])
    return sent
