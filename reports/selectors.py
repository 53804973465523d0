"""Reads for reports: the dashboard figures and the complaints behind each figure.

Counts (the backlog: open complaints per status by received day; complaints per duration
bucket) come from DailyFigure for past days that no change touched since they were built, and
live from ComplaintFact for today and dirty days. Medians and percentiles read only the few
facts around their rank, which the bucket counts point at; deadline clocks are read live.
`drill_down` returns exactly the complaints a figure counted (same predicates).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Aggregate, Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.lifecycle import OPEN_STATUSES, STATUS_LABELS, Status
from complaints.models import Category, Channel, Complaint, Department
from complaints.selectors import complaint_list
from sla.models import Clock, ClockState, Metric

from . import measures
from .aggregates import fact_sums
from .measures import AGE_BUCKETS, DEFINITIONS, hours, per_million, share
from .models import (
    ACK_BUCKETS,
    COUNTERS,
    OPEN_COUNTERS,
    RES_BUCKETS,
    ComplaintFact,
    DailyFigure,
    DirtyDay,
    SubscriberCount,
)

logger = logging.getLogger(__name__)
DEFAULT_DAYS = 7
TOP = 10
FLAG_MEASURES = {
    "repeat": Q(is_repeat=True), "external": Q(is_external=True),
    "regulator_transfer": Q(is_regulator_transfer=True), "reopened": Q(reopened=True),
    "ever_resolved": Q(ever_resolved=True), "resolved": Q(resolved=True),
    "first_contact": Q(first_contact=True), "acknowledged": Q(ack_seconds__isnull=False),
}
NONE = "none"  # the category filter's value for "no category"
OPEN = sorted(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True)
class ReportFilter:
    """The dashboard's filters; dates are Shanghai days, both ends included."""

    received_after: date
    received_before: date
    department: str = ""  # code; includes the departments below it
    channel: str = ""
    category: str = ""  # code; a top-level category includes its children
    department_ids: tuple[int, ...] | None = field(default=None, compare=False)
    category_ids: tuple[int, ...] | None = field(default=None, compare=False)

    @classmethod
    def default(cls, today: date | None = None) -> ReportFilter:
        today = today or timezone.localdate()
        return cls(received_after=today - timedelta(days=DEFAULT_DAYS - 1),
                   received_before=today)

    def resolved(self) -> ReportFilter:
        """With department and category codes turned into id sets (subtree included)."""
        departments = categories = None
        if self.department:
            departments = tuple(_subtree(Department, self.department))
        if self.category and self.category != NONE:
            categories = tuple(_subtree(Category, self.category))
        return ReportFilter(self.received_after, self.received_before, self.department,
                            self.channel, self.category, departments, categories)

    def params(self) -> dict:
        values = {"received_after": self.received_after.isoformat(),
                  "received_before": self.received_before.isoformat(),
                  "department": self.department, "channel": self.channel,
                  "category": self.category}
        return {k: v for k, v in values.items() if v}

    def fact_q(self, prefix: str = "") -> Q:
        q = Q(**{f"{prefix}day__gte": self.received_after,
                 f"{prefix}day__lte": self.received_before})
        return q & self.dims_q(prefix)

    def dims_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.department_ids is not None:
            q &= Q(**{f"{prefix}department_id__in": self.department_ids})
        if self.channel:
            q &= Q(**{f"{prefix}channel": self.channel})
        if self.category == NONE:
            q &= Q(**{f"{prefix}category_id__isnull": True})
        elif self.category_ids is not None:
            q &= Q(**{f"{prefix}category_id__in": self.category_ids})
        return q


def _subtree(model, code: str) -> list[int]:
    """The object with this code and everything below it (departments nest deeper)."""
    pairs = list(model.objects.values_list("id", "parent_id", "code"))
    found = [pk for pk, _parent, c in pairs if c == code]
    frontier = set(found)
    while frontier:
        frontier = {pk for pk, parent, _c in pairs if parent in frontier} - set(found)
        found += sorted(frontier)
    return found


def list_url(report_filter: ReportFilter, **extra) -> str:
    params = {**report_filter.params(), **{k: v for k, v in extra.items() if v not in ("", None)}}
    return f"{reverse('reports:complaints')}?{urlencode(params)}"


