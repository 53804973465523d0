"""Deadlines (clocks): started, paused, resumed, met, stopped and recomputed as the complaint
moves. The receivers in sla/receivers.py call these functions after each lifecycle event
commits. The sweep that warns and escalates is sla/sweep.py; the escalation queue's actions are
sla/escalations.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.lifecycle import OPEN_STATUSES, Action
from complaints.models import Activity, ActivityKind, Complaint
from kernel import memo
from kernel.db import copy_objects, insert_objects
from kernel.display import local_minute

from . import policy as sla_policy
from .calendar import WorkCalendar, unverified_years
from .models import Clock, ClockState, Escalation, Metric
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


def next_due_refresh(*, complaint_id: int | None = None,
                     complaint_ids: list[int] | None = None) -> None:
    """Keep the complaint's (or complaints') denormalised nearest deadline (the desk's queues
    sort and filter on it) equal to the earliest due time of its running or breached clocks:
    one UPDATE."""
    ids = [complaint_id] if complaint_id is not None else list(complaint_ids or ())

    nearest = (Clock.objects.filter(NEXT_DUE_CLOCKS, complaint=OuterRef("pk"))
               .values("complaint").annotate(first=Min("due_at")).values("first"))
    complaint_services.complaints_set_next_due(
        complaints=Complaint.objects.filter(pk__in=ids), nearest=Subquery(nearest))


# Clocks that still run: late ones count until met or stopped (they keep the BREACHED state).
NEXT_DUE_CLOCKS = Q(state=ClockState.RUNNING) | Q(state=ClockState.BREACHED,
                                                  completed_at__isnull=True)


def _complaint(complaint_id: int) -> Complaint:
    return Complaint.objects.select_related("customer", "category__parent").get(pk=complaint_id)


# The clocks a lifecycle step meets or stops: followed live (sla/receivers.py) and when an
# import settles a complaint's history (clocks_start_historical).
MEETS_ON = {
    Action.ACKNOWLEDGE: [Metric.ACKNOWLEDGE],
    Action.RESOLVE: [Metric.ACKNOWLEDGE, Metric.FIRST_RESPONSE, Metric.PROGRESS_UPDATE,
                     Metric.RESOLUTION, Metric.MULTI_DEPARTMENT_NOTICE, Metric.REGULATOR_EXPOSURE],
}
STOPS_ON = {Action.CLOSE, Action.MERGE, Action.CANCEL}


def clocks_start(*, complaint_id: int, metrics: list[str] | None = None,
                 start: datetime | None = None, new_cycle: bool = False,
                 ctx: Context | None = None) -> list[Clock]:
    """Start the complaint's clocks (by default all initial ones, from `received_at`).

    Idempotent: a clock that exists for the metric and cycle is left alone. `new_cycle` starts
    the next cycle of each metric (reopen, the next progress update).
    """
    created = _new_clocks(complaint_id, metrics, start, new_cycle, ctx or Context.load())
    _write_new_clocks(complaint_id, created)
    return created


def _new_clocks(complaint_id: int, metrics: list[str] | None, start: datetime | None,
                new_cycle: bool, ctx: Context) -> list[Clock]:
    """The clocks clocks_start would add, not yet written."""
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
    return created


def _write_new_clocks(complaint_id: int, created: list[Clock]) -> None:
    Clock.objects.bulk_create(created, ignore_conflicts=True)
    next_due_refresh(complaint_id=complaint_id)
    warning = _unverified_warning(created)
    if warning:
        complaint_services.timeline_append(complaint_id=complaint_id,
                                           kind=ActivityKind.SLA_WARNING, **warning)


def _unverified_warning(clocks: list[Clock]) -> dict | None:
    """The timeline warning (message, data) about deadlines counted in a year without official
    holiday data; None when every deadline is verified."""
    unverified = [c for c in clocks if not c.due_verified]
    if not unverified:
        return None
    return {"message": _("Deadlines fall in a year without official holiday data; they count "
                         "ordinary weekdays and may be wrong: %(metrics)s.") % {
                "metrics": ", ".join(_metric_label(c.metric) for c in unverified)},
            "data": {"unverified": [c.metric for c in unverified]}}


def clocks_start_historical(*, complaint_id: int, ctx: Context | None = None) -> list[Clock]:
    """A complaint from an operator's history (intake's import): its clocks start at its
    received time and are settled by its historical steps (the timeline's status changes
    marked historical, written in the transaction that created it): met at the step's time,
    or breached at their due time if that had passed, stopped at its close. All in memory and
    written at once, so the sweep never sees a clock of a complaint closed in 2025 running,
    and never warns or escalates it. What its history leaves open (an old open complaint)
    runs on, due when it was due: the sweep deals with it as with any late complaint."""
    steps = list(Activity.objects.filter(
        complaint_id=complaint_id, kind=ActivityKind.STATUS_CHANGE, data__historical=True)
        .order_by("created_at", "id").values_list("data", flat=True))
    created = _new_clocks(complaint_id, None, None, False, ctx or Context.load())
    for data in steps:
        _settle(created, data.get("action", ""), datetime.fromisoformat(data["at"]))
    with transaction.atomic():
        _write_new_clocks(complaint_id, created)
    return created


def clocks_plan_created(*, complaints: list[Complaint], ctx: Context | None = None,
                        known: dict | None = None, objects: bool = True
                        ) -> tuple[list[list[Clock]], list[dict | None]]:
    """Batch intake (intake/pipeline.py), before it writes the complaints: clocks_start's
    initial clocks for new (classified) complaints, planned from the objects in memory (not
    saved), each complaint's nearest deadline set on it (written with it), and per complaint
    the timeline warning about unverified years (kind, version, message, data) or None.

    `known`: the deadlines already worked out for this batch (a dict the caller keeps between
    two plans of the same complaints: the calendar's arithmetic is done once for the same
    start, policy and target). Without `objects` the clocks are only their metric and
    deadlines (PlannedClock), for a plan whose clocks are not written."""
    ctx = ctx or Context.load()
    known = {} if known is None else known
    planned, warnings = [], []
    for complaint in complaints:
        targets = sla_policy.targets_for(list(ctx.rules.values()), complaint_facts(complaint))
        mine = []
        for metric in START_METRICS:
            if metric not in targets:
                continue
            rule, target = targets[metric]
            key = (metric, complaint.received_at, rule.id, rule.calendar_id,
                   rule.warning_percent, target,
                   complaint.regulator_due_at if metric == Metric.RESOLUTION else None)
            plan = known.get(key)
            if plan is None:
                plan = known[key] = _plan(complaint, metric, complaint.received_at, ctx,
                                          targets)
            mine.append(Clock(complaint=complaint, metric=metric, cycle=1, **plan) if objects
                        else PlannedClock(metric, plan["due_at"], plan["due_verified"]))
        planned.append(mine)
        # NEXT_DUE_CLOCKS: a new clock runs.
        complaint.next_due_at = min((c.due_at for c in mine), default=None)
        warning = _unverified_warning(mine)
        warnings.append({"kind": ActivityKind.SLA_WARNING, "version": complaint.version,
                         **warning} if warning else None)
    return planned, warnings


@dataclass(frozen=True)
class PlannedClock:
    """A planned clock's metric and deadline (clocks_plan_created without `objects`)."""

    metric: str
    due_at: datetime
    due_verified: bool


