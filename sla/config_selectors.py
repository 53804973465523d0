"""Reads for the deadline settings pages and the "deadline not verified" warning."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from complaints.models import Category

from . import holidays
from .calendar_services import calendar_missing_years, format_day_hours
from .models import (
    BusinessCalendar,
    CalendarDay,
    CalendarYear,
    Clock,
    ClockState,
    DurationUnit,
    Metric,
    SlaPolicy,
    SlaTarget,
)
from .policy_services import format_amount

OPEN_CLOCK_STATES = {ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED}


# --- policies ----------------------------------------------------------------------------------


@dataclass
class PolicyRow:
    policy: SlaPolicy
    match: list[str]
    targets: list[str | None]  # one per metric, in Metric order; None: not set here
    step_hours: str = ""

    @property
    def is_default(self) -> bool:
        return not self.match


def metric_labels() -> list[str]:
    return [str(label) for label in Metric.labels]


def target_text(amount, unit: str) -> str:
    """"5 working days", "4 working hours"."""
    return f"{format_amount(amount)} {DurationUnit(unit).label}"


def policy_match_labels(policy: SlaPolicy) -> list[str]:
    labels = []
    if policy.priority:
        labels.append(policy.get_priority_display())
    if policy.category_id:
        labels.append(policy.category.full_label)
    if policy.channel:
        labels.append(policy.get_channel_display())
    if policy.customer_tier:
        labels.append(policy.get_customer_tier_display())
    return [str(label) for label in labels]


def policy_rows() -> list[PolicyRow]:
    """Active policies first, the default one at the top, then by specificity and age."""
    policies = (SlaPolicy.objects.select_related("category__parent", "calendar")
                .prefetch_related(Prefetch("targets", queryset=SlaTarget.objects.all())))
    rows = []
    for policy in policies:
        by_metric = {t.metric: target_text(t.amount, t.unit) for t in policy.targets.all()}
        rows.append(PolicyRow(policy, policy_match_labels(policy),
                              [by_metric.get(m) for m in Metric.values],
                              format_amount(policy.escalation_step_hours)))
    rows.sort(key=lambda r: (not r.policy.is_active, len(r.match), r.policy.pk))
    return rows


def policy_for_edit(policy_id: int) -> SlaPolicy:
    return (SlaPolicy.objects.select_related("category__parent", "calendar")
            .prefetch_related("targets").get(pk=policy_id))


def category_choices(*, keep: int | None = None) -> list[tuple[int, str]]:
    """Active top-level categories followed by their children, labelled "parent / child";
    `keep` stays listed even if retired, so editing its policy does not lose it."""
    categories = list(Category.objects.filter(Q(is_active=True) | Q(pk=keep))
                      .select_related("parent"))
    parents = sorted((c for c in categories if not c.parent_id),
                     key=lambda c: (c.sort_order, c.code))
    children = {}
    for c in categories:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    listed = {c.pk for c in parents}
    orphans = [c for c in categories if c.parent_id and c.parent_id not in listed]
    choices = []
    for parent in parents:
        choices.append((parent.pk, parent.label))
        for child in sorted(children.get(parent.pk, []), key=lambda c: (c.sort_order, c.code)):
            choices.append((child.pk, child.full_label))
    return choices + [(c.pk, c.full_label) for c in orphans]


# --- calendars ---------------------------------------------------------------------------------


@dataclass
class CalendarRow:
    calendar: BusinessCalendar
    week: list[str]  # "08:30-17:30" per weekday, "" when closed


def calendar_rows() -> list[CalendarRow]:
    return [CalendarRow(cal, [format_day_hours(cal.hours.get(str(d), [])) for d in range(7)])
            for cal in BusinessCalendar.objects.order_by("always_open", "code")]


@dataclass
class YearStatus:
    year: int
    entry: CalendarYear | None
    holidays: int = 0
    workdays: int = 0
    admin_days: int = 0
    in_package: bool = False

    @property
    def known(self) -> bool:
        return self.entry is not None

    @property
    def by_hand(self) -> bool:
        return self.entry is not None and self.entry.source == "admin"


@dataclass
class CalendarOverview:
    today: date
    missing: list[int]
    years: list[YearStatus] = field(default_factory=list)
    package_source: str = ""
    package_years: list[int] = field(default_factory=list)


def calendar_overview(*, today: date | None = None) -> CalendarOverview:
    """Every year that is known, has special days, is in the package, or is this or next year;
    newest first."""
    today = today or timezone.localdate()
    entries = {e.year: e for e in CalendarYear.objects.all()}
    package_years = holidays.official_years()
    counts: Counter = Counter()
    for day, is_workday, source in CalendarDay.objects.values_list("date", "is_workday",
                                                                   "source"):
        counts[(day.year, "workdays" if is_workday else "holidays")] += 1
        if source == "admin":
            counts[(day.year, "admin")] += 1
    years = set(entries) | {y for y, _kind in counts} | set(package_years) | {
        today.year, today.year + 1}
    return CalendarOverview(
        today=today, missing=calendar_missing_years(today=today),
        package_source=holidays.package_source(), package_years=package_years,
        years=[YearStatus(y, entries.get(y), counts[(y, "holidays")], counts[(y, "workdays")],
                          counts[(y, "admin")], y in package_years)
               for y in sorted(years, reverse=True)])


def year_status(year: int) -> YearStatus:
    days = CalendarDay.objects.filter(date__year=year)
    return YearStatus(
        year, CalendarYear.objects.filter(year=year).first(),
        holidays=days.filter(is_workday=False).count(),
        workdays=days.filter(is_workday=True).count(),
        admin_days=days.filter(source="admin").count(),
        in_package=year in holidays.official_years())


def calendar_days(year: int) -> list[CalendarDay]:
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


# --- the warning where staff see deadlines -----------------------------------------------------


@dataclass
class UnverifiedDeadlines:
    clocks: list[Clock]
    years: list[int]  # years without official data that these deadlines run through


def unverified_deadlines(clocks: Iterable[Clock]) -> dict:
    """Context for templates/sla/_unverified_warning.html: {"sla_unverified": … or None}.

    Pass the complaint's clocks (already loaded); only open ones with an unverified due time
    count. One query, for the years now known.
    """
    flagged = [c for c in clocks if not c.due_verified and c.state in OPEN_CLOCK_STATES]
    if not flagged:
        return {"sla_unverified": None}
    touched = {y for c in flagged for y in range(_local_year(c.started_at),
                                                 _local_year(c.due_at) + 1)}
    known = set(CalendarYear.objects.filter(year__in=touched).values_list("year", flat=True))
    return {"sla_unverified": UnverifiedDeadlines(
        sorted(flagged, key=lambda c: c.due_at), sorted(touched - known))}


def _local_year(instant: datetime) -> int:
    return timezone.localtime(instant).year