# --- counts: daily figures for clean days, facts for the rest -----------------------------------


def _live_days(f: ReportFilter) -> set[date]:
    """Today and the days changed since their figures were built: counted from the facts."""
    today = timezone.localdate()
    dirty = set(DirtyDay.objects.filter(day__gte=f.received_after, day__lte=f.received_before)
                .values_list("day", flat=True))
    return dirty | {d for d in (today,) if f.received_after <= d <= f.received_before}


def _summed(f: ReportFilter, live_days: set[date], keys: list[str],
            counters: list[str]) -> list[dict]:
    """Counters grouped by `keys`: stored daily figures for clean days plus live facts."""
    def grouped(queryset, expressions):
        if not keys:  # one row of totals
            return [queryset.aggregate(**expressions)]
        return queryset.order_by().values(*keys).annotate(**expressions)

    parts = [grouped(DailyFigure.objects.filter(f.fact_q()).exclude(day__in=live_days),
                     {c: Sum(c) for c in counters})]
    if live_days:
        sums = fact_sums()
        parts.append(grouped(ComplaintFact.objects.filter(f.fact_q(), day__in=live_days),
                             {c: sums[c] for c in counters}))
    merged: dict[tuple, dict] = {}
    for part in parts:
        for row in part:
            key = tuple(row[k] for k in keys)
            if key not in merged:
                merged[key] = {k: row[k] for k in keys} | dict.fromkeys(counters, 0)
            for c in counters:
                merged[key][c] += row[c] or 0
    return list(merged.values())


# --- durations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Duration:
    column: str  # on ComplaintFact
    count: str  # the counters: complaints with a duration, their seconds, per bucket
    total: str
    buckets: list[str]


DURATIONS = {"acknowledgement": Duration("ack_seconds", "ack_n", "ack_sum", ACK_BUCKETS),
             "resolution": Duration("resolution_seconds", "res_n", "res_sum", RES_BUCKETS)}
POINTS = (("median", 0.5), ("p90", 0.9))


class _PercentileCont(Aggregate):
    function = "percentile_cont"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        self.template = f"%(function)s({float(fraction)}) WITHIN GROUP (ORDER BY %(expressions)s)"
        super().__init__(expression, **extra)


class _Inconsistent(Exception):
    """The bucket counts and the facts disagree (read at different moments)."""


def duration_points(report_filter: ReportFilter) -> dict[str, dict[str, float | None]]:
    """Median and 90th percentile in working seconds, per duration: exactly percentile_cont
    over the facts in the filter (None when there are none)."""
    f = report_filter.resolved()
    counters = [c for d in DURATIONS.values() for c in (d.count, *d.buckets)]
    totals = (_summed(f, _live_days(f), [], counters) or [dict.fromkeys(counters, 0)])[0]
    return _points(f, totals)


def _points(f: ReportFilter, totals: dict) -> dict[str, dict[str, float | None]]:
    """From the summed bucket counts (`totals`): which bucket holds each rank; then only the
    facts from that bucket's lower edge up to the rank are read (`_ranked_values`)."""
    out, plans = {}, {}  # plans: per duration, its bucket counts and each point's ranks
    for key, d in DURATIONS.items():
        out[key] = dict.fromkeys(name for name, _fraction in POINTS)
        if totals[d.count]:
            plans[key] = ([totals[b] for b in d.buckets],
                          {name: measures.percentile_ranks(totals[d.count], fraction)
                           for name, fraction in POINTS})
    try:
        if any(sum(histogram) != totals[DURATIONS[key].count]
               for key, (histogram, _ranks) in plans.items()):
            raise _Inconsistent
        values = _ranked_values(f, {
            DURATIONS[key].column: (histogram, {r for low, high, _w in ranks.values()
                                                for r in (low, high)})
            for key, (histogram, ranks) in plans.items()})
    except _Inconsistent:
        logger.warning("Duration buckets disagree with the facts; exact scan instead.")
        return out | {key: _exact_points(f, DURATIONS[key].column) for key in plans}
    for key, (_histogram, ranks) in plans.items():
        found = values[DURATIONS[key].column]
        out[key] = {name: measures.interpolate(found[low], found[high], weight)
                    for name, (low, high, weight) in ranks.items()}
    return out


