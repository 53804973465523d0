import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from complaints.models import Category, Complaint
from intake.models import Rule
from tests.factories import CustomerFactory, make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def seeded_categories_and_rules(db):
    """Transactional tests run earlier flush the tables; seed them again as migrate does."""
    for module, model in [("complaints.migrations.0002_seed_categories", Category),
                          ("intake.migrations.0002_default_rules", Rule)]:
        if not model.objects.exists():
            importlib.import_module(module).seed(apps, None)


def test_agent_sees_a_repeat_callers_complaint_then_saves_the_new_one(page, agent, screenshot):
    customer = CustomerFactory(phone="13566667777", name="周婷")
    previous = make_complaint(customer=customer, received_at=timezone.now() - timedelta(days=4),
                              description="手机套餐被私自变更，多收了三十元")

    page.goto(page.base_url + "/intake/new/")
    page.get_by_label("用户名").fill("agent_li")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.locator("form.entry-form").wait_for()
    assert page.locator("input[name=channel][value=phone]").is_checked()
    assert not page.locator("#id_store").is_visible()  # only for store visits

    page.locator("#id_phone").press_sequentially("135 6666 7777", delay=20)
    history = page.locator("#caller-history")
    history.locator(f"a:text('{previous.reference}')").wait_for()
    assert "135****7777" in history.inner_text() and "13566667777" not in history.inner_text()
    assert "周*" in history.inner_text()

    page.locator("#id_description").fill("套餐还是没改回来，又扣了三十元")
    page.locator("#id_call_id").fill("CTI-20261125-7788")
    screenshot(page, "intake-entry-repeat-caller")
    page.locator("form.entry-form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/complaints/TS\d{14}/$"))
    new = Complaint.objects.exclude(pk=previous.pk).get()
    assert page.url.endswith(f"/complaints/{new.reference}/")
    assert new.customer_id == customer.id and new.channel == "phone"
    assert new.inbound_messages.get().external_id == "CTI-20261125-7788"
