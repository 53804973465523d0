"""Closing the loop end to end through the services: result notice, confirm, dispute and
reopen, second-reopen escalation, survey once, callbacks, auto-close, archive, anonymise."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from complaints import services
from complaints.lifecycle import Status
from complaints.models import Activity, Complaint, Customer, Priority
from followup.auto_close import auto_close_sweep
from followup.callbacks import callback_attempt_record, callback_schedule, in_sample
from followup.common import AlreadyAnswered, add_working_days
from followup.models import (
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallbackTask,
    FeedbackChannel,
    FollowUpTask,
    ResultConfirmation,
    SatisfactionSurvey,
)
from followup.receivers import on_resolved
from followup.result_notice import result_answer, sms_reply_receive
from followup.retention import anonymise_sweep
from followup.survey import survey_complaint_from_token, survey_submit, survey_token
from kernel.errors import InvalidInput, NotAllowed
from notifications.models import Notification, OutboundMessage
from tests.builders import complaint_in
from tests.factories import CustomerFactory, StaffFactory, make_complaint

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _plain_intake(settings, without_auto_classification):
    """Intake's automatic grading and routing would change priorities and assignees behind
    these tests' backs (tested in tests/integration/intake)."""
    settings.CALLBACK_SAMPLE_RATE = 0


@pytest.fixture
def qa(roles):
    return StaffFactory(role="qa", username="qa_sun", first_name="孙")


@pytest.fixture
def resolved(agent):
    """A complaint taken to "resolved" by the agent, after-commit receivers run."""

    def make(**kwargs):
        return complaint_in(Status.RESOLVED, actor=agent, **kwargs,
                            resolution_summary="已为您重置基站参数，信号已恢复。")

    return make


def resolve_again(complaint, agent):
    """The reopened complaint handled and resolved again by the agent."""
    return complaint_in(Status.RESOLVED, complaint=complaint, actor=agent,
                        resolution_summary="再次处理：更换了光猫。")


# --- result notice and the customer's answer ---------------------------------------------------


def test_resolving_sends_the_result_with_the_reply_keywords_and_a_link(resolved):
    complaint = resolved()
    notice = OutboundMessage.objects.get(complaint=complaint, purpose="result_notice")
    assert complaint.reference in notice.body and "已为您重置基站参数" in notice.body
    assert "1" in notice.body and "2" in notice.body and "/survey/" in notice.body
    assert notice.recipient == complaint.customer.phone


def test_customer_confirms_and_the_complaint_closes(resolved, committed):
    complaint = resolved()
    committed(result_answer, complaint_id=complaint.id, answer="solved",
              channel=FeedbackChannel.TRACKING_PAGE)
    complaint.refresh_from_db()
    assert complaint.status == Status.CLOSED and complaint.closed_at is not None
    entries = list(complaint.activities.values_list("message", flat=True))
    assert any("已解决" in m or "Solved" in m for m in entries)
    with pytest.raises(InvalidInput):  # closed: nothing left to answer
        result_answer(complaint_id=complaint.id, answer="not_solved",
                              channel=FeedbackChannel.TRACKING_PAGE)


def test_not_solved_reopens_and_restarts_the_resolution_clock(resolved, committed):
    from sla.models import Clock, Metric

    complaint = resolved()
    committed(result_answer, complaint_id=complaint.id, answer="not_solved",
              comment="还是没信号", channel=FeedbackChannel.TRACKING_PAGE)
    complaint.refresh_from_db()
    assert complaint.status == Status.REOPENED and complaint.reopen_count == 1
    cycles = Clock.objects.filter(complaint=complaint, metric=Metric.RESOLUTION)
    assert sorted(cycles.values_list("cycle", flat=True)) == [1, 2]
    assert cycles.get(cycle=2).state == "running"
    reopen = complaint.activities.filter(kind="status_change").last()
    assert reopen.actor_type == "customer" and "还是没信号" in reopen.data["reason"]
    assert complaint.escalation_level == 0  # the first reopen does not escalate


