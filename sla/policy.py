"""Which targets apply to a complaint, and deadline maths on top of sla.calendar. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from .calendar import WorkCalendar, add_working_days, add_working_time, working_time_between

WORKING_DAYS, WORKING_HOURS = "working_days", "working_hours"
CALENDAR_DAYS, CALENDAR_HOURS = "calendar_days", "calendar_hours"
MAX_LEVEL = 3


@dataclass(frozen=True)
class Target:
    amount: Decimal
    unit: str

    @property
    def is_working_time(self) -> bool:
        return self.unit in (WORKING_DAYS, WORKING_HOURS)


@dataclass(frozen=True)
class PolicyRule:
    id: int
    priority: str = ""
    category_code: str = ""
    channel: str = ""
    customer_tier: str = ""
    calendar_id: int | None = None  # None: the standard calendar
    warning_percent: int = 75
    breach_level: int = 1
    escalation_step_hours: Decimal = Decimal(9)
    targets: dict[str, Target] = field(default_factory=dict)

    def matches(self, facts: ComplaintFacts) -> bool:
        return (
            (not self.priority or self.priority == facts.priority)
            and (not self.channel or self.channel == facts.channel)
            and (not self.customer_tier or self.customer_tier == facts.customer_tier)
            and (not self.category_code
                 or self.category_code in (facts.category_code, facts.parent_category_code))
        )

    @property
    def specificity(self) -> tuple[int, int]:
        fields = (self.priority, self.category_code, self.channel, self.customer_tier)
        return (sum(1 for f in fields if f), -self.id)


@dataclass(frozen=True)
class ComplaintFacts:
    priority: str
    channel: str
    customer_tier: str
    category_code: str = ""
    parent_category_code: str = ""


def targets_for(policies: list[PolicyRule], facts: ComplaintFacts
                ) -> dict[str, tuple[PolicyRule, Target]]:
    """For each metric, the target of the most specific matching policy (ties: oldest)."""
    chosen: dict[str, tuple[PolicyRule, Target]] = {}
    for policy in sorted((p for p in policies if p.matches(facts)),
                         key=lambda p: p.specificity, reverse=True):
        for metric, target in policy.targets.items():
            chosen.setdefault(metric, (policy, target))
    return chosen


def due_time(start: datetime, target: Target, cal: WorkCalendar) -> datetime:
    if target.unit == WORKING_DAYS:
        return add_working_days(start, target.amount, cal)
    if target.unit == WORKING_HOURS:
        return add_working_time(start, timedelta(hours=float(target.amount)), cal)
    if target.unit == CALENDAR_DAYS:
        return start + timedelta(days=float(target.amount))
    if target.unit == CALENDAR_HOURS:
        return start + timedelta(hours=float(target.amount))
    raise ValueError(f"unknown unit {target.unit!r}")


def elapsed(a: datetime, b: datetime, target: Target, cal: WorkCalendar) -> timedelta:
    """Time between a and b as the target counts it (working or calendar time)."""
    return working_time_between(a, b, cal) if target.is_working_time else b - a


def advance(start: datetime, duration: timedelta, target: Target, cal: WorkCalendar) -> datetime:
    return add_working_time(start, duration, cal) if target.is_working_time else start + duration


def warning_time(start: datetime, due: datetime, percent: int, target: Target,
                 cal: WorkCalendar) -> datetime:
    """The instant when `percent` of the allowed time has been used."""
    allowed = elapsed(start, due, target, cal)
    return advance(start, allowed * percent / 100, target, cal)


def next_escalation_time(due: datetime, level: int, breach_level: int, step_hours: Decimal,
                         target: Target, cal: WorkCalendar) -> datetime | None:
    """When the clock reaches the level after `level` (None once at the top).

    The breach itself (at `due`) escalates to `breach_level`; every `step_hours` of further
    lateness adds a level, up to MAX_LEVEL.
    """
    if level >= MAX_LEVEL:
        return None
    if level < breach_level:
        return due
    steps = level - breach_level + 1
    return advance(due, timedelta(hours=float(step_hours)) * steps, target, cal)


def level_at(now: datetime, due: datetime, breach_level: int, step_hours: Decimal,
             target: Target, cal: WorkCalendar) -> int:
    """The escalation level a clock due at `due` should have at `now`."""
    if now < due:
        return 0
    late = elapsed(due, now, target, cal)
    step = timedelta(hours=float(step_hours))
    return min(MAX_LEVEL, breach_level + int(late / step))
