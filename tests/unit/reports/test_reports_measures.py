"""The measures' pure definitions, without a database (table-driven, real holiday dates)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from reports.measures import (
    FactInput,
    age_bucket,
    fact_values,
    per_million,
    percentile,
    share,
    timeline_flags,
)
from sla.calendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
NATIONAL_DAY_2025 = WorkCalendar.standard(
    holidays=[date(2025, 10, d) for d in range(1, 9)],
    workdays=[date(2025, 9, 28), date(2025, 10, 11)], known_years=[2025])


def at(*args):
    return datetime(*args, tzinfo=SH)


def item(**kwargs):
    values = {"received_at": at(2025, 9, 30, 16, 30), "channel": "phone", "status": "resolved",
              "is_repeat": False, "is_regulator": False, "escalation_risk": False,
              "regulator_case_no": "", "acknowledged_at": None, "resolved_at": None,
              "reopen_count": 0, "dispatched": False, "transferred": False}
    values.update(kwargs)
    return FactInput(**values)


@pytest.mark.parametrize("received, done, hours", [
    (at(2025, 9, 30, 16, 30), at(2025, 10, 9, 9, 30), 2),        # across National Day
    (at(2025, 9, 30, 16, 30), at(2025, 10, 11, 10, 30), 21),     # into a make-up Saturday
    (at(2025, 9, 28, 10, 0), at(2025, 9, 28, 11, 0), 1),         # on a make-up Sunday
    (at(2025, 10, 3, 10, 0), at(2025, 10, 3, 11, 0), 0),         # on a holiday
    (at(2025, 10, 10, 8, 0), at(2025, 10, 10, 9, 0), 0.5),       # before opening time
    (at(2025, 10, 10, 17, 0), at(2025, 10, 13, 9, 0), 10),       # over the make-up Saturday
    (at(2025, 10, 17, 17, 0), at(2025, 10, 20, 9, 0), 1),        # over a plain weekend
    (at(2025, 10, 10, 9, 0), at(2025, 10, 10, 8, 0), 0),         # clock skew: never negative
])
def test_working_hours(received, done, hours):
    values = fact_values(item(received_at=received, acknowledged_at=done), NATIONAL_DAY_2025)
    assert values["ack_seconds"] == int(hours * 3600)


@pytest.mark.parametrize("kwargs, expected", [
    ({"resolved_at": at(2025, 10, 9, 9, 0)}, True),
    ({"resolved_at": at(2025, 10, 9, 9, 0), "reopen_count": 1}, False),
    ({"resolved_at": at(2025, 10, 9, 9, 0), "dispatched": True}, False),
    ({"resolved_at": at(2025, 10, 9, 9, 0), "transferred": True}, False),
    ({"resolved_at": None}, False),
])
def test_first_contact_resolution(kwargs, expected):
    assert fact_values(item(**kwargs), NATIONAL_DAY_2025)["first_contact"] is expected


@pytest.mark.parametrize("kwargs, external, transfer", [
    ({}, False, False),
    ({"channel": "regulator"}, True, True),
    ({"is_regulator": True}, True, False),
    ({"escalation_risk": True}, True, False),
    ({"regulator_case_no": "GX-1"}, False, True),
])
def test_escalated_past_the_operator(kwargs, external, transfer):
    values = fact_values(item(**kwargs), NATIONAL_DAY_2025)
    assert (values["is_external"], values["is_regulator_transfer"]) == (external, transfer)


def test_reopened_complaint_counts_as_resolved_once():
    values = fact_values(item(resolved_at=None, reopen_count=1), NATIONAL_DAY_2025)
    assert (values["ever_resolved"], values["reopened"], values["resolved"]) == (True, True, False)


def test_timeline_flags():
    entries = [("status_change", {"action": "acknowledge"}),
               ("assignment", {"old": {"department": None}, "new": {"department": 3}}),
               ("escalation", {"changed": {"escalation_level": [0, 1]}}),
               ("escalation", {"changed": {"escalation_level": [1, 3]}}),
               ("escalation", {"action": "acknowledge"})]
    assert timeline_flags(entries) == (False, False, 3)
    entries += [("assignment", {"old": {"department": 3}, "new": {"department": 4}}),
                ("status_change", {"action": "dispatch"})]
    assert timeline_flags(entries) == (True, True, 3)


@pytest.mark.parametrize("values, fraction, expected", [
    ([], 0.5, None), ([4], 0.9, 4), ([0, 1, 1, 2], 0.5, 1), ([0, 1, 1, 2], 0.9, 1.7),
    ([18.5, 21], 0.5, 19.75), ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9.1),
])
def test_percentile_matches_postgresql_percentile_cont(values, fraction, expected):
    result = percentile(values, fraction)
    assert result == pytest.approx(expected) if expected is not None else result is None


@pytest.mark.parametrize("days, bucket", [
    (0, "lt1"), (0.99, "lt1"), (1, "1to3"), (2.5, "1to3"), (3, "3to7"), (7, "7to15"),
    (14.9, "7to15"), (15, "ge15"), (400, "ge15"),
])
def test_age_buckets(days, bucket):
    assert age_bucket(days) == bucket


def test_shares_and_per_million():
    assert share(1, 3) == 33.3 and share(0, 0) is None
    assert per_million(3, 1_500_000) == 2.0 and per_million(3, None) is None
