"""Unit tests for sla.policy: which target applies, and deadline maths on the 2026 calendar.

No database. Expected times are worked out by hand from the State Council's 2026 notice
(written out below), with 08:30–17:30 Monday–Friday working hours (9 h a day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sla.calendar import WorkCalendar
from sla.policy import (
    CALENDAR_DAYS,
    CALENDAR_HOURS,
    WORKING_DAYS,
    WORKING_HOURS,
    ComplaintFacts,
    PolicyRule,
    Target,
    due_time,
    level_at,
    next_escalation_time,
    targets_for,
    warning_time,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(n) for n in range((last - first).days + 1)}


# 国务院办公厅关于2026年部分节假日安排的通知
HOLIDAYS_2026 = (
    days(date(2026, 1, 1), date(2026, 1, 3))        # 元旦
    | days(date(2026, 2, 15), date(2026, 2, 23))    # 春节
    | days(date(2026, 4, 4), date(2026, 4, 6))      # 清明节
    | days(date(2026, 5, 1), date(2026, 5, 5))      # 劳动节
    | days(date(2026, 6, 19), date(2026, 6, 21))    # 端午节
    | days(date(2026, 9, 25), date(2026, 9, 27))    # 中秋节
    | days(date(2026, 10, 1), date(2026, 10, 7))    # 国庆节
)
MAKEUP_2026 = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
               date(2026, 9, 20), date(2026, 10, 10)}
CAL = WorkCalendar.standard(holidays=HOLIDAYS_2026, workdays=MAKEUP_2026, known_years={2026})


def target(amount, unit=WORKING_DAYS) -> Target:
    return Target(Decimal(str(amount)), unit)


# --- which target applies --------------------------------------------------------------------

DEFAULT = PolicyRule(id=1, targets={
    "acknowledge": target(1), "first_response": target(1), "resolution": target(5),
    "regulator_exposure": target(15, CALENDAR_DAYS)})
URGENT = PolicyRule(id=2, priority="urgent", targets={
    "first_response": target(4, WORKING_HOURS), "resolution": target(3)})
VIP = PolicyRule(id=4, customer_tier="vip", targets={"first_response": target(2, WORKING_HOURS)})
REGULATOR = PolicyRule(id=5, channel="regulator", targets={"acknowledge": target(4, WORKING_HOURS)})
NETWORK = PolicyRule(id=6, category_code="network", targets={"resolution": target(2)})
SIGNAL = PolicyRule(id=7, category_code="network-signal", targets={"resolution": target(4)})
URGENT_VIP = PolicyRule(id=8, priority="urgent", customer_tier="vip",
                        targets={"resolution": target(1)})
ALL = [DEFAULT, URGENT, VIP, REGULATOR, NETWORK, SIGNAL, URGENT_VIP]


def facts(priority="ordinary", channel="phone", tier="ordinary", category="", parent=""):
    return ComplaintFacts(priority=priority, channel=channel, customer_tier=tier,
                          category_code=category, parent_category_code=parent)


def chosen(policies, complaint) -> dict[str, tuple[int, Target]]:
    return {metric: (rule.id, tgt) for metric, (rule, tgt) in
            targets_for(policies, complaint).items()}


@pytest.mark.parametrize(("complaint", "metric", "policy_id", "expected"), [
    # Nothing specific matches: the default policy for every metric it sets.
    (facts(), "resolution", 1, target(5)),
    (facts(), "regulator_exposure", 1, target(15, CALENDAR_DAYS)),
    # A one-field policy beats the default for the metrics it sets…
    (facts(priority="urgent"), "resolution", 2, target(3)),
    (facts(priority="urgent"), "first_response", 2, target(4, WORKING_HOURS)),
    # …and leaves the others to the default.
    (facts(priority="urgent"), "acknowledge", 1, target(1)),
    (facts(channel="regulator"), "acknowledge", 5, target(4, WORKING_HOURS)),
    # Two fields beat one.
    (facts(priority="urgent", tier="vip"), "resolution", 8, target(1)),
    # Tie between one-field policies (urgent, id 2; VIP, id 4): the older one wins.
    (facts(priority="urgent", tier="vip"), "first_response", 2, target(4, WORKING_HOURS)),
    (facts(tier="vip"), "first_response", 4, target(2, WORKING_HOURS)),
    # A top-level category matches its children through the parent code.
    (facts(category="network-coverage", parent="network"), "resolution", 6, target(2)),
    # Parent and child category policies are equally specific: the older (parent) wins.
    (facts(category="network-signal", parent="network"), "resolution", 6, target(2)),
    # A child-category policy does not match a sibling or the parent itself.
    (facts(category="network", parent=""), "resolution", 6, target(2)),
    (facts(category="billing-fee", parent="billing"), "resolution", 1, target(5)),
])
def test_most_specific_matching_policy_wins_per_metric(complaint, metric, policy_id, expected):
    assert chosen(ALL, complaint)[metric] == (policy_id, expected)


def test_tie_goes_to_the_older_policy_whatever_the_list_order():
    newer_parent = PolicyRule(id=9, category_code="network", targets={"resolution": target(9)})
    complaint = facts(category="network-signal", parent="network")
    for policies in ([SIGNAL, newer_parent], [newer_parent, SIGNAL]):
        assert chosen(policies, complaint)["resolution"] == (7, target(4))


def test_a_child_category_policy_applies_alone():
    assert chosen([DEFAULT, SIGNAL], facts(category="network-signal", parent="network"))[
        "resolution"] == (7, target(4))
    assert "resolution" not in chosen([SIGNAL], facts(category="network-other",
                                                      parent="network"))


def test_no_matching_policy_sets_nothing():
    assert targets_for([URGENT, VIP], facts()) == {}


# --- due time per unit -----------------------------------------------------------------------


@pytest.mark.parametrize(("start", "tgt", "due"), [
    # Ordinary week: Monday 10:00 + 5 working days = next Monday 10:00.
    (sh(11, 23, 10), target(5), sh(11, 30, 10)),
    # Golden Week: 10-01..10-07 off, Saturday 10-10 worked; 5 working days from Wed 09-30
    # are 10-08, 10-09, 10-10 (Sat), 10-12, 10-13.
    (sh(9, 30, 10), target(5), sh(10, 13, 10)),
    # Spring Festival eve: Friday 16:00 + 1 working day lands on the make-up Saturday.
    (sh(2, 13, 16), target(1), sh(2, 14, 16)),
    # …and + 2 working days jumps the nine days off to Tuesday 02-24.
    (sh(2, 13, 16), target(2), sh(2, 24, 16)),
    # Decimal days: 1.5 × 9 h = 13.5 h; Monday 10:00–17:30 is 7.5 h, then 6 h on Tuesday.
    (sh(11, 23, 10), target("1.5"), sh(11, 24, 14, 30)),
    # Started on a holiday (National Day): counting begins on 10-08 at 08:30, and a whole
    # working day ends that evening, not the next morning.
    (sh(10, 3, 11), target(1), sh(10, 8, 17, 30)),
    # Working hours: 1.5 h left on 09-30, 2.5 h on 10-08.
    (sh(9, 30, 16), target(4, WORKING_HOURS), sh(10, 8, 11)),
    # Started Saturday night (not a make-up day): Monday 08:30 + 2 h.
    (sh(11, 28, 22), target(2, WORKING_HOURS), sh(11, 30, 10, 30)),
    # Calendar days and hours ignore holidays and nights.
    (sh(9, 30, 10), target(15, CALENDAR_DAYS), sh(10, 15, 10)),
    (sh(9, 30, 16), target(36, CALENDAR_HOURS), sh(10, 2, 4)),
    (sh(9, 30, 16), target("0.5", CALENDAR_DAYS), sh(10, 1, 4)),
    # Year boundary: 12-31 Thursday 16:00 + 1 working day; 01-01..01-03 of 2027 are unknown
    # here, so ordinary weekdays apply: Friday 01-01 16:00.
    (sh(12, 31, 16), target(1), sh(1, 1, 16, year=2027)),
])
def test_due_time(start, tgt, due):
    assert due_time(start, tgt, CAL) == due


def test_due_time_refuses_an_unknown_unit():
    with pytest.raises(ValueError, match="unknown unit"):
        due_time(sh(11, 23, 10), Target(Decimal(1), "fortnights"), CAL)


# --- warning time ----------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "tgt", "percent", "warn"), [
    # 75 % of 45 working hours = 33 h 45 min: Mon 7.5 + Tue 9 + Wed 9 + Thu 8.25 → Thu 16:45.
    (sh(11, 23, 10), target(5), 75, sh(11, 26, 16, 45)),
    # 50 % of 5 working days from 09-30 = 22.5 h: 7.5 h on 09-30, 9 h on 10-08, 6 h on 10-09.
    (sh(9, 30, 10), target(5), 50, sh(10, 9, 14, 30)),
    # Calendar time: 80 % of 15 days = 12 days, straight through Golden Week.
    (sh(9, 30, 10), target(15, CALENDAR_DAYS), 80, sh(10, 12, 10)),
    # 75 % of 4 working hours = 3 h; 1.5 h on 09-30, 1.5 h on 10-08.
    (sh(9, 30, 16), target(4, WORKING_HOURS), 75, sh(10, 8, 10)),
])
def test_warning_time(start, tgt, percent, warn):
    due = due_time(start, tgt, CAL)
    assert warning_time(start, due, percent, tgt, CAL) == warn
    assert start < warn < due


# --- escalation levels across National Day ----------------------------------------------------

DUE = sh(9, 30, 17)  # due half an hour before the Golden Week closes the office
STEP = Decimal(9)    # one more level every 9 working hours past due
WD = target(1)


@pytest.mark.parametrize(("level", "breach_level", "when"), [
    (0, 1, DUE),                   # the breach itself
    (1, 1, sh(10, 8, 17)),         # 0.5 h on 09-30 + 8.5 h on 10-08; the holiday is skipped
    (2, 1, sh(10, 9, 17)),
    (3, 1, None),                  # top level: nothing further
    (0, 2, DUE),                   # a breach escalates straight to the policy's level…
    (1, 2, DUE),
    (2, 2, sh(10, 8, 17)),         # …and the steps count from there
])
def test_next_escalation_time(level, breach_level, when):
    assert next_escalation_time(DUE, level, breach_level, STEP, WD, CAL) == when


@pytest.mark.parametrize(("now", "breach_level", "level"), [
    (sh(9, 30, 16, 59), 1, 0),     # not due yet
    (DUE, 1, 1),
    (sh(10, 5, 12), 1, 1),         # a week later, but only 0.5 working hours late
    (sh(10, 8, 16, 59), 1, 1),
    (sh(10, 8, 17), 1, 2),
    (sh(10, 9, 17), 1, 3),
    (sh(12, 1, 9), 1, 3),          # never above 3
    (DUE, 2, 2),
    (sh(10, 8, 17), 2, 3),
])
def test_level_at(now, breach_level, level):
    assert level_at(now, DUE, breach_level, STEP, WD, CAL) == level


def test_calendar_time_targets_escalate_through_the_holiday():
    exposure = target(15, CALENDAR_DAYS)
    assert next_escalation_time(DUE, 1, 1, STEP, exposure, CAL) == sh(10, 1, 2)
    assert level_at(sh(10, 1, 2), DUE, 1, STEP, exposure, CAL) == 2
    assert level_at(sh(10, 1, 1, 59), DUE, 1, STEP, exposure, CAL) == 1
