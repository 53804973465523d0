"""The workspace in a real browser: an agent takes a phone complaint from a repeat caller and
works it to resolution; a supervisor approves a compensation and works an escalated complaint.

Locators use ids, names and data the test typed, not interface wording, so they hold in any
language.
"""

import re

import pytest

from complaints.lifecycle import Status
from complaints.models import Complaint
from notifications.models import OutboundMessage
from sla import escalations
from tests import seeds
from tests.builders import complaint_in
from tests.factories import CustomerFactory, DepartmentFactory, make_complaint
from workspace import services as ws
from workspace.models import DepartmentTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def workspace_seeds():
    seeds.workspace_phrases()


def login(page, username, next_url):
    page.goto(f"{page.base_url}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(re.escape(next_url.split("?")[0])))


def act_button(page, action):
    return page.locator(f"form:has(input[name=action][value={action}]) button[type=submit]")


def open_panel(page, name):
    page.locator(f"details:has(form[action$='/act/{name}/']) > summary").click()


def test_agent_takes_a_phone_complaint_and_works_it_to_resolution(page, agent, screenshot):
    network = DepartmentFactory(code="net-ops", name="网络运维部")
    billing = DepartmentFactory(code="billing", name="计费中心")
    earlier = make_complaint(customer=CustomerFactory(name="陈晓明", phone="13912345678"),
                             description="上个月家里宽带断网三次。")

    login(page, "agent_li", "/intake/new/?channel=phone")
    page.fill("#id_phone", "139 1234 5678")
    page.fill("#id_name", "陈晓明")
    page.fill("#id_description", "手机在家里没有信号，打不了电话，已经三天了，要求尽快解决。")
    page.locator("form.entry-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/complaints/TS\d+/$"))
    complaint = Complaint.objects.exclude(pk=earlier.pk).get()
    assert complaint.channel == "phone"

    # the customer panel: masked number, and the caller's earlier complaint
    customer = page.locator("[aria-labelledby=h-customer]")
    assert "139****5678" in customer.inner_text()
    assert "13912345678" not in page.content()
    assert customer.locator(f"a[href='/complaints/{earlier.reference}/']").count() == 1
    assert page.locator("[aria-labelledby=h-clocks] .countdown").count() >= 1

    act_button(page, "acknowledge").click()
    page.locator(".messages").wait_for()
    act_button(page, "start").click()
    page.locator(".messages").wait_for()
    assert Complaint.objects.get(pk=complaint.pk).status == Status.IN_PROGRESS

    # reply with a canned response; a red-line phrase is flagged while typing
    page.select_option("#reply_canned", label="受理安抚")
    page.wait_for_function("() => document.querySelector('#reply_body').value.includes('陈晓明您好')")
    text = page.input_value("#reply_body")
    assert complaint.reference in text and "{" not in text
    page.fill("#reply_body", text + "我们的网络绝对没有问题。")
    warning = page.locator("#red-lines .ws-redline")
    warning.wait_for()
    assert "我们的网络绝对没有问题" in warning.inner_text()
    assert "技术人员" in warning.inner_text()  # the suggested wording
    screenshot(page, "workspace-red-line-warning")
    page.fill("#reply_body", text + "我们会安排技术人员上门检测。")
    warning.wait_for(state="detached")
    page.locator("#reply-form button[type=submit]").click()
    page.locator(".messages").wait_for()
    message = OutboundMessage.objects.get(complaint=complaint, purpose="reply")
    assert message.body.startswith("陈晓明您好") and message.recipient == "13912345678"
    assert page.locator(".ws-timeline .ws-public", has_text="技术人员上门检测").count() == 1

    # dispatch to two departments (派单) and record both results (回单)
    open_panel(page, "dispatch")
    page.locator("label.ws-check", has_text="网络运维部").locator("input").check()
    page.locator("label.ws-check", has_text="计费中心").locator("input").check()
    page.fill("#dispatch_instructions", "核查小区基站告警，并核对本月是否误扣费。")
    page.locator("form[action$='/act/dispatch/'] button[type=submit]").click()
    page.locator("[data-testid=task-net-ops]").wait_for()
    assert Complaint.objects.get(pk=complaint.pk).status == Status.WAITING_DEPARTMENT
    results = ((network, "基站板卡故障，已于今日更换。"), (billing, "本月计费无误。"))
    for department, result in results:
        task = DepartmentTask.objects.get(complaint=complaint, department=department)
        page.fill(f"#result_{task.pk}", result)
        page.locator(f"form:has(#result_{task.pk}) button[type=submit]").click()
        page.locator(f"[data-testid=task-{department.code}] .ws-result").wait_for()
    assert Complaint.objects.get(pk=complaint.pk).status == Status.IN_PROGRESS
    screenshot(page, "workspace-after-results")

    open_panel(page, "resolve")
    page.fill("#resolve_summary", "基站板卡已更换，信号恢复；计费核对无误。")
    page.locator("form[action$='/act/resolve/'] button[type=submit]").click()
    page.locator(".ws-status-resolved").first.wait_for()
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.status == Status.RESOLVED
    assert complaint.resolution_summary.startswith("基站板卡已更换")
    assert OutboundMessage.objects.filter(complaint=complaint, purpose="resolution").exists()
    assert set(DepartmentTask.objects.filter(complaint=complaint)
               .values_list("status", flat=True)) == {"returned"}
    screenshot(page, "workspace-resolved")


