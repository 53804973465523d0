"""Median and 90th percentile from the daily duration buckets are exactly percentile_cont over
the facts (and `measures.percentile` on SQLite): stored days, dirty days and today, every
filter, ties, one row, none, and after complaints change."""

import importlib
import random
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services
from complaints.models import Category, Complaint
from reports import percentiles
from reports.aggregates import daily_rebuild, days_mark_dirty, dirty_rebuild, facts_refresh
from reports.measures import DURATION_EDGES, duration_bucket, hours, percentile
from reports.models import ACK_BUCKETS, RES_BUCKETS, ComplaintFact, DailyFigure, DirtyDay
from reports.filters import NONE, ReportFilter
from reports.percentiles import duration_points
from reports.selectors import dashboard
from tests.factories import CustomerFactory, DepartmentFactory

from .conftest import RANGE, local

pytestmark = pytest.mark.django_db
COLUMNS = {"acknowledgement": "ack_seconds", "resolution": "resolution_seconds"}


def reference(report_filter: ReportFilter) -> dict:
    """Every fact in the filter, sorted; on PostgreSQL also percentile_cont itself."""
    f = report_filter.resolved()
    out = {}
    for key, column in COLUMNS.items():
        facts = ComplaintFact.objects.filter(f.fact_q(), **{f"{column}__isnull": False})
        values = sorted(facts.values_list(column, flat=True))
        out[key] = {"median": percentile(values, 0.5), "p90": percentile(values, 0.9)}
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}), "
                    f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {column}) "
                    "FROM reports_complaintfact WHERE complaint_id = ANY(%s)",
                    [list(facts.values_list("pk", flat=True))])
                assert cursor.fetchone() == (out[key]["median"], out[key]["p90"])
    return out


@pytest.fixture
def bucket_path_only(monkeypatch):
    """The exact scan is the fallback: these tests must pass without it."""
    def refuse(*args, **kwargs):
        raise AssertionError("fell back to the exact scan")

    monkeypatch.setattr(percentiles, "_exact_points", refuse)


def _duration(rng: random.Random) -> int | None:
    roll = rng.random()
    if roll < 0.12:
        return None
    if roll < 0.27:
        return 0  # acknowledged outside working hours: many ties at zero
    if roll < 0.37:
        return rng.choice(DURATION_EDGES)  # exactly on an edge
    if roll < 0.47:
        return rng.choice([1800, 3600, 32400])  # popular values: more ties
    return int(rng.lognormvariate(10, 1.6))  # a few seconds to beyond 30 working days


@pytest.fixture
def spread(db):
    """About 400 facts over the last five days, a day with one fact and a day of ties; daily
    rows built for every day; then today's facts and one past day's change (that day is marked
    dirty), so the stored rows of both are stale."""
    rng = random.Random(20251001)
    north = DepartmentFactory(code="north", name="北区")
    north_east = DepartmentFactory(code="north-east", name="北区东", parent=north)
    south = DepartmentFactory(code="south", name="南区")
    departments = [north.pk, north_east.pk, south.pk, None]
    categories = [Category.objects.get(code=c).pk
                  for c in ("network-coverage", "billing-refund")] + [None]
    today = timezone.localdate()
    days = [today - timedelta(days=d) for d in range(5)]
    rows = [(rng.choice(days), _duration(rng), _duration(rng)) for _ in range(400)]
    rows.append((today - timedelta(days=10), 4242, 86400))  # the only one that day
    rows += [(today - timedelta(days=12), 3000, 3000)] * 5  # ties only
    customer = CustomerFactory()
    complaints = Complaint.objects.bulk_create([
        Complaint(reference=f"TSPCT{i:06d}", channel="phone", customer=customer,
                  received_at=timezone.now(), subject="-", description="-")
        for i in range(len(rows))])
    ComplaintFact.objects.bulk_create([
        ComplaintFact(complaint=c, day=day, ack_seconds=ack, resolution_seconds=res,
                      department_id=rng.choice(departments), category_id=rng.choice(categories),
                      channel=rng.choice(["phone", "web", "email"]))
        for c, (day, ack, res) in zip(complaints, rows)])
    daily_rebuild(days={day for day, _a, _r in rows})
    changed_day = today - timedelta(days=2)
    for day in (changed_day, today):
        for fact in ComplaintFact.objects.filter(day=day).order_by("pk")[:25]:
            fact.ack_seconds = _duration(rng)
            fact.resolution_seconds = None if fact.resolution_seconds else 7 * 32400 + 1
            fact.save()
    days_mark_dirty([changed_day])
    return today


def filters(today):
    week = (today - timedelta(days=6), today)
    return {
        "whole range": ReportFilter(*week),
        "a stored day": ReportFilter(today - timedelta(days=1), today - timedelta(days=1)),
        "the dirty day": ReportFilter(today - timedelta(days=2), today - timedelta(days=2)),
        "today": ReportFilter(today, today),
        "department subtree": ReportFilter(*week, department="north"),
        "child department": ReportFilter(*week, department="north-east"),
        "channel": ReportFilter(*week, channel="web"),
        "category subtree": ReportFilter(*week, category="billing"),
        "no category": ReportFilter(*week, category=NONE),
        "all filters": ReportFilter(*week, department="north", channel="phone",
                                    category="network"),
        "one row": ReportFilter(today - timedelta(days=10), today - timedelta(days=10)),
        "ties": ReportFilter(today - timedelta(days=12), today - timedelta(days=12)),
        "empty": ReportFilter(today - timedelta(days=40), today - timedelta(days=30)),
        "one row and ties": ReportFilter(today - timedelta(days=12),
                                         today - timedelta(days=10)),
    }


