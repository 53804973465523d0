"""The top bar after eight hours at the screen: the daily work in one line, the rest in a menu."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_finds_daily_work_in_the_bar_and_settings_in_the_menu(page, supervisor,
                                                                          screenshot):
    page.goto(page.base_url + "/accounts/login/?next=/desk/")
    page.locator("input[name=username]").fill("sup_wang")
    page.locator("input[name=password]").fill("pass-1234")
    page.locator("form button[type=submit]").first.click()
    nav = page.locator("header nav")
    current = nav.locator("a[aria-current=page]")
    current.wait_for()
    assert current.inner_text() == "工作台"
    for label in ("工作台", "升级队列", "统计报表"):
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    rules = nav.get_by_role("link", name="分类规则")
    assert not rules.is_visible()  # tucked away until the menu opens

    # One line: the bar is no taller than a single row of links.
    assert page.locator("header.topbar").bounding_box()["height"] < 60

    nav.locator("details.menu > summary").click()
    assert rules.is_visible()
    screenshot(page, "navigation-menu")
    rules.click()
    page.wait_for_url("**/rules/")
    assert page.locator("h1").first.is_visible()
