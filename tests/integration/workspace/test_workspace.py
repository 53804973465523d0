"""The complaint workspace page: what it shows, each action through the page, conflicts."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.lifecycle import Status
from complaints.models import Activity, ActivityKind, Complaint, PersonalDataAccess
from workspace.models import CannedResponse, DepartmentTask
from notifications.models import Notification, OutboundMessage
from tests import seeds
from tests.builders import complaint_in
from tests.factories import CustomerFactory, DepartmentFactory, StaffFactory, make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def workspace_seeds(db):
    """The migration's canned responses and red lines (a transactional test may have flushed
    them)."""
    seeds.workspace_phrases()


@pytest.fixture
def web():
    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def customer():
    return CustomerFactory(name="陈晓明", phone="13912345678", id_number="110101199003071234")


@pytest.fixture
def in_progress(agent, customer):
    return complaint_in(Status.IN_PROGRESS, actor=agent, customer=customer)


def url(complaint, name=None):
    if name is None:
        return reverse("complaint-detail", args=[complaint.reference])
    return reverse("complaint-act", args=[complaint.reference, name])


def fresh(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


# --- the page -------------------------------------------------------------------------------


def test_page_shows_masked_customer_other_complaints_clocks_and_a_distinct_timeline(
        agent, in_progress, customer, web):
    older = make_complaint(customer=customer, description="上个月宽带断网三次。")
    services.complaint_add_note(complaint_id=in_progress.id, actor=agent, body="内部：已查话单")
    services.complaint_add_note(complaint_id=in_progress.id, actor=agent, body="您好，正在处理",
                                public=True)
    html = web(agent).get(url(in_progress)).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    assert "110101199003071234" not in html
    assert older.reference in html  # this customer's other complaint, linked
    assert reverse("complaint-detail", args=[older.reference]) in html
    # public replies and internal notes look different
    assert re.search(r'ws-entry ws-kind-internal_note ws-internal[^"]*">', html)
    assert re.search(r'ws-entry ws-kind-public_reply ws-public[^"]*">', html)
    assert 'class="countdown" data-deadline=' in html  # live SLA countdowns
    assert reverse("intake-complaint-classification", args=[in_progress.reference]) in html
    # the actions the lifecycle allows here, and not others
    assert url(in_progress, "info") in html and url(in_progress, "dispatch") in html
    assert 'name="action" value="close"' not in html


def test_page_loads_with_a_fixed_number_of_queries_whatever_the_timeline_length(
        agent, in_progress, web, django_assert_max_num_queries, customer):
    client = web(agent)
    client.get(url(in_progress))  # warm up session and permission caches
    with django_assert_max_num_queries(23) as few:  # +1: category suggestions
        client.get(url(in_progress))
    for i in range(30):
        services.complaint_add_note(complaint_id=in_progress.id, actor=agent, body=f"备注{i}",
                                    public=i % 2 == 0)
        make_complaint(customer=customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(in_progress))
    assert response.content.decode().count("ws-entry ws-kind-") >= 33


def test_someone_without_access_gets_nothing(in_progress, roles):
    outsider = StaffFactory(username="visitor")
    assert Client().get(url(in_progress)).status_code == 302  # to the login page
    client = Client()
    client.force_login(outsider)
    assert client.get(url(in_progress)).status_code == 404
    assert client.post(url(in_progress, "note"), {"version": 1, "body": "x"}).status_code == 403


# --- stale versions -------------------------------------------------------------------------


def test_second_save_is_refused_with_who_changed_what_and_nothing_is_overwritten(
        agent, supervisor, in_progress, web):
    department = DepartmentFactory(code="net-ops", name="网络运维部")
    opened_version = in_progress.version
    # the supervisor saves first
    response = web(supervisor).post(url(in_progress, "investigation"), {
        "version": opened_version, "responsibility_type": "company",
        "responsible_department": department.pk, "findings": "基站故障"})
    assert response.status_code == 302
    # the agent, still on the old page, saves over it
    response = web(agent).post(url(in_progress, "investigation"), {
        "version": opened_version, "responsibility_type": "customer",
        "findings": "客户手机设置问题"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "王" in html  # the supervisor's name
    assert "基站故障" in html  # what they wrote
    assert "客户手机设置问题" in html  # the agent's own input is kept
    complaint = fresh(in_progress)
    assert complaint.responsibility_type == "company"
    assert complaint.responsible_department == department
    # the kept form now carries the current version: sending again is a deliberate choice
    assert re.search(rf'name="version" value="{complaint.version}" id="investigation_version"',
                     html)


# --- lifecycle buttons, assignment, information request -------------------------------------


def test_acknowledge_and_start_through_the_page(agent, web, committed):
    complaint = fresh(committed(make_complaint, actor=agent))
    client = web(agent)
    assert client.post(url(complaint, "transition"), {
        "version": complaint.version, "action": "acknowledge"}).status_code == 302
    complaint = fresh(complaint)
    assert complaint.status == Status.ACKNOWLEDGED and complaint.acknowledged_at
    response = client.post(url(complaint, "transition"), {
        "version": complaint.version, "action": "close"})
    assert response.status_code == 409  # not allowed from acknowledged
    assert fresh(complaint).status == Status.ACKNOWLEDGED


def test_agent_may_not_cancel(agent, in_progress, web, committed):
    complaint = fresh(committed(make_complaint))
    response = web(agent).post(url(complaint, "transition"), {
        "version": complaint.version, "action": "cancel", "reason": "重复"})
    assert response.status_code == 403
    assert fresh(complaint).status == Status.NEW


def test_transfer_needs_a_reason(agent, in_progress, web):
    first = DepartmentFactory(code="billing", name="计费中心")
    second = DepartmentFactory(code="care", name="客户服务中心")
    client = web(agent)
    assert client.post(url(in_progress, "assign"), {
        "version": in_progress.version, "department": first.pk}).status_code == 302
    complaint = fresh(in_progress)
    response = client.post(url(complaint, "assign"), {
        "version": complaint.version, "department": second.pk})
    assert response.status_code == 400
    assert fresh(complaint).assigned_department == first
    assert client.post(url(complaint, "assign"), {
        "version": complaint.version, "department": second.pk,
        "reason": "属于服务质量问题"}).status_code == 302
    entry = Activity.objects.filter(complaint=complaint, kind=ActivityKind.ASSIGNMENT).last()
    assert entry.data["reason"] == "属于服务质量问题"


def test_asking_the_customer_pauses_the_clocks_and_sends_the_question(
        agent, in_progress, web, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = web(agent).post(url(in_progress, "info"), {
            "version": in_progress.version, "question": "请提供出现问题的具体时间和地点。",
            "send_to_customer": "on"})
    assert response.status_code == 302
    complaint = fresh(in_progress)
    assert complaint.status == Status.WAITING_CUSTOMER
    assert complaint.clocks.filter(state="paused").exists()
    message = OutboundMessage.objects.get(complaint=complaint, purpose="info_request")
    assert message.body == "请提供出现问题的具体时间和地点。"


# --- dispatch and results -------------------------------------------------------------------


def test_dispatch_to_two_departments_and_receive_both_results(
        agent, in_progress, web, django_capture_on_commit_callbacks):
    network = DepartmentFactory(code="net-ops", name="网络运维部")
    billing = DepartmentFactory(code="billing", name="计费中心")
    client = web(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(in_progress, "dispatch"), {
            "version": in_progress.version, "departments": [network.pk, billing.pk],
            "instructions": "核查基站告警与本月计费记录"})
    assert response.status_code == 302
    complaint = fresh(in_progress)
    assert complaint.status == Status.WAITING_DEPARTMENT
    tasks = list(DepartmentTask.objects.filter(complaint=complaint).order_by("department__code"))
    assert [t.department.code for t in tasks] == ["billing", "net-ops"]
    assert complaint.clocks.filter(metric="multi_department_notice").exists()

    assert client.post(url(complaint, "dispatch-result"), {
        "version": complaint.version, "task": tasks[0].pk,
        "result": "计费无误"}).status_code == 302
    assert fresh(complaint).status == Status.WAITING_DEPARTMENT  # one still open
    response = client.post(url(complaint, "dispatch-result"), {
        "version": fresh(complaint).version, "task": tasks[0].pk, "result": "再次回单"})
    assert response.status_code == 400  # already returned
    assert client.post(url(complaint, "dispatch-result"), {
        "version": fresh(complaint).version, "task": tasks[1].pk,
        "result": "基站板卡故障，已更换"}).status_code == 302
    complaint = fresh(complaint)
    assert complaint.status == Status.IN_PROGRESS
    assert set(DepartmentTask.objects.values_list("status", flat=True)) == {"returned"}
    html = client.get(url(complaint)).content.decode()
    assert "基站板卡故障，已更换" in html and "计费无误" in html


def test_the_departments_supervisor_is_told_of_the_dispatch(agent, supervisor, in_progress,
                                                            web):
    network = DepartmentFactory(code="net-ops", name="网络运维部", supervisor=supervisor)
    long_instructions = "核查基站告警" * 200  # 1,200 characters
    response = web(agent).post(url(in_progress, "dispatch"), {
        "version": in_progress.version, "departments": [network.pk],
        "instructions": long_instructions})
    assert response.status_code == 302
    notice = Notification.objects.get(recipient=supervisor, kind="dispatch")
    assert notice.complaint_id == in_progress.pk
    assert notice.message.startswith(f"{in_progress.reference}已派单至网络运维部：核查基站告警")
    assert len(notice.message) == 500  # the instructions cut to fit


def test_dispatch_without_departments_changes_nothing(agent, in_progress, web):
    response = web(agent).post(url(in_progress, "dispatch"), {
        "version": in_progress.version, "instructions": "核查"})
    assert response.status_code == 400
    assert fresh(in_progress).status == Status.IN_PROGRESS
    assert not DepartmentTask.objects.exists()


# --- investigation, compensation, approval, resolution --------------------------------------


def test_compensation_within_the_limit_stands_and_resolving_tells_the_customer(
        agent, in_progress, web, settings):
    settings.COMPENSATION_APPROVAL_LIMIT = 200
    client = web(agent)
    assert client.post(url(in_progress, "compensation"), {
        "version": in_progress.version, "compensation_type": "bill_credit", "amount": "50",
        "reason": "断网三天"}).status_code == 302
    complaint = fresh(in_progress)
    assert complaint.compensation_status == "approved"
    assert complaint.compensation_amount == Decimal("50.00")
    assert client.post(url(complaint, "resolve"), {
        "version": complaint.version, "summary": "已修复基站并减免话费",
        "notify_customer": "on"}).status_code == 302
    complaint = fresh(complaint)
    assert complaint.status == Status.RESOLVED
    message = OutboundMessage.objects.get(complaint=complaint, purpose="resolution")
    assert "已修复基站并减免话费" in message.body and "50" in message.body


def test_compensation_above_the_limit_waits_for_a_supervisor_in_the_approval_queue(
        agent, supervisor, in_progress, web, settings):
    settings.COMPENSATION_APPROVAL_LIMIT = 200
    agent_client, sup_client = web(agent), web(supervisor)
    agent_client.post(url(in_progress, "compensation"), {
        "version": in_progress.version, "compensation_type": "refund", "amount": "500",
        "reason": "多扣费用三个月"})
    complaint = fresh(in_progress)
    assert complaint.compensation_status == "pending"
    assert Notification.objects.filter(recipient=supervisor, kind="approval").exists()
    # cannot be resolved, nor the customer told, before approval
    response = agent_client.post(url(complaint, "resolve"), {
        "version": complaint.version, "summary": "退款", "notify_customer": "on"})
    assert response.status_code == 400
    assert "approval" in response.content.decode() or "审批" in response.content.decode()
    assert fresh(complaint).status == Status.IN_PROGRESS
    assert not OutboundMessage.objects.filter(purpose="resolution").exists()
    # the agent cannot approve, and does not see the queue
    assert agent_client.get(reverse("workspace-approvals")).status_code == 403
    assert agent_client.post(url(complaint, "approve"), {
        "version": complaint.version, "decision": "approve"}).status_code == 403
    # the supervisor sees it in the queue and approves it from there
    queue = sup_client.get(reverse("workspace-approvals")).content.decode()
    assert complaint.reference in queue and "500" in queue and "多扣费用三个月" in queue
    response = sup_client.post(url(complaint, "approve"), {
        "version": complaint.version, "decision": "approve", "next": "approvals"})
    assert response.status_code == 302 and response["Location"] == reverse("workspace-approvals")
    complaint = fresh(complaint)
    assert complaint.compensation_status == "approved"
    assert complaint.compensation_approved_by == supervisor
    queue = sup_client.get(reverse("workspace-approvals")).content.decode()
    assert reverse("complaint-detail", args=[complaint.reference]) not in queue
    assert agent_client.post(url(complaint, "resolve"), {
        "version": complaint.version, "summary": "已退款", "notify_customer": "on"}
    ).status_code == 302
    assert fresh(complaint).status == Status.RESOLVED


def test_a_rejection_needs_a_reason_and_is_on_the_timeline(agent, supervisor, in_progress, web,
                                                           settings):
    settings.COMPENSATION_APPROVAL_LIMIT = 100
    web(agent).post(url(in_progress, "compensation"), {
        "version": in_progress.version, "compensation_type": "gift", "amount": "300",
        "reason": "VIP"})
    complaint = fresh(in_progress)
    client = web(supervisor)
    assert client.post(url(complaint, "approve"), {
        "version": complaint.version, "decision": "reject"}).status_code == 400
    assert client.post(url(complaint, "approve"), {
        "version": complaint.version, "decision": "reject",
        "reason": "超出标准"}).status_code == 302
    complaint = fresh(complaint)
    assert complaint.compensation_status == "rejected"
    entry = Activity.objects.filter(complaint=complaint).last()
    assert entry.data["changed"]["compensation_status"] == ["pending", "rejected"]
    assert entry.data["reason"] == "超出标准"


def test_investigation_records_responsibility(agent, in_progress, web):
    department = DepartmentFactory(code="store-1", name="营业厅一")
    assert web(agent).post(url(in_progress, "investigation"), {
        "version": in_progress.version, "responsibility_type": "third_party",
        "responsible_department": department.pk,
        "findings": "代理商误办业务"}).status_code == 302
    complaint = fresh(in_progress)
    assert complaint.responsibility_type == "third_party"
    assert complaint.responsible_department == department
    assert Activity.objects.filter(complaint=complaint, message__contains="代理商误办业务").exists()


def test_manual_escalation_with_a_reason(agent, in_progress, web):
    assert web(agent).post(url(in_progress, "escalate"), {
        "level": 1, "reason": "客户扬言投诉到工信部"}).status_code == 302
    complaint = fresh(in_progress)
    assert complaint.escalation_level == 1
    assert complaint.escalation.reason.endswith("客户扬言投诉到工信部")


# --- replies --------------------------------------------------------------------------------


def test_canned_response_fills_in_the_placeholders(agent, in_progress, web):
    canned = CannedResponse.objects.get(title="受理安抚")
    response = web(agent).get(reverse("complaint-canned", args=[in_progress.reference]),
                              {"canned": canned.pk})
    html = response.content.decode()
    assert "陈晓明您好" in html and in_progress.reference in html
    assert "{customer_name}" not in html and "{expected_date}" not in html
    assert re.search(r"\d{4}-\d{2}-\d{2}前", html)  # the resolution deadline


def test_red_line_check_warns_while_typing(agent, web):
    response = web(agent).post(reverse("workspace-redline-check"),
                               {"body": "您好，我们的网络绝对没有问题。"})
    html = response.content.decode()
    assert "我们的网络绝对没有问题" in html and "技术人员" in html  # phrase and suggestion
    assert web(agent).post(reverse("workspace-redline-check"),
                           {"body": "您好，我们正在处理。"}).content.decode().strip() == ""


def test_a_reply_with_a_red_line_is_held_until_sent_anyway(agent, in_progress, web):
    client = web(agent)
    body = "您好，这不是什么大问题，明天就好。"
    response = client.post(url(in_progress, "reply"), {
        "version": in_progress.version, "channel": "sms", "body": body})
    html = response.content.decode()
    assert response.status_code == 200
    assert "这不是什么大问题" in html and "send_anyway" in html
    assert body in html  # the text is kept
    assert not OutboundMessage.objects.exists()
    assert client.post(url(in_progress, "reply"), {
        "version": in_progress.version, "channel": "sms", "body": body,
        "send_anyway": "on"}).status_code == 302
    message = OutboundMessage.objects.get()
    assert message.body == body and message.recipient == "13912345678"
    entry = Activity.objects.get(complaint=in_progress, kind=ActivityKind.PUBLIC_REPLY)
    assert entry.data["red_lines_sent_anyway"] == ["这不是什么大问题"]


def test_a_reply_in_the_evening_waits_for_eight_oclock(agent, in_progress, web, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    sh = ZoneInfo("Asia/Shanghai")
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 24, 20, 15, tzinfo=sh))
    response = web(agent).post(url(in_progress, "reply"), {
        "version": in_progress.version, "channel": "sms", "body": "您好，已为您处理。"},
        follow=True)
    message = OutboundMessage.objects.get()
    assert message.send_after == datetime(2026, 11, 25, 8, 0, tzinfo=sh)
    assert "2026-11-25 08:00" in response.content.decode()


def test_email_reply_needs_an_address(agent, web, committed):
    customer = CustomerFactory(email="")
    complaint = fresh(committed(make_complaint, customer=customer))
    response = web(agent).post(url(complaint, "reply"), {
        "version": complaint.version, "channel": "email", "body": "您好"})
    assert response.status_code == 400
    assert not OutboundMessage.objects.exists()
    assert not Activity.objects.filter(complaint=complaint, kind=ActivityKind.PUBLIC_REPLY).exists()


# --- personal data --------------------------------------------------------------------------


def test_revealing_the_full_number_needs_the_permission_and_is_logged(
        agent, supervisor, in_progress, web):
    reveal = reverse("complaint-reveal", args=[in_progress.reference])
    assert web(agent).post(reveal, {"reason": "回访"}).status_code == 403
    assert reveal not in web(agent).get(url(in_progress)).content.decode()  # no reveal form
    assert reveal in web(supervisor).get(url(in_progress)).content.decode()
    response = web(supervisor).post(reveal, {"reason": "客户要求回电"})
    html = response.content.decode()
    assert "13912345678" in html and "110101199003071234" in html
    assert response["Cache-Control"] == "no-store"
    access = PersonalDataAccess.objects.get()
    assert access.user == supervisor and access.reason == "客户要求回电"
    assert access.complaint_id == in_progress.id
    assert web(supervisor).post(reveal, {"reason": ""}).status_code == 400
    assert PersonalDataAccess.objects.count() == 1


# --- settings -------------------------------------------------------------------------------


def test_supervisor_edits_canned_responses_and_red_lines(supervisor, agent, web):
    client = web(supervisor)
    assert client.post(reverse("workspace-canned"), {
        "title": "回访", "body": "{customer_name}您好，{unknown}", "channel": "",
        "sort_order": 9, "is_active": "on"}).status_code == 400
    assert client.post(reverse("workspace-canned"), {
        "title": "回访", "body": "{customer_name}您好，感谢您的耐心。", "channel": "sms",
        "sort_order": 9, "is_active": "on"}).status_code == 302
    canned = CannedResponse.objects.get(title="回访")
    assert canned.updated_by == supervisor and canned.channel == "sms"
    assert client.post(reverse("workspace-redlines"), {
        "phrase": "你自己看说明书", "suggestion": "我来为您一步步说明。",
        "is_active": "on"}).status_code == 302
    assert "你自己看说明书" in web(agent).post(
        reverse("workspace-redline-check"), {"body": "你自己看说明书吧"}).content.decode()
    # agents read the lists but do not edit them
    assert web(agent).get(reverse("workspace-redlines")).status_code == 200
    assert web(agent).post(reverse("workspace-redlines"), {
        "phrase": "随便", "suggestion": "", "is_active": "on"}).status_code == 403
    assert web(agent).post(reverse("workspace-canned-edit", args=[canned.pk]), {
        "title": "x", "body": "x", "sort_order": 0}).status_code == 403


def test_nav_links_for_supervisors_only(supervisor, agent, web):
    assert reverse("workspace-approvals") in web(supervisor).get("/").content.decode()
    assert reverse("workspace-approvals") not in web(agent).get("/").content.decode()


# --- attachments ----------------------------------------------------------------------------


def test_files_attached_on_the_page_show_in_the_timeline(agent, in_progress, web):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from complaints.models import Attachment

    client = web(agent)
    report = SimpleUploadedFile("基站检测报告.txt", "信号强度 -110dBm".encode(), "text/plain")
    assert client.post(url(in_progress, "attach"), {
        "files": [report], "note": "现场检测记录"}).status_code == 302
    attachment = Attachment.objects.get()
    html = client.get(url(in_progress)).content.decode()
    assert "基站检测报告.txt" in html and "现场检测记录" in html
    assert reverse("api-complaint-attachment", args=[in_progress.reference, attachment.pk]) in html
    program = SimpleUploadedFile("发票.pdf", b"MZ\x90\x00" + b"\x00" * 100,
                                 "application/pdf")
    response = client.post(url(in_progress, "attach"), {"files": [program]})
    assert response.status_code == 400
    assert Attachment.objects.count() == 1


def test_approval_queue_uses_a_fixed_number_of_queries(agent, supervisor, web, settings,
                                                       django_assert_max_num_queries):
    from workspace import services as ws

    settings.COMPENSATION_APPROVAL_LIMIT = 100

    def pending(n):
        for _ in range(n):
            complaint = make_complaint()
            complaint.refresh_from_db()
            ws.compensation_propose(complaint_id=complaint.id, actor=agent,
                                    expected_version=complaint.version,
                                    compensation_type="refund", amount=Decimal("300"),
                                    reason="多扣费")

    client = web(supervisor)
    pending(2)
    client.get(reverse("workspace-approvals"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("workspace-approvals"))
    pending(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(reverse("workspace-approvals")).content.decode()
    assert html.count('name="decision" value="approve"') == 10
