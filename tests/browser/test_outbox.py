"""A supervisor opens the outbox from the menu, finds the SMS that failed, and sends it again."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from notifications.models import OutboundMessage
from notifications.outbound import customer_message_queue
from tests.factories import CustomerFactory, make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SH = ZoneInfo("Asia/Shanghai")


def test_a_supervisor_resends_a_failed_sms_from_the_outbox(page, supervisor, screenshot):
    morning = datetime(2026, 11, 24, 9, 30, tzinfo=SH)
    sent = customer_message_queue(
        complaint=make_complaint(customer=CustomerFactory(phone="13912345678")),
        body="您的投诉已受理，投诉编号见短信。我们将尽快处理。", purpose="acknowledgement",
        now=morning)
    OutboundMessage.objects.filter(pk=sent.pk).update(status="sent", sent_at=morning,
                                                      attempts=1)
    failed = customer_message_queue(
        complaint=make_complaint(customer=CustomerFactory(phone="13800001111")),
        body="您的投诉正在处理中，维修人员将于明天上午上门。", purpose="progress", now=morning)
    OutboundMessage.objects.filter(pk=failed.pk).update(
        status="failed", attempts=5, last_error="HTTPError: HTTP Error 503: Service Unavailable")
    customer_message_queue(
        complaint=make_complaint(customer=CustomerFactory(phone="02088881234",
                                                          email="zhou.min@example.cn")),
        body="处理结果：已为您退还多扣的话费 30 元。", purpose="result", channel="email",
        subject="关于您的投诉的处理结果", now=datetime(2026, 11, 24, 20, 15, tzinfo=SH))

    page.goto(page.base_url + "/accounts/login/?next=/")
    page.locator("input[name=username]").fill("sup_wang")
    page.locator("input[name=password]").fill("pass-1234")
    page.locator("form button[type=submit]").first.click()
    page.locator("header nav details.menu > summary").click()
    page.locator("header nav a[href='/outbox/']").click()
    rows = page.locator("table.outbox tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3
    text = page.locator("table.outbox").inner_text()
    assert "138****1111" in text and "13800001111" not in text
    assert "z***@example.cn" in text and "2026-11-25 08:00" in text  # queued at 20:15
    screenshot(page, "outbox")

    page.locator("select[name=status]").select_option("failed")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**/outbox/?*status=failed*")
    assert rows.count() == 1 and "503" in rows.first.inner_text()
    rows.first.locator("form[action$='/retry/'] button").click()
    page.locator("ul.messages li").wait_for()
    assert failed.complaint.reference in page.locator("ul.messages").inner_text()
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.attempts == 0
    assert page.locator("form[action$='/retry/']").count() == 0  # nothing failed any more
    screenshot(page, "outbox-retried")
