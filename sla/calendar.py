"""Working-time arithmetic on the Chinese official calendar.

Complaint deadlines are counted in working time: statutory holidays are
skipped and make-up working days on weekends (调休上班) count.  This module
is pure Python (no Django) so the rules can be tested exhaustively.

Definitions used throughout:

* A calendar day's working time is a list of local intervals; each is
  converted to UTC through zoneinfo on that very day, so DST zones work.
* Intervals are half-open ``[start, end)``; an end of ``time(0)`` means
  midnight at the end of the day (24:00).
* ``always_open`` calendars (24×7) use plain absolute time: a "day" is
  24 elapsed hours, holidays and local clock changes are irrelevant.
* The module never guesses holidays: years without loaded data are
  treated as plain weekly patterns and reported by ``unverified_years``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.datetimes import require_aware

__all__ = [
    "WorkCalendar",
    "add_working_days",
    "add_working_time",
    "is_working_day",
    "unverified_years",
    "working_time_between",
]

Interval = tuple[time, time]
DayHours = tuple[Interval, ...]

_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
# No real calendar is closed for a year on end; more idle days in a row
# means broken data (e.g. every day a holiday), and we would loop forever.
_MAX_IDLE_DAYS = 400

_STANDARD_DAY: DayHours = ((time(8, 30), time(17, 30)),)
_STANDARD_HOURS: tuple[DayHours, ...] = (_STANDARD_DAY,) * 5 + ((), ())
_WHOLE_DAY: DayHours = ((_MIDNIGHT, _MIDNIGHT),)


@dataclass(frozen=True)
class WorkCalendar:
    """Working hours plus the official holiday / make-up-day data.

    ``hours[weekday]`` (Monday=0) lists that weekday's working intervals.
    ``holidays`` are days off that would otherwise be working days;
    ``workdays`` are make-up working days, which use the hours of
    ``makeup_weekday``.  ``known_years`` lists the years whose official
    data was loaded (empty or None: no check wanted, e.g. 24×7).
    """

    zone: str
    hours: tuple[DayHours, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    known_years: frozenset[int] = field(default_factory=frozenset)
    always_open: bool = False
    makeup_weekday: int = 0

    def __post_init__(self) -> None:
        # Normalise containers so the instance stays hashable and immutable
        # even when callers pass lists or sets.
        _set(self, "hours", _normalise_hours(self.hours))
        _set(self, "holidays", _date_set(self.holidays, "holidays"))
        _set(self, "workdays", _date_set(self.workdays, "workdays"))
        _set(self, "known_years", frozenset(self.known_years or ()))
        _check_zone(self.zone)
        self._check_consistency()

    def _check_consistency(self) -> None:
        clash = self.holidays & self.workdays
        if clash:
            raise ValueError(f"dates are both holiday and make-up workday: {sorted(clash)}")
        if not 0 <= self.makeup_weekday <= 6:
            raise ValueError("makeup_weekday must be 0 (Monday) .. 6 (Sunday)")
        # The reference day defines both make-up days and day_length; an
        # empty one also means the calendar may have no working time at all.
        if not self.always_open and not self.hours[self.makeup_weekday]:
            raise ValueError("calendar has no working hours on its reference weekday")

    @classmethod
    def standard(
        cls,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        known_years: Iterable[int] | None = (),
        zone: str = "Asia/Shanghai",
    ) -> WorkCalendar:
        """Office calendar: 08:30–17:30 Monday–Friday, no lunch break."""
        return cls(
            zone=zone,
            hours=_STANDARD_HOURS,
            holidays=frozenset(holidays),
            workdays=frozenset(workdays),
            known_years=frozenset(known_years or ()),
        )

    @classmethod
    def around_the_clock(cls, *, zone: str = "Asia/Shanghai") -> WorkCalendar:
        """24×7 calendar: every instant is working time."""
        return cls(zone=zone, hours=(_WHOLE_DAY,) * 7, always_open=True)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def day_length(self) -> timedelta:
        """Working time of one standard working day (the reference weekday)."""
        if self.always_open:
            return _ONE_DAY
        found = self.__dict__.get("_day_length")
        if found is None:
            found = sum((_nominal(i) for i in self.hours[self.makeup_weekday]), timedelta())
            object.__setattr__(self, "_day_length", found)
        return found

    def hours_on(self, day: date) -> DayHours:
        """Local working intervals of a calendar day (ignores always_open)."""
        if day in self.workdays:
            return self.hours[self.makeup_weekday]
        if day in self.holidays:
            return ()
        return self.hours[day.weekday()]


# --------------------------------------------------------------- public API


def is_working_day(day: date, cal: WorkCalendar) -> bool:
    """Whether ``day`` has working time; an aware datetime means its local day."""
    if isinstance(day, datetime):
        day = require_aware(day, "day").astimezone(cal.tz).date()
    if cal.always_open:
        return True
    return bool(cal.hours_on(day))


def add_working_time(start: datetime, duration: timedelta, cal: WorkCalendar) -> datetime:
    """Instant (UTC) at which ``duration`` of working time has elapsed.

    A start outside working hours counts from the next working instant; a
    duration ending exactly at an interval's end returns that end.
    """
    start = _to_utc(start, "start")
    remaining = _require_duration(duration)
    if not remaining or cal.always_open:
        return start + remaining
    for seg_start, seg_end in _segments(start, cal):
        span = seg_end - seg_start
        # "<=" (not "<") so that landing on an interval end stays there
        # instead of jumping to the next working morning.
        if remaining <= span:
            return seg_start + remaining
        remaining -= span
    raise AssertionError("unreachable: _segments is infinite")  # pragma: no cover


def add_working_days(start: datetime, days: float | Decimal, cal: WorkCalendar) -> datetime:
    """``add_working_time(start, days * cal.day_length)``; days may be int, float or Decimal."""
    return add_working_time(start, _scale(cal.day_length, days), cal)


def working_time_between(a: datetime, b: datetime, cal: WorkCalendar) -> timedelta:
    """Working time in ``[a, b)``; negative (``-between(b, a)``) when b < a."""
    a, b = _to_utc(a, "a"), _to_utc(b, "b")
    if b < a:
        return -working_time_between(b, a, cal)
    if cal.always_open:
        return b - a
    total = timedelta()
    for seg_start, seg_end in _segments(a, cal):
        if seg_start >= b:
            break
        total += min(seg_end, b) - seg_start
    return total


def unverified_years(start: datetime, end: datetime, cal: WorkCalendar) -> set[int]:
    """Years touched by ``[start, end]`` (local) lacking official holiday data."""
    first = _to_utc(start, "start").astimezone(cal.tz).year
    last = _to_utc(end, "end").astimezone(cal.tz).year
    if cal.always_open or not cal.known_years:
        return set()
    low, high = min(first, last), max(first, last)
    return set(range(low, high + 1)) - cal.known_years


# ---------------------------------------------------------------- internals


def _segments(cursor: datetime, cal: WorkCalendar) -> Iterator[tuple[datetime, datetime]]:
    """Disjoint, increasing UTC working segments at or after ``cursor``.

    Both add_working_time and working_time_between consume this one
    generator, which is what makes them exact inverses of each other.
    """
    zone = cal.tz
    # Start one day early: cheap, and safe if a zone's offsets make the
    # previous local day's last interval end after our local midnight.
    day = cursor.astimezone(zone).date() - _ONE_DAY
    days = _day_table(cal)
    idle_days = 0
    while True:
        segments = days.get(day)
        if segments is None:
            segments = days[day] = tuple(_utc_intervals(day, cal.hours_on(day), zone))
        idle_days = 0 if segments else idle_days + 1
        if idle_days > _MAX_IDLE_DAYS:
            raise ValueError(f"calendar has no working time for {_MAX_IDLE_DAYS} days after {day}")
        for seg_start, seg_end in segments:
            seg_start = max(seg_start, cursor)
            if seg_end > seg_start:
                yield seg_start, seg_end
                cursor = seg_end
        day += _ONE_DAY


def _day_table(cal: WorkCalendar) -> dict[date, tuple[tuple[datetime, datetime], ...]]:
    """The calendar's UTC working segments by local day, computed once per day and kept on
    the (immutable) calendar: a batch plans thousands of deadlines over the same days. Not a
    dataclass field, so equality and hashing ignore it."""
    table = cal.__dict__.get("_day_segments")
    if table is None:
        table = {}
        object.__setattr__(cal, "_day_segments", table)
    return table


def _utc_intervals(
    day: date, intervals: DayHours, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    # Local wall-clock times are built on the actual day so the UTC offset
    # in force that day (DST or not) is the one applied.
    for opens, closes in intervals:
        end_day = day + _ONE_DAY if closes == _MIDNIGHT else day
        yield _local_to_utc(day, opens, zone), _local_to_utc(end_day, closes, zone)


def _local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _nominal(interval: Interval) -> timedelta:
    opens, closes = interval
    end = timedelta(days=1) if closes == _MIDNIGHT else _since_midnight(closes)
    return end - _since_midnight(opens)


def _since_midnight(at: time) -> timedelta:
    return timedelta(
        hours=at.hour, minutes=at.minute, seconds=at.second, microseconds=at.microsecond
    )


def _scale(unit: timedelta, factor: float | Decimal) -> timedelta:
    # Go through Decimal so int, float and Decimal all round the same way
    # (to the microsecond, half-even) and Decimal input is supported at all.
    if isinstance(factor, bool) or not isinstance(factor, (int, float, Decimal)):
        raise TypeError(f"days must be int, float or Decimal, not {type(factor).__name__}")
    amount = Decimal(factor)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"days must be a finite number >= 0, got {factor!r}")
    micro = (amount * (unit // _ONE_MICROSECOND)).to_integral_value(ROUND_HALF_EVEN)
    return timedelta(microseconds=int(micro))


def _require_duration(duration: timedelta) -> timedelta:
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, not {type(duration).__name__}")
    if duration < timedelta():
        raise ValueError(f"duration must not be negative, got {duration}")
    return duration


def _to_utc(value: datetime, name: str) -> datetime:
    return require_aware(value, name).astimezone(UTC)


def _check_zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise ValueError(f"unknown time zone {zone!r}") from exc


def _date_set(values: Iterable[date], name: str) -> frozenset[date]:
    days = frozenset(values or ())
    # datetime is a date subclass; a datetime here would never match a day.
    if any(isinstance(d, datetime) or not isinstance(d, date) for d in days):
        raise TypeError(f"{name} must contain datetime.date values only")
    return days


def _normalise_hours(hours: Iterable[Iterable[Interval]]) -> tuple[DayHours, ...]:
    week = tuple(tuple((opens, closes) for opens, closes in day) for day in hours)
    if len(week) != 7:
        raise ValueError(f"hours needs 7 entries (Monday..Sunday), got {len(week)}")
    for weekday, day in enumerate(week):
        _check_day(weekday, day)
    return week


def _check_day(weekday: int, day: DayHours) -> None:
    previous_end = timedelta()
    for opens, closes in day:
        if not (isinstance(opens, time) and isinstance(closes, time)):
            raise TypeError(f"weekday {weekday}: intervals must be (time, time) pairs")
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError(f"weekday {weekday}: use naive local times; the zone is cal.zone")
        begin = _since_midnight(opens)
        if _nominal((opens, closes)) <= timedelta() or begin < previous_end:
            raise ValueError(
                f"weekday {weekday}: intervals must be non-empty, sorted, non-overlapping"
            )
        previous_end = begin + _nominal((opens, closes))


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # frozen dataclass: only in __post_init__
