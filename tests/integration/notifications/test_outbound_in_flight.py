"""At most once (issue 16): a message whose send is cut off after the gateway or the SMTP server
took it (PostgreSQL gone before the mark, the worker killed) is never sent again blindly. An SMS
to a gateway that drops repeated message ids goes again with the same id; an email (an SMTP
server delivers a repeat again) shows in the outbox as "delivery unknown", with what to check,
and a supervisor sends it again by hand. Against a real aiosmtpd server and a local HTTP
gateway."""

import email
import email.policy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from notifications.models import OutboundMessage
from notifications.outbound import customer_message_queue, outbound_send_due
from tests.factories import CustomerFactory, make_complaint
from tests.servers import sms_gateway

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=SH)
NEXT_RUNS = [MORNING + timedelta(seconds=s) for s in (10, 30, 50)]  # inside the grace
AFTER_GRACE = MORNING + timedelta(minutes=2)


@pytest.fixture
def gateway(settings):
    with sms_gateway() as (gateway, url):
        settings.SMS_GATEWAY_URL = url
        settings.SMS_BACKEND = ""
        yield gateway


@pytest.fixture
def database_stops_after_the_send(monkeypatch):
    """PostgreSQL goes away right after the gateway took the message: the mark that records the
    outcome fails, as it does with the database down. Once."""
    real_save = OutboundMessage.save
    state = {"armed": True}

    def save(self, *args, **kwargs):
        if state["armed"] and "sent_at" in (kwargs.get("update_fields") or ()):
            state["armed"] = False
            raise OperationalError("server closed the connection unexpectedly")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(OutboundMessage, "save", save)
    return state


def _email_message():
    complaint = make_complaint(customer=CustomerFactory(phone="02088881234",
                                                        email="zhou.min@example.cn"))
    return customer_message_queue(complaint=complaint, body="您的投诉已受理", purpose="acknowledgement",
                                  now=MORNING)


def _sms_message():
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    return customer_message_queue(complaint=complaint, body="您的投诉已受理", purpose="acknowledgement",
                                  now=MORNING)


def _ids(inbox) -> list[str]:
    return [email.message_from_bytes(e.original_content, policy=email.policy.default)
            ["X-Outbound-Message-Id"] for e in inbox.envelopes]


def test_an_email_cut_off_after_the_smtp_server_took_it_is_never_sent_again_by_itself(
        smtp_server, database_stops_after_the_send, supervisor):
    message = _email_message()
    with pytest.raises(OperationalError):
        outbound_send_due(now=MORNING)
    assert _ids(smtp_server) == [str(message.id)]
    message.refresh_from_db()
    assert message.status == "sending" and message.attempts == 1

    for moment in [*NEXT_RUNS, AFTER_GRACE, AFTER_GRACE + timedelta(hours=1)]:
        outbound_send_due(now=moment)
    assert _ids(smtp_server) == [str(message.id)]  # once, whatever the runs after
    message.refresh_from_db()
    assert message.status == "unknown" and message.attempts == 1
    assert f"X-Outbound-Message-Id: {message.id}" in message.last_error
    assert "2026-11-25 09:00" in message.last_error  # when the cut-off attempt started

    # The outbox shows it, with the reason, in Chinese, and lets a supervisor send it again.
    browser = Client()
    browser.force_login(supervisor)
    with translation.override("zh-hans"):
        page = browser.get(reverse("outbox"), {"status": "unknown"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "您的投诉已受理" in page and "发送结果不明" in page
    assert f"X-Outbound-Message-Id: {message.id}" in page
    retry_url = reverse("outbox-retry", args=[message.id])
    assert retry_url in page
    assert browser.post(retry_url).status_code == 302
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 0
    note = message.complaint.activities.get(kind="internal_note", data__outbound_id=message.id)
    assert note.actor == supervisor and note.data["retry"]["status"] == "unknown"

    assert outbound_send_due(now=message.send_after)["sent"] == 1
    assert _ids(smtp_server) == [str(message.id)] * 2  # the second by hand, after the check
    message.refresh_from_db()
    assert message.status == "sent"


def test_an_sms_cut_off_goes_again_with_its_id_when_the_gateway_drops_repeats(
        gateway, database_stops_after_the_send, settings):
    settings.SMS_GATEWAY_DEDUPLICATES = True
    message = _sms_message()
    with pytest.raises(OperationalError):
        outbound_send_due(now=MORNING)
    for moment in NEXT_RUNS:
        outbound_send_due(now=moment)
    assert [p["message_id"] for p in gateway.posts] == [message.id]  # not within the grace

    assert outbound_send_due(now=AFTER_GRACE)["sent"] == 1
    assert [p["message_id"] for p in gateway.posts] == [message.id, message.id]
    assert gateway.delivered == {message.id: "您的投诉已受理"}  # the customer got it once
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2
    assert message.complaint.activities.filter(kind="notification",
                                               data__outbound_id=message.id).count() == 1


def test_an_sms_cut_off_is_not_resent_when_the_gateway_may_deliver_a_repeat(
        gateway, database_stops_after_the_send, settings):
    settings.SMS_GATEWAY_DEDUPLICATES = False
    message = _sms_message()
    with pytest.raises(OperationalError):
        outbound_send_due(now=MORNING)
    outbound_send_due(now=AFTER_GRACE)
    outbound_send_due(now=AFTER_GRACE + timedelta(hours=1))
    assert [p["message_id"] for p in gateway.posts] == [message.id]
    message.refresh_from_db()
    assert message.status == "unknown"
    assert f"消息编号 {message.id}" in message.last_error  # for staff, in Chinese


def test_a_message_that_failed_cleanly_is_retried_as_before_not_left_unknown(smtp_server,
                                                                             settings):
    """Only a send cut off in flight is held back: a refusal the run saw is retried."""
    message = _email_message()
    listening, settings.EMAIL_PORT = settings.EMAIL_PORT, 9  # nobody listens: refused, recorded, queued for its retry
    settings.EMAIL_TIMEOUT = 2
    assert outbound_send_due(now=MORNING)["retry"] == 1
    message.refresh_from_db()
    assert message.status == "queued" and message.sending_since is None
    settings.EMAIL_PORT = listening
    assert outbound_send_due(now=message.send_after)["sent"] == 1
    assert _ids(smtp_server) == [str(message.id)]

