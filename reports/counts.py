"""Counts for reports: stored daily figures for past days that no change touched since they
were built, live facts for today and dirty days."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum
from django.utils import timezone

from .aggregates import fact_sums
from .filters import ReportFilter
from .models import ComplaintFact, DailyFigure, DirtyDay


def live_days(f: ReportFilter) -> set[date]:
    """Today and the days changed since their figures were built: counted from the facts."""
    today = timezone.localdate()
    dirty = set(DirtyDay.objects.filter(day__gte=f.received_after, day__lte=f.received_before)
                .values_list("day", flat=True))
    return dirty | {d for d in (today,) if f.received_after <= d <= f.received_before}


def summed(f: ReportFilter, live_days: set[date], keys: list[str],
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
