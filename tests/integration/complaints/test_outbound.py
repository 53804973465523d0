"""Customer messages: quiet hours, a real HTTP SMS gateway on loopback, retries, email."""

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from complaints.models import OutboundMessage
from complaints.outbound import customer_message_queue, outbound_send_due
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


class Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(Gateway.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    Gateway.received, Gateway.status = [], 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    yield Gateway
    server.shutdown()


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
