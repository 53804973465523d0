"""Keeping the derived tables current: per-complaint facts and daily figures.

- `facts_refresh(complaint_ids)` recomputes the facts of some complaints (after every complaint
  event) and marks the received days whose figures they change as dirty.
- `daily_rebuild(days)` sums the facts of those days into DailyFigure and clears their dirty
  marks, unless the day was marked again meanwhile.
- `rebuild_all()` does both for everything (`manage.py reports_rebuild`); `daily_rebuild_all()`
  only the daily figures (`--daily-only`, after a migration added a daily counter).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q, Sum
from django.utils import timezone

from complaints.models import Activity, Complaint
from kernel.db import copy_objects, insert_objects
from sla.calendar import WorkCalendar
from sla.models import Clock, ClockState, Metric
from sla.selectors import standard_calendar as calendar

from .filters import clock_breached_for_good, clock_met
from .measures import (
    BREACHED,
    DEADLINE_METRICS,
    DURATION_EDGES,
    MET,
    FactInput,
    fact_values,
    timeline_flags,
)
from .models import (
    ACK_BUCKETS,
    COUNTERS,
    OPEN_COUNTERS,
    RES_BUCKETS,
    ComplaintFact,
    DailyFigure,
    DirtyDay,
)

logger = logging.getLogger(__name__)
CHUNK = 2000
FACT_FIELDS = ["day", "department_id", "agent_id", "channel", "category_id", "is_repeat",
               "is_external", "is_regulator_transfer", "ever_resolved", "reopened", "resolved",
               "first_contact", "escalation_max", "open_status", "ack_seconds",
               "resolution_seconds", "refreshed_at", "deadline_next_due",
               *(f"dl_{short}{suffix}" for short in DEADLINE_METRICS.values()
                 for suffix in ("", "_due"))]
COMPLAINT_COLUMNS = ["id", "received_at", "channel", "status", "is_repeat", "is_regulator",
                     "escalation_risk", "regulator_case_no", "acknowledged_at", "resolved_at",
                     "reopen_count", "category_id", "responsible_department_id",
                     "assigned_department_id", "assigned_agent_id"]


def standard_calendar() -> WorkCalendar:
    """The calendar working hours are reported in: the `standard` business calendar."""

    return calendar()


TIMELINE_KINDS = ("status_change", "assignment", "escalation")


def _facts_for(rows: list[dict], cal: WorkCalendar, now, *, entries: dict | None = None,
               deadlines: dict | None = None) -> list[ComplaintFact]:
    """`entries`, `deadlines`: the complaints' timeline (kind, data) and deadline columns when
    the caller has them in memory, else read."""
    ids = [r["id"] for r in rows]
    if entries is None:
        entries = {}
        for complaint_id, kind, data in Activity.objects.filter(
                complaint_id__in=ids, kind__in=TIMELINE_KINDS).values_list(
                "complaint_id", "kind", "data").order_by():
            entries.setdefault(complaint_id, []).append((kind, data))
    if deadlines is None:
        deadlines = _deadlines_for(ids)
    facts = []
    for r in rows:
        dispatched, transferred, level = timeline_flags(entries.get(r["id"], ()))
        values = fact_values(FactInput(
            received_at=r["received_at"], channel=r["channel"], status=r["status"],
            is_repeat=r["is_repeat"], is_regulator=r["is_regulator"],
            escalation_risk=r["escalation_risk"], regulator_case_no=r["regulator_case_no"],
            acknowledged_at=r["acknowledged_at"], resolved_at=r["resolved_at"],
            reopen_count=r["reopen_count"], dispatched=dispatched, transferred=transferred,
            escalation_max=level),
            cal)
        facts.append(ComplaintFact(
            complaint_id=r["id"], day=timezone.localdate(r["received_at"]),
            department_id=r["responsible_department_id"] or r["assigned_department_id"],
            agent_id=r["assigned_agent_id"], channel=r["channel"], category_id=r["category_id"],
            refreshed_at=now, **values, **deadlines.get(r["id"], EMPTY_DEADLINES)))
    return facts


EMPTY_DEADLINES = {"deadline_next_due": None,
                   **{f"dl_{short}{suffix}": ("" if not suffix else None)
                      for short in DEADLINE_METRICS.values() for suffix in ("", "_due")}}


def _deadlines_for(ids: list[int]) -> dict[int, dict]:
    """Per complaint, the deadline columns of its fact, from its clocks (every cycle): a
    deadline is breached if one of its clocks is breached for good, else met if one was met in
    time; while not breached, the earliest due time of its running clocks (it becomes breached
    when that passes). Paused and stopped clocks count for neither, as in the live figures."""
    out: dict[int, dict] = {}
    rows = Clock.objects.filter(complaint_id__in=ids).order_by().values(
        "complaint_id", "metric").annotate(
        breached=Count("pk", filter=clock_breached_for_good()),
        met=Count("pk", filter=clock_met()),
        due=Min("due_at", filter=Q(completed_at__isnull=True, state=ClockState.RUNNING)))
    for row in rows:
        _deadline_columns(out, row)
    return out


def _deadline_columns(out: dict[int, dict], row: dict) -> None:
    short = DEADLINE_METRICS.get(row["metric"])
    if short is None:
        return
    values = out.setdefault(row["complaint_id"], dict(EMPTY_DEADLINES))
    outcome = BREACHED if row["breached"] else MET if row["met"] else ""
    due = None if outcome == BREACHED else row["due"]
    values[f"dl_{short}"], values[f"dl_{short}_due"] = outcome, due
    if due is not None and (values["deadline_next_due"] is None
                            or due < values["deadline_next_due"]):
        values["deadline_next_due"] = due


def _deadlines_of(clocks: list[Clock]) -> dict[int, dict]:
    """_deadlines_for from clocks in memory (as clock_breached_for_good, clock_met count)."""
    grouped: dict[tuple, dict] = {}
    for clock in clocks:
        row = grouped.setdefault((clock.complaint_id, clock.metric), {
            "complaint_id": clock.complaint_id, "metric": clock.metric, "breached": 0,
            "met": 0, "due": None})
        done = clock.completed_at
        if clock.breached_at is not None or (done is not None and done > clock.due_at):
            row["breached"] += 1
        elif done is not None and done <= clock.due_at and clock.state == ClockState.MET:
            row["met"] += 1
        if done is None and clock.state == ClockState.RUNNING and (
                row["due"] is None or clock.due_at < row["due"]):
            row["due"] = clock.due_at
    out: dict[int, dict] = {}
    for row in grouped.values():
        _deadline_columns(out, row)
    return out


def _write(facts: list[ComplaintFact]) -> None:
    insert_objects(facts, ids=False, update_conflicts=(
        ["complaint"], [f.removesuffix("_id") for f in FACT_FIELDS]))


def facts_refresh(*, complaint_ids: Iterable[int], cal: WorkCalendar | None = None) -> int:
    """Recompute the facts of these complaints; mark every day they move in or out of dirty."""
    ids = sorted(set(complaint_ids))
    if not ids:
        return 0
    cal = cal or standard_calendar()
    now = timezone.now()
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        with transaction.atomic():
            # With the day of each one's current fact (if any) in the same query: a fact
            # cannot outlive its complaint (foreign key), so these are all the old days.
            rows = list(Complaint.objects.filter(pk__in=chunk)
                        .values(*COMPLAINT_COLUMNS, "report_fact__day"))
            old_days = {r["report_fact__day"] for r in rows} - {None}
            facts = _facts_for(rows, cal, now)
            _write(facts)
            days_mark_dirty(old_days | {f.day for f in facts}, now=now)
            written += len(facts)
    return written


def facts_write_created(*, complaints: list[Complaint], cal: WorkCalendar | None = None,
                        entries: list[list[Activity]] | None = None,
                        clocks: list[Clock] | None = None, copy: bool = False) -> int:
    """facts_refresh for complaints created in the caller's transaction (batch intake), from
    the objects in memory (current: the stages before changed them in place) instead of
    reading them again: one INSERT of the facts, one upsert of the dirty days. `entries[i]`
    (the i-th complaint's timeline entries) and `clocks` (theirs): as written, when the caller
    has them; else their timeline's dispatch, assignment and escalation entries and their
    clocks are read. New, they have no fact yet, so no earlier day to mark. `copy` (a large
    batch): the facts in one COPY on PostgreSQL instead of the upsert."""
    if not complaints:
        return 0
    cal = cal or standard_calendar()
    rows = [{column: getattr(c, column) for column in COMPLAINT_COLUMNS} for c in complaints]
    timeline = None if entries is None else {
        c.id: [(e.kind, e.data) for e in mine if e.kind in TIMELINE_KINDS]
        for c, mine in zip(complaints, entries)}
    facts = _facts_for(rows, cal, timezone.now(), entries=timeline,
                       deadlines=None if clocks is None else _deadlines_of(clocks))
    if copy:
        copy_objects(ComplaintFact, facts)
    else:
        _write(facts)
    days_mark_dirty({f.day for f in facts})
    return len(facts)


def days_mark_dirty(days: Iterable[date], *, now=None) -> None:
    now = now or timezone.now()
    marks = [DirtyDay(day=d, marked_at=now) for d in set(days)]
    if marks:
        insert_objects(marks, ids=False, update_conflicts=(["day"], ["marked_at"]))


def fact_sums() -> dict:
    return {
        "received": Count("pk"),
        "repeat": Count("pk", filter=Q(is_repeat=True)),
        "external": Count("pk", filter=Q(is_external=True)),
        "regulator_transfer": Count("pk", filter=Q(is_regulator_transfer=True)),
        "ever_resolved": Count("pk", filter=Q(ever_resolved=True)),
        "reopened": Count("pk", filter=Q(reopened=True)),
        "resolved": Count("pk", filter=Q(resolved=True)),
        "first_contact": Count("pk", filter=Q(first_contact=True)),
        "esc_1": Count("pk", filter=Q(escalation_max__gte=1)),
        "esc_2": Count("pk", filter=Q(escalation_max__gte=2)),
        "esc_3": Count("pk", filter=Q(escalation_max__gte=3)),
        "ack_n": Count("ack_seconds"),
        "ack_sum": Sum("ack_seconds", default=0),
        "res_n": Count("resolution_seconds"),
        "res_sum": Sum("resolution_seconds", default=0),
        **{name: Count("pk", filter=Q(open_status=name.removeprefix("open_")))
           for name in OPEN_COUNTERS},
        **duration_bucket_counts("ack_seconds", ACK_BUCKETS),
        **duration_bucket_counts("resolution_seconds", RES_BUCKETS),
        **{f"{outcome}_{short}": Count("pk", filter=Q(**{f"dl_{short}": outcome}))
           for short in DEADLINE_METRICS.values() for outcome in (MET, BREACHED)},
    }


def duration_bucket_counts(column: str, names: list[str]) -> dict:
    """Complaints per bucket of measures.DURATION_EDGES (NULL durations in none)."""
    upper = [*DURATION_EDGES[1:], None]
    return {name: Count("pk", filter=Q(**{f"{column}__gte": low})
                        & (Q(**{f"{column}__lt": high}) if high is not None else Q()))
            for name, low, high in zip(names, DURATION_EDGES, upper)}


GROUP = ["day", "department_id", "channel", "category_id"]


def grouped_facts(facts) -> list[dict]:
    """Facts summed per day × department × channel × category: DailyFigure's shape."""
    return list(facts.order_by().values(*GROUP).annotate(**fact_sums()))


def daily_rebuild(*, days: Iterable[date]) -> int:
    """Rebuild the daily figures of these days from the facts. Returns rows written."""
    days = sorted(set(days))
    written = 0
    for day in days:
        with transaction.atomic():
            mark = DirtyDay.objects.filter(day=day).values_list("marked_at", flat=True).first()
            rows = grouped_facts(ComplaintFact.objects.filter(day=day))
            DailyFigure.objects.filter(day=day).delete()
            DailyFigure.objects.bulk_create([DailyFigure(**r) for r in rows], batch_size=1000)
            # A change committed while we summed marks the day again with a later time.
            if mark is not None:
                DirtyDay.objects.filter(day=day, marked_at__lte=mark).delete()
            written += len(rows)
    return written


def dirty_rebuild(*, limit: int = 60) -> int:
    """Rebuild the days marked dirty (oldest marks first); what the periodic task runs."""
    today = timezone.localdate()
    days = list(DirtyDay.objects.filter(day__lt=today).order_by("marked_at")
                .values_list("day", flat=True)[:limit])
    return daily_rebuild(days=days)


def facts_catch_up() -> int:
    """Complaints changed without an event (bulk loads) or before reports existed."""
    missing = Complaint.objects.filter(report_fact__isnull=True).values_list("pk", flat=True)
    stale = Complaint.objects.filter(
        report_fact__refreshed_at__lt=F("updated_at")).values_list("pk", flat=True)
    # Deadlines the sweep marked breached since: counted right at read time already, but kept
    # out of that read-time set (which would otherwise grow with every breach).
    swept = ComplaintFact.objects.filter(
        deadline_next_due__lt=timezone.now()).filter(Exists(Clock.objects.filter(
            complaint_id=OuterRef("complaint_id"), due_at=OuterRef("deadline_next_due"),
            breached_at__isnull=False))).values_list("complaint_id", flat=True)
    return facts_refresh(complaint_ids=list(missing[:20000]) + list(stale[:20000])
                         + list(swept[:20000]))


def rebuild_all(*, stdout=None) -> tuple[int, int]:
    """Every fact and every daily figure from scratch."""
    cal = standard_calendar()
    ids = list(Complaint.objects.order_by("pk").values_list("pk", flat=True))
    facts = 0
    for start in range(0, len(ids), 20000):
        facts += facts_refresh(complaint_ids=ids[start:start + 20000], cal=cal)
        if stdout:
            stdout.write(f"  {facts:,} / {len(ids):,} complaints")
    # NOT EXISTS plans as an anti-join; NOT IN (subquery) over a million ids does not.
    ComplaintFact.objects.filter(~Exists(Complaint.objects.filter(pk=OuterRef("complaint_id")))
                                 ).delete()
    return facts, daily_rebuild_all()


def daily_rebuild_all() -> int:
    """Every day's figures from the facts as they are (`reports_rebuild --daily-only`)."""
    days = list(ComplaintFact.objects.order_by().values_list("day", flat=True).distinct())
    DailyFigure.objects.exclude(day__in=days).delete()
    return daily_rebuild(days=days)


assert set(COUNTERS) == set(fact_sums())
assert set(DEADLINE_METRICS) == set(Metric.values)
