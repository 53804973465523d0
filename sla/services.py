"""Deadlines (clocks), the sweep that warns and escalates, and the escalation queue's actions.

Clocks follow the complaint: the receivers in sla/receivers.py call these functions after each
lifecycle event commits. The sweep is safe to run twice at once, to retry, and after an outage:
it takes due clocks with FOR UPDATE SKIP LOCKED, and every warning or escalation is a row that a
unique constraint allows once.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import memo
from complaints import services as complaint_services
from complaints.db import bulk_update_rows, insert_rows
from complaints.errors import InvalidInput, NotAllowed
from complaints.models import ActivityKind, Complaint, Department, Notification

from . import policy as sla_policy
from .calendar import WorkCalendar, unverified_years
from .models import Clock, ClockState, Escalation, Metric, SlaEvent, SlaEventKind
from .policy import PolicyRule, Target
from .selectors import complaint_facts, policy_rules, standard_calendar_id, work_calendars

logger = logging.getLogger(__name__)

START_METRICS = [Metric.ACKNOWLEDGE, Metric.FIRST_RESPONSE, Metric.PROGRESS_UPDATE,
                 Metric.RESOLUTION, Metric.REGULATOR_EXPOSURE]
# Waiting for the customer stops the company's clocks, not the customer's right to appeal.
PAUSABLE = {Metric.ACKNOWLEDGE, Metric.FIRST_RESPONSE, Metric.PROGRESS_UPDATE,
            Metric.RESOLUTION, Metric.MULTI_DEPARTMENT_NOTICE}
ACTIVE = [ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED]
FALLBACK_RULE = PolicyRule(id=0)
FALLBACK_TARGET = Target(Decimal(1), sla_policy.WORKING_DAYS)


@dataclass
class Context:
    """Calendars and policies loaded once per operation."""

    calendars: dict[int, WorkCalendar]
    rules: dict[int, PolicyRule]
    default_calendar_id: int

    @classmethod
    def load(cls) -> Context:
        with memo.scope():  # the settings tokens read once
            return cls._load()

    @classmethod
    def _load(cls) -> Context:
        calendars = work_calendars()
        rules = {r.id: r for r in policy_rules()}
        return cls(calendars, rules, standard_calendar_id() or next(iter(calendars)))

    def calendar(self, calendar_id: int | None) -> WorkCalendar:
        return self.calendars.get(calendar_id) or self.calendars[self.default_calendar_id]

    def rule_and_target(self, clock: Clock) -> tuple[PolicyRule, Target]:
        rule = self.rules.get(clock.policy_id) or FALLBACK_RULE
        return rule, rule.targets.get(clock.metric, FALLBACK_TARGET)


def _metric_label(metric: str) -> str:
    return str(Metric(metric).label)


def _local(instant: datetime) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M")


# --- planning ---------------------------------------------------------------------------------


def _plan(complaint: Complaint, metric: str, start: datetime, ctx: Context,
          targets: dict) -> dict | None:
    """Field values of a new clock for `metric`, or None when no policy sets a target."""
    if metric not in targets:
        return None
    rule, target = targets[metric]
    cal = ctx.calendar(rule.calendar_id)
    due = sla_policy.due_time(start, target, cal)
    if metric == Metric.RESOLUTION and complaint.regulator_due_at:
        due = complaint.regulator_due_at  # the regulator's deadline replaces ours
    warn = sla_policy.warning_time(start, due, rule.warning_percent, target, cal) \
        if due > start else due
    return {
        "policy_id": rule.id, "calendar_id": rule.calendar_id,
        "started_at": start, "due_at": due, "warn_at": warn,
        "due_verified": not unverified_years(start, due, cal),
        "next_check_at": warn,
    }


def next_due_refresh(*, complaint_id: int) -> None:
    """Keep the complaint's denormalised nearest deadline (the desk's queues sort and filter
    on it) equal to the earliest due time of its running or breached clocks."""
    from django.db.models import Min, OuterRef, Subquery

    nearest = (Clock.objects.filter(NEXT_DUE_CLOCKS, complaint=OuterRef("pk"))
               .values("complaint").annotate(first=Min("due_at")).values("first"))
    Complaint.objects.filter(pk=complaint_id).update(next_due_at=Subquery(nearest))


# Clocks that still run: late ones count until met or stopped (they keep the BREACHED state).
NEXT_DUE_CLOCKS = Q(state=ClockState.RUNNING) | Q(state=ClockState.BREACHED,
                                                  completed_at__isnull=True)


def _complaint(complaint_id: int) -> Complaint:
    return Complaint.objects.select_related("customer", "category__parent").get(pk=complaint_id)


def clocks_start(*, complaint_id: int, metrics: list[str] | None = None,
                 start: datetime | None = None, new_cycle: bool = False,
                 ctx: Context | None = None) -> list[Clock]:
    """Start the complaint's clocks (by default all initial ones, from `received_at`).

    Idempotent: a clock that exists for the metric and cycle is left alone. `new_cycle` starts
    the next cycle of each metric (reopen, the next progress update).
    """
    ctx = ctx or Context.load()
    complaint = _complaint(complaint_id)
    start = start or complaint.received_at
    targets = sla_policy.targets_for(list(ctx.rules.values()), complaint_facts(complaint))
    existing = {}
    for metric, cycle in Clock.objects.filter(complaint_id=complaint_id).values_list(
            "metric", "cycle"):
        existing[metric] = max(existing.get(metric, 0), cycle)
    created = []
    for metric in metrics or START_METRICS:
        if metric in existing and not new_cycle:
            continue
        plan = _plan(complaint, metric, start, ctx, targets)
        if plan is None:
            continue
        created.append(Clock(complaint_id=complaint_id, metric=metric,
                             cycle=existing.get(metric, 0) + 1, **plan))
    Clock.objects.bulk_create(created, ignore_conflicts=True)
    next_due_refresh(complaint_id=complaint_id)
    unverified = [c for c in created if not c.due_verified]
    if unverified:
        complaint_services.timeline_append(
            complaint_id=complaint_id, kind=ActivityKind.SLA_WARNING,
            message=_("Deadlines fall in a year without official holiday data; they count "
                      "ordinary weekdays and may be wrong: %(metrics)s.") % {
                "metrics": ", ".join(_metric_label(c.metric) for c in unverified)},
            data={"unverified": [c.metric for c in unverified]})
    return created


# --- following the complaint ---------------------------------------------------------------------


def clocks_meet(*, complaint_id: int, metrics: list[str], at: datetime | None = None) -> int:
    """The measured event happened: running clocks are met; late ones stop escalating."""
    at = at or timezone.now()
    with transaction.atomic():
        clocks = list(Clock.objects.select_for_update().filter(
            complaint_id=complaint_id, metric__in=metrics, state__in=ACTIVE))
        for clock in clocks:
            if clock.state != ClockState.BREACHED:
                clock.state = ClockState.MET
            clock.completed_at, clock.next_check_at = at, None
        Clock.objects.bulk_update(clocks, ["state", "completed_at", "next_check_at"])
        next_due_refresh(complaint_id=complaint_id)
    return len(clocks)


def clocks_stop(*, complaint_id: int, at: datetime | None = None) -> int:
    """Closed, merged or cancelled: nothing is measured any more; the queue entry closes."""
    at = at or timezone.now()
    with transaction.atomic():
        clocks = list(Clock.objects.select_for_update().filter(complaint_id=complaint_id,
                                                               state__in=ACTIVE))
        for clock in clocks:
            if clock.state != ClockState.BREACHED:
                clock.state = ClockState.STOPPED
            clock.completed_at, clock.next_check_at = at, None
        Clock.objects.bulk_update(clocks, ["state", "completed_at", "next_check_at"])
        Escalation.objects.filter(complaint_id=complaint_id, is_open=True).update(
            is_open=False, closed_at=at)
        next_due_refresh(complaint_id=complaint_id)
    return len(clocks)


def clocks_pause(*, complaint_id: int, at: datetime | None = None,
                 ctx: Context | None = None) -> int:
    at = at or timezone.now()
    ctx = ctx or Context.load()
    with transaction.atomic():
        clocks = list(Clock.objects.select_for_update().filter(
            complaint_id=complaint_id, state=ClockState.RUNNING, metric__in=PAUSABLE))
        for clock in clocks:
            _rule, target = ctx.rule_and_target(clock)
            cal = ctx.calendar(clock.calendar_id)
            clock.remaining_when_paused = max(
                sla_policy.elapsed(at, clock.due_at, target, cal), timedelta(0))
            clock.state, clock.paused_at, clock.next_check_at = ClockState.PAUSED, at, None
        Clock.objects.bulk_update(clocks, ["state", "paused_at", "remaining_when_paused",
                                           "next_check_at"])
        next_due_refresh(complaint_id=complaint_id)
    return len(clocks)


def clocks_resume(*, complaint_id: int, at: datetime | None = None,
                  ctx: Context | None = None) -> int:
    """Paused clocks run again; their due (and warning) times move by the time spent waiting."""
    at = at or timezone.now()
    ctx = ctx or Context.load()
    with transaction.atomic():
        clocks = list(Clock.objects.select_for_update().filter(complaint_id=complaint_id,
                                                               state=ClockState.PAUSED))
        for clock in clocks:
            rule, target = ctx.rule_and_target(clock)
            cal = ctx.calendar(clock.calendar_id)
            waited = sla_policy.elapsed(clock.paused_at, at, target, cal)
            if clock.warn_at and clock.warned_at is None and clock.warn_at > clock.paused_at:
                before_warning = sla_policy.elapsed(clock.paused_at, clock.warn_at, target, cal)
                clock.warn_at = sla_policy.advance(at, before_warning, target, cal)
            clock.due_at = sla_policy.advance(at, clock.remaining_when_paused, target, cal)
            clock.paused_total += waited
            clock.state, clock.paused_at, clock.remaining_when_paused = (
                ClockState.RUNNING, None, None)
            clock.due_verified = not unverified_years(clock.started_at, clock.due_at, cal)
            clock.next_check_at = _next_check(clock, rule, target, cal)
        Clock.objects.bulk_update(clocks, ["state", "paused_at", "remaining_when_paused",
                                           "due_at", "warn_at", "paused_total", "due_verified",
                                           "next_check_at"])
        next_due_refresh(complaint_id=complaint_id)
    return len(clocks)


def clocks_recompute(*, complaint_id: int, reason: str, ctx: Context | None = None) -> int:
    """Priority or category changed: running and paused clocks get the new policy's targets,
    counted from when they started (received_at for the first cycle), plus time paused."""
    if not Clock.objects.filter(complaint_id=complaint_id,
                                state__in=[ClockState.RUNNING, ClockState.PAUSED]).exists():
        # Nothing to move (e.g. intake's classification, which runs before the clocks start):
        # spare the calendars and policies (~10 queries on every new complaint).
        return 0
    ctx = ctx or Context.load()
    now = timezone.now()
    complaint = _complaint(complaint_id)
    targets = sla_policy.targets_for(list(ctx.rules.values()), complaint_facts(complaint))
    changes = []
    with transaction.atomic():
        clocks = list(Clock.objects.select_for_update().filter(
            complaint_id=complaint_id, state__in=[ClockState.RUNNING, ClockState.PAUSED]))
        for clock in clocks:
            plan = _plan(complaint, clock.metric, clock.started_at, ctx, targets)
            if plan is None:
                continue
            rule, target = targets[clock.metric]
            cal = ctx.calendar(plan["calendar_id"])
            due = sla_policy.advance(plan["due_at"], clock.paused_total, target, cal)
            warn = sla_policy.advance(plan["warn_at"], clock.paused_total, target, cal)
            if due == clock.due_at and plan["policy_id"] == clock.policy_id:
                continue
            changes.append({"metric": clock.metric, "from": clock.due_at.isoformat(),
                            "to": due.isoformat()})
            clock.policy_id, clock.calendar_id = plan["policy_id"], plan["calendar_id"]
            clock.due_at, clock.due_verified = due, plan["due_verified"]
            if clock.warned_at is None:
                clock.warn_at = warn
            if clock.state == ClockState.PAUSED:
                clock.remaining_when_paused = max(
                    sla_policy.elapsed(clock.paused_at, due, target, cal), timedelta(0))
            else:
                clock.next_check_at = _next_check(clock, rule, target, cal)
        Clock.objects.bulk_update(clocks, ["policy_id", "calendar_id", "due_at", "due_verified",
                                           "warn_at", "remaining_when_paused", "next_check_at"])
        next_due_refresh(complaint_id=complaint_id)
        if changes:
            complaint_services.timeline_append(
                complaint_id=complaint_id, kind=ActivityKind.FIELD_CHANGE,
                message=_("Deadlines recomputed (%(reason)s): %(changes)s") % {
                    "reason": reason, "changes": "; ".join(
                        f"{_metric_label(c['metric'])} "
                        f"{_local(datetime.fromisoformat(c['from']))} → "
                        f"{_local(datetime.fromisoformat(c['to']))}" for c in changes)},
                data={"deadlines": changes, "reason": reason, "at": now.isoformat()})
    return len(changes)


def _next_check(clock: Clock, rule: PolicyRule, target: Target, cal: WorkCalendar):
    """When the sweep must next look at this clock, or None if it never needs to."""
    if clock.state not in (ClockState.RUNNING, ClockState.BREACHED):
        return None
    if clock.state == ClockState.RUNNING and clock.warned_at is None and clock.warn_at \
            and clock.warn_at < clock.due_at:
        return clock.warn_at
    return sla_policy.next_escalation_time(clock.due_at, clock.escalation_level,
                                           rule.breach_level, rule.escalation_step_hours,
                                           target, cal)


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
        insert_rows(Notification, notices)
        _queue_progress_notices(result, now)
        if event_ids:
            from .tasks import send_sla_event_emails

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
            clock.warned_at = now
            events.append({"clock_id": clock.id, "complaint_id": complaint.id,
                           "kind": SlaEventKind.WARNING, "level": 0, "created_at": now,
                           "reason": _("%(metric)s due %(due)s") % {
                               "metric": label, "due": _local(clock.due_at)}})
            entries.append((complaint.id, ActivityKind.SLA_WARNING, _(
                "Deadline warning: %(metric)s is due at %(due)s.") % {
                "metric": label, "due": _local(clock.due_at)}, {"metric": clock.metric}))
            for user in directory.warning_recipients(complaint):
                notices.append({
                    "recipient_id": user.id, "complaint_id": complaint.id, "kind": "sla_warning",
                    "created_at": now,
                    "message": _("%(reference)s: %(metric)s is due at %(due)s.") % {
                        "reference": complaint.reference, "metric": label,
                        "due": _local(clock.due_at)}})
            result.warnings += 1
            if clock.metric == Metric.PROGRESS_UPDATE:
                result.progress_notices.append(clock)
        clock.next_check_at = _next_check(clock, rule, target, cal)
        return
    if clock.state == ClockState.RUNNING:
        clock.state, clock.breached_at = ClockState.BREACHED, clock.due_at
        clock.warned_at = clock.warned_at or now
        entries.append((complaint.id, ActivityKind.SLA_BREACH, _(
            "Deadline breached: %(metric)s was due at %(due)s.") % {
            "metric": label, "due": _local(clock.due_at)}, {"metric": clock.metric}))
        result.breaches += 1
    level = sla_policy.level_at(now, clock.due_at, rule.breach_level,
                                rule.escalation_step_hours, target, cal)
    for new_level in range(clock.escalation_level + 1, level + 1):
        reason = _("%(metric)s overdue since %(due)s") % {"metric": label,
                                                           "due": _local(clock.due_at)}
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


def _queue_progress_notices(result: SweepResult, now: datetime) -> None:
    """A progress update is nearly due: tell the customer the complaint is being handled.

    Caused by a timer, so it waits for contact hours; the key makes it once per clock.
    """
    from complaints.lifecycle import OPEN_STATUSES
    from complaints.outbound import customer_message_queue

    clocks, result.progress_notices = result.progress_notices, []
    if not clocks:
        return
    customers = {c.id: c for c in Complaint.objects.filter(
        pk__in=[clock.complaint_id for clock in clocks]).select_related("customer")}
    for clock in clocks:
        complaint = customers[clock.complaint_id]
        if complaint.status not in OPEN_STATUSES:
            continue
        with translation.override(settings.LANGUAGE_CODE):
            body = _("Your complaint %(reference)s is being handled; we will contact you as "
                     "soon as there is a result.") % {"reference": complaint.reference}
        try:
            customer_message_queue(complaint=complaint, body=body, purpose="progress",
                                   dedupe_key=f"progress:{clock.id}", now=now)
        except InvalidInput:
            logger.info("no contact address for %s", complaint.reference)


def _write_timeline(entries) -> None:
    from complaints.models import Activity, ActorType, Visibility

    versions = dict(Complaint.objects.filter(pk__in={e[0] for e in entries})
                    .values_list("id", "version"))
    now = timezone.now()
    insert_rows(Activity, [
        {"complaint_id": cid, "kind": kind, "actor_type": ActorType.SYSTEM, "message": message,
         "data": data, "visibility": Visibility.INTERNAL, "version": versions.get(cid),
         "created_at": now}
        for cid, kind, message, data in entries])


def _escalate_complaints(levels, complaints, now, directory, notices) -> None:
    if not levels:
        return
    raised = set(complaint_services.complaints_raise_escalation(levels=levels, now=now))
    _queue_upsert(levels, now)
    for complaint_id in raised:
        complaint = complaints[complaint_id]
        level, reason = levels[complaint_id]
        for user in directory.recipients(complaint, level):
            notices.append({"recipient_id": user.id, "complaint_id": complaint.id,
                            "kind": "escalation", "created_at": now,
                            "message": f"{complaint.reference}: {reason}"[:500]})


def _queue_upsert(levels: dict[int, tuple[int, str]], now: datetime) -> None:
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
    Escalation.objects.bulk_update(changed, ["level", "reason", "is_open", "closed_at",
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
        from django.contrib.auth import get_user_model

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


# --- people working the escalation queue ------------------------------------------------------


def escalation_raise_manually(*, complaint_id: int, actor, reason: str, level: int = 1,
                              automatic: bool = False):
    """An agent escalates by hand, with a reason; the same queue and notices as a breach.
    `automatic`: a rule escalates (a second reopen), not a person; the timeline says so."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why you escalate this complaint."), field="reason")
    if not 1 <= level <= sla_policy.MAX_LEVEL:
        raise InvalidInput(_("The level must be 1, 2 or 3."), field="level")
    now = timezone.now()
    directory = EscalationDirectory.load()
    message = (_("Escalated automatically to level %(level)s: %(reason)s") if automatic else
               _("Escalated by hand to level %(level)s: %(reason)s")) % {"level": level,
                                                                          "reason": reason}
    with transaction.atomic():
        complaint = Complaint.objects.select_related("assigned_department").get(pk=complaint_id)
        if level <= complaint.escalation_level:
            raise InvalidInput(_("The complaint is already at level %(level)s.") % {
                "level": complaint.escalation_level}, field="level")
        complaint_services.complaints_raise_escalation(levels={complaint_id: (level, message)},
                                                       actor=actor, now=now)
        _queue_upsert({complaint_id: (level, message)}, now)
        Notification.objects.bulk_create([
            Notification(recipient=user, complaint=complaint, kind="escalation",
                         message=f"{complaint.reference}: {message}"[:500])
            for user in directory.recipients(complaint, level) if user != actor])
    return Escalation.objects.get(complaint_id=complaint_id)


