"""A supervisor works an escalated complaint in the queue."""

import pytest
from playwright.sync_api import expect

from complaints.models import Complaint
from sla import escalations, sweep
from sla import services as sla
from sla.models import Escalation
from tests.factories import CustomerFactory, DepartmentFactory, make_complaint
from tests.integration.sla.conftest import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_acknowledges_sets_a_date_and_deescalates(page, supervisor, agent,
                                                             screenshot):
    dept = DepartmentFactory(code="gz", name="广州客服", supervisor=supervisor)
    late = make_complaint(customer=CustomerFactory(phone="13912345678"),
                          received_at=local(2026, 11, 2, 9, 0),
                          description="宽带断网一周，报修多次无人上门，要求尽快修复并赔偿。")
    Complaint.objects.filter(pk=late.pk).update(assigned_department=dept)
    sla.clocks_start(complaint_id=late.id)
    sweep.sla_sweep()
    other = make_complaint(description="营业厅工作人员态度恶劣，要求道歉。")
    escalations.escalation_raise_manually(complaint_id=other.id, actor=agent, reason="客户称要曝光")

    page.goto(page.base_url + "/accounts/login/?next=/desk/escalations/")
    page.get_by_label("用户名").fill("sup_wang")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="升级队列").wait_for()
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert late.reference in first.inner_text()  # the most overdue comes first
    # The countdown script (deferred) turns the due time into "超时 …"; wait for it.
    expect(first.locator(".countdown")).to_contain_text("超时")
    assert "139****5678" in first.inner_text()
    screenshot(page, "escalation-queue")

    first.get_by_role("button", name="确认").click()
    first = page.locator("table.queue tbody tr").nth(0)
    assert "sup_wang 已确认" in first.inner_text()
    first.locator("summary").click()
    first.get_by_label("新的预计完成时间").fill("2026-12-30T10:00")
    first.locator("form", has_text="设置预计完成时间").get_by_label("原因").fill("需更换光缆")
    first.get_by_role("button", name="设置预计完成时间").click()
    assert "已更新" in page.locator(".messages").inner_text()
    first = page.locator("table.queue tbody tr").nth(0)
    assert "2026-12-30 10:00" in first.inner_text()
    first.locator("summary").click()
    first.locator("form", has_text="降级").get_by_label("原因").fill("已与客户达成一致")
    first.get_by_role("button", name="降级").click()
    page.locator(".messages").wait_for()
    assert page.locator("table.queue tbody tr").count() == 1
    screenshot(page, "escalation-queue-after")
    assert not Escalation.objects.get(complaint=late).is_open
    late.refresh_from_db()
    assert late.escalation_level == 0
    assert late.activities.filter(kind="escalation", message__contains="已与客户达成一致").exists()
