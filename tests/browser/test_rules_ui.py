import re

import pytest

from intake.models import Rule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username):
    page.goto(page.base_url + "/rules/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()


def test_supervisor_tries_the_rules_then_adds_one(page, supervisor, screenshot):
    log_in(page, "sup_wang")
    page.get_by_role("heading", name="分类规则").wait_for()
    page.get_by_label("投诉内容").fill("家里宽带老掉线，一个月了，再不修我就去工信部投诉")
    page.get_by_label("客户等级").select_option("vip")
    page.get_by_role("button", name="运行规则").click()
    result = page.get_by_role("status")
    result.wait_for()
    assert "命中 5 条规则" in result.inner_text()
    assert "网络质量 / 宽带断网/网速慢" in result.inner_text()
    assert "规则「越级投诉风险」：文本包含“工信部”" in result.inner_text()
    fired = page.locator("table.intake-rules tr.is-fired")
    assert fired.count() == 5
    screenshot(page, "intake-rules-try")

    page.get_by_role("link", name="新建规则").click()
    page.get_by_label("名称").fill("政企专线中断")
    page.get_by_role("button", name="保存规则").click()
    assert "请至少设置一个条件" in page.get_by_role("alert").first.inner_text() or \
        page.get_by_text("请至少设置一个条件").is_visible()
    page.get_by_label("文本包含以下任一关键词").fill("专线+中断")
    page.get_by_label("优先级至少提升到").select_option("major")
    page.get_by_role("button", name="保存规则").click()
    page.get_by_text("规则「政企专线中断」已保存。").wait_for()
    row = page.locator("table.intake-rules tbody tr").last
    assert "政企专线中断" in row.inner_text() and "重大" in row.inner_text()
    row.get_by_role("button", name="已启用").click()
    page.get_by_text("规则「政企专线中断」已停用。").wait_for()
    assert Rule.objects.get(name="政企专线中断").enabled is False
    assert re.search(r"已停用", page.locator("table.intake-rules tbody tr").last.inner_text())


def test_agents_do_not_get_the_rules_page(page, agent):
    log_in(page, "agent_li")
    assert page.locator("body").inner_text().strip() != ""
    response = page.goto(page.base_url + "/rules/")
    assert response.status == 403
