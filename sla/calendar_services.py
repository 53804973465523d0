"""Writes to the business calendars: the official days off and make-up working days, admins'
corrections, working hours, and the yearly check that next year's arrangement is loaded.

Deadline code reads only the CalendarDay / CalendarYear tables (sla.selectors.work_calendars);
the chinesecalendar package is read here, when an administrator or the command loads it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kernel.errors import InvalidInput
from kernel.permissions import actor_must_have
from kernel.roles import ADMINISTRATOR
from notifications.models import Notification
from notifications.services import staff_notify

from . import holidays
from .calendar import WorkCalendar
from .config_audit import audit
from .models import BusinessCalendar, CalendarDay, CalendarYear

logger = logging.getLogger(__name__)

ADMIN_SOURCE = "admin"
CALENDAR_MISSING = "calendar_missing"
WEEKDAYS = range(7)


class UnknownCalendarYear(InvalidInput):
    """The installed chinesecalendar has no official data for a year; we never guess it."""


# --- official data -------------------------------------------------------------------------


def calendar_load_official(*, years: list[int] | None = None) -> dict:
    """Copy the package's days off and make-up days for `years` (default: every year it knows)
    into CalendarDay and mark the years known.

    Idempotent. Rows an admin wrote (source "admin") are kept as they are; other rows of those
    years that the package no longer lists (a corrected release) are removed.
    """
    available = holidays.official_years()
    wanted = sorted(set(available if years is None else years))
    unknown = [y for y in wanted if y not in available]
    if unknown:
        raise UnknownCalendarYear(_(
            "The installed holiday package (%(source)s) has no official data for %(years)s; "
            "it knows %(first)s–%(last)s. Update the package, or enter the days by hand and "
            "mark the year verified.") % {
            "source": holidays.package_source(), "years": ", ".join(map(str, unknown)),
            "first": available[0], "last": available[-1]}, field="year")
    source = holidays.package_source()
    official = holidays.official_days(wanted)
    report = {year: {"holidays": 0, "workdays": 0, "created": 0, "updated": 0,
                     "unchanged": 0, "kept_admin": 0, "removed": 0} for year in wanted}
    with transaction.atomic():
        existing = {d.date: d for d in CalendarDay.objects.select_for_update().filter(
            date__year__in=wanted)}
        new, changed = [], []
        for day, is_workday, name in official:
            counts = report[day.year]
            counts["workdays" if is_workday else "holidays"] += 1
            row = existing.pop(day, None)
            if row is None:
                new.append(CalendarDay(date=day, is_workday=is_workday, name=name, source=source))
                counts["created"] += 1
            elif row.source == ADMIN_SOURCE:
                counts["kept_admin"] += 1
            elif (row.is_workday, row.name, row.source) != (is_workday, name, source):
                row.is_workday, row.name, row.source = is_workday, name, source
                changed.append(row)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        stale = [row for row in existing.values() if row.source != ADMIN_SOURCE]
        for row in stale:
            report[row.date.year]["removed"] += 1
        CalendarDay.objects.filter(pk__in=[row.pk for row in stale]).delete()
        CalendarDay.objects.bulk_create(new)
        CalendarDay.objects.bulk_update(changed, ["is_workday", "name", "source"])
        now = timezone.now()
        for year in wanted:
            CalendarYear.objects.update_or_create(
                year=year, defaults={"source": source, "loaded_at": now})
    logger.info("calendar: loaded %s from %s", wanted, source)
    return {"source": source, "years": report}


# --- admins' corrections -------------------------------------------------------------------


def _require(actor, *perms: str) -> None:
    actor_must_have(actor, *perms, message=_("You may not change the business calendars."))


def calendar_day_set(*, actor, date: date, is_workday: bool, name: str) -> CalendarDay:
    """Create or correct one special day. Admin rows survive every later official load."""
    _require(actor, "sla.add_calendarday", "sla.change_calendarday")
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the day a name, e.g. 春节 or 国庆节调休上班."), field="name")
    if len(name) > CalendarDay._meta.get_field("name").max_length:
        raise InvalidInput(_("The name is too long (at most 60 characters)."), field="name")
    with transaction.atomic():
        old = CalendarDay.objects.select_for_update().filter(date=date).first()
        day, created = CalendarDay.objects.update_or_create(
            date=date, defaults={"is_workday": is_workday, "name": name, "source": ADMIN_SOURCE})
        audit(actor, day, created=created, message=_describe_change(old, day))
    return day


def calendar_day_delete(*, actor, date: date) -> None:
    """Remove a special day: it becomes an ordinary day of its weekday again.

    A day the package lists comes back on the next official load; to overrule the package
    for good, set the day instead.
    """
    _require(actor, "sla.delete_calendarday")
    with transaction.atomic():
        day = CalendarDay.objects.select_for_update().filter(date=date).first()
        if day is None:
            raise InvalidInput(_("There is no special day on %(date)s.") % {"date": date})
        audit(actor, day, deleted=True, message=_describe_change(day, None))
        day.delete()


def calendar_year_mark_verified(*, actor, year: int) -> CalendarYear:
    """An administrator vouches that `year`'s days off and make-up days are all entered.

    For when the State Council has published the arrangement but the package is not updated
    yet. Deadlines in the year then count as verified.
    """
    _require(actor, "sla.add_calendaryear")
    if not 2000 <= year <= 2100:
        raise InvalidInput(_("Choose a year between 2000 and 2100."), field="year")
    if not CalendarDay.objects.filter(date__year=year).exists():
        raise InvalidInput(_(
            "No special days are entered for %(year)s. Enter its days off and make-up working "
            "days first, then mark the year verified.") % {"year": year}, field="year")
    entry, created = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": ADMIN_SOURCE, "loaded_at": timezone.now()})
    audit(actor, entry, created=created, message=_("Marked %(year)s verified by hand.") % {
        "year": year})
    return entry


def _describe_change(old: CalendarDay | None, new: CalendarDay | None) -> str:
    def text(day):
        kind = _("make-up working day") if day.is_workday else _("day off")
        return f"{day.date} {kind} {day.name} ({day.source or '—'})"

    if old is None:
        return _("Added %(day)s") % {"day": text(new)}
    if new is None:
        return _("Removed %(day)s") % {"day": text(old)}
    return _("Changed %(old)s → %(new)s") % {"old": text(old), "new": text(new)}


# --- working hours --------------------------------------------------------------------------


def parse_day_hours(text: str) -> list[list[str]]:
    """"08:30-12:00, 13:30-17:30" → [["08:30", "12:00"], ["13:30", "17:30"]]; blank: closed.

    "24:00" as an end means midnight at the end of the day (stored "00:00", as sla.calendar
    expects). Raises ValueError with a message for the user.
    """
    intervals = []
    for part in (text or "").replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        part = part.strip().replace("–", "-").replace("—", "-").replace("～", "-")
        if not part:
            continue
        if part.count("-") != 1:
            raise ValueError(_("“%(part)s” is not a time range like 08:30-17:30.") % {
                "part": part})
        opens, closes = (_parse_clock(v.strip(), part) for v in part.split("-"))
        if closes != "24:00" and closes <= opens:
            raise ValueError(_("In “%(part)s” the end must be after the start.") % {
                "part": part})
        if intervals and opens < intervals[-1][1]:
            raise ValueError(_("The ranges must be in order and must not overlap."))
        intervals.append([opens, closes])
    return [[o, "00:00" if c == "24:00" else c] for o, c in intervals]


def _parse_clock(value: str, part: str) -> str:
    try:
        hours, minutes = value.split(":")
        h, m = int(hours), int(minutes)
    except ValueError:
        h = m = -1
    if not (0 <= h <= 23 and 0 <= m <= 59) and (h, m) != (24, 0):
        raise ValueError(_("“%(part)s” is not a time range like 08:30-17:30.") % {"part": part})
    return f"{h:02d}:{m:02d}"


def _shown_end(end: str) -> str:
    return "24:00" if end == "00:00" else end


def format_day_hours(intervals: list[list[str]]) -> str:
    """The inverse of parse_day_hours, for showing and editing."""
    return ", ".join(f"{o}-{_shown_end(c)}" for o, c in intervals)


def business_calendar_set_hours(*, actor, calendar_id: int, hours: dict[str, list],
                                makeup_weekday: int) -> BusinessCalendar:
    """Working hours per weekday ({"0": [["08:30", "17:30"]], …}, Monday is 0).

    Applies to deadlines started from now on; running deadlines keep their due time.
    """
    _require(actor, "sla.change_businesscalendar")
    with transaction.atomic():
        cal = BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
        if cal.always_open:
            raise InvalidInput(_("A 24×7 calendar has no working hours to edit."))
        hours = {str(d): [list(i) for i in hours.get(str(d), [])] for d in WEEKDAYS}
        _check_hours(hours, makeup_weekday)
        old = format_week(cal.hours)
        cal.hours, cal.makeup_weekday = hours, makeup_weekday
        cal.save(update_fields=["hours", "makeup_weekday"])
        audit(actor, cal, message=_("Working hours %(old)s → %(new)s") % {
            "old": old, "new": format_week(hours)})
    return cal


def format_week(hours: dict) -> str:
    return "; ".join(f"{d}: {format_day_hours(hours.get(str(d), [])) or '-'}" for d in WEEKDAYS)


def _check_hours(hours: dict[str, list], makeup_weekday: int) -> None:
    if not any(hours.values()):
        raise InvalidInput(_("A calendar needs working hours on at least one weekday."))
    if not 0 <= makeup_weekday <= 6 or not hours[str(makeup_weekday)]:
        raise InvalidInput(_(
            "Make-up working days use the hours of a weekday that has working hours; choose "
            "one that is open."), field="makeup_weekday")
    try:
        WorkCalendar(zone="Asia/Shanghai", makeup_weekday=makeup_weekday,
                     hours=tuple(tuple((time.fromisoformat(o), time.fromisoformat(c))
                                       for o, c in hours[str(d)]) for d in WEEKDAYS))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("These working hours are not valid: %(error)s") % {
            "error": exc}) from exc


# --- the December check ---------------------------------------------------------------------


def calendar_missing_years(*, today: date) -> list[int]:
    """Years that deadlines will soon fall into but that have no official data.

    The current year always; next year from 1 December (the State Council usually publishes
    it in November, and 15-day deadlines started in mid-December already reach into it).
    """
    wanted = [today.year] + ([today.year + 1] if today.month == 12 else [])
    known = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return [y for y in wanted if y not in known]


def calendar_check_next_year(*, today: date | None = None) -> bool:
    """Alert administrators (in-app and by email), at most once a day, while a year that
    deadlines reach is missing. Returns whether an alert was sent."""
    now = timezone.localtime()
    today = today or now.date()
    missing = calendar_missing_years(today=today)
    if not missing:
        return False
    zone = timezone.get_current_timezone()
    day_start = datetime.combine(today, time.min, tzinfo=zone)
    stamp = datetime.combine(today, now.time(), tzinfo=zone)
    with transaction.atomic():
        # Serialise concurrent checks (a doubled beat) on the calendar rows, so that the
        # second one sees the first one's notification.
        list(BusinessCalendar.objects.select_for_update().order_by("pk").values_list("pk"))
        admins = list(_administrators())
        already = Notification.objects.filter(
            kind=CALENDAR_MISSING, created_at__gte=day_start,
            created_at__lt=day_start + timedelta(days=1)).exists()
        if already or not admins:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            subject, message = _missing_message(missing)
        staff_notify(recipients=admins, kind=CALENDAR_MISSING, message=message,
                     created_at=stamp)
        addresses = sorted({u.email for u in admins if u.email})
        transaction.on_commit(lambda: send_mass_mail(
            [(subject, message, settings.DEFAULT_FROM_EMAIL, [a]) for a in addresses]))
    logger.warning("calendar: official data missing for %s; alerted %d administrators",
                   missing, len(admins))
    return True


def _administrators():
    return get_user_model().objects.filter(
        Q(groups__name=ADMINISTRATOR) | Q(is_superuser=True), is_active=True
    ).distinct().order_by("pk")


def _missing_message(missing: list[int]) -> tuple[str, str]:
    years = ", ".join(map(str, missing))
    subject = _("[Calendar] The official holiday arrangement for %(years)s is missing") % {
        "years": years}
    message = _(
        "The official days off and make-up working days for %(years)s are not loaded. Deadlines "
        "falling into %(years)s count ordinary weekdays and are marked unverified. Update the "
        "chinesecalendar package and run “manage.py sla_load_holidays --year %(first)s”, or "
        "enter the days by hand under Deadline settings › Calendars and mark the year "
        "verified.") % {"years": years, "first": missing[0]}
    return subject, message
