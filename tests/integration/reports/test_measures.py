"""Exact figures for every measure on the known data set (see conftest)."""

from datetime import date

import pytest

from reports.filters import ReportFilter
from reports.selectors import dashboard, performance

from .conftest import RANGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(dataset):
    return dashboard(RANGE)


def test_received_by_day_and_channel(figures):
    received = figures["received"]
    assert received["total"] == 5
    assert {c["channel"]: c["count"] for c in received["by_channel"]} == {
        "phone": 2, "web": 1, "email": 1, "regulator": 1}
    per_day = {d["day"]: d["count"] for d in received["per_day"]}
    assert per_day["2025-09-28"] == 1 and per_day["2025-09-29"] == 1
    assert per_day["2025-09-30"] == 1 and per_day["2025-10-03"] == 1
    assert per_day["2025-10-10"] == 1 and sum(per_day.values()) == 5
    assert len(received["days"]) == 13
    assert {c["category"]: c["count"] for c in received["by_category"]} == {
        "network": 2, "billing": 2, "": 1}


def test_working_hours_across_national_day(figures):
    ack = figures["durations"]["acknowledgement"]
    # 2 h (over the holiday), 1 h, 1 h (make-up Sunday), 0 h (on a holiday)
    assert ack == {"count": 4, "mean_hours": 1.0, "median_hours": 1.0, "p90_hours": 1.7}
    resolution = figures["durations"]["resolution"]
    # 21 h (ending on the make-up Saturday) and 18.5 h
    assert resolution == {"count": 2, "mean_hours": 19.75, "median_hours": 19.75,
                          "p90_hours": 20.75}


def test_rates(figures):
    rates = figures["rates"]
    assert (rates["repeat"]["count"], rates["repeat"]["of"], rates["repeat"]["percent"]) == \
        (1, 5, 20.0)
    assert (rates["reopen"]["count"], rates["reopen"]["of"], rates["reopen"]["percent"]) == \
        (1, 2, 50.0)
    fcr = rates["first_contact"]
    assert (fcr["count"], fcr["of"], fcr["percent"]) == (1, 2, 50.0)
    external = rates["external"]
    assert (external["count"], external["of"], external["percent"]) == (2, 5, 40.0)


def test_regulator_transfers_per_million(figures):
    # One transfer; 2,000,000 subscribers valid on 10 October (4,000,000 only from November).
    assert figures["per_million"]["transfers"] == 1
    assert figures["per_million"]["subscribers"] == 2_000_000
    assert figures["per_million"]["value"] == 0.5


def test_per_million_without_subscriber_count(dataset):
    from reports.models import SubscriberCount

    SubscriberCount.objects.all().delete()
    assert dashboard(RANGE)["per_million"]["value"] is None


def test_escalations_by_level(figures):
    assert [(e["level"], e["count"]) for e in figures["escalations"]] == [(1, 1), (2, 1), (3, 0)]


def test_deadline_compliance(figures):
    by_metric = {c["metric"]: c for c in figures["compliance"]}
    assert (by_metric["acknowledge"]["met"], by_metric["acknowledge"]["breached"],
            by_metric["acknowledge"]["percent"]) == (2, 0, 100.0)
    # C1 finished late, C3 still running past due; C2's second cycle met.
    assert (by_metric["resolution"]["met"], by_metric["resolution"]["breached"],
            by_metric["resolution"]["percent"]) == (1, 2, 33.3)
    assert by_metric["first_response"]["percent"] is None


def test_backlog_by_status_and_age(figures):
    backlog = figures["backlog"]
    # Open now: C3 in progress, C4 acknowledged, and the out-of-range new one (the date
    # range does not apply to the backlog).
    assert backlog["total"] == 3
    by_status = {s["status"]: s["count"] for s in backlog["by_status"]}
    assert by_status == {"new": 1, "acknowledged": 1, "in_progress": 1, "waiting_customer": 0,
                         "waiting_department": 0, "reopened": 0}
    assert {a["age"]: a["count"] for a in backlog["by_age"]} == {
        "lt1": 0, "1to3": 0, "3to7": 0, "7to15": 0, "ge15": 3}


def test_satisfaction_and_callbacks(figures):
    assert figures["satisfaction"]["answered"] == 2
    assert figures["satisfaction"]["average_stars"] == 3.5
    assert figures["satisfaction"]["percent"] == 50.0
    assert figures["callbacks"]["tasks"] == 2
    assert figures["callbacks"]["completed"] == 1
    assert figures["callbacks"]["percent"] == 50.0


def test_top_categories_and_departments(figures):
    assert [(c["category"], c["count"]) for c in figures["top_categories"]][:2] == [
        ("network-coverage", 2), ("billing-refund", 2)] or \
        sorted((c["category"], c["count"]) for c in figures["top_categories"]) == [
            ("", 1), ("billing-refund", 2), ("network-coverage", 2)]
    departments = {d["label"]: d["count"] for d in figures["top_departments"]}
    # C2 counts for its responsible department, not the assigned one.
    assert departments == {"北区东": 1, "北区": 1, "南区": 2, "None": 1} or \
        departments == {"北区东": 1, "北区": 1, "南区": 2, "无": 1}


def test_filters_narrow_every_figure(dataset):
    # The north department includes north-east below it.
    north = dashboard(ReportFilter(RANGE.received_after, RANGE.received_before,
                                   department="north"))
    assert north["received"]["total"] == 2
    assert north["durations"]["resolution"]["count"] == 2
    phone = dashboard(ReportFilter(RANGE.received_after, RANGE.received_before,
                                   channel="phone"))
    assert phone["received"]["total"] == 2 and phone["rates"]["external"]["count"] == 1
    billing = dashboard(ReportFilter(RANGE.received_after, RANGE.received_before,
                                     category="billing"))
    assert billing["received"]["total"] == 2
    assert billing["per_million"]["transfers"] == 1
    one_day = dashboard(ReportFilter(date(2025, 10, 3), date(2025, 10, 3)))
    assert one_day["received"]["total"] == 1


def test_agent_and_department_performance(dataset):
    agents = {row["name"]: row for row in performance(RANGE, by="agent")}
    zhou = agents["周"]
    assert (zhou["received"], zhou["resolved"], zhou["mean_resolution_hours"]) == (2, 2, 19.75)
    assert (zhou["deadlines_met"], zhou["deadlines_decided"], zhou["compliance_percent"]) == \
        (1, 2, 50.0)
    assert zhou["average_stars"] == 3.5
    departments = {row["name"]: row for row in performance(RANGE, by="department")}
    assert departments["南区"]["received"] == 2 and departments["南区"]["resolved"] == 0
    assert departments["北区"]["mean_resolution_hours"] == 18.5
