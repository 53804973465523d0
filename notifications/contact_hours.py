"""Customer quiet hours: customers are never contacted 18:00–08:00 local.

Kept apart from the working calendar on purpose: quiet hours apply every
day, holidays included, while working time follows the official calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kernel.datetimes import require_aware

__all__ = ["ContactWindow", "is_contact_time", "next_contact_time"]


@dataclass(frozen=True)
class ContactWindow:
    """Daily window ``[opens, closes)`` in local time when contact is allowed."""

    zone: str = "Asia/Shanghai"
    opens: time = time(8, 0)
    closes: time = time(18, 0)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
            raise ValueError(f"unknown time zone {self.zone!r}") from exc
        # Windows crossing midnight are not a business need; refusing them
        # keeps "next opening" a same-day-or-tomorrow question.
        if not self.opens < self.closes:
            raise ValueError("opens must be earlier than closes (same day)")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("use naive local times; the zone is window.zone")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


DEFAULT_WINDOW = ContactWindow()


def is_contact_time(instant: datetime, window: ContactWindow = DEFAULT_WINDOW) -> bool:
    """Whether the customer may be contacted at ``instant`` (opens incl., closes excl.)."""
    local = require_aware(instant).astimezone(window.tz)
    return window.opens <= local.time() < window.closes


def next_contact_time(instant: datetime, window: ContactWindow = DEFAULT_WINDOW) -> datetime:
    """``instant`` itself if allowed, else the next local opening; always UTC."""
    local = require_aware(instant).astimezone(window.tz)
    if window.opens <= local.time() < window.closes:
        return instant.astimezone(UTC)
    day = local.date()
    if local.time() >= window.closes:
        day += timedelta(days=1)
    return _opening(day, window)


def _opening(day: date, window: ContactWindow) -> datetime:
    # Built on the actual day so that day's UTC offset applies (DST zones).
    return datetime.combine(day, window.opens, tzinfo=window.tz).astimezone(UTC)
