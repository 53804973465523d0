"""Deadline compliance on the dashboard comes from the figures kept per complaint and per day,
not from the clocks; it must equal what the clocks say at every step of complaints' lives:
created, deadlines met, breached (finished late, marked by the sweep, or running past due
unnoticed), reopened, paused, recomputed, and after a rebuild."""

import importlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from complaints import services
from reports.aggregates import dirty_rebuild, facts_catch_up
from reports.filters import ReportFilter, clock_breached, clock_met
from reports.models import ComplaintFact, DailyFigure, DirtyDay
from reports.selectors import dashboard, performance
from sla.models import Clock, ClockState, Metric
from tests.factories import make_complaint

from .conftest import RANGE, local

pytestmark = pytest.mark.django_db
FILTERS = [RANGE, ReportFilter(RANGE.received_after, RANGE.received_before, department="north"),
           ReportFilter(RANGE.received_after, RANGE.received_before, channel="phone"),
           ReportFilter(RANGE.received_after, RANGE.received_before, category="billing")]


def from_clocks(report_filter: ReportFilter) -> dict:
    """Met and breached per deadline straight from sla_clock (the dashboard's definition:
    complaints with a clock breached; complaints with one met and none breached)."""
    f = report_filter.resolved()
    now = timezone.now()
    rows = {r["metric"]: r for r in Clock.objects.filter(
        f.fact_q("complaint__report_fact__")).order_by().values("metric").annotate(
        breached=Count("complaint", distinct=True, filter=clock_breached(now)),
        decided=Count("complaint", distinct=True, filter=clock_breached(now) | clock_met()))}
    return {m.value: (rows[m.value]["decided"] - rows[m.value]["breached"],
                      rows[m.value]["breached"]) if m.value in rows else (0, 0)
            for m in Metric}


def shown(report_filter: ReportFilter) -> dict:
    return {c["metric"]: (c["met"], c["breached"])
            for c in dashboard(report_filter)["compliance"]}


def assert_same(filters=FILTERS):
    for report_filter in filters:
        assert shown(report_filter) == from_clocks(report_filter), report_filter


def _transition(complaint, action, actor, **extra):
    complaint.refresh_from_db()
    services.complaint_transition(complaint_id=complaint.pk, action=action, actor=actor,
                                  expected_version=complaint.version, **extra)


def test_known_set_from_daily_figures(dataset):
    assert not DirtyDay.objects.exists()  # every day of the range is read from DailyFigure
    stored = DailyFigure.objects.filter(day__lte=RANGE.received_before)
    assert sum(stored.values_list("met_res", flat=True)) == 1  # C2's second cycle
    assert sum(stored.values_list("breached_res", flat=True)) == 1  # C1, finished late
    # C3's resolution clock runs past due: breached at read time, not in the stored day.
    assert shown(RANGE)["resolution"] == (1, 2)
    assert_same()


def test_through_a_complaints_life(dataset, supervisor, django_capture_on_commit_callbacks):
    # Two complaints received on 2 October with real clocks (started by the sla receiver),
    # already past their deadlines: breached while still running, seen by nobody yet.
    with django_capture_on_commit_callbacks(execute=True):
        late = make_complaint(channel="phone", received_at=local(2025, 10, 2, 9, 0))
        other = make_complaint(channel="web", received_at=local(2025, 10, 2, 10, 0))
    assert Clock.objects.filter(complaint=late, state=ClockState.RUNNING).exists()
    assert_same()
    dirty_rebuild()
    assert not DirtyDay.objects.exists()
    assert_same()

    # One acknowledged now (late: finished after its due time), then resolved.
    with django_capture_on_commit_callbacks(execute=True):
        _transition(late, "acknowledge", supervisor)
    assert_same()
    with django_capture_on_commit_callbacks(execute=True):
        _transition(late, "resolve", supervisor, resolution_summary="已处理")
    assert_same()
    dirty_rebuild()
    assert_same()

    # Reopened: a new resolution cycle runs, due in the future; then it is made late
    # without any event (as time passing would), then paused (waiting for the customer).
    with django_capture_on_commit_callbacks(execute=True):
        _transition(late, "reopen", supervisor, reason="客户不满意")
        _transition(late, "start", supervisor)
    assert_same()
    Clock.objects.filter(complaint=late, state=ClockState.RUNNING).update(
        due_at=timezone.now() - timedelta(minutes=5))
    assert_same()
    with django_capture_on_commit_callbacks(execute=True):
        _transition(late, "request_info", supervisor, reason="需要账单截图")
    assert_same()

    # The other: its deadlines moved by hand (no event), then recomputed by a field change,
    # then acknowledged; and the sweep marks its running clocks breached without an event.
    Clock.objects.filter(complaint=other).update(due_at=timezone.now() + timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_update_fields(complaint_id=other.pk, actor=supervisor,
                                         changes={"is_vip": True})
    assert_same()
    with django_capture_on_commit_callbacks(execute=True):
        _transition(other, "acknowledge", supervisor)
    assert_same()
    swept = Clock.objects.filter(complaint=other, state=ClockState.RUNNING)
    swept.filter(metric=Metric.RESOLUTION).update(due_at=timezone.now() - timedelta(hours=1))
    swept.update(state=ClockState.BREACHED, breached_at=F("due_at"))  # as the sweep does
    assert_same()
    # The periodic catch-up takes the swept deadline out of the read-time set.
    assert ComplaintFact.objects.filter(complaint=other, deadline_next_due__lt=timezone.now()
                                        ).exists()
    assert facts_catch_up() == 1
    assert not ComplaintFact.objects.filter(complaint=other, deadline_next_due__isnull=False
                                            ).exists()
    assert_same()
    dirty_rebuild()
    assert_same()

    # A rebuild from scratch gives the same figures.
    ComplaintFact.objects.all().delete()
    DailyFigure.objects.all().delete()
    call_command("reports_rebuild")
    assert_same()
    shown_after_rebuild = shown(RANGE)

    # So does the migration's set-based fill, from facts and daily rows without outcomes.
    migration = importlib.import_module("reports.migrations.0004_deadline_outcomes")
    blank = {f"dl_{s}": "" for s in migration.METRICS.values()}
    ComplaintFact.objects.update(deadline_next_due=None, **blank)
    DailyFigure.objects.update(**{f"{o}_{s}": 0 for s in migration.METRICS.values()
                                  for o in ("met", "breached")})
    migration.fill(None, connection.schema_editor())
    assert shown(RANGE) == shown_after_rebuild
    assert_same()


def test_performance_table_agrees(dataset):
    f = RANGE.resolved()
    now = timezone.now()
    live = {r["complaint__report_fact__agent_id"]: (r["decided"], r["breached"])
            for r in Clock.objects.filter(f.fact_q("complaint__report_fact__"),
                                          metric=Metric.RESOLUTION).order_by()
            .values("complaint__report_fact__agent_id").annotate(
                breached=Count("complaint", distinct=True, filter=clock_breached(now)),
                decided=Count("complaint", distinct=True,
                              filter=clock_breached(now) | clock_met()))}
    for row in performance(RANGE, by="agent"):
        decided, breached = live.get(row["id"], (0, 0))
        assert (row["deadlines_decided"], row["deadlines_met"]) == (decided, decided - breached)