def _durations(f: ReportFilter, totals: dict) -> dict:
    """Mean from the summed seconds, median and 90th percentile from `_points`."""
    points = _points(f, totals)
    out = {}
    for key, d in DURATIONS.items():
        count = totals[d.count]
        out[key] = {"count": count,
                    "mean_hours": hours(totals[d.total] / count) if count else None,
                    "median_hours": hours(points[key]["median"]),
                    "p90_hours": hours(points[key]["p90"])}
    return out


def _ranked_values(f: ReportFilter,
                   wanted: dict[str, tuple[list[int], set[int]]]) -> dict[str, dict[int, int]]:
    """Per column (its bucket counts, 0-based ranks): the values at those ranks among the
    filtered facts in that column's order, in one query. Per run of neighbouring ranks it reads
    the facts from the lower edge of the first one's bucket on, skipping those below the rank
    (an index range scan, see ComplaintFact's indexes)."""
    values, runs = {}, []  # runs: [column, bucket, first rank, last rank, values below]
    for column, (histogram, ranks) in wanted.items():
        values[column] = {}
        for rank in sorted(ranks):
            bucket, below = measures.rank_bucket(histogram, rank)
            if measures.bucket_is_one_value(bucket):
                values[column][rank] = measures.DURATION_EDGES[bucket]
            elif runs and runs[-1][0] == column and rank == runs[-1][3] + 1:
                runs[-1][3] = rank  # read on from the previous rank
            else:
                runs.append([column, bucket, rank, rank, below])
    if not runs:
        return values
    parts, params = [], []
    for i, (column, bucket, first, last, below) in enumerate(runs):
        queryset = ComplaintFact.objects.filter(
            f.fact_q(), **{f"{column}__gte": measures.DURATION_EDGES[bucket]}) \
            .order_by(column).values_list(column, flat=True)[first - below:last - below + 1]
        sql, part_params = queryset.query.sql_with_params()
        # SQLite allows LIMIT in a compound SELECT's parts only inside a subquery.
        parts.append(f"SELECT {i} AS part, {column} AS value FROM ({sql}) AS part_{i}")
        params.extend(part_params)
    found = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for part, value in cursor.fetchall():
            found[part].append(value)
    for i, (column, _bucket, first, last, _below) in enumerate(runs):
        got = sorted(found[i])
        if len(got) != last - first + 1:  # fewer facts than the bucket counts promised
            raise _Inconsistent
        values[column].update(zip(range(first, last + 1), got))
    return values


def _exact_points(f: ReportFilter, column: str) -> dict:
    """percentile_cont over every fact in the range: the reference, and the fallback if bucket
    counts and facts ever disagree."""
    facts = ComplaintFact.objects.filter(f.fact_q(), **{f"{column}__isnull": False})
    if connection.vendor == "postgresql":
        with transaction.atomic():
            # The sort stays in memory instead of spilling to disk; LOCAL: this transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = %s", [settings.REPORTS_SORT_WORK_MEM])
            return facts.aggregate(**{name: _PercentileCont(column, fraction)
                                      for name, fraction in POINTS})
    ordered = sorted(facts.values_list(column, flat=True))
    return {name: measures.percentile(ordered, fraction) for name, fraction in POINTS}


# --- live parts -----------------------------------------------------------------------------


def clock_breached(now) -> Q:
    return (Q(breached_at__isnull=False) | Q(completed_at__gt=F("due_at"))
            | Q(completed_at__isnull=True, state=ClockState.RUNNING, due_at__lt=now))


def clock_met() -> Q:
    return Q(state=ClockState.MET, completed_at__lte=F("due_at"), breached_at__isnull=True)