def _open_escalation(complaint_id: int, actor) -> Escalation:
    if not actor.has_perm("sla.change_escalation"):
        raise NotAllowed(_("Only supervisors work the escalation queue."))
    escalation = Escalation.objects.select_for_update().filter(complaint_id=complaint_id,
                                                               is_open=True).first()
    if escalation is None:
        raise InvalidInput(_("This complaint is not in the escalation queue."))
    return escalation


def escalation_acknowledge(*, complaint_id: int, actor) -> Escalation:
    with transaction.atomic():
        escalation = _open_escalation(complaint_id, actor)
        escalation.acknowledged_at, escalation.acknowledged_by = timezone.now(), actor
        escalation.save(update_fields=["acknowledged_at", "acknowledged_by"])
        complaint_services.timeline_append(
            complaint_id=complaint_id, kind=ActivityKind.ESCALATION, actor=actor,
            message=_("Escalation acknowledged."), data={"action": "acknowledge"})
    return escalation


def escalation_set_expected(*, complaint_id: int, actor, expected_at: datetime,
                            reason: str) -> Escalation:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the new expected date."), field="reason")
    if timezone.is_naive(expected_at) or expected_at <= timezone.now():
        raise InvalidInput(_("The expected date must be in the future."), field="expected_at")
    with transaction.atomic():
        escalation = _open_escalation(complaint_id, actor)
        escalation.expected_at = expected_at
        escalation.save(update_fields=["expected_at"])
        _notify_expected_date(complaint_id, expected_at)
        complaint_services.timeline_append(
            complaint_id=complaint_id, kind=ActivityKind.ESCALATION, actor=actor,
            message=_("New expected date %(date)s: %(reason)s") % {
                "date": _local(expected_at), "reason": reason},
            data={"action": "expected_date", "expected_at": expected_at.isoformat(),
                  "reason": reason})
    return escalation