def clocks_start_created(*, clocks: list[Clock], copy: bool = False) -> list[Clock]:
    """The clocks clocks_plan_created planned, once their complaints are written: one
    INSERT, which goes with intake's other writes (kernel.db.writes_together); the clocks
    come back without their ids (nothing in intake needs them). `copy` (an operator's history,
    a large batch): one COPY on PostgreSQL instead."""
    if copy:
        copy_objects(Clock, clocks)
        return clocks
    return insert_objects(clocks, ids=False)


def clocks_settle_historical(*, complaints: list[Complaint], planned: list[list[Clock]]) -> None:
    """A batch of an operator's history (intake/history_batch.py), its steps applied: the
    planned clocks settled by those steps (one read for the batch), as clocks_start_historical
    settles one complaint's, before they are written; the nearest deadlines follow after."""
    steps = _historical_steps([c.id for c in complaints])
    for complaint, mine in zip(complaints, planned):
        for data in steps.get(complaint.id, ()):
            _settle(mine, data.get("action", ""), datetime.fromisoformat(data["at"]))


def next_due_set_planned(*, complaints: list[Complaint], planned: list[list[Clock]],
                         stored: list) -> None:
    """next_due_refresh for complaints whose clocks are all in `planned` (a historical batch's,
    settled; `stored`: their nearest deadlines as written): the earliest due time of those
    NEXT_DUE_CLOCKS would select, without reading."""
    complaint_services.complaints_set_next_due_values(complaints=complaints, stored=stored,
                                                      nearest=[
        min((c.due_at for c in mine if c.state == ClockState.RUNNING or (
            c.state == ClockState.BREACHED and c.completed_at is None)), default=None)
        for mine in planned])