def test_second_reopen_escalates_to_the_supervisor(resolved, committed, agent, supervisor):
    from tests.factories import DepartmentFactory

    department = DepartmentFactory(supervisor=supervisor)
    department.members.add(agent)
    complaint = resolved()
    services.complaint_assign(complaint_id=complaint.id, actor=supervisor,
                              expected_version=None, department=department, agent=agent)
    committed(result_answer, complaint_id=complaint.id, answer="not_solved",
              channel=FeedbackChannel.TRACKING_PAGE)
    complaint = resolve_again(complaint, agent)
    committed(result_answer, complaint_id=complaint.id, answer="not_solved",
              channel=FeedbackChannel.SMS_REPLY)
    complaint.refresh_from_db()
    assert complaint.reopen_count == 2 and complaint.escalation_level == 1
    assert Notification.objects.filter(recipient=supervisor, complaint=complaint,
                                       kind="escalation").exists()
    assert complaint.activities.filter(kind="escalation").count() == 1


def test_one_answer_per_resolution(resolved, committed):
    complaint = resolved(priority=Priority.MAJOR)  # called back: stays resolved after "solved"
    committed(result_answer, complaint_id=complaint.id, answer="solved",
              channel=FeedbackChannel.TRACKING_PAGE)
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED  # waits for its callback
    with pytest.raises(AlreadyAnswered):
        result_answer(complaint_id=complaint.id, answer="not_solved",
                              channel=FeedbackChannel.TRACKING_PAGE)
    assert ResultConfirmation.objects.filter(complaint=complaint).count() == 1


# --- satisfaction survey -----------------------------------------------------------------------


def test_survey_once_only_and_a_low_score_gets_a_review(resolved, supervisor):
    complaint = resolved()
    survey = survey_submit(complaint_id=complaint.id, stars=2,
                                   reasons=["speed", "attitude"], comment="太慢了",
                                   channel=FeedbackChannel.SMS_LINK)
    assert survey.stars == 2 and survey.reasons == ["speed", "attitude"]
    review = FollowUpTask.objects.get(complaint=complaint)
    assert review.kind == "low_score_review" and review.assignee == supervisor
    assert Notification.objects.filter(recipient=supervisor, kind="low_score").exists()
    with pytest.raises(AlreadyAnswered):
        survey_submit(complaint_id=complaint.id, stars=5,
                              channel=FeedbackChannel.TRACKING_PAGE)
    assert SatisfactionSurvey.objects.get(complaint=complaint).stars == 2


@pytest.mark.parametrize(("stars", "reasons"), [(0, []), (6, []), ("x", []), (4, ["price"])])
def test_bad_survey_answers_are_refused_and_nothing_is_stored(resolved, stars, reasons):
    complaint = resolved()
    with pytest.raises(InvalidInput):
        survey_submit(complaint_id=complaint.id, stars=stars, reasons=reasons,
                              channel=FeedbackChannel.TRACKING_PAGE)
    assert not SatisfactionSurvey.objects.exists()


def test_a_good_score_needs_no_review_and_open_complaints_cannot_be_rated(resolved):
    complaint = resolved()
    survey_submit(complaint_id=complaint.id, stars=5, reasons=["result"],
                          channel=FeedbackChannel.TRACKING_PAGE)
    assert not FollowUpTask.objects.exists()
    with pytest.raises(InvalidInput):
        survey_submit(complaint_id=make_complaint().id, stars=5,
                              channel=FeedbackChannel.TRACKING_PAGE)


def test_survey_link_token_round_trip_and_tampering(resolved):
    complaint = resolved()
    token = survey_token(complaint)
    assert survey_complaint_from_token(token) == complaint
    with pytest.raises(InvalidInput, match="not valid|无效"):
        survey_complaint_from_token(token[:-2] + "xx")


def test_survey_links_expire(resolved, settings):
    token = survey_token(resolved())
    settings.SURVEY_LINK_VALID_DAYS = 0
    with pytest.raises(InvalidInput, match="expired|过期"):
        survey_complaint_from_token(token)