def _notify_expected_date(complaint_id: int, expected_at: datetime) -> None:
    from complaints.outbound import customer_message_queue

    complaint = Complaint.objects.select_related("customer").get(pk=complaint_id)
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Your complaint %(reference)s needs more time; we expect to finish by "
                 "%(date)s. We apologise for the wait.") % {
            "reference": complaint.reference, "date": _local(expected_at)}
    try:
        customer_message_queue(complaint=complaint, body=body, purpose="expected_date")
    except InvalidInput:
        logger.info("no contact address for %s", complaint.reference)


def escalation_deescalate(*, complaint_id: int, actor, reason: str) -> Escalation:
    """Back out of the queue, with a reason. Further lateness escalates again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for de-escalating."), field="reason")
    now = timezone.now()
    with transaction.atomic():
        escalation = _open_escalation(complaint_id, actor)
        escalation.is_open, escalation.closed_at = False, now
        escalation.save(update_fields=["is_open", "closed_at"])
        complaint_services.complaint_update_fields(
            complaint_id=complaint_id, actor=actor, changes={"escalation_level": 0},
            kind=ActivityKind.ESCALATION, reason=reason,
            message=_("De-escalated: %(reason)s") % {"reason": reason})
    return escalation


def sla_event_send_emails(*, event_ids: list[int]) -> int:
    """Email the people an escalation concerns. Idempotent: each event is mailed once."""
    from django.core.mail import send_mass_mail

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


def clocks_on_public_reply(*, complaint_id: int) -> None:
    """A reply told the customer something: first response and the multi-department notice are
    met, and the current progress-update period ends and the next one starts."""
    now = timezone.now()
    clocks_meet(complaint_id=complaint_id, at=now,
                metrics=[Metric.FIRST_RESPONSE, Metric.MULTI_DEPARTMENT_NOTICE])
    status = Complaint.objects.values_list("status", flat=True).get(pk=complaint_id)
    from complaints.lifecycle import OPEN_STATUSES

    if clocks_meet(complaint_id=complaint_id, metrics=[Metric.PROGRESS_UPDATE], at=now) and \
            status in OPEN_STATUSES:
        clocks_start(complaint_id=complaint_id, metrics=[Metric.PROGRESS_UPDATE], start=now,
                     new_cycle=True)
