"""Notification backends against real servers: an SMTP server (aiosmtpd) on loopback receives
the acknowledgement email; the console and database SMS backends; the backend setting."""

import email
import email.policy
import logging
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from notifications import backends as notify_backends
from notifications.models import OutboundMessage
from notifications.outbound import customer_message_queue, outbound_send_due
from intake.pipeline import intake_receive
from intake.parsers.message import IntakeMessage
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SH)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(smtp_server, settings):
    settings.DEFAULT_FROM_EMAIL = "投诉处理中心 <complaints@example.cn>"
    return smtp_server


def test_the_acknowledgement_email_reaches_an_smtp_server_in_readable_chinese(smtp_server):
    result = intake_receive(message=IntakeMessage(
        channel="web", external_id="web-smtp-1", received_at=MORNING,
        description="家里宽带从昨晚开始一直断线，重启光猫也没用。", customer_name="周敏",
        customer_email="zhou.min@example.cn"))
    reference = result.complaint.reference
    queued = OutboundMessage.objects.get(complaint=result.complaint)
    assert queued.channel == "email" and queued.purpose == "acknowledgement"

    assert outbound_send_due(now=queued.send_after)["sent"] == 1

    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["zhou.min@example.cn"]
    assert envelope.mail_from == "complaints@example.cn"
    parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    # Encoded on the wire (RFC 2047 / a declared charset), readable once decoded.
    raw_subject = envelope.original_content.split(b"\r\nSubject: ", 1)[1].split(b"\r\n")[0]
    assert raw_subject.startswith(b"=?utf-8?")
    assert parsed["Subject"] == f"您的投诉 {reference} 已受理"
    assert parsed["From"].addresses[0].display_name == "投诉处理中心"
    assert parsed.get_content_charset() == "utf-8"
    body = parsed.get_content()
    assert f"您的投诉已受理，投诉编号：{reference}" in body
    queued.refresh_from_db()
    assert queued.status == "sent" and queued.attempts == 1
    assert queued.sent_at == queued.send_after


def test_an_unreachable_smtp_server_is_recorded_and_retried(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    complaint = make_complaint(customer=CustomerFactory(phone="02088881234",
                                                        email="li@example.cn"))
    message = customer_message_queue(complaint=complaint, body="处理结果如下", purpose="result",
                                     now=MORNING)
    assert outbound_send_due(now=MORNING) == {"sent": 0, "failed": 0, "retry": 1, "deferred": 0}
    message.refresh_from_db()
    assert message.status == "queued" and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.send_after == datetime(2026, 11, 25, 10, 2, tzinfo=SH)


def test_the_console_backend_writes_the_sms_to_the_log(settings, caplog):
    settings.SMS_BACKEND = "notifications.backends.ConsoleBackend"
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    message = customer_message_queue(complaint=complaint, body="您的投诉正在处理中",
                                     purpose="progress", now=MORNING)
    with caplog.at_level(logging.INFO, logger="notifications.backends"):
        assert outbound_send_due(now=MORNING)["sent"] == 1
    [record] = [r for r in caplog.records if r.name == "notifications.backends"]
    assert "13912345678" in record.getMessage() and "您的投诉正在处理中" in record.getMessage()
    assert complaint.reference in record.getMessage()
    message.refresh_from_db()
    assert message.status == "sent"


def test_the_database_backend_only_records_the_sms_as_sent(settings, caplog):
    settings.SMS_BACKEND = "notifications.backends.DatabaseBackend"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/never-called"
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    message = customer_message_queue(complaint=complaint, body="演示短信", purpose="progress",
                                     now=MORNING)
    assert outbound_send_due(now=MORNING) == {"sent": 1, "failed": 0, "retry": 0, "deferred": 0}
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at == MORNING and message.last_error == ""
    assert complaint.activities.filter(kind="notification", data__outbound_id=message.id).exists()


def test_the_sms_backend_defaults_to_the_gateway_when_one_is_configured(settings):
    settings.SMS_BACKEND = ""
    settings.SMS_GATEWAY_URL = ""
    assert isinstance(notify_backends.backend_for("sms"), notify_backends.ConsoleBackend)
    settings.SMS_GATEWAY_URL = "https://sms.example.cn/send"
    assert isinstance(notify_backends.backend_for("sms"), notify_backends.HttpGatewayBackend)
    settings.SMS_BACKEND = "notifications.backends.DatabaseBackend"
    assert isinstance(notify_backends.backend_for("sms"), notify_backends.DatabaseBackend)
    assert isinstance(notify_backends.backend_for("email"), notify_backends.EmailBackend)
