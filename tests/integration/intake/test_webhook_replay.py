"""A signed webhook cannot be replayed under another Idempotency-Key, and a key is bound to the
body it first came with (issue 15, finding 4)."""

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from complaints.models import Complaint
from intake.parsers.webhook import sign
from notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "intake" / "webhooks"
SECRET = "whsec_test_app"
URL = "/api/v1/intake/webhooks/app/"


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.INTAKE_WEBHOOK_SECRETS = {"sms": "whsec_test_sms", "wechat": "whsec_test_wechat",
                                       "app": SECRET}
    settings.LANGUAGE_CODE = "en"
    cache.clear()  # throttle counts
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return APIClient(enforce_csrf_checks=True, headers={"Accept-Language": "en"})


@pytest.fixture
def body():
    return (FIXTURES / "app_complaint.json").read_bytes()


def send(client, body: bytes, *, key: str, signature: str, timestamp: str):
    return client.post(URL, body, content_type="application/json",
                       headers={"X-Signature": signature, "X-Timestamp": timestamp,
                                "Idempotency-Key": key})


def signed(body: bytes, key: str, timestamp: str | None = None) -> dict:
    timestamp = timestamp or str(int(time.time()))
    return {"key": key, "timestamp": timestamp,
            "signature": "sha256=" + sign(body, SECRET, timestamp, key)}


def test_a_captured_message_replayed_under_another_key_is_refused(client, body):
    """An attacker who saw one signed call changes only the key: no second complaint."""
    original = signed(body, "app-evt-0001")
    first = send(client, body, **original)
    assert first.status_code == 201, first.json()

    replay = send(client, body, **(original | {"key": "app-evt-0002"}))

    assert replay.status_code == 401
    assert replay.json()["code"] == "bad_signature"
    assert "Idempotency-Key" in replay.json()["detail"]
    assert Complaint.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_the_same_key_with_another_body_is_a_conflict_not_a_silent_retry(client, body):
    first = send(client, body, **signed(body, "app-evt-0003"))
    assert first.status_code == 201
    payload = json.loads(body)
    payload["complaint"]["description"] = "另一个问题：话费被多扣了五十元。"
    other = json.dumps(payload, ensure_ascii=False).encode()

    response = send(client, other, **signed(other, "app-evt-0003"))

    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "idempotency_conflict"
    assert response.json()["field"] == "Idempotency-Key"
    assert "already used for a different message" in response.json()["detail"]
    complaint = Complaint.objects.get()
    assert complaint.reference == first.json()["reference"]
    assert "多扣了五十元" not in complaint.description
    assert OutboundMessage.objects.count() == 1


def test_the_same_key_and_body_again_answers_the_first_complaint(client, body):
    first = send(client, body, **signed(body, "app-evt-0004"))
    # A retry a little later: a fresh timestamp and signature, the same key and bytes.
    again = send(client, body, **signed(body, "app-evt-0004", str(int(time.time()) + 1)))

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["created"] is False
    assert Complaint.objects.count() == 1


def test_a_signature_in_the_old_scheme_is_refused_with_a_clear_message(client, body):
    """The first scheme signed "{timestamp}." + body only; integrators still sending it are
    told what changed rather than just "bad signature"."""
    timestamp = str(int(time.time()))
    old = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()

    response = send(client, body, key="app-evt-0005", signature="sha256=" + old,
                    timestamp=timestamp)

    assert response.status_code == 401
    assert response.json()["code"] == "outdated_signature"
    assert "old scheme" in response.json()["detail"]
    assert "{timestamp}.{Idempotency-Key}.{body}" in response.json()["detail"]
    assert not Complaint.objects.exists()