def test_supervisor_approves_a_compensation_and_works_an_escalated_complaint(
        page, agent, supervisor, screenshot, settings):
    settings.COMPENSATION_APPROVAL_LIMIT = 200
    costly = complaint_in(Status.IN_PROGRESS, actor=agent,
                          customer=CustomerFactory(name="王芳", phone="13700001111"),
                          description="连续三个月被多扣流量费，要求退款。")
    ws.compensation_propose(complaint_id=costly.id, actor=agent,
                            expected_version=costly.version, compensation_type="refund",
                            amount=480, reason="三个月多扣费用共480元")
    escalated = make_complaint(customer=CustomerFactory(name="李强", phone="13600002222"),
                               description="营业厅工作人员态度恶劣，要求道歉，否则投诉到工信部。")
    escalations.escalation_raise_manually(complaint_id=escalated.id, actor=agent,
                                  reason="客户称要投诉到工信部")

    login(page, "sup_wang", "/")
    page.locator("nav a[href='/approvals/']").click()
    row = page.locator("table.ws-approvals tbody tr", has_text=costly.reference)
    assert "480" in row.inner_text() and "三个月多扣费用共480元" in row.inner_text()
    screenshot(page, "workspace-approvals")
    row.locator(f"#approve_reason_{costly.pk}").fill("核实无误")
    row.locator("form:has(input[name=decision][value=approve]) button").click()
    page.locator(".messages").wait_for()
    assert page.locator("table.ws-approvals tbody tr", has_text=costly.reference).count() == 0
    costly.refresh_from_db()
    assert costly.compensation_status == "approved"
    assert costly.compensation_approved_by == supervisor

    # the escalated complaint: acknowledge in the queue, then reply and resolve on its page
    page.goto(page.base_url + "/desk/escalations/")
    queue_row = page.locator("table.queue tbody tr", has_text=escalated.reference)
    queue_row.locator("form[action$='/acknowledge/'] button").click()
    page.locator(".messages").wait_for()
    page.goto(f"{page.base_url}/complaints/{escalated.reference}/")
    assert page.locator(".ws-escalation").count() == 1
    act_button(page, "acknowledge").click()
    page.locator(".messages").wait_for()
    act_button(page, "start").click()
    page.locator(".messages").wait_for()
    page.select_option("#reply_canned", label="致歉")
    page.wait_for_function("() => document.querySelector('#reply_body').value.includes('李强您好')")
    page.locator("#reply-form button[type=submit]").click()
    page.locator(".messages").wait_for()
    assert OutboundMessage.objects.filter(complaint=escalated, purpose="reply").exists()
    open_panel(page, "resolve")
    page.fill("#resolve_summary", "已向客户当面致歉，并对营业员进行服务培训。")
    page.uncheck("#resolve_notify_customer")
    page.locator("form[action$='/act/resolve/'] button[type=submit]").click()
    page.locator(".ws-status-resolved").first.wait_for()
    screenshot(page, "workspace-escalated-resolved")
    escalated.refresh_from_db()
    assert escalated.status == Status.RESOLVED
    assert escalated.escalation.acknowledged_by == supervisor
    assert not OutboundMessage.objects.filter(complaint=escalated, purpose="resolution").exists()


def test_a_second_save_shows_who_changed_what_and_keeps_the_input(page, agent, supervisor,
                                                                  screenshot):
    complaint = complaint_in(Status.IN_PROGRESS, actor=agent,
                             customer=CustomerFactory(name="赵敏", phone="13500003333"),
                             description="宽带速度只有签约的一半。")
    login(page, "agent_li", f"/complaints/{complaint.reference}/")
    open_panel(page, "investigation")
    page.fill("#investigation_findings", "客户路由器老化导致限速")
    page.select_option("#investigation_responsibility_type", "customer")
    # meanwhile a supervisor records another finding
    complaint.refresh_from_db()
    ws.investigation_record(complaint_id=complaint.id, actor=supervisor,
                            expected_version=complaint.version, responsible_department=None,
                            responsibility_type="company", findings="端口配置错误，已修正")
    page.locator("form[action$='/act/investigation/'] button[type=submit]").click()
    conflict = page.locator("#conflict")
    conflict.wait_for()
    assert "王" in conflict.inner_text() and "端口配置错误，已修正" in conflict.inner_text()
    assert page.input_value("#investigation_findings") == "客户路由器老化导致限速"
    screenshot(page, "workspace-conflict")
    complaint.refresh_from_db()
    assert complaint.responsibility_type == "company"
    # having read the supervisor's change, the agent sends their finding deliberately
    page.locator("form[action$='/act/investigation/'] button[type=submit]").click()
    page.locator(".messages").wait_for()
    complaint.refresh_from_db()
    assert complaint.responsibility_type == "customer"
