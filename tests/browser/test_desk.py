"""An agent works the desk: filters the queue, searches Chinese text, bulk-assigns two rows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Complaint
from tests.factories import CustomerFactory, DepartmentFactory, StaffFactory, make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _plain_priorities(without_auto_classification):
    """The test sets priorities itself; intake's grading would raise some behind its back."""


def test_agent_filters_searches_and_bulk_assigns(page, agent, screenshot):
    csc = DepartmentFactory(code="csc", name="客服中心")
    colleague = StaffFactory(role="agent", username="agent_zhou", first_name="周")
    csc.members.add(agent, colleague)
    now = timezone.now()
    texts = [
        ("urgent", "光猫指示灯一直闪红灯，宽带无法上网，已经两天了。", timedelta(hours=2)),
        ("urgent", "新装的光猫经常自动重启，看视频总是卡顿。", timedelta(hours=20)),
        ("urgent", "营业厅办理携号转网被拒绝，要求给出书面理由。", -timedelta(hours=3)),
        ("ordinary", "光猫被装维人员收走后没有退押金。", timedelta(days=3)),
        ("ordinary", "手机信号很差，经常掉线。", timedelta(days=2)),
    ]
    made = []
    for i, (priority, text, left) in enumerate(texts):
        complaint = make_complaint(customer=CustomerFactory(phone=f"1380013{i:04d}"),
                                   description=text, priority=priority)
        Complaint.objects.filter(pk=complaint.pk).update(
            assigned_agent=agent, assigned_department=csc, next_due_at=now + left)
        made.append(complaint)

    page.goto(page.base_url + "/accounts/login/?next=/desk/")
    page.get_by_label("用户名").fill("agent_li")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    rows = page.locator("table.desk-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 5
    # the most urgent first: overdue, then 2 hours left
    assert made[2].reference in rows.nth(0).inner_text()
    assert "138****0000" in rows.nth(1).inner_text()
    screenshot(page, "desk-queue")

    page.locator("#desk-filters select[name=priority]").select_option("urgent")
    page.wait_for_url("**priority=urgent**")
    page.wait_for_function(
        "() => document.querySelectorAll('table.desk-table tbody tr').length === 3")

    page.locator("#desk-q").fill("光猫")
    page.wait_for_url("**q=%E5%85%89%E7%8C%AB**")
    page.wait_for_function(
        "() => document.querySelectorAll('table.desk-table tbody tr').length === 2")
    shown = page.locator("table.desk-table tbody").inner_text()
    assert made[0].reference in shown and made[1].reference in shown
    assert made[3].reference not in shown  # ordinary: filtered out

    page.locator("#desk-select-all").check()
    assert page.locator(".desk-pick:checked").count() == 2
    page.locator("#bulk-action").select_option("assign")
    assert page.locator(".desk-bulk select[name=priority]").is_hidden()
    page.locator(".desk-bulk select[name=agent]").select_option(label="周")
    page.locator(".desk-bulk input[name=reason]").fill("均衡工作量")
    screenshot(page, "desk-bulk-assign")
    page.locator(".desk-bulk button[type=submit]").click()
    page.locator(".messages").wait_for()
    assert "2" in page.locator(".messages").inner_text()
    assert page.locator("table.desk-table tbody tr .desk-pick").count() == 0  # no longer mine
    screenshot(page, "desk-after-bulk")
    assert set(Complaint.objects.filter(assigned_agent=colleague)
               .values_list("reference", flat=True)) == {made[0].reference, made[1].reference}