@pytest.mark.parametrize("case", list(filters(timezone.localdate())))
def test_bucketed_percentiles_equal_percentile_cont(spread, bucket_path_only, case):
    report_filter = filters(spread)[case]
    expected = reference(report_filter)
    assert duration_points(report_filter) == expected
    durations = dashboard(report_filter)["durations"]
    for key in COLUMNS:
        assert durations[key]["median_hours"] == hours(expected[key]["median"])
        assert durations[key]["p90_hours"] == hours(expected[key]["p90"])


def test_the_data_covers_what_the_cases_claim(spread):
    f = filters(spread)
    assert reference(f["empty"])["resolution"] == {"median": None, "p90": None}
    assert reference(f["one row"])["acknowledgement"] == {"median": 4242, "p90": 4242}
    assert reference(f["ties"])["resolution"] == {"median": 3000, "p90": 3000}
    assert DirtyDay.objects.filter(day=spread - timedelta(days=2)).exists()
    # Interpolated (not a stored value) and read past the zero bucket in the whole range.
    whole = reference(f["whole range"])["acknowledgement"]
    assert whole["median"] > 0 and whole["p90"] != int(whole["p90"])


def test_the_look_up_reads_only_around_the_ranks(spread, bucket_path_only):
    with CaptureQueriesContext(connection) as captured:
        duration_points(filters(spread)["whole range"])
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "percentile_cont" not in sql
    limits = [int(n) for n in re.findall(r"LIMIT (\d+)", sql)]
    assert limits and max(limits) <= 2  # two neighbouring ranks per part, at most
    assert len(captured) == 4  # dirty days, stored and live bucket sums, one look-up


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_reads_one_snapshot():
    """Bucket counts and the look-up must see the same facts: outside a transaction every
    dashboard read runs in one REPEATABLE READ transaction."""
    with CaptureQueriesContext(connection) as captured:
        figures = dashboard(ReportFilter.default())
    statements = [q["sql"] for q in captured.captured_queries]
    assert statements[:2] == ["BEGIN", "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"]
    assert statements[-1] == "COMMIT"
    assert figures["received"]["total"] == 0 and not connection.in_atomic_block


def test_stale_bucket_counts_fall_back_to_the_exact_scan(spread):
    day = spread - timedelta(days=1)
    row = DailyFigure.objects.filter(day=day, res_n__gt=0).first()
    DailyFigure.objects.filter(pk=row.pk).update(res_b00=row.res_b00 + 1)  # corrupted
    report_filter = ReportFilter(day, day)
    assert duration_points(report_filter) == reference(report_filter)


def test_daily_rows_count_every_duration_once(spread):
    dirty_rebuild()
    for row in DailyFigure.objects.values("ack_n", "res_n", *ACK_BUCKETS, *RES_BUCKETS):
        assert sum(row[b] for b in ACK_BUCKETS) == row["ack_n"]
        assert sum(row[b] for b in RES_BUCKETS) == row["res_n"]


def test_a_complaint_resolved_later_moves_between_buckets(dataset, supervisor,
                                                           bucket_path_only,
                                                           django_capture_on_commit_callbacks):
    """C2 (18.5 working hours) resolved again later; C4 resolved through the service."""
    def res_buckets(day):
        row = DailyFigure.objects.filter(day=day, res_n__gt=0).values(*RES_BUCKETS).first()
        return {b for b in RES_BUCKETS if row[b]}

    def bucket(working_hours):
        return RES_BUCKETS[duration_bucket(int(working_hours * 3600))]

    c2_day = timezone.localdate(dataset.c2.received_at)
    assert res_buckets(c2_day) == {bucket(18.5)}
    before = duration_points(RANGE)
    assert before == reference(RANGE)

    Complaint.objects.filter(pk=dataset.c2.pk).update(resolved_at=local(2025, 10, 10, 17, 0))
    facts_refresh(complaint_ids=[dataset.c2.pk])  # 8.5 + 9 + 9 + 8.5 = 35 working hours
    c4 = dataset.c4
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_transition(complaint_id=c4.pk, action="resolve", actor=supervisor,
                                      expected_version=c4.version, resolution_summary="已解决")
    assert DirtyDay.objects.filter(day=c2_day).exists()
    changed = duration_points(RANGE)
    assert changed == reference(RANGE) and changed != before

    assert dirty_rebuild() > 0
    assert res_buckets(c2_day) == {bucket(35)} != {bucket(18.5)}
    assert duration_points(RANGE) == changed


def test_the_migration_marks_every_day_dirty(spread):
    migration = importlib.import_module("reports.migrations.0003_duration_buckets")
    DirtyDay.objects.all().delete()
    migration.mark_every_day_dirty(apps, None)
    assert set(DirtyDay.objects.values_list("day", flat=True)) == set(
        ComplaintFact.objects.values_list("day", flat=True))
