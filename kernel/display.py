"""How values are written for people: on pages, in messages and in exported files."""

from datetime import datetime

from django.utils import timezone


def local_minute(value: datetime | None) -> str:
    """A moment in the current time zone to the minute ("2026-03-01 14:05"); "" for None."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def formula_safe(cell):
    """A spreadsheet cell (CSV or XLSX) that Excel would run as a formula (= + - @ first) is
    written as text; other cells are returned as they are."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return cell
