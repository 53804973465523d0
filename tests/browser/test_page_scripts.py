"""What used to be inline handlers works from static/js/page.js under the Content-Security-Policy
(issue 15, finding 9): the language switch submits itself, a dangerous button asks first."""

import pytest

from sla.models import SlaPolicy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_language_switch_and_confirmation_work_without_inline_script(page, supervisor):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill("sup_wang")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.goto(page.base_url + "/settings/sla/")
    policy = SlaPolicy.objects.get(name="紧急投诉 Urgent")  # not the default: may be deactivated
    assert policy.is_active
    row = page.locator(f"#policy-{policy.pk}")

    # The question is asked; "cancel" keeps the policy active.
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="停用").click()
    page.wait_for_timeout(300)
    policy.refresh_from_db()
    assert policy.is_active

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="停用").click()
    page.locator(".messages").wait_for()
    policy.refresh_from_db()
    assert not policy.is_active

    # Choosing a language submits the form by itself (no button without JavaScript).
    page.locator("#lang").select_option("en")
    page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out")) \
        .first.wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
