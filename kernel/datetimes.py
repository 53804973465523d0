"""Checks on datetimes. Pure Python (no Django): the working-time and quiet-hours arithmetic
(sla/calendar.py, notifications/contact_hours.py) use it and stay testable on their own."""

from datetime import datetime


def require_aware(value: datetime, name: str = "instant") -> datetime:
    """`value` if it is a timezone-aware datetime; TypeError or ValueError otherwise."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive time is ambiguous (server zone? Beijing? UTC?); guessing would silently shift
        # deadlines and quiet hours by hours.
        raise ValueError(f"{name} is a naive datetime ({value}); pass a timezone-aware datetime")
    return value