def _historical_steps(complaint_ids: list[int]) -> dict[int, list[dict]]:
    """The historical status changes of these complaints, in order, by complaint id."""
    steps: dict[int, list[dict]] = {}
    for complaint_id, data in Activity.objects.filter(
            complaint_id__in=complaint_ids, kind=ActivityKind.STATUS_CHANGE,
            data__historical=True).order_by("created_at", "id").values_list(
            "complaint_id", "data"):
        steps.setdefault(complaint_id, []).append(data)
    return steps


def _settle(clocks: list[Clock], action: str, at: datetime) -> None:
    for clock in clocks:
        if clock.completed_at is not None:
            continue
        if action in MEETS_ON and clock.metric in MEETS_ON[action]:
            if clock.due_at < at:
                clock.state, clock.breached_at = ClockState.BREACHED, clock.due_at
            else:
                clock.state = ClockState.MET
        elif action in STOPS_ON:
            clock.state = ClockState.STOPPED
        else:
            continue
        clock.completed_at, clock.next_check_at = at, None


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
                        f"{local_minute(datetime.fromisoformat(c['from']))} → "
                        f"{local_minute(datetime.fromisoformat(c['to']))}" for c in changes)},
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


def clocks_on_public_reply(*, complaint_id: int) -> None:
    """A reply told the customer something: first response and the multi-department notice are
    met, and the current progress-update period ends and the next one starts."""
    now = timezone.now()
    clocks_meet(complaint_id=complaint_id, at=now,
                metrics=[Metric.FIRST_RESPONSE, Metric.MULTI_DEPARTMENT_NOTICE])
    status = Complaint.objects.values_list("status", flat=True).get(pk=complaint_id)

    if clocks_meet(complaint_id=complaint_id, metrics=[Metric.PROGRESS_UPDATE], at=now) and \
            status in OPEN_STATUSES:
        clocks_start(complaint_id=complaint_id, metrics=[Metric.PROGRESS_UPDATE], start=now,
                     new_cycle=True)


# --- catching up with lost events ---------------------------------------------------------------


def clocks_start_missing(*, older_than: timedelta = timedelta(minutes=2), limit: int = 500,
                         now: datetime | None = None) -> int:
    """Start the clocks of open complaints that have none, `older_than` after they arrived.

    Clocks start on the creation event, which runs after the complaint's commit in the process
    that wrote it; when the database goes away in between, or that process is killed, the
    failure cannot even be recorded for a retry (complaints.events). This catch-up, run by beat
    (sla.start_missing_clocks), starts them from `received_at`, then meets the acknowledgement
    clock of a complaint acknowledged meanwhile. Idempotent. Returns the complaints caught up.
    """
    now = now or timezone.now()
    missing = list(
        Complaint.objects.filter(status__in=OPEN_STATUSES, received_at__lt=now - older_than)
        .exclude(pk__in=Clock.objects.values("complaint_id"))
        .order_by("received_at").values_list("pk", "acknowledged_at")[:limit])
    ctx = Context.load() if missing else None
    for complaint_id, acknowledged_at in missing:
        clocks_start(complaint_id=complaint_id, ctx=ctx)
        if acknowledged_at:
            clocks_meet(complaint_id=complaint_id, metrics=[Metric.ACKNOWLEDGE],
                        at=acknowledged_at)
    if missing:
        logger.warning("sla: started the missing clocks of %d complaints", len(missing))
    return len(missing)
