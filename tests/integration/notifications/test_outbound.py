"""Customer messages: quiet hours, a real HTTP SMS gateway on loopback, retries, email."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from kernel.errors import InvalidInput
from notifications import backends as notify_backends
from notifications.models import OutboundMessage
from notifications.outbound import customer_message_queue, outbound_retry, outbound_send_due
from tests.factories import CustomerFactory, make_complaint
from tests.servers import sms_gateway

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def gateway(settings):
    with sms_gateway() as (gateway, url):
        settings.SMS_GATEWAY_URL = url
        settings.SMS_GATEWAY_TOKEN = "secret-token"
        yield gateway


def test_a_message_queued_at_night_waits_for_eight_and_then_goes_out(gateway):
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    evening = datetime(2026, 11, 24, 19, 30, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="您的投诉正在处理中",
                                     purpose="progress", now=evening)
    assert message.send_after == datetime(2026, 11, 25, 8, 0, tzinfo=SH)
    assert outbound_send_due(now=datetime(2026, 11, 25, 7, 59, tzinfo=SH))["sent"] == 0
    assert gateway.received == []
    assert outbound_send_due(now=datetime(2026, 11, 25, 8, 0, tzinfo=SH))["sent"] == 1
    auth, payload = gateway.received[0]
    assert auth == "Bearer secret-token"
    assert payload["to"] == "13912345678" and payload["text"] == "您的投诉正在处理中"
    assert payload["reference"] == complaint.reference
    message.refresh_from_db()
    assert message.status == "sent"
    assert complaint.activities.filter(kind="notification", visibility="public").exists()
    assert outbound_send_due(now=datetime(2026, 11, 25, 9, 0, tzinfo=SH))["sent"] == 0


def test_urgent_messages_may_go_at_night(gateway):
    complaint = make_complaint()
    night = datetime(2026, 11, 24, 23, 0, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="紧急通知", purpose="urgent",
                                     urgent=True, now=night)
    assert message.send_after == night


def test_gateway_failure_is_retried_later_and_never_at_night(gateway):
    gateway.status = 500
    complaint = make_complaint()
    afternoon = datetime(2026, 11, 24, 17, 58, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="x", purpose="progress",
                                     now=afternoon)
    assert outbound_send_due(now=afternoon)["retry"] == 1
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1
    assert "500" in message.last_error
    assert message.send_after == datetime(2026, 11, 25, 8, 0, tzinfo=SH)  # 18:00 passed


def test_the_same_timer_message_is_queued_once():
    complaint = make_complaint()
    now = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    first = customer_message_queue(complaint=complaint, body="a", purpose="progress",
                                   dedupe_key="progress:1", now=now)
    again = customer_message_queue(complaint=complaint, body="a", purpose="progress",
                                   dedupe_key="progress:1", now=now)
    assert first is not None and again is None
    assert OutboundMessage.objects.count() == 1


def test_email_for_landline_customers():
    complaint = make_complaint(customer=CustomerFactory(phone="02088881234",
                                                        email="zhou@example.com"))
    now = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="处理结果如下", purpose="result",
                                     now=now)
    assert message.channel == "email"
    outbound_send_due(now=now)
    assert mail.outbox[0].to == ["zhou@example.com"] and "处理结果如下" in mail.outbox[0].body


def test_one_send_run_drains_a_backlog_larger_than_a_batch(gateway, settings):
    """After an outage the outbox holds more than one batch (200): the next run sends it all,
    within its time budget, instead of one batch a minute."""
    from datetime import time

    from notifications.tasks import send_outbound

    settings.CUSTOMER_CONTACT_OPENS, settings.CUSTOMER_CONTACT_CLOSES = time(0), time(23, 59)
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    for n in range(230):
        customer_message_queue(complaint=complaint, body=f"第{n}条通知", purpose=f"n-{n}")
    assert send_outbound()["sent"] == 230
    assert len(gateway.received) == 230
    assert not OutboundMessage.objects.filter(status="queued").exists()


def test_an_email_names_its_outbox_message_so_a_mail_log_can_count_its_deliveries():
    complaint = make_complaint(customer=CustomerFactory(phone="02088881234",
                                                        email="zhou@example.com"))
    now = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="处理结果如下", purpose="result",
                                     now=now)
    outbound_send_due(now=now)
    sent = mail.outbox[0].message()
    assert sent["X-Outbound-Message-Id"] == str(message.id)


def test_an_sms_queued_at_twenty_hundred_goes_out_at_eight_next_morning(gateway):
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    evening = datetime(2026, 11, 24, 20, 0, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="您的投诉已受理",
                                     purpose="acknowledgement", now=evening)
    for moment in [evening, datetime(2026, 11, 24, 23, 59, tzinfo=SH),
                   datetime(2026, 11, 25, 3, 0, tzinfo=SH),
                   datetime(2026, 11, 25, 7, 59, 59, tzinfo=SH)]:
        assert outbound_send_due(now=moment) == {"sent": 0, "failed": 0, "retry": 0, "deferred": 0}
    assert gateway.received == []
    assert outbound_send_due(now=datetime(2026, 11, 25, 8, 0, tzinfo=SH))["sent"] == 1
    message.refresh_from_db()
    assert message.sent_at == datetime(2026, 11, 25, 8, 0, tzinfo=SH)


def test_failures_back_off_two_four_eight_sixteen_minutes_then_the_message_fails(gateway):
    gateway.status = 503
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    now = datetime(2026, 11, 24, 9, 0, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="x", purpose="progress", now=now)
    waits = []
    for _attempt in range(4):
        assert outbound_send_due(now=now)["retry"] == 1
        message.refresh_from_db()
        waits.append((message.send_after - now).total_seconds() / 60)
        assert outbound_send_due(now=message.send_after - (message.send_after - now) / 2) == {
            "sent": 0, "failed": 0, "retry": 0, "deferred": 0}  # not before its time
        now = message.send_after
    assert waits == [2, 4, 8, 16]
    assert outbound_send_due(now=now) == {"sent": 0, "failed": 1, "retry": 0, "deferred": 0}
    message.refresh_from_db()
    assert message.status == "failed" and message.attempts == 5
    assert "503" in message.last_error
    assert len(gateway.received) == 5
    assert outbound_send_due(now=now + timedelta(hours=1))["failed"] == 0  # left alone now


def test_a_failed_message_queued_again_by_staff_goes_out(gateway, supervisor):
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    now = datetime(2026, 11, 24, 9, 0, tzinfo=SH)
    message = customer_message_queue(complaint=complaint, body="处理结果", purpose="result",
                                     now=now)
    OutboundMessage.objects.filter(pk=message.pk).update(
        status="failed", attempts=5, last_error="HTTPError: HTTP Error 503")
    retried = outbound_retry(message_id=message.id, actor=supervisor, now=now)
    assert retried.status == "queued" and retried.attempts == 0 and retried.send_after == now
    note = complaint.activities.get(kind="internal_note", data__outbound_id=message.id)
    assert note.actor == supervisor and "HTTP Error 503" in note.message
    assert outbound_send_due(now=now)["sent"] == 1
    assert gateway.received[0][1]["text"] == "处理结果"
    with pytest.raises(InvalidInput):  # sent: nothing to retry
        outbound_retry(message_id=message.id, actor=supervisor, now=now)


def test_a_retry_asked_at_night_waits_for_eight(supervisor):
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    message = customer_message_queue(complaint=complaint, body="x", purpose="progress",
                                     now=datetime(2026, 11, 24, 9, 0, tzinfo=SH))
    OutboundMessage.objects.filter(pk=message.pk).update(status="failed", attempts=5)
    retried = outbound_retry(message_id=message.id, actor=supervisor,
                             now=datetime(2026, 11, 24, 21, 30, tzinfo=SH))
    assert retried.send_after == datetime(2026, 11, 25, 8, 0, tzinfo=SH)


def test_a_message_the_send_run_reaches_after_eighteen_hundred_waits_for_eight(gateway):
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    message = customer_message_queue(complaint=complaint, body="进度通知", purpose="progress",
                                     now=datetime(2026, 11, 24, 17, 59, tzinfo=SH))
    late_run = datetime(2026, 11, 24, 18, 0, 30, tzinfo=SH)  # the worker was behind
    assert outbound_send_due(now=late_run) == {"sent": 0, "failed": 0, "retry": 0,
                                               "deferred": 1}
    assert gateway.received == []
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 0
    assert message.send_after == datetime(2026, 11, 25, 8, 0, tzinfo=SH)
    # An urgent message queued for the night still goes out at night.
    urgent = customer_message_queue(complaint=complaint, body="紧急", purpose="urgent",
                                    urgent=True, now=datetime(2026, 11, 24, 23, 0, tzinfo=SH))
    assert outbound_send_due(now=datetime(2026, 11, 24, 23, 0, 5, tzinfo=SH))["sent"] == 1
    urgent.refresh_from_db()
    assert urgent.status == "sent"


def test_a_send_run_killed_midway_never_sends_an_accepted_message_again(gateway, monkeypatch):
    """A worker killed mid-run (its hard time limit while a gateway hangs, SIGKILL) rolls back
    only the message in flight: the messages the gateway had already accepted stay sent."""
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    morning = datetime(2026, 11, 25, 9, 0, tzinfo=SH)
    for n in range(4):
        customer_message_queue(complaint=complaint, body=f"第{n}条通知", purpose=f"progress-{n}",
                               now=morning)
    real_send = notify_backends.HttpGatewayBackend.send

    def killed_after_the_second(self, message):
        real_send(self, message)
        if len(gateway.received) == 2:
            raise SystemExit("worker killed")  # not an Exception: nothing in the run catches it

    monkeypatch.setattr(notify_backends.HttpGatewayBackend, "send", killed_after_the_second)
    with pytest.raises(SystemExit):
        outbound_send_due(now=morning)
    monkeypatch.setattr(notify_backends.HttpGatewayBackend, "send", real_send)

    outbound_send_due(now=morning + timedelta(minutes=1))  # the next beat tick
    outbound_send_due(now=morning + timedelta(minutes=3))

    texts = [payload["text"] for _auth, payload in gateway.received]
    # Every message reached the gateway once: the one in flight when the worker died was
    # marked "sending" first, so it is not sent again blindly; this gateway may deliver a
    # repeat (SMS_GATEWAY_DEDUPLICATES off), so it shows as "delivery unknown" instead.
    assert sorted(texts) == ["第0条通知", "第1条通知", "第2条通知", "第3条通知"]
    statuses = dict(OutboundMessage.objects.values_list("body", "status"))
    assert statuses == {"第0条通知": "sent", "第1条通知": "unknown", "第2条通知": "sent",
                        "第3条通知": "sent"}
