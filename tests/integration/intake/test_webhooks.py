"""POST /api/v1/intake/webhooks/{channel}/ replaying the captured gateway payloads."""

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import ActivityKind, Complaint
from notifications.models import OutboundMessage
from intake.parsers.webhook import sign
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "intake" / "webhooks"
SECRETS = {"sms": "whsec_test_sms", "wechat": "whsec_test_wechat", "app": "whsec_test_app"}
URL = "/api/v1/intake/webhooks/{}/"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.INTAKE_WEBHOOK_SECRETS = dict(SECRETS)
    cache.clear()  # throttle counts


@pytest.fixture
def client():
    return APIClient(enforce_csrf_checks=True)


def body_of(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post(client, channel, body: bytes, *, key="key-1", timestamp=None, secret=None, **headers):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = "sha256=" + sign(body, secret or SECRETS[channel], timestamp, key or "")
    headers = {"X-Signature": signature, "X-Timestamp": timestamp, **headers}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL.format(channel), body, content_type="application/json",
                       headers=headers)


def test_the_captured_sms_call_replayed_creates_a_complaint(client, monkeypatch):
    """The exact bytes and headers the gateway sent, at the time it sent them."""
    captured = json.loads(body_of("sms_complaint.headers.json"))
    signed_at = datetime.fromtimestamp(int(captured["X-Timestamp"]), tz=UTC)
    monkeypatch.setattr(timezone, "now", lambda: signed_at)
    headers = {k: v for k, v in captured.items() if not k.startswith("_")}

    response = client.post(URL.format("sms"), body_of("sms_complaint.json"),
                           content_type="application/json", headers=headers)

    assert response.status_code == 201, response.json()
    complaint = Complaint.objects.get()
    assert response.json()["reference"] == complaint.reference
    assert response.json()["status"] == complaint.status
    assert response.json()["tracking"] == "/track/"
    assert complaint.channel == "sms"
    assert complaint.description == "我的号码这个月被扣了10元彩铃费，我从来没订过，请退还。"
    assert complaint.customer.phone == "13812345678"
    assert complaint.received_at == datetime(2026, 11, 25, 1, 30, 12, tzinfo=UTC)
    ack = OutboundMessage.objects.get()
    assert (ack.channel, ack.recipient) == ("sms", "13812345678")

    # One minute past the five allowed: the same request is refused as expired.
    monkeypatch.setattr(timezone, "now", lambda: signed_at + timezone.timedelta(minutes=6))
    late = client.post(URL.format("sms"), body_of("sms_complaint.json"),
                       content_type="application/json", headers=headers)
    assert late.status_code == 401 and late.json()["code"] == "expired"


def test_a_retry_with_the_same_key_returns_the_first_complaint(client):
    first = post(client, "app", body_of("app_complaint.json"), key="app-evt-7f3e2a90-1c2d")
    again = post(client, "app", body_of("app_complaint.json"), key="app-evt-7f3e2a90-1c2d")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["created"] is False
    assert Complaint.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    complaint = Complaint.objects.get()
    assert complaint.subject == "宽带断网两天"
    assert complaint.location == "北京市朝阳区望京西园三区 212 号楼"
    assert complaint.customer.email == "zhoumin@example.org"


def test_wechat_message_creates_a_complaint(client):
    response = post(client, "wechat", body_of("wechat_message.json"), key="24120857310001234")

    assert response.status_code == 201
    complaint = Complaint.objects.get(reference=response.json()["reference"])
    assert complaint.channel == "wechat"
    assert complaint.customer.phone == "13987654321"


