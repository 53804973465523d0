import pytest

from tests.factories import CustomerFactory, make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_in_sees_masked_complaints_and_switches_to_english(page, agent, screenshot):
    make_complaint(customer=CustomerFactory(name="陈晓明", phone="13912345678"),
                   priority="urgent")
    page.goto(page.base_url + "/")
    assert "/accounts/login/" in page.url
    page.get_by_label("用户名").fill("agent_li")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text() == "用户名或密码错误。"
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="最近的投诉").wait_for()
    row = page.locator("table.grid tbody tr").first
    assert "139****5678" in row.inner_text() and "陈**" in row.inner_text()
    assert "13912345678" not in page.content()
    assert "紧急" in row.inner_text()
    screenshot(page, "home-zh")
    page.get_by_label("语言").select_option("en")
    page.get_by_role("heading", name="Recent complaints").wait_for()
    assert "Urgent" in page.locator("table.grid tbody tr").first.inner_text()
    screenshot(page, "home-en")
