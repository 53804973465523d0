"""Input limits: the caps on every text that enters the system, and the checks that apply them.

One place for every cap (docs/security.md, "Input limits", lists them with their settings). The
numbers live in settings (INPUT_MAX_*, INPUT_JSON_*, RECEIVED_AT_*) so an operator can change
them without code; the checks here are pure functions that raise `InvalidInput` naming the field
and the cap, which the API answers with a 400 and the forms show beside the field.

Why refuse rather than store: PostgreSQL cannot store a NUL character in text, a lone surrogate
cannot be encoded as UTF-8, and a description of hundreds of thousands of characters overflows
the search index and makes the complaint page megabytes long. Each gave a 500 (issue 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from kernel.errors import InvalidInput


@dataclass(frozen=True)
class TextCap:
    field: str
    setting: str
    default: int
    what: str  # for docs/security.md

    @property
    def limit(self) -> int:
        return int(getattr(settings, self.setting, self.default))


# The caps of the complaint's text, whatever channel it came by. Model columns with a
# max_length are never above the cap (a value over it would fail in the database instead).
TEXT_CAPS = {cap.field: cap for cap in (
    TextCap("description", "INPUT_MAX_DESCRIPTION", 5000, "complaint description"),
    TextCap("subject", "INPUT_MAX_SUBJECT", 200, "complaint subject"),
    TextCap("customer_name", "INPUT_MAX_NAME", 100, "customer name"),
    TextCap("customer_email", "INPUT_MAX_EMAIL", 254, "customer email address"),
    TextCap("service_number", "INPUT_MAX_SERVICE_NUMBER", 40, "account or service number"),
    TextCap("location", "INPUT_MAX_LOCATION", 200, "location"),
    TextCap("category_code", "INPUT_MAX_CATEGORY", 100, "category code or name"),
    TextCap("store", "INPUT_MAX_STORE", 200, "store name"),
    TextCap("regulator_case_no", "INPUT_MAX_REGULATOR_CASE_NO", 64, "regulator case number"),
    TextCap("external_id", "INPUT_MAX_EXTERNAL_ID", 255, "id of the message at its source"),
)}


def cap(field: str) -> int:
    return TEXT_CAPS[field].limit


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None. Length is checked apart (text_check)."""
    if "\x00" in value:
        return _("it contains a NUL character (\\u0000), which text may not contain.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _("it contains a lone surrogate (such as \\ud800), which is not valid "
                     "Unicode text.")
    return None


def text_check(value: str, *, field: str, limit: int | None = None) -> str:
    """`value`, or InvalidInput naming `field` (and its cap when it is too long)."""
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput(_("The field “%(field)s” was refused: %(problem)s") % {
            "field": field, "problem": problem}, field=field)
    limit = cap(field) if limit is None else limit
    if len(value) > limit:
        raise InvalidInput(_("The field “%(field)s” is %(length)d characters long; at most "
                             "%(limit)d are allowed.") % {
            "field": field, "length": len(value), "limit": limit}, field=field)
    return value


def text_fit(value: str, *, field: str, note: str = "") -> str:
    """`value` made storable instead of refused: NUL characters removed, lone surrogates
    replaced by U+FFFD, and cut at the cap with `note` appended (the note counts)."""
    value = value.replace("\x00", "")
    value = value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value
    limit = cap(field)
    if len(value) <= limit:
        return value
    return value[: max(0, limit - len(note))] + note


# --- received_at ------------------------------------------------------------------------------

def received_at_window(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest `received_at` accepted at `now`: not before RECEIVED_AT_EARLIEST
    (a date) nor more than RECEIVED_AT_MAX_AGE_DAYS ago, not more than
    RECEIVED_AT_FUTURE_MINUTES ahead (senders' clocks run a little fast)."""
    floor = getattr(settings, "RECEIVED_AT_EARLIEST", date(2000, 1, 1))
    earliest = max(datetime(floor.year, floor.month, floor.day, tzinfo=UTC),
                   now - timedelta(days=getattr(settings, "RECEIVED_AT_MAX_AGE_DAYS", 3650)))
    latest = now + timedelta(minutes=getattr(settings, "RECEIVED_AT_FUTURE_MINUTES", 5))
    return earliest, latest


def received_at_check(moment: datetime, *, now: datetime, field: str = "received_at") -> None:
    earliest, latest = received_at_window(now)
    if moment < earliest:
        raise InvalidInput(_("The field “%(field)s” (%(value)s) is too far in the past: it may "
                             "not be before %(earliest)s.") % {
            "field": field, "value": moment.isoformat(), "earliest": earliest.isoformat()},
            field=field)
    if moment > latest:
        raise InvalidInput(_("The field “%(field)s” (%(value)s) is in the future: it may be at "
                             "most a few minutes after now (%(latest)s).") % {
            "field": field, "value": moment.isoformat(), "latest": latest.isoformat()},
            field=field)


def received_at_within(moment: datetime, *, now: datetime) -> bool:
    earliest, latest = received_at_window(now)
    return earliest <= moment <= latest
