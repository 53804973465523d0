"""Reads for reports: the dashboard figures and the per-agent and per-department table.

Counts (the backlog: open complaints per status by received day; complaints per duration
bucket) come from DailyFigure for past days that no change touched since they were built, and
live from ComplaintFact for today and dirty days (reports.counts). Medians and percentiles are
reports.percentiles. Deadline outcomes are kept per complaint and per day like the counts;
only deadlines passed since the figures were written are read at request time. Each count
links to its complaints (reports.drilldown, same predicates).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.lifecycle import STATUS_LABELS, Status
from complaints.models import Category, Channel, Department
from followup.models import CallbackTask, SatisfactionSurvey
from sla.models import Metric

from . import measures
from .counts import live_days, summed
from .filters import NONE, OPEN, ReportFilter, list_url
from .measures import (
    AGE_BUCKETS,
    BREACHED,
    DEADLINE_METRICS,
    DEFINITIONS,
    MET,
    hours,
    per_million,
    share,
)
from .models import COUNTERS, OPEN_COUNTERS, ComplaintFact, DailyFigure, DirtyDay, SubscriberCount
from .percentiles import durations

TOP = 10


# --- live parts -----------------------------------------------------------------------------


def _compliance(f: ReportFilter, totals: dict, now, base_url) -> list[dict]:
    """Met and breached per deadline: the daily figures' counts (facts for live days), plus the
    deadlines whose running clock passed its due time since (breached from then on, as the
    live definition says; normally a handful, read through a partial index)."""
    late = ComplaintFact.objects.filter(f.fact_q(), deadline_next_due__lt=now).aggregate(**{
        f"{outcome}_{short}": Count("pk", filter=Q(**{f"dl_{short}": outcome,
                                                      f"dl_{short}_due__lt": now}))
        for short in DEADLINE_METRICS.values() for outcome in (MET, "")})
    out = []
    for metric in Metric:
        short = DEADLINE_METRICS[metric.value]
        late_met, late_open = late[f"{MET}_{short}"], late[f"_{short}"]
        met = totals[f"met_{short}"] - late_met
        breached = totals[f"breached_{short}"] + late_met + late_open
        out.append({"metric": metric.value, "label": str(metric.label), "met": met,
                    "breached": breached, "percent": share(met, met + breached),
                    "met_url": base_url(metric=metric.value, outcome="met"),
                    "breached_url": base_url(metric=metric.value, outcome="breached")})
    return out


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

    live = live_days(f)
    totals = (summed(f, live, [], COUNTERS) or [dict.fromkeys(COUNTERS, 0)])[0]
    by_day_channel = summed(f, live, ["day", "channel"], ["received"])
    by_day_category = summed(f, live, ["day", "category_id"], ["received"])
    by_department = summed(f, live, ["department_id"], ["received"])
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
        "compliance": _compliance(f, totals, now, url),
        "durations": durations(f, totals),
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
    out = {}
    surveys = SatisfactionSurvey.objects.filter(f.fact_q("complaint__report_fact__"),
                                                answered_at__isnull=False)
    agg = surveys.aggregate(n=Count("pk"), avg=Avg("stars"),
                            satisfied=Count("pk", filter=Q(stars__gte=4)))
    out["satisfaction"] = {
        "answered": agg["n"], "average_stars": round(agg["avg"], 2) if agg["avg"] else None,
        "satisfied": agg["satisfied"], "percent": share(agg["satisfied"], agg["n"]),
        "url": url(measure="surveyed"), "satisfied_url": url(measure="satisfied")}
    tasks = CallbackTask.objects.filter(f.fact_q("complaint__report_fact__"))
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
    f = report_filter.resolved()
    key = "agent_id" if by == "agent" else "department_id"
    now = timezone.now()
    facts = ComplaintFact.objects.filter(f.fact_q()).order_by()
    # The resolution deadline's outcome kept in each fact; a running one past due is breached.
    breached = Q(dl_res=BREACHED) | Q(dl_res_due__lt=now)
    handled = {r[key]: r for r in facts.values(key).annotate(
        received=Count("pk"), resolved=Count("pk", filter=Q(resolved=True)),
        res_n=Count("resolution_seconds"),
        res_sum=Sum("resolution_seconds", default=0),
        breached=Count("pk", filter=breached), decided=Count("pk", filter=breached | Q(
            dl_res=MET)))}
    satisfaction = dict(SatisfactionSurvey.objects.filter(
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
        met = row["decided"] - row["breached"]
        avg = satisfaction.get(pk)
        extra = {"agent_id": str(pk) if pk else "none"} if by == "agent" else \
            {"department_id": str(pk) if pk else "none"}
        out.append({"id": pk, "name": names.get(pk) or _("Unassigned"),
                    "received": row["received"], "resolved": row["resolved"],
                    "mean_resolution_hours": hours(row["res_sum"] / row["res_n"])
                    if row["res_n"] else None,
                    "deadlines_met": met, "deadlines_decided": row["decided"],
                    "compliance_percent": share(met, row["decided"]),
                    "average_stars": round(avg, 2) if avg is not None else None,
                    "url": list_url(f, **extra),
                    "resolved_url": list_url(f, measure="resolved", **extra)})
    out.sort(key=lambda r: (-r["resolved"], -r["received"], str(r["name"])))
    return out
