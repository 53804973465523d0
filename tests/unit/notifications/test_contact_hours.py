"""Unit tests for notifications.contact_hours: no customer contact 18:00–08:00 Beijing time.

Beijing is UTC+8 all year, so local 08:00 is 00:00 UTC the same day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from notifications.contact_hours import ContactWindow, is_contact_time, next_contact_time

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW = ContactWindow()


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "allowed", "expected_utc"),
    [
        (sh(2025, 6, 10, 17, 59), True, utc(2025, 6, 10, 9, 59)),  # last allowed minute
        (sh(2025, 6, 10, 18, 0), False, utc(2025, 6, 11, 0, 0)),  # -> 6/11 08:00 Beijing
        (sh(2025, 6, 10, 7, 59), False, utc(2025, 6, 10, 0, 0)),  # -> 6/10 08:00 Beijing
        (sh(2025, 6, 10, 23, 0), False, utc(2025, 6, 11, 0, 0)),  # -> 6/11 08:00 Beijing
        (sh(2025, 6, 10, 0, 0), False, utc(2025, 6, 10, 0, 0)),  # midnight -> same day 08:00
        (sh(2025, 6, 10, 8, 0), True, utc(2025, 6, 10, 0, 0)),  # opening is inclusive
        (sh(2025, 6, 10, 12, 30), True, utc(2025, 6, 10, 4, 30)),
        (sh(2025, 12, 31, 23, 0), False, utc(2026, 1, 1, 0, 0)),  # across the year end
        (sh(2025, 10, 1, 10, 0), True, utc(2025, 10, 1, 2, 0)),  # holidays are not quiet hours
        # Instants given in UTC are judged in Beijing time.
        (utc(2025, 6, 10, 9, 59), True, utc(2025, 6, 10, 9, 59)),  # 17:59 Beijing
        (utc(2025, 6, 10, 10, 0), False, utc(2025, 6, 11, 0, 0)),  # 18:00 Beijing
        (utc(2025, 6, 9, 23, 59), False, utc(2025, 6, 10, 0, 0)),  # 6/10 07:59 Beijing
    ],
)
def test_contact_window(instant, allowed, expected_utc):
    assert is_contact_time(instant, WINDOW) is allowed
    result = next_contact_time(instant, WINDOW)
    assert result.tzinfo is UTC
    assert (result.year, result.month, result.day, result.hour, result.minute) == (
        expected_utc.year,
        expected_utc.month,
        expected_utc.day,
        expected_utc.hour,
        expected_utc.minute,
    )


@pytest.mark.parametrize(
    ("instant", "expected_local"),
    [
        (sh(2025, 6, 10, 18, 0), (2025, 6, 11, 8, 0)),
        (sh(2025, 6, 10, 7, 59), (2025, 6, 10, 8, 0)),
        (sh(2025, 6, 10, 23, 0), (2025, 6, 11, 8, 0)),
    ],
)
def test_next_contact_time_is_eight_oclock_beijing(instant, expected_local):
    local = next_contact_time(instant).astimezone(SHANGHAI)
    assert (local.year, local.month, local.day, local.hour, local.minute) == expected_local


def test_default_window_is_eight_to_eighteen_shanghai():
    assert WINDOW == ContactWindow(zone="Asia/Shanghai", opens=time(8), closes=time(18))
    assert is_contact_time(sh(2025, 6, 10, 17, 59)) is True
    assert is_contact_time(sh(2025, 6, 10, 18, 0)) is False


def test_dst_zone_uses_the_offset_of_the_target_day():
    window = ContactWindow(zone="Europe/Berlin")
    berlin = ZoneInfo("Europe/Berlin")
    # Sat 2025-03-29 20:00 CET; Berlin moves to CEST overnight, so Sunday
    # 08:00 local is 06:00 UTC (not 07:00).
    assert next_contact_time(datetime(2025, 3, 29, 20, 0, tzinfo=berlin), window) == utc(
        2025, 3, 30, 6, 0
    )


@pytest.mark.parametrize("call", [is_contact_time, next_contact_time])
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="naive"):
        call(datetime(2025, 6, 10, 12, 0), WINDOW)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opens": time(18), "closes": time(8)},  # overnight windows are not supported
        {"opens": time(8), "closes": time(8)},
        {"zone": "Asia/Atlantis"},
    ],
)
def test_invalid_windows_are_refused(kwargs):
    with pytest.raises(ValueError):
        ContactWindow(**kwargs)
