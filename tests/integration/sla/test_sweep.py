"""The sweep: warnings, breaches and every escalation level, exactly once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import connection

from complaints.lifecycle import Status
from complaints.models import Complaint
from notifications.models import Notification
from sla import escalations, sweep
from sla import services as sla
from sla.models import Clock, ClockState, Escalation, Metric, SlaEvent
from tests.builders import complaint_in
from tests.factories import CustomerFactory, DepartmentFactory, StaffFactory

from .conftest import local

pytestmark = pytest.mark.django_db
MONDAY = local(2026, 11, 23, 10, 0)


@pytest.fixture
def org(roles):
    """A city department under a province one, each with a supervisor, and the risk desk."""
    province_boss = StaffFactory(username="prov_boss", role="supervisor",
                                 email="prov@example.com")
    city_boss = StaffFactory(username="city_boss", role="supervisor", email="city@example.com")
    desk_officer = StaffFactory(username="desk", role="supervisor", email="desk@example.com")
    province = DepartmentFactory(code="gd", name="省客服中心", level="province",
                                 supervisor=province_boss)
    city = DepartmentFactory(code="gz", name="广州客服", parent=province, supervisor=city_boss)
    desk = DepartmentFactory(code="regulator-desk", name="申诉风险组", supervisor=None)
    desk.members.add(desk_officer)
    return {"province_boss": province_boss, "city_boss": city_boss, "desk": desk_officer,
            "city": city}


@pytest.fixture
def late_complaint(new_complaint, org):
    complaint = new_complaint(MONDAY)
    Complaint.objects.filter(pk=complaint.pk).update(assigned_department=org["city"])
    return complaint


def resolution(complaint):
    return Clock.objects.get(complaint=complaint, metric=Metric.RESOLUTION, cycle=1)


def only_resolution(complaint):
    """Meet every other clock so the test watches the resolution deadline alone."""
    Clock.objects.filter(complaint=complaint).exclude(metric=Metric.RESOLUTION).update(
        state=ClockState.MET, next_check_at=None)


def test_warning_once_at_the_threshold(late_complaint, org):
    only_resolution(late_complaint)
    assert sweep.sla_sweep(now=local(2026, 11, 26, 16, 44)).warnings == 0
    assert not SlaEvent.objects.filter(clock=resolution(late_complaint)).exists()
    result = sweep.sla_sweep(now=local(2026, 11, 26, 16, 46))
    assert SlaEvent.objects.filter(clock=resolution(late_complaint), kind="warning").count() == 1
    assert late_complaint.activities.filter(kind="sla_warning").count() >= 1
    again = sweep.sla_sweep(now=local(2026, 11, 26, 16, 50))
    assert again.warnings == 0
    assert SlaEvent.objects.filter(clock=resolution(late_complaint), kind="warning").count() == 1
    assert result.warnings >= 1


def test_breach_escalates_to_level_one_then_two_then_three(late_complaint, org,
                                                           django_capture_on_commit_callbacks):
    # Due Monday 11-30 10:00; each further 9 working hours adds a level.
    only_resolution(late_complaint)
    sweep.sla_sweep(now=local(2026, 11, 30, 10, 1))
    clock = resolution(late_complaint)
    assert clock.state == ClockState.BREACHED and clock.breached_at == local(2026, 11, 30, 10)
    assert clock.escalation_level == 1
    late_complaint.refresh_from_db()
    assert late_complaint.escalation_level == 1
    queue = Escalation.objects.get(complaint=late_complaint)
    assert queue.level == 1 and queue.is_open
    assert Notification.objects.filter(recipient=org["city_boss"], kind="escalation").exists()
    assert late_complaint.activities.filter(kind="sla_breach").exists()
    assert late_complaint.activities.filter(kind="escalation").exists()

    sweep.sla_sweep(now=local(2026, 12, 1, 10, 1))  # one working day late
    assert resolution(late_complaint).escalation_level == 2
    assert Notification.objects.filter(recipient=org["province_boss"],
                                       kind="escalation").exists()
    sweep.sla_sweep(now=local(2026, 12, 2, 10, 1))
    assert resolution(late_complaint).escalation_level == 3
    assert Notification.objects.filter(recipient=org["desk"], kind="escalation").exists()
    assert resolution(late_complaint).next_check_at is None  # top level: nothing more to do
    late_complaint.refresh_from_db()
    assert late_complaint.escalation_level == 3
    levels = sorted(SlaEvent.objects.filter(clock=resolution(late_complaint), kind="escalation")
                    .values_list("level", flat=True))
    assert levels == [1, 2, 3]


def test_after_an_outage_everything_due_is_handled_once(late_complaint, org):
    result = sweep.sla_sweep(now=local(2026, 12, 10, 9, 0))  # nobody swept for ten days
    clock = resolution(late_complaint)
    assert clock.escalation_level == 3
    assert sorted(SlaEvent.objects.filter(clock=clock, kind="escalation")
                  .values_list("level", flat=True)) == [1, 2, 3]
    # Late, but the warning is not skipped: once, with the breach (issue 16).
    assert SlaEvent.objects.filter(clock=clock, kind="warning").count() == 1
    assert result.breaches == 5  # every clock of the complaint
    again = sweep.sla_sweep(now=local(2026, 12, 10, 9, 5))
    assert again.escalations == 0 and again.warnings == 0


def test_a_deadline_passed_while_nobody_swept_still_warns_the_assignee_once(late_complaint, org):
    """Beat or the broker was down from before the warning time until after the deadline: the
    first sweep after it warns (the assignee, on the timeline) and escalates, each once."""
    only_resolution(late_complaint)
    agent = StaffFactory(username="zhang_agent", role="agent")
    Complaint.objects.filter(pk=late_complaint.pk).update(assigned_agent=agent)
    sweep.sla_sweep(now=local(2026, 11, 26, 16, 0))  # before the warning time (16:45)
    assert not SlaEvent.objects.filter(clock=resolution(late_complaint)).exists()
    sweep.sla_sweep(now=local(2026, 11, 30, 10, 1))  # the next sweep: past due
    sweep.sla_sweep(now=local(2026, 11, 30, 10, 2))
    clock = resolution(late_complaint)
    kinds = sorted(SlaEvent.objects.filter(clock=clock).values_list("kind", "level"))
    assert kinds == [("escalation", 1), ("warning", 0)]
    assert Notification.objects.filter(recipient=agent, kind="sla_warning").count() == 1
    assert late_complaint.activities.filter(kind="sla_warning").count() == 1


def test_emails_are_sent_once_per_event(late_complaint, org):
    sweep.sla_sweep(now=local(2026, 11, 30, 10, 1))
    ids = list(SlaEvent.objects.filter(kind="escalation").values_list("id", flat=True))
    assert sweep.sla_event_send_emails(event_ids=ids) >= 1
    assert any("city@example.com" in m.to for m in mail.outbox)
    sent = len(mail.outbox)
    assert sweep.sla_event_send_emails(event_ids=ids) == 0  # a retried task mails nobody twice
    assert len(mail.outbox) == sent


def test_met_clocks_never_escalate(late_complaint):
    complaint_in(Status.RESOLVED, complaint=late_complaint)
    result = sweep.sla_sweep(now=local(2026, 12, 10, 9, 0))
    assert result.escalations == 0 and result.breaches == 0


def test_paused_clocks_do_not_breach(late_complaint, act):
    act(late_complaint, "acknowledge")
    act(late_complaint, "start")
    sla.clocks_pause(complaint_id=late_complaint.id, at=local(2026, 11, 24, 10))
    sweep.sla_sweep(now=local(2026, 12, 3, 10))
    assert resolution(late_complaint).state == ClockState.PAUSED


def test_the_sweep_query_count_does_not_grow_with_open_complaints(new_complaint, org):
    from django.test.utils import CaptureQueriesContext

    due = [new_complaint(MONDAY, customer=CustomerFactory()) for _ in range(3)]
    Complaint.objects.filter(pk__in=[c.pk for c in due]).update(assigned_department=org["city"])
    sweep_at = local(2026, 11, 24, 10, 1)  # acknowledge and first response just breached

    def sweep_queries(extra_open):
        for _ in range(extra_open):  # open, but nothing of theirs is due at sweep time
            new_complaint(local(2026, 11, 24, 10, 0), customer=CustomerFactory())
        Clock.objects.filter(complaint__in=due).update(
            state=ClockState.RUNNING, escalation_level=0, warned_at=None, breached_at=None)
        Clock.objects.filter(complaint__in=due).update(next_check_at=MONDAY)
        SlaEvent.objects.all().delete()
        Escalation.objects.all().delete()
        Complaint.objects.update(escalation_level=0)
        with CaptureQueriesContext(connection) as queries:
            result = sweep.sla_sweep(now=sweep_at, batch_size=1000)
        assert result.breaches == 6  # the same work each time
        return len(queries)

    assert sweep_queries(5) == sweep_queries(40) <= 30


def test_manual_escalation_and_queue_actions(new_complaint, org, agent, supervisor):
    complaint = new_complaint(MONDAY)
    with pytest.raises(Exception, match="升级原因"):
        escalations.escalation_raise_manually(complaint_id=complaint.id, actor=agent, reason="")
    escalations.escalation_raise_manually(complaint_id=complaint.id, actor=agent, reason="客户称要找媒体")
    complaint.refresh_from_db()
    assert complaint.escalation_level == 1
    with pytest.raises(Exception):
        escalations.escalation_acknowledge(complaint_id=complaint.id, actor=agent)  # agents may not
    escalations.escalation_acknowledge(complaint_id=complaint.id, actor=supervisor)
    escalations.escalation_set_expected(complaint_id=complaint.id, actor=supervisor,
                                expected_at=local(2027, 1, 5, 12, 0), reason="需厂家更换设备")
    escalations.escalation_deescalate(complaint_id=complaint.id, actor=supervisor, reason="已安抚客户")
    complaint.refresh_from_db()
    assert complaint.escalation_level == 0
    assert not Escalation.objects.get(complaint=complaint).is_open
    kinds = list(complaint.activities.filter(kind="escalation").values_list("message", flat=True))
    assert len(kinds) == 4 and "已安抚客户" in kinds[-1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_escalate_each_clock_exactly_once(org):
    from complaints.services import complaint_create, customer_get_or_create

    for i in range(60):
        customer = customer_get_or_create(phone=f"1391234{i:04d}", name="并发")
        complaint = complaint_create(customer=customer, channel="phone", subject="",
                                     description="信号差", received_at=MONDAY)
        sla.clocks_start(complaint_id=complaint.id)
    start = threading.Barrier(2)

    def sweep_once(_):
        start.wait()
        try:
            return sweep.sla_sweep(now=local(2026, 12, 10, 9, 0), batch_size=25).as_dict()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(sweep_once, range(2)))
    per_clock = 3  # levels 1, 2 and 3
    clocks = Clock.objects.filter(escalation_level=3).count()
    assert clocks == 60 * 5
    assert SlaEvent.objects.filter(kind="escalation").count() == clocks * per_clock
    assert sum(r["escalations"] for r in results) == clocks * per_clock
    assert all(r["batches"] > 0 for r in results)  # both really worked, side by side


def test_progress_update_warning_queues_a_customer_notice_respecting_quiet_hours(late_complaint):
    from notifications.models import OutboundMessage

    # Progress update due Wednesday 10:00; its warning at 75% is Tuesday 14:30.
    sweep.sla_sweep(now=local(2026, 11, 24, 14, 31))
    notice = OutboundMessage.objects.get(complaint=late_complaint, purpose="progress")
    assert late_complaint.reference in notice.body
    assert notice.send_after == local(2026, 11, 24, 14, 31)
    sweep.sla_sweep(now=local(2026, 11, 24, 14, 40))
    assert OutboundMessage.objects.filter(purpose="progress").count() == 1


def test_a_progress_warning_at_night_waits_for_the_morning(new_complaint, org):
    from notifications.models import OutboundMessage

    complaint = new_complaint(local(2026, 11, 23, 17, 0))  # 24×7 policy for progress updates
    from sla.models import BusinessCalendar, SlaPolicy, SlaTarget

    policy = SlaPolicy.objects.create(name="夜间", calendar=BusinessCalendar.objects.get(
        code="24x7"), channel="phone")
    SlaTarget.objects.create(policy=policy, metric=Metric.PROGRESS_UPDATE, amount=4,
                             unit="calendar_hours")
    Clock.objects.filter(complaint=complaint).delete()
    sla.clocks_start(complaint_id=complaint.id)
    sweep.sla_sweep(now=local(2026, 11, 23, 20, 5))  # warning at 20:00
    notice = OutboundMessage.objects.get(complaint=complaint, purpose="progress")
    assert notice.send_after == local(2026, 11, 24, 8, 0)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_refreshes_the_report_figures_once_for_all_it_escalates(new_complaint, org):
    """Each escalation's event (after its batch commits) used to recompute that complaint's
    report figures on its own: five statements per complaint. The sweep is one unit of work:
    one refresh at the end, for every complaint it escalated."""
    from django.test.utils import CaptureQueriesContext

    from reports.models import ComplaintFact

    due = [new_complaint(MONDAY, customer=CustomerFactory()) for _ in range(4)]
    Complaint.objects.filter(pk__in=[c.pk for c in due]).update(assigned_department=org["city"])
    with CaptureQueriesContext(connection) as queries:
        result = sweep.sla_sweep(now=local(2026, 11, 24, 10, 1))
    assert result.complaints == {c.pk for c in due}
    writes = [q for q in queries.captured_queries
              if 'INSERT INTO "reports_complaintfact"' in q["sql"]]
    assert len(writes) == 1
    assert set(ComplaintFact.objects.filter(complaint__in=due)
               .values_list("escalation_max", flat=True)) == {1}


def test_progress_notices_of_a_batch_are_one_insert_whatever_their_number(new_complaint, org):
    """Pipeline-made data has a progress-update clock per open complaint: the sweep used to
    queue each customer's notice with a statement and a savepoint of its own."""
    from django.test.utils import CaptureQueriesContext

    from notifications.models import OutboundMessage

    def sweep_queries(n):
        Complaint.objects.all().delete()
        for _ in range(n):
            complaint = new_complaint(MONDAY, customer=CustomerFactory())
            Clock.objects.filter(complaint=complaint).exclude(
                metric=Metric.PROGRESS_UPDATE).update(state=ClockState.MET, next_check_at=None)
        with CaptureQueriesContext(connection) as queries:
            result = sweep.sla_sweep(now=local(2026, 11, 24, 14, 31))  # the 75% warnings
        assert result.warnings == n
        assert OutboundMessage.objects.filter(purpose="progress").count() == n
        return len(queries)

    assert sweep_queries(2) == sweep_queries(6)


def test_a_progress_notice_queued_before_leaves_the_others_of_its_batch(new_complaint, org):
    from notifications.models import OutboundMessage

    first, second = (new_complaint(MONDAY, customer=CustomerFactory()) for _ in range(2))
    clock = Clock.objects.get(complaint=first, metric=Metric.PROGRESS_UPDATE)
    OutboundMessage.objects.create(complaint=first, channel="sms", recipient="13800000000",
                                   body="已在处理", purpose="progress",
                                   send_after=MONDAY, dedupe_key=f"progress:{clock.id}")
    sweep.sla_sweep(now=local(2026, 11, 24, 14, 31))
    assert OutboundMessage.objects.filter(complaint=first, purpose="progress").count() == 1
    assert OutboundMessage.objects.filter(complaint=second, purpose="progress").count() == 1
