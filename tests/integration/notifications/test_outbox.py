"""The staff outbox (/outbox/): what was sent to whom and when, filters, masking, permissions,
and sending a failed message again."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import OutboundMessage
from notifications.outbound import customer_message_queue
from tests.factories import CustomerFactory, StaffFactory, make_complaint

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2026, 11, 24, 20, 0, tzinfo=SH)


def _browser(user, csrf_checks=False):
    client = Client(enforce_csrf_checks=csrf_checks)
    client.force_login(user)
    return client


def _queue(phone="13912345678", email="zhou@example.cn", **kwargs):
    complaint = make_complaint(customer=CustomerFactory(phone=phone, email=email))
    kwargs.setdefault("body", "您的投诉正在处理中")
    kwargs.setdefault("purpose", "progress")
    kwargs.setdefault("now", EVENING)
    return customer_message_queue(complaint=complaint, **kwargs)


def test_agents_see_every_message_newest_first_masked_in_beijing_time(agent):
    older = _queue(body="第一条短信", now=datetime(2026, 11, 24, 9, 0, tzinfo=SH))
    newer = _queue(phone="02088881234", email="zhou.min@example.cn", body="第二封邮件",
                   channel="email", subject="关于您的投诉")
    page = _browser(agent).get(reverse("outbox")).content.decode()
    assert page.index("第二封邮件") < page.index("第一条短信")
    assert "139****5678" in page and "13912345678" not in page
    assert "z***@example.cn" in page and "zhou.min@example.cn" not in page
    assert "关于您的投诉" in page
    assert older.complaint.reference in page and newer.complaint.reference in page
    # Queued at 20:00 Beijing time: waits for 08:00 the next morning, shown in Beijing time.
    assert "2026-11-25 08:00" in page
    assert "/retry/" not in page  # agents may look, not resend


def test_filters_by_status_channel_purpose_and_reference(agent):
    sms = _queue(body="短信进度", purpose="progress")
    mail = _queue(phone="02088881234", body="邮件受理", purpose="acknowledgement",
                  channel="email")
    OutboundMessage.objects.filter(pk=mail.pk).update(status="failed", last_error="boom")
    browser = _browser(agent)

    def shown(**params):
        page = browser.get(reverse("outbox"), params).content.decode()
        return {body for body in ("短信进度", "邮件受理") if body in page}

    assert shown() == {"短信进度", "邮件受理"}
    assert shown(status="failed") == {"邮件受理"}
    assert shown(status="queued") == {"短信进度"}
    assert shown(channel="sms") == {"短信进度"}
    assert shown(purpose="acknowledgement") == {"邮件受理"}
    assert shown(reference=sms.complaint.reference.lower()) == {"短信进度"}
    assert shown(status="nonsense") == {"短信进度", "邮件受理"}  # unknown values are ignored


def test_the_page_costs_the_same_queries_for_many_messages(agent, django_assert_max_num_queries):
    browser = _browser(agent)
    _queue()
    with django_assert_max_num_queries(12) as few:
        browser.get(reverse("outbox"))
    for _n in range(30):
        _queue()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = browser.get(reverse("outbox"))
    assert response.content.decode().count("您的投诉正在处理中") == 31


def test_only_staff_with_the_permission_see_the_outbox(roles, agent):
    nobody = StaffFactory(username="no_role")
    assert _browser(nobody).get(reverse("outbox")).status_code == 403
    anonymous = Client().get(reverse("outbox"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    home = _browser(agent).get(reverse("home")).content.decode()
    assert f'href="{reverse("outbox")}"' in home
    assert f'href="{reverse("outbox")}"' not in _browser(nobody).get(reverse("home")).content.decode()


def test_a_supervisor_sends_a_failed_message_again(supervisor, agent):
    failed = _queue(body="结果通知")
    OutboundMessage.objects.filter(pk=failed.pk).update(
        status="failed", attempts=5, last_error="URLError: <urlopen error [Errno 111]>")
    page = _browser(supervisor).get(reverse("outbox"), {"status": "failed"}).content.decode()
    retry_url = reverse("outbox-retry", args=[failed.id])
    assert retry_url in page and "Errno 111" in page

    # CSRF is enforced: a forged post changes nothing.
    assert _browser(supervisor, csrf_checks=True).post(retry_url).status_code == 403
    # Agents may look, not resend; GET does nothing.
    assert _browser(agent).post(retry_url).status_code == 403
    assert _browser(supervisor).get(retry_url).status_code == 405
    failed.refresh_from_db()
    assert failed.status == "failed"

    response = _browser(supervisor).post(retry_url, {"next": "/outbox/?status=failed"})
    assert response.status_code == 302 and response["Location"] == "/outbox/?status=failed"
    failed.refresh_from_db()
    assert failed.status == "queued" and failed.attempts == 0
    assert failed.complaint.activities.filter(kind="internal_note", actor=supervisor,
                                              data__outbound_id=failed.id).exists()
    # Twice: refused with a message, nothing changes.
    again = _browser(supervisor).post(retry_url, follow=True).content.decode()
    assert "messages" in again and OutboundMessage.objects.get(pk=failed.pk).status == "queued"


def test_retry_never_redirects_off_site(supervisor):
    failed = _queue()
    OutboundMessage.objects.filter(pk=failed.pk).update(status="failed")
    response = _browser(supervisor).post(reverse("outbox-retry", args=[failed.id]),
                                         {"next": "https://evil.example.com/"})
    assert response["Location"] == reverse("outbox")
