"""Clocks start, pause, resume, restart and recompute as the complaint moves."""

from datetime import timedelta

import pytest

from complaints import services
from complaints.lifecycle import Status
from sla.models import Clock, ClockState, Metric
from tests.builders import complaint_in
from tests.factories import CustomerFactory, category

from .conftest import local

pytestmark = pytest.mark.django_db

MONDAY = local(2026, 11, 23, 10, 0)  # an ordinary week


def clocks(complaint):
    return {c.metric: c for c in Clock.objects.filter(complaint=complaint).order_by("cycle")}


def test_an_ordinary_complaint_gets_its_deadlines_from_received_at(new_complaint):
    complaint = new_complaint(MONDAY)
    got = clocks(complaint)
    assert got[Metric.ACKNOWLEDGE].due_at == local(2026, 11, 24, 10, 0)
    assert got[Metric.FIRST_RESPONSE].due_at == local(2026, 11, 24, 10, 0)
    assert got[Metric.PROGRESS_UPDATE].due_at == local(2026, 11, 25, 10, 0)
    assert got[Metric.RESOLUTION].due_at == local(2026, 11, 30, 10, 0)  # 5 working days
    assert got[Metric.REGULATOR_EXPOSURE].due_at == local(2026, 12, 8, 10, 0)  # 15 days
    # 75% of 45 working hours = 33 h 45 min: Thursday 16:45.
    assert got[Metric.RESOLUTION].warn_at == local(2026, 11, 26, 16, 45)
    assert all(c.state == ClockState.RUNNING and c.due_verified for c in got.values())
    assert Metric.MULTI_DEPARTMENT_NOTICE not in got


def test_golden_week_and_make_up_saturday_are_respected(new_complaint):
    complaint = new_complaint(local(2026, 9, 30, 10, 0))
    # 10-01..10-07 off; Saturday 10-10 is a make-up working day.
    assert clocks(complaint)[Metric.RESOLUTION].due_at == local(2026, 10, 13, 10, 0)


def test_spring_festival(new_complaint):
    complaint = new_complaint(local(2026, 2, 13, 16, 0), priority="urgent")
    # Fri 2-13 16:00; Sat 2-14 is a make-up day; 2-15..2-23 off; 2-24 Tue…
    # 3 working days: 2-14 16:00, 2-24 16:00, 2-25 16:00.
    assert clocks(complaint)[Metric.RESOLUTION].due_at == local(2026, 2, 25, 16, 0)


def test_urgent_major_and_vip_policies(new_complaint):
    urgent = clocks(new_complaint(MONDAY, priority="urgent"))
    assert urgent[Metric.RESOLUTION].due_at == local(2026, 11, 26, 10, 0)
    assert urgent[Metric.FIRST_RESPONSE].due_at == local(2026, 11, 23, 14, 0)
    major = clocks(new_complaint(MONDAY, priority="major"))
    assert major[Metric.RESOLUTION].due_at == local(2026, 11, 24, 10, 0)
    assert major[Metric.ACKNOWLEDGE].due_at == local(2026, 11, 23, 12, 0)
    vip = clocks(new_complaint(MONDAY, customer=CustomerFactory(tier="vip")))
    assert vip[Metric.FIRST_RESPONSE].due_at == local(2026, 11, 23, 14, 0)
    assert vip[Metric.RESOLUTION].due_at == local(2026, 11, 30, 10, 0)


def test_regulator_deadline_replaces_the_resolution_target(new_complaint):
    due = local(2026, 11, 27, 12, 0)
    complaint = new_complaint(MONDAY, channel="regulator", regulator_case_no="GXB-1")
    complaint.regulator_due_at = due
    complaint.save(update_fields=["regulator_due_at"])
    from sla.services import clocks_recompute

    clocks_recompute(complaint_id=complaint.id, reason="regulator deadline")
    assert clocks(complaint)[Metric.RESOLUTION].due_at == due


def test_acknowledge_meets_the_acknowledge_clock(new_complaint, act):
    complaint = new_complaint(MONDAY)
    act(complaint, "acknowledge")
    got = clocks(complaint)
    assert got[Metric.ACKNOWLEDGE].state == ClockState.MET
    assert got[Metric.ACKNOWLEDGE].completed_at is not None
    assert got[Metric.RESOLUTION].state == ClockState.RUNNING


def test_waiting_for_the_customer_pauses_and_moves_the_deadline(new_complaint, act, committed):
    from sla import services as sla

    complaint = new_complaint(MONDAY)
    act(complaint, "acknowledge")
    act(complaint, "start")
    clock = clocks(complaint)[Metric.RESOLUTION]
    # Paused Tuesday 10:00, resumed Thursday 10:00: two working days of waiting.
    sla.clocks_pause(complaint_id=complaint.id, at=local(2026, 11, 24, 10, 0))
    paused = Clock.objects.get(pk=clock.pk)
    assert paused.state == ClockState.PAUSED and paused.next_check_at is None
    regulator = clocks(complaint)[Metric.REGULATOR_EXPOSURE]
    assert regulator.state == ClockState.RUNNING  # the customer's 15 days keep counting
    sla.clocks_resume(complaint_id=complaint.id, at=local(2026, 11, 26, 10, 0))
    resumed = Clock.objects.get(pk=clock.pk)
    assert resumed.state == ClockState.RUNNING
    assert resumed.due_at == local(2026, 12, 2, 10, 0)  # Mon 11-30 + 2 working days
    assert resumed.paused_total == timedelta(hours=18)