def _compliance(f: ReportFilter, now, base_url) -> list[dict]:
    clocks = Clock.objects.filter(f.fact_q("complaint__report_fact__")).order_by()
    counted = {r["metric"]: r for r in clocks.values("metric").annotate(
        breached=Count("complaint", distinct=True, filter=clock_breached(now)),
        decided=Count("complaint", distinct=True, filter=clock_breached(now) | clock_met()))}
    out = []
    for metric in Metric:
        row = counted.get(metric.value, {"breached": 0, "decided": 0})
        met = row["decided"] - row["breached"]
        out.append({"metric": metric.value, "label": str(metric.label), "met": met,
                    "breached": row["breached"], "percent": share(met, row["decided"]),
                    "met_url": base_url(metric=metric.value, outcome="met"),
                    "breached_url": base_url(metric=metric.value, outcome="breached")})
    return out


def _age_days_q(today: date, low: int, high: int | None, prefix: str = "") -> Q:
    """Received between `high` (exclusive) and `low` (inclusive) calendar days ago."""
    q = Q(**{f"{prefix}day__lte": today - timedelta(days=low)})
    if high is not None:
        q &= Q(**{f"{prefix}day__gt": today - timedelta(days=high)})
    return q


def _backlog(f: ReportFilter, base_url) -> dict:
    """Open complaints by status and received day: daily figures for days no change touched
    since they were built, facts for today and dirty days (whatever the date range)."""
    today = timezone.localdate()
    live = set(DirtyDay.objects.values_list("day", flat=True)) | {today}
    per_day = defaultdict(lambda: defaultdict(int))
    stored = DailyFigure.objects.filter(f.dims_q()).exclude(day__in=live).order_by() \
        .values("day").annotate(**{c: Sum(c) for c in OPEN_COUNTERS})
    for row in stored:
        for c in OPEN_COUNTERS:
            if row[c]:
                per_day[row["day"]][c.removeprefix("open_")] += row[c]
    facts = ComplaintFact.objects.filter(f.dims_q(), day__in=live).exclude(open_status="") \
        .order_by().values("day", "open_status").annotate(n=Count("pk"))
    for row in facts:
        per_day[row["day"]][row["open_status"]] += row["n"]
    by_status, by_age = defaultdict(int), defaultdict(int)
    matrix = defaultdict(lambda: defaultdict(int))
    for day, counts in per_day.items():
        bucket = measures.age_bucket((today - day).days)
        for status, n in counts.items():
            by_status[status] += n
            by_age[bucket] += n
            matrix[status][bucket] += n
    statuses = [s for s in Status if s.value in OPEN]
    return {
        "total": sum(by_status.values()),
        "url": base_url(backlog="1"),
        "by_status": [{"status": s.value, "label": str(STATUS_LABELS[s]),
                       "count": by_status.get(s.value, 0),
                       "url": base_url(backlog="1", status=s.value),
                       "cells": [{"age": key, "count": matrix[s.value].get(key, 0),
                                  "url": base_url(backlog="1", status=s.value, age=key)}
                                 for key, *_rest in AGE_BUCKETS]}
                      for s in statuses],
        "by_age": [{"age": key, "label": str(label), "count": by_age.get(key, 0),
                    "url": base_url(backlog="1", age=key)}
                   for key, label, *_rest in AGE_BUCKETS],
    }


# --- the dashboard --------------------------------------------------------------------------


def _closing_models():
    """Satisfaction surveys and callback tasks, when the closing-the-loop models exist."""
    from complaints import models as complaint_models

    return (getattr(complaint_models, "SatisfactionSurvey", None),
            getattr(complaint_models, "CallbackTask", None))


def _rate(part: int, whole: int, url: str) -> dict:
    return {"count": part, "of": whole, "percent": share(part, whole), "url": url}