# --- callbacks ---------------------------------------------------------------------------------


def test_regulator_major_and_reopened_complaints_are_always_called_back(resolved, committed,
                                                                        agent, qa):
    ordinary = resolved()
    major = resolved(priority=Priority.MAJOR)
    regulator = resolved(flags={"is_regulator": True})
    assert not CallbackTask.objects.filter(complaint=ordinary).exists()  # sample rate 0
    assert CallbackTask.objects.get(complaint=major).reason == CallbackReason.MAJOR
    assert CallbackTask.objects.get(complaint=regulator).reason == CallbackReason.REGULATOR
    committed(result_answer, complaint_id=ordinary.id, answer="not_solved",
              channel=FeedbackChannel.TRACKING_PAGE)
    ordinary = resolve_again(ordinary, agent)
    task = CallbackTask.objects.get(complaint=ordinary)
    assert task.reason == CallbackReason.REOPENED and task.cycle == 1
    assert task.assignee == qa and task.handler == agent  # never the person who handled it


def test_sampling_is_deterministic_by_reference(resolved, settings, qa):
    settings.CALLBACK_SAMPLE_RATE = 0.5
    complaints = [resolved() for _ in range(12)]
    picked = {c.reference for c in complaints if CallbackTask.objects.filter(complaint=c)}
    assert picked == {c.reference for c in complaints if in_sample(c.reference, 0.5)}
    assert 0 < len(picked) < 12
    for complaint in complaints:  # a redelivered event schedules nothing new
        on_resolved(complaint_id=complaint.id)
    assert CallbackTask.objects.count() == len(picked)


def test_callbacks_are_scheduled_inside_contact_hours(resolved, qa):
    complaint = resolved()
    evening = local(2026, 11, 25, 20, 30)  # a Wednesday evening
    complaint.priority = Priority.MAJOR
    task = callback_schedule(complaint=complaint, now=evening)
    assert timezone.localtime(task.scheduled_at) == local(2026, 11, 26, 8, 0)
    due = timezone.localtime(task.due_at)
    assert 8 <= due.hour < 18 and due.date() == datetime(2026, 11, 27).date()


def test_calls_outside_contact_hours_are_refused(resolved, qa):
    task = CallbackTask.objects.get(complaint=resolved(priority=Priority.MAJOR))
    with pytest.raises(InvalidInput):
        callback_attempt_record(task_id=task.id, actor=qa, result="unreachable",
                                        at=local(2026, 11, 26, 19, 0))
    assert not task.attempts.exists()


def test_reached_and_satisfied_closes_and_writes_the_customer_record(resolved, qa):
    complaint = resolved(priority=Priority.MAJOR)
    task = CallbackTask.objects.get(complaint=complaint)
    callback_attempt_record(task_id=task.id, actor=qa, result="reached_satisfied",
                                    note="客户表示满意", at=local(2026, 11, 26, 10, 0))
    task.refresh_from_db()
    complaint.refresh_from_db()
    assert task.status == CallbackStatus.DONE and task.outcome == "reached_satisfied"
    assert complaint.status == Status.CLOSED
    customer = Customer.objects.get(pk=complaint.customer_id)
    assert customer.last_callback_outcome == "reached_satisfied"
    assert complaint.activities.filter(message__contains="客户表示满意").exists()


def test_reached_and_not_satisfied_reopens(resolved, qa, committed):
    complaint = resolved(priority=Priority.MAJOR)
    task = CallbackTask.objects.get(complaint=complaint)
    with pytest.raises(InvalidInput):  # say what is wrong
        callback_attempt_record(task_id=task.id, actor=qa, result="reached_unsatisfied",
                                        at=local(2026, 11, 26, 10, 0))
    committed(callback_attempt_record, task_id=task.id, actor=qa,
              result="reached_unsatisfied", note="宽带仍然掉线", at=local(2026, 11, 26, 10, 0))
    complaint.refresh_from_db()
    assert complaint.status == Status.REOPENED and complaint.reopen_count == 1