def test_request_info_and_receive_info_pause_and_resume_through_the_lifecycle(new_complaint,
                                                                               act):
    complaint = new_complaint(MONDAY)
    act(complaint, "acknowledge")
    act(complaint, "start")
    act(complaint, "request_info")
    assert clocks(complaint)[Metric.RESOLUTION].state == ClockState.PAUSED
    act(complaint, "receive_info")
    assert clocks(complaint)[Metric.RESOLUTION].state == ClockState.RUNNING


def test_resolve_meets_and_reopen_restarts_by_policy(new_complaint, act):
    complaint = complaint_in(Status.RESOLVED, complaint=new_complaint(MONDAY))
    got = clocks(complaint)
    assert got[Metric.RESOLUTION].state == ClockState.MET
    assert got[Metric.REGULATOR_EXPOSURE].state == ClockState.MET
    act(complaint, "reopen")
    cycles = Clock.objects.filter(complaint=complaint, metric=Metric.RESOLUTION).order_by("cycle")
    assert [(c.cycle, c.state) for c in cycles] == [(1, ClockState.MET), (2, ClockState.RUNNING)]
    assert cycles[1].started_at > complaint.received_at


def test_close_cancel_and_merge_stop_the_clocks(new_complaint, act):
    complaint = new_complaint(MONDAY)
    act(complaint, "cancel")
    assert {c.state for c in clocks(complaint).values()} == {ClockState.STOPPED}
    assert not Clock.objects.filter(complaint=complaint, next_check_at__isnull=False).exists()


def test_raising_priority_recomputes_from_received_at_and_says_why(new_complaint, committed,
                                                                    agent):
    complaint = new_complaint(MONDAY)
    committed(services.complaint_update_fields, complaint_id=complaint.id, actor=agent,
              changes={"priority": "urgent"}, reason="客户情绪激动")
    assert clocks(complaint)[Metric.RESOLUTION].due_at == local(2026, 11, 26, 10, 0)
    [entry] = [a for a in complaint.activities.all() if "deadlines" in a.data]
    assert entry.data["reason"] == "priority"
    assert "11-30" in entry.message and "11-26" in entry.message


def test_dispatch_to_two_departments_starts_the_multi_department_notice(new_complaint, act,
                                                                          committed, agent):
    from tests.factories import DepartmentFactory

    complaint = new_complaint(MONDAY)
    act(complaint, "acknowledge")
    act(complaint, "start")
    act(complaint, "dispatch", departments=[DepartmentFactory(), DepartmentFactory()])
    notice = clocks(complaint)[Metric.MULTI_DEPARTMENT_NOTICE]
    assert notice.state == ClockState.RUNNING
    committed(services.complaint_add_note, complaint_id=complaint.id, actor=agent,
              body="已告知客户：涉及网络部和计费中心，预计12月2日前完成。", public=True)
    assert clocks(complaint)[Metric.MULTI_DEPARTMENT_NOTICE].state == ClockState.MET
    assert clocks(complaint)[Metric.FIRST_RESPONSE].state == ClockState.MET
    progress = Clock.objects.filter(complaint=complaint, metric=Metric.PROGRESS_UPDATE)
    assert [c.state for c in progress.order_by("cycle")] == [ClockState.MET, ClockState.RUNNING]


def test_deadline_in_a_year_without_data_is_unverified_and_said(new_complaint):
    from sla.models import CalendarYear

    CalendarYear.objects.filter(year=2026).delete()
    complaint = new_complaint(MONDAY)
    assert not clocks(complaint)[Metric.RESOLUTION].due_verified
    assert complaint.activities.filter(kind="sla_warning").exists()


def test_category_change_uses_a_category_policy(new_complaint, committed, agent):
    from sla.models import BusinessCalendar, SlaPolicy, SlaTarget

    policy = SlaPolicy.objects.create(name="账务 2天", category=category("billing"),
                                      calendar=BusinessCalendar.objects.get(code="standard"))
    SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, amount=2,
                             unit="working_days")
    complaint = new_complaint(MONDAY)
    committed(services.complaint_update_fields, complaint_id=complaint.id, actor=agent,
              changes={"category": category("billing-refund")}, reason="改类")
    clock = clocks(complaint)[Metric.RESOLUTION]
    assert clock.policy_id == policy.id and clock.due_at == local(2026, 11, 25, 10, 0)
