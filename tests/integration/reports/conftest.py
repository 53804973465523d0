"""A known data set around National Day 2025 (1–8 October off; Sunday 28 September and
Saturday 11 October are make-up working days), with the figures it must give.

Working hours are the standard calendar's: 08:30–17:30 on working days.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from complaints.models import Activity, Category, Complaint, Department
from reports.aggregates import rebuild_all
from reports.models import SubscriberCount
from reports.filters import ReportFilter
from sla.models import CalendarDay, Clock
from tests.factories import DepartmentFactory, StaffFactory, make_complaint

SHANGHAI = ZoneInfo("Asia/Shanghai")
RANGE = ReportFilter(date(2025, 9, 28), date(2025, 10, 10))


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@dataclass
class DataSet:
    c1: Complaint
    c2: Complaint
    c3: Complaint
    c4: Complaint
    c5: Complaint
    outside: Complaint
    north: Department
    south: Department
    agent: object


def _set(complaint, **fields):
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    complaint.refresh_from_db()
    return complaint


def _timeline(complaint, kind, data):
    Activity.objects.create(complaint=complaint, kind=kind, actor_type="system", data=data)


def _clock(complaint, metric, due, *, state, completed=None, breached=None, cycle=1):
    Clock.objects.create(complaint=complaint, metric=metric, cycle=cycle, state=state,
                         started_at=complaint.received_at, due_at=due, completed_at=completed,
                         breached_at=breached)


@pytest.fixture
def national_day(db):
    for day in range(1, 9):
        CalendarDay.objects.update_or_create(date=date(2025, 10, day),
                                             defaults={"is_workday": False, "name": "国庆节"})
    for day in (date(2025, 9, 28), date(2025, 10, 11)):
        CalendarDay.objects.update_or_create(date=day,
                                             defaults={"is_workday": True, "name": "调休"})


@pytest.fixture
def dataset(national_day, roles):
    north = DepartmentFactory(code="north", name="北区")
    south = DepartmentFactory(code="south", name="南区")
    north_east = DepartmentFactory(code="north-east", name="北区东", parent=north)
    agent = StaffFactory(role="agent", username="agent_perf", first_name="周")
    coverage = Category.objects.get(code="network-coverage")
    refund = Category.objects.get(code="billing-refund")

    # C1: hotline, Tue 30 Sep 16:30; acknowledged Thu 9 Oct 09:30 (1 h + 1 h = 2 working
    # hours over the holiday); resolved Sat 11 Oct 10:30, a make-up day: 1 + 9 + 9 + 2 = 21 h.
    c1 = _set(make_complaint(channel="phone", received_at=local(2025, 9, 30, 16, 30)),
              status="resolved", acknowledged_at=local(2025, 10, 9, 9, 30),
              resolved_at=local(2025, 10, 11, 10, 30), category=coverage,
              assigned_department=north_east, assigned_agent=agent)
    # C2: web, Mon 29 Sep 09:00; acknowledged 10:00 (1 h); reopened once, resolved again
    # Thu 9 Oct 09:30: 8.5 + 9 + 1 = 18.5 h. A repeat complaint.
    c2 = _set(make_complaint(channel="web", received_at=local(2025, 9, 29, 9, 0)),
              status="resolved", acknowledged_at=local(2025, 9, 29, 10, 0),
              resolved_at=local(2025, 10, 9, 9, 30), reopen_count=1, is_repeat=True,
              category=coverage, responsible_department=north, assigned_department=south,
              assigned_agent=agent)
    # C3: regulator transfer, Sun 28 Sep 10:00 (a make-up working day); acknowledged 11:00
    # (1 h); dispatched; escalated straight to level 2; still in progress.
    c3 = _set(make_complaint(channel="regulator", received_at=local(2025, 9, 28, 10, 0),
                             regulator_case_no="GX-2025-001"),
              status="in_progress", acknowledged_at=local(2025, 9, 28, 11, 0), category=refund,
              assigned_department=south)
    _timeline(c3, "status_change", {"action": "dispatch", "from": "in_progress",
                                    "to": "waiting_department"})
    _timeline(c3, "escalation", {"changed": {"escalation_level": [0, 2]}})
    # C4: hotline on a holiday, Fri 3 Oct 10:00, acknowledged 11:00: 0 working hours.
    # Carries the regulator flag (threatened 12300).
    c4 = _set(make_complaint(channel="phone", received_at=local(2025, 10, 3, 10, 0)),
              status="acknowledged", acknowledged_at=local(2025, 10, 3, 11, 0),
              is_regulator=True, category=refund, assigned_department=south)
    # C5: email, Fri 10 Oct 08:00, cancelled; no category, no department.
    c5 = _set(make_complaint(channel="email", received_at=local(2025, 10, 10, 8, 0)),
              status="cancelled")
    outside = _set(make_complaint(channel="phone", received_at=local(2025, 10, 20, 9, 0)),
                   status="new", category=coverage, assigned_department=north)

    # Only the clocks below (transactional tests would have started real ones on creation).
    Clock.objects.filter(complaint__in=[c1, c2, c3, c4, c5, outside]).delete()
    _clock(c1, "acknowledge", local(2025, 10, 9, 17, 30), state="met",
           completed=local(2025, 10, 9, 9, 30))
    _clock(c1, "resolution", local(2025, 10, 10, 17, 30), state="met",
           completed=local(2025, 10, 11, 10, 30))  # finished late: breached
    _clock(c2, "acknowledge", local(2025, 9, 30, 9, 0), state="met",
           completed=local(2025, 9, 29, 10, 0))
    _clock(c2, "resolution", local(2025, 10, 17, 17, 30), state="met", cycle=2,
           completed=local(2025, 10, 9, 9, 30))
    _clock(c3, "resolution", local(2025, 10, 5, 17, 30), state="running")  # past due
    SubscriberCount.objects.create(period_start=date(2025, 1, 1), subscribers=2_000_000)
    SubscriberCount.objects.create(period_start=date(2025, 11, 1), subscribers=4_000_000)
    _closing(c1, c2)
    rebuild_all()
    return DataSet(c1, c2, c3, c4, c5, outside, north, south, agent)


def _closing(c1, c2):
    from followup.models import CallbackTask, SatisfactionSurvey

    SatisfactionSurvey.objects.create(complaint=c1, stars=5, channel="staff")
    SatisfactionSurvey.objects.create(complaint=c2, stars=2, channel="staff")
    now = timezone.now()
    CallbackTask.objects.create(complaint=c1, cycle=0, reason="sample", scheduled_at=now,
                                due_at=now + timedelta(days=1), status="done",
                                outcome="reached_satisfied", completed_at=now)
    CallbackTask.objects.create(complaint=c2, cycle=1, reason="reopened", scheduled_at=now,
                                due_at=now + timedelta(days=1))
