"""A QA colleague opens the callback queue and reveals the number to dial (logged)."""

import pytest

from complaints.lifecycle import Status
from complaints.models import PersonalDataAccess, Priority
from followup.models import CallbackTask
from tests.builders import complaint_in
from tests.factories import CustomerFactory, StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_qa_sees_the_callback_queue_and_reveals_the_number(page, agent, roles, screenshot):
    qa = StaffFactory(role="qa", username="qa_sun", first_name="孙")
    complaint = complaint_in(Status.RESOLVED, actor=agent,
                             customer=CustomerFactory(phone="13987650000"),
                             priority=Priority.MAJOR,
                             description="宽带连续三天无法上网，影响居家办公，要求赔偿。",
                             resolution_summary="已更换光猫并减免一个月宽带费。")
    task = CallbackTask.objects.get(complaint=complaint)
    assert task.assignee == qa

    page.goto(page.base_url + "/accounts/login/?next=/callbacks/")
    page.locator("input[name=username]").fill("qa_sun")
    page.locator("input[name=password]").fill("pass-1234")
    page.locator("form button[type=submit]").first.click()
    rows = page.locator("table.closing-callbacks tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    row = rows.first
    assert complaint.reference in row.inner_text() and "139****0000" in row.inner_text()
    row.locator("form[action$='/phone/'] button").click()
    page.locator("a.closing-phone").wait_for()
    assert page.locator("a.closing-phone").inner_text() == "13987650000"
    assert PersonalDataAccess.objects.filter(user=qa, customer=complaint.customer).exists()
    screenshot(page, "closing-callbacks")