@contextmanager
def _one_snapshot():
    """Every read sees the same facts, daily figures and dirty marks (PostgreSQL: REPEATABLE
    READ), so the ranks found in the summed bucket counts point into the same facts the
    percentile look-up reads. Inside a caller's transaction, the caller chose."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def dashboard(report_filter: ReportFilter) -> dict:
    """Every dashboard figure for the filter, JSON-ready; each count links to its complaints."""
    with _one_snapshot():
        return _dashboard(report_filter)


def _dashboard(report_filter: ReportFilter) -> dict:
    f = report_filter.resolved()
    now = timezone.now()

    def url(**extra):
        return list_url(f, **extra)

    live_days = _live_days(f)
    totals = (_summed(f, live_days, [], COUNTERS) or [dict.fromkeys(COUNTERS, 0)])[0]
    by_day_channel = _summed(f, live_days, ["day", "channel"], ["received"])
    by_day_category = _summed(f, live_days, ["day", "category_id"], ["received"])
    by_department = _summed(f, live_days, ["department_id"], ["received"])
    channel_labels = dict(Channel.choices)
    categories = {c.id: c for c in Category.objects.select_related("parent")}
    departments = dict(Department.objects.values_list("id", "name"))

    per_day = defaultdict(lambda: defaultdict(int))
    per_day_category = defaultdict(lambda: defaultdict(int))
    per_channel, per_category, per_top, per_department = (defaultdict(int) for _ in range(4))
    for row in by_day_channel:
        per_day[row["day"]][row["channel"]] += row["received"]
        per_channel[row["channel"]] += row["received"]
    for row in by_day_category:
        n = row["received"]
        category = categories.get(row["category_id"])
        top = category.parent if category and category.parent_id else category
        per_day_category[row["day"]][top.code if top else ""] += n
        per_category[row["category_id"]] += n
        per_top[top.code if top else ""] += n
    for row in by_department:
        per_department[row["department_id"]] += row["received"]

    days = [f.received_after + timedelta(days=i)
            for i in range((f.received_before - f.received_after).days + 1)]
    channels = [c for c, _label in Channel.choices if per_channel.get(c)]
    tops = sorted((code for code in per_top if per_top[code]), key=lambda c: -per_top[c])
    top_labels = {c.code: c.label for c in categories.values() if not c.parent_id}

    def day_url(day, **extra):
        return list_url(ReportFilter(day, day, f.department, f.channel, f.category), **extra)

    def category_url(code):
        return list_url(ReportFilter(f.received_after, f.received_before, f.department,
                                     f.channel, code or NONE))

    subscribers = SubscriberCount.objects.filter(period_start__lte=f.received_before) \
        .order_by("-period_start").values_list("subscribers", flat=True).first()
    figures = {
        "filters": f.params(),
        "list_url": url(),
        "definitions": {k: str(v) for k, v in DEFINITIONS.items()},
        "received": {
            "total": totals["received"],
            "days": [d.isoformat() for d in days],
            "by_channel": [{"channel": c, "label": str(channel_labels.get(c, c)),
                            "count": per_channel[c], "url": list_url(
                                ReportFilter(f.received_after, f.received_before, f.department,
                                             c, f.category)),
                            "per_day": [{"count": per_day[d].get(c, 0),
                                         "url": list_url(ReportFilter(
                                             d, d, f.department, c, f.category))}
                                        for d in days]}
                           for c in channels],
            "by_category": [{"category": code, "label": top_labels.get(code) or _("None"),
                             "count": per_top[code], "url": category_url(code),
                             "per_day": [per_day_category[d].get(code, 0) for d in days]}
                            for code in tops],
            "per_day": [{"day": d.isoformat(), "count": sum(per_day[d].values()),
                         "url": day_url(d)} for d in days],
        },
        "backlog": _backlog(f, url),
        "compliance": _compliance(f, now, url),
        "durations": _durations(f, totals),
        "escalations": [{"level": level, "count": totals[f"esc_{level}"],
                         "url": url(level=str(level))} for level in (1, 2, 3)],
        "rates": {
            "reopen": _rate(totals["reopened"], totals["ever_resolved"], url(measure="reopened")),
            "repeat": _rate(totals["repeat"], totals["received"], url(measure="repeat")),
            "first_contact": _rate(totals["first_contact"], totals["resolved"],
                                   url(measure="first_contact")),
            "external": _rate(totals["external"], totals["received"], url(measure="external")),
        },
        "per_million": {"transfers": totals["regulator_transfer"], "subscribers": subscribers,
                        "value": per_million(totals["regulator_transfer"], subscribers),
                        "url": url(measure="regulator_transfer")},
        "top_categories": [
            {"category": categories[pk].code if pk in categories else "",
             "label": categories[pk].full_label if pk in categories else _("None"),
             "count": n, "url": category_url(categories[pk].code if pk in categories else "")}
            for pk, n in sorted(per_category.items(), key=lambda kv: -kv[1])[:TOP]],
        "top_departments": [
            {"department_id": pk, "label": departments.get(pk) or _("None"), "count": n,
             "url": _department_url(f, pk)}
            for pk, n in sorted(per_department.items(), key=lambda kv: -kv[1])[:TOP]],
    }
    figures.update(_closing_loop(f, url))
    return figures


def _department_url(f: ReportFilter, pk: int | None) -> str:
    return list_url(f, department_id=str(pk) if pk else "none")


def _closing_loop(f: ReportFilter, url) -> dict:
    survey_model, callback_model = _closing_models()
    out = {}
    if survey_model is not None:
        from django.db.models import Avg

        surveys = survey_model.objects.filter(f.fact_q("complaint__report_fact__"),
                                              answered_at__isnull=False)
        agg = surveys.aggregate(n=Count("pk"), avg=Avg("stars"),
                                satisfied=Count("pk", filter=Q(stars__gte=4)))
        out["satisfaction"] = {
            "answered": agg["n"], "average_stars": round(agg["avg"], 2) if agg["avg"] else None,
            "satisfied": agg["satisfied"], "percent": share(agg["satisfied"], agg["n"]),
            "url": url(measure="surveyed"), "satisfied_url": url(measure="satisfied")}
    if callback_model is not None:
        tasks = callback_model.objects.filter(f.fact_q("complaint__report_fact__"))
        agg = tasks.aggregate(n=Count("pk"), done=Count("pk", filter=Q(completed_at__isnull=False)),
                              satisfied=Count("pk", filter=Q(completed_at__isnull=False,
                                                             outcome="reached_satisfied")))
        out["callbacks"] = {"tasks": agg["n"], "completed": agg["done"],
                            "percent": share(agg["done"], agg["n"]),
                            "reached_satisfied": agg["satisfied"],
                            "url": url(measure="callback"),
                            "completed_url": url(measure="callback_done")}
    return out


# --- agents and departments -----------------------------------------------------------------


def performance(report_filter: ReportFilter, *, by: str) -> list[dict]:
    """Per agent (`by="agent"`) or department: resolved, mean working hours to resolve,
    resolution deadlines met ÷ decided, average satisfaction."""
    from django.contrib.auth import get_user_model

    f = report_filter.resolved()
    key = "agent_id" if by == "agent" else "department_id"
    now = timezone.now()
    facts = ComplaintFact.objects.filter(f.fact_q()).order_by()
    handled = {r[key]: r for r in facts.values(key).annotate(
        received=Count("pk"), resolved=Count("pk", filter=Q(resolved=True)),
        res_n=Count("resolution_seconds"),
        res_sum=Sum("resolution_seconds", default=0))}
    clocks = Clock.objects.filter(f.fact_q("complaint__report_fact__"),
                                  metric=Metric.RESOLUTION).order_by()
    compliance = {r[f"complaint__report_fact__{key}"]: r for r in clocks.values(
        f"complaint__report_fact__{key}").annotate(
        breached=Count("complaint", distinct=True, filter=clock_breached(now)),
        decided=Count("complaint", distinct=True, filter=clock_breached(now) | clock_met()))}
    satisfaction = {}
    survey_model, _callbacks = _closing_models()
    if survey_model is not None:
        from django.db.models import Avg

        satisfaction = dict(survey_model.objects.filter(
            f.fact_q("complaint__report_fact__"), answered_at__isnull=False).order_by()
            .values_list(f"complaint__report_fact__{key}").annotate(avg=Avg("stars")))
    if by == "agent":
        names = {u.pk: u.get_full_name() or u.get_username()
                 for u in get_user_model().objects.filter(pk__in=[k for k in handled if k])}
    else:
        names = dict(Department.objects.filter(pk__in=[k for k in handled if k])
                     .values_list("id", "name"))
    out = []
    for pk, row in handled.items():
        c = compliance.get(pk, {"breached": 0, "decided": 0})
        met = c["decided"] - c["breached"]
        avg = satisfaction.get(pk)
        extra = {"agent_id": str(pk) if pk else "none"} if by == "agent" else \
            {"department_id": str(pk) if pk else "none"}
        out.append({"id": pk, "name": names.get(pk) or _("Unassigned"),
                    "received": row["received"], "resolved": row["resolved"],
                    "mean_resolution_hours": hours(row["res_sum"] / row["res_n"])
                    if row["res_n"] else None,
                    "deadlines_met": met, "deadlines_decided": c["decided"],
                    "compliance_percent": share(met, c["decided"]),
                    "average_stars": round(avg, 2) if avg is not None else None,
                    "url": list_url(f, **extra),
                    "resolved_url": list_url(f, measure="resolved", **extra)})
    out.sort(key=lambda r: (-r["resolved"], -r["received"], str(r["name"])))
    return out


# --- drill-down -----------------------------------------------------------------------------


class DrillDownError(ValueError):
    pass


def drill_down(*, user, report_filter: ReportFilter, params: dict) -> QuerySet[Complaint]:
    """The complaints behind one figure: the same filter plus that figure's predicate."""
    f = report_filter.resolved()
    now = timezone.now()
    qs = complaint_list(user=user)
    if params.get("backlog"):
        qs = qs.filter(f.dims_q("report_fact__"), report_fact__open_status__in=OPEN)
        if params.get("status"):
            qs = qs.filter(report_fact__open_status=params["status"])
        if params.get("age"):
            bucket = {key: (low, high) for key, _l, low, high in AGE_BUCKETS}.get(params["age"])
            if bucket is None:
                raise DrillDownError(_("Unknown age bucket."))
            qs = qs.filter(_age_days_q(timezone.localdate(), *bucket, prefix="report_fact__"))
        return qs
    qs = qs.filter(f.fact_q("report_fact__"))
    for name, column in (("department_id", "report_fact__department_id"),
                         ("agent_id", "report_fact__agent_id")):
        value = params.get(name)
        if value == "none":
            qs = qs.filter(**{f"{column}__isnull": True})
        elif value:
            if not str(value).isdigit():
                raise DrillDownError(_("Unknown department or agent."))
            qs = qs.filter(**{column: int(value)})
    measure = params.get("measure") or ""
    if measure in FLAG_MEASURES:
        qs = qs.filter(_prefixed(FLAG_MEASURES[measure], "report_fact__"))
    elif measure in ("surveyed", "satisfied", "callback", "callback_done"):
        qs = _closing_measure(qs, measure)
    elif measure:
        raise DrillDownError(_("Unknown measure “%(measure)s”.") % {"measure": measure})
    if params.get("level"):
        if params["level"] not in ("1", "2", "3"):
            raise DrillDownError(_("The level must be 1, 2 or 3."))
        qs = qs.filter(report_fact__escalation_max__gte=int(params["level"]))
    if params.get("metric"):
        qs = _deadline_outcome(qs, params["metric"], params.get("outcome", ""), now)
    return qs