def test_three_unreachable_attempts_on_different_days_close_as_unreachable(resolved, qa):
    complaint = resolved(priority=Priority.MAJOR)
    task = CallbackTask.objects.get(complaint=complaint)
    record = callback_attempt_record
    record(task_id=task.id, actor=qa, result="unreachable", at=local(2026, 11, 26, 9, 0))
    record(task_id=task.id, actor=qa, result="unreachable", at=local(2026, 11, 26, 16, 0))
    task.refresh_from_db()
    assert task.status == CallbackStatus.OPEN  # two calls, one day
    assert timezone.localtime(task.scheduled_at) == local(2026, 11, 27, 8, 0)
    record(task_id=task.id, actor=qa, result="unreachable", at=local(2026, 11, 27, 9, 0))
    task.refresh_from_db()
    assert task.status == CallbackStatus.OPEN
    record(task_id=task.id, actor=qa, result="unreachable", at=local(2026, 11, 30, 9, 0))
    task.refresh_from_db()
    complaint.refresh_from_db()
    assert task.status == CallbackStatus.DONE and task.outcome == CallbackOutcome.UNREACHABLE
    assert task.attempts.count() == 4
    assert complaint.status == Status.CLOSED
    assert "unreachable" in complaint.activities.filter(kind="status_change").last() \
        .data["reason"].lower() or "未接通" in complaint.activities.filter(
            kind="status_change").last().data["reason"]
    with pytest.raises(InvalidInput):
        record(task_id=task.id, actor=qa, result="unreachable", at=local(2026, 12, 1, 9, 0))


def test_the_handler_and_other_people_cannot_work_the_callback(resolved, agent, qa, roles):
    task = CallbackTask.objects.get(complaint=resolved(priority=Priority.MAJOR))
    other_qa = StaffFactory(role="qa", username="qa_zhou")
    with pytest.raises(NotAllowed):
        callback_attempt_record(task_id=task.id, actor=other_qa, result="unreachable",
                                        at=local(2026, 11, 26, 10, 0))
    supervisor_handler = StaffFactory(role="supervisor", username="sup_handler")
    task.handler = supervisor_handler
    task.save()
    with pytest.raises(NotAllowed):
        callback_attempt_record(task_id=task.id, actor=supervisor_handler,
                                        result="unreachable", at=local(2026, 11, 26, 10, 0))


# --- auto-close --------------------------------------------------------------------------------


def test_unanswered_resolved_complaints_close_after_three_working_days(resolved, committed):
    quiet = resolved()
    answered_not = resolved()
    called_back = resolved(priority=Priority.MAJOR)
    committed(result_answer, complaint_id=answered_not.id, answer="not_solved",
              channel=FeedbackChannel.TRACKING_PAGE)
    resolved_at = Complaint.objects.get(pk=quiet.pk).resolved_at
    assert auto_close_sweep(now=resolved_at + timedelta(days=1)) == 0
    later = add_working_days(resolved_at, 3) + timedelta(minutes=1)
    assert committed(auto_close_sweep, now=later) == 1
    assert auto_close_sweep(now=later) == 0  # idempotent
    quiet.refresh_from_db()
    assert quiet.status == Status.CLOSED
    reason = quiet.activities.filter(kind="status_change").last().data["reason"]
    assert "3" in reason
    assert Complaint.objects.get(pk=answered_not.pk).status == Status.REOPENED
    assert Complaint.objects.get(pk=called_back.pk).status == Status.RESOLVED  # callback open


# --- archive -----------------------------------------------------------------------------------


def test_closed_complaints_refuse_field_changes_but_take_notes(resolved, committed, agent):
    complaint = resolved()
    committed(result_answer, complaint_id=complaint.id, answer="solved",
              channel=FeedbackChannel.TRACKING_PAGE)
    with pytest.raises(InvalidInput, match="archived|归档"):
        services.complaint_update_fields(complaint_id=complaint.id, actor=agent,
                                         changes={"priority": Priority.URGENT})
    with pytest.raises(InvalidInput):
        services.complaint_assign(complaint_id=complaint.id, actor=agent, expected_version=None,
                                  agent=agent)
    note = services.complaint_add_note(complaint_id=complaint.id, actor=agent, body="归档备注")
    assert note.pk and Complaint.objects.get(pk=complaint.pk).priority == Priority.ORDINARY


