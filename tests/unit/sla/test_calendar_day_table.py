"""The working segments sla.calendar keeps per calendar and day (computed once, reused by every
deadline of a batch) give the same deadlines as a calendar computing them afresh: across the
2025/2026 holidays and make-up days, in a DST zone, and never another calendar's days."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import WorkCalendar, add_working_days, add_working_time, working_time_between
from tests.unit.sla.test_calendar import CAL, HOLIDAYS_2025, HOLIDAYS_2026, WORKDAYS_2025, sh

H = timedelta(hours=1)
LUNCH = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


def fresh(cal: WorkCalendar) -> WorkCalendar:
    """An equal calendar with nothing computed yet."""
    return replace(cal)


CALENDARS = [
    CAL,
    WorkCalendar(zone="Asia/Shanghai", hours=(LUNCH,) * 5 + ((), ()),
                 holidays=HOLIDAYS_2025 | HOLIDAYS_2026, workdays=WORKDAYS_2025),
    WorkCalendar.standard(zone="Europe/Berlin"),
]
starts = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2026, 12, 31),
                      timezones=st.just(UTC))
durations = st.timedeltas(min_value=timedelta(), max_value=timedelta(days=40))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(range(len(CALENDARS))), starts, durations,
       st.integers(min_value=0, max_value=20))
def test_kept_days_give_the_deadlines_of_a_fresh_calendar(which, start, duration, days):
    kept = CALENDARS[which]  # shared by every example: its days computed long ago, any order
    assert add_working_time(start, duration, kept) == add_working_time(
        start, duration, fresh(kept))
    assert add_working_days(start, days, kept) == add_working_days(start, days, fresh(kept))
    end = start + duration
    assert working_time_between(start, end, kept) == working_time_between(
        start, end, fresh(kept))


def test_spring_festival_and_make_up_days_after_the_days_were_kept():
    kept = fresh(CAL)
    # Keep every day of 2025 first, then ask across Spring Festival 2025 (1/28–2/4 off,
    # Sunday 1/26 and Saturday 2/8 worked): 1/24, Sun 1/26, 1/27, 2/5, 2/6.
    add_working_days(sh(2025, 1, 1, 9), 300, kept)
    assert add_working_days(sh(2025, 1, 23, 10), 5, kept) == sh(2025, 2, 6, 10)
    assert add_working_days(sh(2025, 2, 7, 10), 1, kept) == sh(2025, 2, 8, 10)


def test_a_calendar_never_uses_another_calendars_days():
    with_holiday = WorkCalendar.standard(holidays={date(2025, 3, 10)})
    plain = WorkCalendar.standard()
    monday = sh(2025, 3, 10, 9)
    assert add_working_time(monday, H, with_holiday) == sh(2025, 3, 11, 9, 30)
    assert add_working_time(monday, H, plain) == sh(2025, 3, 10, 10)
    assert add_working_time(monday, H, with_holiday) == sh(2025, 3, 11, 9, 30)


def test_kept_days_leave_equality_and_hashing_alone():
    kept, other = fresh(CAL), fresh(CAL)
    add_working_days(sh(2025, 6, 3, 9), 30, kept)
    assert kept == other and hash(kept) == hash(other)
    assert kept.day_length == other.day_length == 9 * H