def _prefixed(q: Q, prefix: str) -> Q:
    children = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_prefixed(child, prefix))
        else:
            children.append((prefix + child[0], child[1]))
    out = Q(*children, _connector=q.connector, _negated=q.negated)
    return out


def _deadline_outcome(qs, metric: str, outcome: str, now):
    if metric not in Metric.values or outcome not in ("met", "breached"):
        raise DrillDownError(_("Unknown deadline or outcome."))
    clocks = Clock.objects.filter(complaint=OuterRef("pk"), metric=metric)
    breached = Exists(clocks.filter(clock_breached(now)))
    if outcome == "breached":
        return qs.filter(breached)
    return qs.filter(Exists(clocks.filter(clock_met()))).exclude(breached)


def _closing_measure(qs, measure: str):
    survey_model, callback_model = _closing_models()
    if measure in ("surveyed", "satisfied"):
        if survey_model is None:
            raise DrillDownError(_("Satisfaction surveys are not available."))
        surveys = survey_model.objects.filter(complaint=OuterRef("pk"), answered_at__isnull=False)
        if measure == "satisfied":
            surveys = surveys.filter(stars__gte=4)
        return qs.filter(Exists(surveys))
    if callback_model is None:
        raise DrillDownError(_("Callbacks are not available."))
    tasks = callback_model.objects.filter(complaint=OuterRef("pk"))
    if measure == "callback_done":
        tasks = tasks.filter(completed_at__isnull=False)
    return qs.filter(Exists(tasks))