def test_a_wechat_follower_writing_again_is_the_same_customer(client):
    first = json.loads(body_of("wechat_message.json"))
    del first["phone"]  # followers rarely give a number
    second = first | {"msg_id": 24120857310009999, "content": "装机师傅还是没来，第二次投诉。"}
    stranger = second | {"msg_id": 24120857310008888, "openid": "oOther000000000000000000000",
                         "content": "我的话费被多扣了二十元。"}
    for payload in (first, second, stranger):
        body = json.dumps(payload, ensure_ascii=False).encode()
        assert post(client, "wechat", body, key=str(payload["msg_id"])).status_code == 201

    complaints = list(Complaint.objects.order_by("id").select_related("customer"))
    assert len(complaints) == 3
    assert complaints[0].customer == complaints[1].customer != complaints[2].customer
    assert complaints[0].customer.wechat_openid == first["openid"]

    # Later the follower gives a number: the known customer gets it, not a second record.
    with_phone = second | {"msg_id": 24120857310007777, "phone": "13987654321"}
    body = json.dumps(with_phone, ensure_ascii=False).encode()
    assert post(client, "wechat", body, key="7777").status_code == 201
    newest = Complaint.objects.order_by("-id").select_related("customer").first()
    assert newest.customer.phone == "13987654321"
    assert newest.customer.wechat_openid == first["openid"]


def test_an_sms_citing_a_reference_is_added_to_that_complaint(client):
    complaint = make_complaint(customer=CustomerFactory(phone="13812345678"))
    Complaint.objects.filter(pk=complaint.pk).update(reference="TS20261125000123")

    response = post(client, "sms", body_of("sms_reply_solved.json"), key="smsgw-004410")

    assert response.status_code == 200
    assert response.json()["reference"] == "TS20261125000123"
    assert response.json()["appended"] is True
    assert Complaint.objects.count() == 1
    assert complaint.activities.filter(kind=ActivityKind.CUSTOMER_ACTION).exists()


@pytest.mark.parametrize(("change", "code"), [
    ({"secret": "not-the-secret"}, "bad_signature"),
    ({"timestamp": int(time.time()) - 301}, "expired"),
    ({"X-Signature": ""}, "missing_header"),
])
def test_bad_signatures_are_refused_with_401(client, change, code):
    headers = {k: v for k, v in change.items() if k.startswith("X-")}
    kwargs = {k: v for k, v in change.items() if not k.startswith("X-")}
    body = body_of("sms_complaint.json")
    if headers:
        response = client.post(URL.format("sms"), body, content_type="application/json",
                               headers={"X-Timestamp": str(int(time.time())),
                                        "Idempotency-Key": "k", **headers})
    else:
        response = post(client, "sms", body, **kwargs)

    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert not Complaint.objects.exists()


def test_a_body_changed_after_signing_is_refused(client):
    body = body_of("sms_complaint.json")
    timestamp = str(int(time.time()))
    signature = sign(body, SECRETS["sms"], timestamp, "k")
    response = client.post(URL.format("sms"), body.replace("10元".encode(), "99元".encode()),
                           content_type="application/json",
                           headers={"X-Signature": signature, "X-Timestamp": timestamp,
                                    "Idempotency-Key": "k"})
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"


def test_a_channel_without_a_secret_refuses_everything(client, settings):
    settings.INTAKE_WEBHOOK_SECRETS = {"sms": "", "wechat": "", "app": ""}
    response = post(client, "sms", body_of("sms_complaint.json"), secret="anything")
    assert response.status_code == 401


@pytest.mark.parametrize(("channel", "name", "field"), [
    ("app", "app_missing_description.json", "complaint.description"),
    ("app", "app_missing_user.json", "user"),
    ("app", "app_bad_occurred_at.json", "occurred_at"),
    ("sms", "sms_empty_text.json", "text"),
    ("sms", "sms_short_code_sender.json", "from"),
    ("wechat", "wechat_missing_openid.json", "openid"),
])
def test_bad_payloads_are_refused_with_400_naming_the_field(client, channel, name, field):
    response = post(client, channel, body_of(name))

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert not Complaint.objects.exists()


def test_a_body_that_is_not_json_is_refused(client):
    response = post(client, "sms", b"{not json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


def test_the_idempotency_key_is_required(client):
    response = post(client, "sms", body_of("sms_complaint.json"), key=None)
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert not Complaint.objects.exists()


def test_an_unknown_channel_is_404(client):
    response = client.post(URL.format("fax"), b"{}", content_type="application/json")
    assert response.status_code == 404


def test_the_endpoint_is_throttled(client, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**ScopedRateThrottle.THROTTLE_RATES, "intake_webhook": "2/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    codes = [post(client, "sms", b"{}", key=f"k{i}").status_code for i in range(3)]
    assert codes == [400, 400, 429]
