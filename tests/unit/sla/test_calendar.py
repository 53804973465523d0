"""Unit tests for sla.calendar on the real 2025/2026 Chinese official calendar.

Expected values are worked out by hand from the State Council holiday
notices written out below, never computed by the code under test.
Standard hours are 08:30–17:30 Monday–Friday (9 h, no lunch break).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    WorkCalendar,
    add_working_days,
    add_working_time,
    is_working_day,
    unverified_years,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
MIN = timedelta(minutes=1)


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Beijing wall-clock time (UTC+8, no DST)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def days(first: date, last: date) -> set[date]:
    """Inclusive date range, to write the holiday notices compactly."""
    return {first + timedelta(n) for n in range((last - first).days + 1)}


# --- Official arrangements (国务院办公厅放假通知) -------------------------------
# 2025: 元旦 1/1; 春节 1/28–2/4 (上班 1/26 Sun, 2/8 Sat); 清明 4/4–4/6;
# 劳动节 5/1–5/5 (上班 4/27 Sun); 端午 5/31–6/2;
# 国庆+中秋 10/1–10/8 (上班 9/28 Sun, 10/11 Sat).
HOLIDAYS_2025 = (
    days(date(2025, 1, 1), date(2025, 1, 1))
    | days(date(2025, 1, 28), date(2025, 2, 4))
    | days(date(2025, 4, 4), date(2025, 4, 6))
    | days(date(2025, 5, 1), date(2025, 5, 5))
    | days(date(2025, 5, 31), date(2025, 6, 2))
    | days(date(2025, 10, 1), date(2025, 10, 8))
)
WORKDAYS_2025 = {
    date(2025, 1, 26),
    date(2025, 2, 8),
    date(2025, 4, 27),
    date(2025, 9, 28),
    date(2025, 10, 11),
}

# 2026: 元旦 1/1–1/3 (上班 1/4 Sun); 春节 2/15–2/23 (上班 2/14 Sat, 2/28 Sat);
# 清明 4/4–4/6; 劳动节 5/1–5/5 (上班 5/9 Sat); 端午 6/19–6/21;
# 中秋 9/25–9/27; 国庆 10/1–10/7 (上班 9/20 Sun, 10/10 Sat).
HOLIDAYS_2026 = (
    days(date(2026, 1, 1), date(2026, 1, 3))
    | days(date(2026, 2, 15), date(2026, 2, 23))
    | days(date(2026, 4, 4), date(2026, 4, 6))
    | days(date(2026, 5, 1), date(2026, 5, 5))
    | days(date(2026, 6, 19), date(2026, 6, 21))
    | days(date(2026, 9, 25), date(2026, 9, 27))
    | days(date(2026, 10, 1), date(2026, 10, 7))
)
WORKDAYS_2026 = {
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
}

CAL = WorkCalendar.standard(
    holidays=HOLIDAYS_2025 | HOLIDAYS_2026,
    workdays=WORKDAYS_2025 | WORKDAYS_2026,
    known_years={2025, 2026},
)
ALWAYS = WorkCalendar.around_the_clock()


# --- Fixture data checks ------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_fixture_data_has_248_working_days(year):
    # Independent of the code under test: weekdays minus holidays plus make-up days.
    holidays, workdays = HOLIDAYS_2025 | HOLIDAYS_2026, WORKDAYS_2025 | WORKDAYS_2026
    every_day = days(date(year, 1, 1), date(year, 12, 31))
    count = sum(1 for d in every_day if (d.weekday() < 5 and d not in holidays) or d in workdays)
    assert count == 248


@pytest.mark.parametrize("year", [2025, 2026])
def test_calendar_agrees_on_248_working_days(year):
    every_day = days(date(year, 1, 1), date(year, 12, 31))
    assert sum(is_working_day(d, CAL) for d in every_day) == 248
    # One full year in a single call: 248 days × 9 h.
    assert working_time_between(sh(year, 1, 1), sh(year + 1, 1, 1), CAL) == 248 * 9 * H


def test_make_up_days_are_weekends():
    assert all(d.weekday() >= 5 for d in WORKDAYS_2025 | WORKDAYS_2026)
    assert not (HOLIDAYS_2025 | HOLIDAYS_2026) & (WORKDAYS_2025 | WORKDAYS_2026)


# --- is_working_day -----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 3, 10), True),  # plain Monday
        (date(2025, 3, 15), False),  # plain Saturday
        (date(2025, 1, 1), False),  # New Year, Wednesday
        (date(2025, 1, 25), False),  # Saturday before the make-up Sunday
        (date(2025, 1, 26), True),  # Sunday, Spring Festival make-up day
        (date(2025, 1, 28), False),  # 除夕, Tuesday
        (date(2025, 2, 4), False),  # last Spring Festival day, Tuesday
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday make-up day
        (date(2025, 4, 27), True),  # Sunday make-up for Labour Day
        (date(2025, 5, 5), False),  # Monday off
        (date(2025, 9, 28), True),  # Sunday make-up for National Day
        (date(2025, 10, 8), False),  # Wednesday off
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday make-up day
        (date(2026, 1, 2), False),  # Friday off
        (date(2026, 1, 4), True),  # Sunday make-up day
        (date(2026, 2, 14), True),  # Saturday make-up day
        (date(2026, 2, 23), False),  # Monday, last Spring Festival day
        (date(2026, 2, 28), True),  # Saturday make-up day
        (date(2026, 5, 9), True),  # Saturday make-up day
        (date(2026, 9, 20), True),  # Sunday make-up day
        (date(2026, 10, 7), False),  # Wednesday off
        (date(2026, 10, 10), True),  # Saturday make-up day
    ],
)
def test_is_working_day(day, expected):
    assert is_working_day(day, CAL) is expected


def test_is_working_day_takes_the_local_day_of_an_aware_datetime():
    # 2025-01-25 17:00 UTC is already Sunday 2025-01-26 01:00 in Beijing.
    assert is_working_day(datetime(2025, 1, 25, 17, 0, tzinfo=UTC), CAL) is True
    assert is_working_day(datetime(2025, 1, 25, 15, 0, tzinfo=UTC), CAL) is False


# --- add_working_days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Ordinary week (March 2025 has no holidays).
        (sh(2025, 3, 10, 10), 1, sh(2025, 3, 11, 10)),  # Mon -> Tue same time
        (sh(2025, 3, 14, 16), 1, sh(2025, 3, 17, 16)),  # Fri -> Mon same time
        (sh(2025, 3, 15, 10), 1, sh(2025, 3, 17, 17, 30)),  # Sat: whole of Monday
        (sh(2025, 3, 10, 8, 30), 1, sh(2025, 3, 10, 17, 30)),  # ends at interval end
        (sh(2025, 3, 10, 7), 1, sh(2025, 3, 10, 17, 30)),  # before opening
        (sh(2025, 3, 10, 18), 1, sh(2025, 3, 11, 17, 30)),  # after closing
        (sh(2025, 3, 10, 17, 30), 1, sh(2025, 3, 11, 17, 30)),  # exactly at closing
        (sh(2025, 3, 10, 12, 30), 1, sh(2025, 3, 11, 12, 30)),  # lunch time is working
        # Spring Festival 2025: 1/28–2/4 off, Sun 1/26 and Sat 2/8 worked.
        (sh(2025, 1, 27, 10), 1, sh(2025, 2, 5, 10)),
        (sh(2025, 1, 25, 20), 1, sh(2025, 1, 26, 17, 30)),  # Sat night -> make-up Sunday
        # Fri 1/24 +5: Sun 1/26, Mon 1/27, Wed 2/5, Thu 2/6, Fri 2/7.
        (sh(2025, 1, 24, 10), 5, sh(2025, 2, 7, 10)),
        (sh(2025, 1, 30, 10), 1, sh(2025, 2, 5, 17, 30)),  # start on a holiday
        (sh(2025, 2, 7, 10), 1, sh(2025, 2, 8, 10)),  # Fri -> make-up Saturday
        # Labour Day 2025: Fri 4/25 +3: Sun 4/27 (make-up), Mon 4/28, Tue 4/29.
        (sh(2025, 4, 25, 10), 3, sh(2025, 4, 29, 10)),
        (sh(2025, 4, 30, 15), 1, sh(2025, 5, 6, 15)),  # 5/1–5/5 off
        # National Day 2025: Fri 9/26 +5: Sun 9/28, Mon 9/29, Tue 9/30,
        # (10/1–10/8 off) Thu 10/9, Fri 10/10.
        (sh(2025, 9, 26, 10), 5, sh(2025, 10, 10, 10)),
        (sh(2025, 9, 30, 10), 3, sh(2025, 10, 11, 10)),  # 10/9, 10/10, Sat 10/11
        # Year boundary: 2026-01-01..03 off, Sun 1/4 worked.
        (sh(2025, 12, 31, 10), 1, sh(2026, 1, 4, 10)),
        (sh(2025, 12, 31, 10), 3, sh(2026, 1, 6, 10)),  # 1/4, Mon 1/5, Tue 1/6
        (sh(2026, 1, 1, 9), 1, sh(2026, 1, 4, 17, 30)),  # start on New Year's Day
        # Spring Festival 2026: 2/15–2/23 off, Sat 2/14 and Sat 2/28 worked.
        (sh(2026, 2, 13, 10), 1, sh(2026, 2, 14, 10)),
        (sh(2026, 2, 14, 10), 1, sh(2026, 2, 24, 10)),
        (sh(2026, 2, 14, 10), 5, sh(2026, 2, 28, 10)),  # 2/24, 25, 26, 27, Sat 2/28
        (sh(2026, 2, 15, 10), 3, sh(2026, 2, 26, 17, 30)),  # holiday start: 2/24–2/26
        # Labour Day 2026: Thu 4/30 +5: Wed 5/6, Thu 5/7, Fri 5/8, Sat 5/9, Mon 5/11.
        (sh(2026, 4, 30, 10), 5, sh(2026, 5, 11, 10)),
        # National Day 2026: same as chinese_calendar.find_workday(5, 2026-09-30):
        # 10/8, 10/9, Sat 10/10, Mon 10/12, Tue 10/13.
        (sh(2026, 9, 30, 10), 5, sh(2026, 10, 13, 10)),
        (sh(2026, 9, 18, 10), 1, sh(2026, 9, 20, 10)),  # Fri -> make-up Sunday
        (sh(2026, 9, 30, 18), 1, sh(2026, 10, 8, 17, 30)),  # major, filed after hours
        # Fractions: 0.5 day = 4.5 h; Mon 15:00 -> 2.5 h Mon + 2 h Tue.
        (sh(2025, 3, 10, 15), 0.5, sh(2025, 3, 11, 10, 30)),
        # 1.5 days = 13.5 h; Mon 10:00 -> 7.5 h Mon + 6 h Tue.
        (sh(2025, 3, 10, 10), Decimal("1.5"), sh(2025, 3, 11, 14, 30)),
        (sh(2025, 3, 10, 10), 0, sh(2025, 3, 10, 10)),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n, CAL) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        # 15 days without holidays: Mon 3/3 .. Fri 3/21 2025.
        (sh(2025, 3, 3, 8, 30), sh(2025, 3, 21, 17, 30)),
        # Across Spring Festival 2025: 1/20–1/24 (5), Sun 1/26 (6), 1/27 (7),
        # 2/5–2/7 (10), Sat 2/8 (11), 2/10–2/13 (15).
        (sh(2025, 1, 20, 8, 30), sh(2025, 2, 13, 17, 30)),
    ],
)
def test_fifteen_working_days(start, expected):
    assert add_working_days(start, 15, CAL) == expected


def test_sla_deadlines_for_a_complaint_filed_before_national_day_2026():
    filed = sh(2026, 9, 29, 11)  # Tuesday 11:00
    # Register: 1 day -> Wed 9/30 11:00.
    assert add_working_days(filed, 1, CAL) == sh(2026, 9, 30, 11)
    # Major: 1 day. Urgent: 3 days -> 9/30, 10/8, 10/9.
    assert add_working_days(filed, 3, CAL) == sh(2026, 10, 9, 11)
    # Ordinary: 5 days -> 9/30, 10/8, 10/9, Sat 10/10, Mon 10/12.
    assert add_working_days(filed, 5, CAL) == sh(2026, 10, 12, 11)


def test_result_is_utc():
    result = add_working_days(sh(2025, 3, 10, 10), 1, CAL)
    assert result.tzinfo is UTC
    assert result == datetime(2025, 3, 11, 2, 0, tzinfo=UTC)  # 10:00 Beijing = 02:00 UTC


def test_start_given_in_utc_is_read_in_the_calendar_zone():
    # 2025-03-10 00:00 UTC = Mon 08:00 Beijing (before opening) -> Mon 17:30 Beijing.
    assert add_working_days(datetime(2025, 3, 10, 0, 0, tzinfo=UTC), 1, CAL) == sh(
        2025, 3, 10, 17, 30
    )


# --- add_working_time (hours) ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (sh(2025, 3, 10, 8, 30), 9 * H, sh(2025, 3, 10, 17, 30)),  # not Tue 08:30
        (sh(2025, 3, 10, 17), 1 * H, sh(2025, 3, 11, 9)),
        (sh(2025, 3, 14, 17), 1 * H, sh(2025, 3, 17, 9)),  # over the weekend
        (sh(2025, 3, 10, 17, 30), 1 * MIN, sh(2025, 3, 11, 8, 31)),
        (sh(2025, 3, 10, 8, 29), 1 * MIN, sh(2025, 3, 10, 8, 31)),
        (sh(2025, 3, 10, 17, 30), timedelta(0), sh(2025, 3, 10, 17, 30)),
        (sh(2025, 3, 16, 3), timedelta(0), sh(2025, 3, 16, 3)),  # zero: start kept as is
        # Fri 9/26 17:00: 0.5 h, Sun 9/28 9 h, Mon 9/29 9 h (18.5 h), then
        # 5.5 h of Tue 9/30 -> 14:00.
        (sh(2025, 9, 26, 17), 24 * H, sh(2025, 9, 30, 14)),
        # 1 h on 12/31, then 1 h on make-up Sunday 2026-01-04.
        (sh(2025, 12, 31, 16, 30), 2 * H, sh(2026, 1, 4, 9, 30)),
        (sh(2025, 1, 27, 17), 1 * H, sh(2025, 2, 5, 9)),  # over Spring Festival
        (sh(2026, 2, 13, 17), 1 * H, sh(2026, 2, 14, 9)),  # into make-up Saturday
    ],
)
def test_add_working_time(start, duration, expected):
    assert add_working_time(start, duration, CAL) == expected


# --- working_time_between ---------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (sh(2025, 3, 10, 10), sh(2025, 3, 10, 12), 2 * H),
        (sh(2025, 3, 10, 7), sh(2025, 3, 10, 9), 30 * MIN),
        (sh(2025, 3, 10, 17), sh(2025, 3, 11, 9), 1 * H),
        (sh(2025, 3, 10, 10), sh(2025, 3, 10, 10), timedelta(0)),
        (sh(2025, 3, 15), sh(2025, 3, 16, 23, 59), timedelta(0)),  # weekend
        (sh(2025, 1, 28), sh(2025, 2, 5), timedelta(0)),  # Spring Festival
        # Fri 0.5 h + make-up Sun 1/26 9 h + Mon 0.5 h.
        (sh(2025, 1, 24, 17), sh(2025, 1, 27, 9), 10 * H),
        # 12/31 0.5 h + Sun 2026-01-04 9 h + Mon 1/5 0.5 h.
        (sh(2025, 12, 31, 17), sh(2026, 1, 5, 9), 10 * H),
        # 9/30 12:00–17:30 5.5 h, 10/8, 10/9, 10/10, 10/12 36 h, 10/13 3.5 h.
        (sh(2026, 9, 30, 12), sh(2026, 10, 13, 12), 45 * H),
        (sh(2025, 3, 11, 9), sh(2025, 3, 10, 17), -1 * H),  # reversed
        (sh(2026, 10, 13, 12), sh(2026, 9, 30, 12), -45 * H),
    ],
)
def test_working_time_between(a, b, expected):
    assert working_time_between(a, b, CAL) == expected


# --- Properties -------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59),
    timezones=st.just(SHANGHAI),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=40 * 9 * H)


@settings(deadline=None)
@given(start=starts, duration=durations)
def test_between_inverts_add(start, duration):
    end = add_working_time(start, duration, CAL)
    assert end >= start
    assert working_time_between(start, end, CAL) == duration
    assert working_time_between(end, start, CAL) == -duration


@settings(deadline=None)
@given(start=starts, later=starts)
def test_add_of_between_reaches_the_last_working_instant(start, later):
    elapsed = working_time_between(start, later, CAL)
    if elapsed < timedelta(0):
        return
    reached = add_working_time(start, elapsed, CAL)
    assert reached <= later.astimezone(UTC) or elapsed == timedelta(0)
    assert working_time_between(reached, later, CAL) == timedelta(0)


@settings(deadline=None)
@given(a=starts, b=starts, c=starts)
def test_between_is_additive(a, b, c):
    assert working_time_between(a, b, CAL) + working_time_between(
        b, c, CAL
    ) == working_time_between(a, c, CAL)


@settings(deadline=None)
@given(start=starts, d1=durations, d2=durations)
def test_add_is_additive(start, d1, d2):
    assert add_working_time(add_working_time(start, d1, CAL), d2, CAL) == add_working_time(
        start, d1 + d2, CAL
    )


# --- Refusals ------------------------------------------------------------------------

NAIVE = datetime(2025, 3, 10, 10, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_time(NAIVE, H, CAL),
        lambda: add_working_time(NAIVE, timedelta(0), CAL),
        lambda: add_working_days(NAIVE, 1, CAL),
        lambda: add_working_days(NAIVE, 1, ALWAYS),
        lambda: working_time_between(NAIVE, sh(2025, 3, 11), CAL),
        lambda: working_time_between(sh(2025, 3, 9), NAIVE, CAL),
        lambda: unverified_years(NAIVE, sh(2025, 3, 11), CAL),
        lambda: unverified_years(sh(2025, 3, 9), NAIVE, ALWAYS),
        lambda: is_working_day(NAIVE, CAL),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="naive"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_time(sh(2025, 3, 10), -MIN, CAL),
        lambda: add_working_time(sh(2025, 3, 10), -MIN, ALWAYS),
        lambda: add_working_days(sh(2025, 3, 10), -1, CAL),
        lambda: add_working_days(sh(2025, 3, 10), Decimal("-0.5"), CAL),
        lambda: add_working_days(sh(2025, 3, 10), float("nan"), CAL),
    ],
)
def test_negative_durations_are_refused(call):
    with pytest.raises(ValueError):
        call()


STANDARD_HOURS = (((time(8, 30), time(17, 30)),),) * 5 + ((), ())


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"hours": ((),) * 7}, "no working hours"),  # no working hours at all
        ({"hours": STANDARD_HOURS[:6]}, "7 entries"),  # 6 weekdays only
        ({"hours": (((time(17, 30), time(8, 30)),),) * 7}, "non-empty"),  # end before start
        ({"hours": (((time(8), time(12)), (time(11), time(14))),) * 7}, "non-overlapping"),
        ({"hours": STANDARD_HOURS, "zone": "Asia/Atlantis"}, "unknown time zone"),
        ({"hours": STANDARD_HOURS, "makeup_weekday": 7}, "makeup_weekday"),
        ({"hours": STANDARD_HOURS, "makeup_weekday": 5}, "no working hours"),  # Saturday is empty
        # A date cannot be both a holiday and a make-up workday.
        (
            {
                "hours": STANDARD_HOURS,
                "holidays": {date(2025, 1, 26)},
                "workdays": {date(2025, 1, 26)},
            },
            "both",
        ),
    ],
)
def test_invalid_calendars_are_refused(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        WorkCalendar(**{"zone": "Asia/Shanghai", **kwargs})


def test_endless_holidays_do_not_loop_forever():
    # Every day of 2025–2026 is a holiday: broken data must fail, not hang.
    cal = WorkCalendar.standard(holidays=days(date(2025, 1, 1), date(2026, 12, 31)))
    with pytest.raises(ValueError, match="no working time"):
        add_working_time(sh(2025, 1, 1), H, cal)


# --- unverified_years -----------------------------------------------------------------


def test_deadline_running_into_2027_is_unverified():
    start = sh(2026, 12, 28, 10)  # Monday
    # No 2027 data: 2027-01-01 (Friday) is counted as a plain working day:
    # 12/29 (1), 12/30 (2), 12/31 (3), 1/1 (4) -> exactly why it is unverified.
    deadline = add_working_days(start, 4, CAL)
    assert deadline == sh(2027, 1, 1, 10)
    assert unverified_years(start, deadline, CAL) == {2027}
    # Ordinary 5 days: 1/2–1/3 2027 are a plain weekend -> Mon 2027-01-04.
    deadline = add_working_days(start, 5, CAL)
    assert deadline == sh(2027, 1, 4, 10)
    assert unverified_years(start, deadline, CAL) == {2027}


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sh(2025, 1, 2), sh(2026, 12, 31, 17, 30), set()),
        (sh(2024, 12, 31, 10), sh(2025, 1, 3, 10), {2024}),
        (sh(2024, 12, 31, 10), sh(2028, 1, 3, 10), {2024, 2027, 2028}),
        (sh(2027, 1, 4), sh(2026, 12, 28), {2027}),  # order does not matter
        # Years are read in Beijing time: 2026-12-31 16:30 UTC is already 2027.
        (sh(2026, 12, 1), datetime(2026, 12, 31, 15, 30, tzinfo=UTC), set()),
        (sh(2026, 12, 1), datetime(2026, 12, 31, 16, 30, tzinfo=UTC), {2027}),
    ],
)
def test_unverified_years(start, end, expected):
    assert unverified_years(start, end, CAL) == expected


def test_unverified_years_is_empty_without_known_years_or_for_24x7():
    no_data = WorkCalendar.standard(known_years=None)
    assert unverified_years(sh(2030, 1, 1), sh(2031, 1, 1), no_data) == set()
    assert unverified_years(sh(2030, 1, 1), sh(2031, 1, 1), ALWAYS) == set()


# --- 24×7 calendar ------------------------------------------------------------------------


def test_around_the_clock_calendar():
    assert ALWAYS.day_length == 24 * H
    assert CAL.day_length == 9 * H
    # Holidays and weekends are ignored: Spring Festival Eve 2025 is working time.
    assert is_working_day(date(2025, 1, 28), ALWAYS) is True
    assert add_working_days(sh(2025, 1, 28, 3), 1, ALWAYS) == sh(2025, 1, 29, 3)
    assert add_working_time(sh(2025, 3, 16, 3), 2 * H, ALWAYS) == sh(2025, 3, 16, 5)  # Sunday night
    assert working_time_between(sh(2025, 9, 30, 12), sh(2025, 10, 8, 12), ALWAYS) == 8 * 24 * H
    assert working_time_between(sh(2025, 10, 8, 12), sh(2025, 9, 30, 12), ALWAYS) == -8 * 24 * H
    assert add_working_days(sh(2025, 1, 28, 3), 1, ALWAYS).tzinfo is UTC


@settings(deadline=None)
@given(start=starts, duration=durations)
def test_around_the_clock_inverse(start, duration):
    assert (
        working_time_between(start, add_working_time(start, duration, ALWAYS), ALWAYS) == duration
    )


# --- DST zone (local arithmetic through zoneinfo) -------------------------------------------


def test_dst_zone_uses_each_days_offset():
    # Berlin switches CET (UTC+1) -> CEST (UTC+2) on Sunday 2025-03-30.
    cal = WorkCalendar.standard(zone="Europe/Berlin")
    # Fri 3/28 17:00 CET + 1 h: 0.5 h Friday, 0.5 h Mon 3/31 -> 09:00 CEST = 07:00 UTC.
    result = add_working_time(datetime(2025, 3, 28, 17, 0, tzinfo=BERLIN), H, cal)
    assert result == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)


def test_dst_day_is_23_hours_long_for_an_all_day_local_calendar():
    whole_day = ((time(0), time(0)),)  # end time(0) = midnight ending the day
    cal = WorkCalendar(zone="Europe/Berlin", hours=(whole_day,) * 7)
    # Sat 3/29 (24 h) + Sun 3/30 (23 h, the 02:00–03:00 hour does not exist).
    sat, mon = datetime(2025, 3, 29, tzinfo=BERLIN), datetime(2025, 3, 31, tzinfo=BERLIN)
    assert working_time_between(sat, mon, cal) == 47 * H
    assert add_working_time(sat, 47 * H, cal) == mon


def test_24x7_in_a_dst_zone_counts_elapsed_time():
    cal = WorkCalendar.around_the_clock(zone="Europe/Berlin")
    # Sat 3/29 12:00 CET = 11:00 UTC; 24 elapsed hours later = Sun 13:00 CEST.
    result = add_working_days(datetime(2025, 3, 29, 12, 0, tzinfo=BERLIN), 1, cal)
    assert result == datetime(2025, 3, 30, 13, 0, tzinfo=BERLIN)
