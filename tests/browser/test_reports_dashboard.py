"""A supervisor opens the reports, changes the date range, sees the charts and follows a
figure to the complaints behind it."""

import pytest

from tests.integration.reports.conftest import dataset, national_day  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_reads_the_dashboard_and_drills_down(page, supervisor, dataset,  # noqa: F811
                                                         screenshot):
    page.goto(page.base_url + "/accounts/login/?next=/reports/")
    page.get_by_label("用户名").fill("sup_wang")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.locator('[data-figure="received"]').wait_for()
    assert page.locator('[data-figure="received"]').inner_text() == "0"  # the last 7 days

    page.locator('input[name="received_after"]').fill("2025-09-28")
    page.locator('input[name="received_before"]').fill("2025-10-10")
    page.locator("form.report-filters button[type=submit]").click()
    page.wait_for_url("**received_after=2025-09-28**")
    assert page.locator('[data-figure="received"]').inner_text() == "5"
    assert page.locator('[data-figure="first_contact"]').inner_text() == "50.0 %"
    # ECharts drew every chart on a canvas.
    for chart in ("received", "categories", "backlog", "compliance", "durations",
                  "escalations", "top_categories", "top_departments"):
        page.locator(f'[data-chart="{chart}"] canvas').first.wait_for()
        assert page.locator(f'[data-chart="{chart}"]').get_attribute("data-rendered") == "1"
    screenshot(page, "reports-dashboard")

    page.locator("a.kpi", has=page.locator('[data-figure="first_contact"]')).click()
    page.wait_for_url("**/reports/complaints/**measure=first_contact**")
    assert page.locator('[data-figure="list-count"]').inner_text() == "1"
    rows = page.locator("table.grid tbody tr")
    assert rows.count() == 1 and dataset.c1.reference in rows.first.inner_text()
    assert "****" in rows.first.inner_text()  # the customer's phone stays masked
    screenshot(page, "reports-drill-down")

    page.go_back()
    page.locator(".report-tabs a").nth(1).click()  # agents and departments, same range
    page.wait_for_url("**/reports/performance/?**received_after=2025-09-28**")
    agents = page.locator("table.grid").first
    assert "周" in agents.inner_text() and "19.75" in agents.inner_text()
    screenshot(page, "reports-performance")
