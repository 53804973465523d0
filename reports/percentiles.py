"""Durations in reports: mean, median and 90th percentile of the working time to acknowledge
and to resolve. Medians and percentiles read only the few facts around their rank, which the
summed bucket counts point at; an exact percentile_cont scan is the reference and the fallback."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Aggregate, FloatField

from . import measures
from .counts import live_days, summed
from .filters import ReportFilter
from .measures import hours
from .models import ACK_BUCKETS, RES_BUCKETS, ComplaintFact

logger = logging.getLogger(__name__)


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
    totals = (summed(f, live_days(f), [], counters) or [dict.fromkeys(counters, 0)])[0]
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


def durations(f: ReportFilter, totals: dict) -> dict:
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
