"""Reads for SLA: database rows turned into the pure calendar and policy objects."""

from datetime import time

from django.db.models import Min, OuterRef, Prefetch, Q, Subquery

from complaints import selectors as complaint_selectors
from complaints.models import Complaint
from kernel import memo
from kernel.settings_cache import cached

from .calendar import WorkCalendar
from .models import (
    BusinessCalendar,
    CalendarDay,
    CalendarYear,
    Clock,
    ClockState,
    Escalation,
    SlaPolicy,
    SlaTarget,
)
from .policy import ComplaintFacts, PolicyRule, Target

CALENDAR_TABLES = ("sla_calendarday", "sla_calendaryear", "sla_businesscalendar")
POLICY_TABLES = ("sla_slapolicy", "sla_slatarget", "complaints_category")


def _parse_hours(raw: dict) -> tuple:
    def interval(pair):
        start, end = (time.fromisoformat(v) for v in pair)
        return (start, end)

    return tuple(tuple(interval(p) for p in raw.get(str(day), [])) for day in range(7))


def work_calendars() -> dict[int, WorkCalendar]:
    """Every business calendar by id, with the official days loaded from the table (kept until
    a calendar table changes: callers must not change what they get)."""
    return cached(CALENDAR_TABLES, "sla.work_calendars", _load_work_calendars)


def _load_work_calendars() -> dict[int, WorkCalendar]:
    holidays, workdays = set(), set()
    for day, is_workday in CalendarDay.objects.values_list("date", "is_workday"):
        (workdays if is_workday else holidays).add(day)
    known = frozenset(CalendarYear.objects.values_list("year", flat=True))
    calendars = {}
    for cal in BusinessCalendar.objects.all():
        if cal.always_open:
            calendars[cal.id] = WorkCalendar.around_the_clock(zone=cal.zone)
        else:
            calendars[cal.id] = WorkCalendar(
                zone=cal.zone, hours=_parse_hours(cal.hours), holidays=frozenset(holidays),
                workdays=frozenset(workdays), known_years=known,
                makeup_weekday=cal.makeup_weekday)
    return calendars


def standard_calendar_id() -> int | None:
    return cached(("sla_businesscalendar",), "sla.standard_calendar_id",
                  lambda: BusinessCalendar.objects.filter(code="standard")
                  .values_list("id", flat=True).first())


def standard_calendar() -> WorkCalendar:
    """The `standard` business calendar (official holidays and make-up days included): the one
    reports count working hours in and closing the loop counts working days in."""
    with memo.scope():  # the settings tokens read once for both
        calendars, standard_id = work_calendars(), standard_calendar_id()
    return (calendars.get(standard_id) or next(iter(calendars.values()), None)
            or WorkCalendar.standard())


def policy_rules() -> list[PolicyRule]:
    """The active deadline policies (kept until a policy table changes)."""
    return cached(POLICY_TABLES, "sla.policy_rules", _load_policy_rules)


def _load_policy_rules() -> list[PolicyRule]:
    policies = (SlaPolicy.objects.filter(is_active=True).select_related("category")
                .prefetch_related(Prefetch("targets", queryset=SlaTarget.objects.all())))
    return [
        PolicyRule(
            id=p.id, priority=p.priority, channel=p.channel, customer_tier=p.customer_tier,
            category_code=p.category.code if p.category else "",
            calendar_id=p.calendar_id, warning_percent=p.warning_percent,
            breach_level=p.breach_level, escalation_step_hours=p.escalation_step_hours,
            targets={t.metric: Target(t.amount, t.unit) for t in p.targets.all()})
        for p in policies
    ]


def complaint_facts(complaint: Complaint) -> ComplaintFacts:
    category = complaint.category
    return ComplaintFacts(
        priority=complaint.priority, channel=complaint.channel,
        customer_tier=complaint.customer.tier,
        category_code=category.code if category else "",
        parent_category_code=category.parent.code if category and category.parent_id else "")


def escalation_queue(*, user, level: int | None = None, department: str = "",
                     category: str = ""):
    """Open escalations, most overdue first, then the least time left.

    Each row carries `nearest_due`: the earliest due time among the complaint's clocks that
    are still running or already late.
    """


    if not user.has_perm("sla.view_escalation"):
        return Escalation.objects.none()
    active = Clock.objects.filter(complaint=OuterRef("complaint"),
                                  state__in=[ClockState.RUNNING, ClockState.BREACHED])
    nearest = active.values("complaint").annotate(first=Min("due_at")).values("first")
    nearest_verified = active.order_by("due_at").values("due_verified")[:1]
    queryset = (Escalation.objects.filter(
        complaint_selectors.complaint_scope(user=user, prefix="complaint__"), is_open=True)
                .select_related("complaint", "complaint__customer", "complaint__category",
                                "complaint__category__parent",
                                "complaint__assigned_department", "complaint__assigned_agent",
                                "acknowledged_by")
                .annotate(nearest_due=Subquery(nearest),
                          due_verified=Subquery(nearest_verified))
                .order_by("nearest_due", "-level", "escalated_at"))
    if level:
        queryset = queryset.filter(level=level)
    if department:
        queryset = queryset.filter(complaint__assigned_department__code=department)
    if category:
        queryset = queryset.filter(Q(complaint__category__code=category)
                                   | Q(complaint__category__parent__code=category))
    return queryset
