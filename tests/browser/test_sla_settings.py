import re
from datetime import timedelta

import pytest

from sla.calendar import working_time_between
from sla.models import Clock, Metric, SlaPolicy
from sla.selectors import work_calendars
from sla.services import clocks_start
from tests.factories import make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESOLUTION = 3  # the column of 处理完成 among the metric columns


def test_supervisor_changes_the_urgent_resolution_target(page, supervisor,
                                                         screenshot):
    page.goto(page.base_url + "/")
    page.get_by_label("用户名").fill("sup_wang")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.locator("details.menu > summary").click()  # 更多
    page.get_by_role("link", name="时限设置").click()
    page.get_by_role("heading", name="时限规则").wait_for()

    urgent = page.locator("tr", has=page.get_by_role("link", name="紧急投诉 Urgent"))
    assert urgent.locator("td.cfg-target").nth(RESOLUTION).inner_text() == "3 工作日"
    assert "紧急" in urgent.inner_text()
    default = page.locator("tr", has=page.get_by_role("link", name="默认时限 Default"))
    assert "所有投诉（默认）" in default.inner_text()
    screenshot(page, "sla-policies")

    urgent.get_by_role("link", name="编辑 紧急投诉 Urgent").click()
    page.get_by_role("heading", name="编辑时限规则“紧急投诉 Urgent”").wait_for()
    amount = page.get_by_label("处理完成", exact=True)
    assert amount.input_value() == "3"
    # A mistake first: the warning point must stay below 100 %.
    page.get_by_label("预警时点").fill("120")
    amount.fill("2")
    page.get_by_role("button", name="保存规则").click()
    alert = page.get_by_role("alert")
    assert "未保存" in alert.inner_text() and "预警时点须为时限的 1% 至 99%" in alert.inner_text()
    screenshot(page, "sla-policy-form-error")
    assert SlaPolicy.objects.get(name="紧急投诉 Urgent").targets.get(
        metric=Metric.RESOLUTION).amount == 3

    page.get_by_label("预警时点").fill("80")
    page.get_by_label("处理完成：单位").select_option(label="工作小时")
    page.get_by_label("处理完成", exact=True).fill("20")
    page.get_by_role("button", name="保存规则").click()

    page.get_by_text("时限规则“紧急投诉 Urgent”已保存").wait_for()
    urgent = page.locator("tr", has=page.get_by_role("link", name="紧急投诉 Urgent"))
    assert urgent.locator("td.cfg-target").nth(RESOLUTION).inner_text() == "20 工作小时"
    assert re.search(r"80%", urgent.inner_text())
    screenshot(page, "sla-policies-after-edit")

    # New urgent complaints get 20 working hours to resolve, warned at 80 % of them.
    complaint = make_complaint(priority="urgent")
    clocks_start(complaint_id=complaint.id)
    clock = Clock.objects.get(complaint=complaint, metric=Metric.RESOLUTION)
    assert clock.policy_id == SlaPolicy.objects.get(name="紧急投诉 Urgent").pk
    cal = work_calendars()[clock.calendar_id]
    assert working_time_between(clock.started_at, clock.due_at, cal) == timedelta(hours=20)
    assert working_time_between(clock.started_at, clock.warn_at, cal) == timedelta(hours=16)

    page.get_by_role("link", name="日历与节假日").click()
    page.get_by_role("heading", name="日历与节假日").wait_for()
    screenshot(page, "sla-calendars")
    page.get_by_role("link", name="2026", exact=True).click()
    page.get_by_role("heading", name="2026 年放假与调休上班").wait_for()
    screenshot(page, "sla-days-2026")