# --- SMS reply keywords ------------------------------------------------------------------------


def test_sms_reply_keyword_answers_the_senders_resolved_complaint(resolved, committed):
    customer = CustomerFactory(phone="13912345678")
    complaint = resolved(customer=customer)
    assert sms_reply_receive(phone="13700000000", text="1") is None  # not a customer
    message = "1. 我家宽带从昨天晚上开始又断了，路由器的灯一直红色闪烁，请尽快派人上门"
    assert sms_reply_receive(phone=customer.phone, text=message) is None
    answered = committed(sms_reply_receive, phone=customer.phone, text="2 还是不行")
    assert answered == complaint
    complaint.refresh_from_db()
    assert complaint.status == Status.REOPENED
    assert ResultConfirmation.objects.get(complaint=complaint).channel == "sms_reply"
    reply = OutboundMessage.objects.get(complaint=complaint, purpose="result_reply")
    assert complaint.reference in reply.body


# --- retention ---------------------------------------------------------------------------------


def test_anonymise_after_the_retention_period_keeps_the_statistics(resolved, committed,
                                                                    settings):
    settings.RETENTION_YEARS = 3
    customer = CustomerFactory(name="陈晓明", phone="13812340000", email="chen@example.com",
                               id_number="110101199003071234", service_number="BB-778899")
    old = resolved(customer=customer, description="我是陈晓明，电话13812340000，宽带断了")
    committed(result_answer, complaint_id=old.id, answer="solved",
              channel=FeedbackChannel.TRACKING_PAGE)
    still_open = resolved(customer=CustomerFactory(name="李四"))
    closed_at = Complaint.objects.get(pk=old.pk).closed_at
    # The version stays: anonymisation is the deliberate direct write (complaints_scrub_texts).
    before = (old.category_id, old.received_at, Complaint.objects.count(),
              Activity.objects.filter(complaint=old).count(),
              Complaint.objects.get(pk=old.pk).version)

    assert anonymise_sweep(now=closed_at + timedelta(days=365 * 2)) == 0
    assert anonymise_sweep(now=closed_at + timedelta(days=365 * 3 + 1)) == 1
    assert anonymise_sweep(now=closed_at + timedelta(days=365 * 3 + 1)) == 0

    customer.refresh_from_db()
    assert customer.anonymised_at is not None
    assert customer.name != "陈晓明" and customer.phone != "13812340000"
    assert customer.email == customer.id_number == customer.service_number == ""
    old.refresh_from_db()
    assert "13812340000" not in old.description and "陈晓明" not in old.description
    assert not Activity.objects.filter(complaint=old, message__contains="13812340000").exists()
    assert not OutboundMessage.objects.filter(recipient="13812340000").exists()
    after = (old.category_id, old.received_at, Complaint.objects.count(),
             Activity.objects.filter(complaint=old).count() - 1,  # plus the audit entry
             old.version)
    assert after == before
    assert old.status == Status.CLOSED
    assert Activity.objects.filter(complaint=old, data__has_key="anonymised").exists()
    assert Customer.objects.get(pk=still_open.customer_id).anonymised_at is None


def test_the_sweeps_are_scheduled_periodic_tasks(resolved, settings):
    from followup import tasks
    from kernel.periodic import SCHEDULES

    scheduled = {s.task for s in SCHEDULES}
    assert {tasks.closing_auto_close.name, tasks.closing_anonymise.name} <= scheduled
    settings.CLOSING_AUTO_CLOSE_WORKING_DAYS = 0
    complaint = resolved()
    Complaint.objects.filter(pk=complaint.pk).update(
        resolved_at=timezone.now() - timedelta(days=1))
    assert tasks.closing_auto_close.apply().get() == 1
    assert tasks.closing_anonymise.apply().get() == 0
    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED
