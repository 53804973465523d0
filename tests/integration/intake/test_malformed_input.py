"""Malformed and hostile input on every JSON channel: a clear 400, never a 500 (issue 15, finding 5
and 7). Bodies are sent as raw bytes, as an outside client would send them."""

import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from complaints.models import Complaint
from intake.parsers.webhook import sign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]
SECRET = "whsec_test_sms"
DEEP = b"[" * 3000 + b"]" * 3000
DEEP_OBJECT = b'{"a":' * 3000 + b"1" + b"}" * 3000


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.INTAKE_WEBHOOK_SECRETS = {"sms": SECRET, "wechat": "w", "app": "a"}
    cache.clear()


@pytest.fixture
def staff_api(client_for, agent):
    client = client_for(agent)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def anon():
    return APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


def webhook(client, body: bytes, key="k-1"):
    timestamp = str(int(time.time()))
    return client.post("/api/v1/intake/webhooks/sms/", body, content_type="application/json",
                       headers={"X-Signature": "sha256=" + sign(body, SECRET, timestamp),
                                "X-Timestamp": timestamp, "Idempotency-Key": key})


def staff_create(client, description='"手机信号差"', name='"王芳"', received_at=None):
    extra = f', "received_at": "{received_at}"' if received_at else ""
    body = ('{"channel": "phone", "customer": {"name": %s, "phone": "13911112222"}, '
            '"description": %s%s}' % (name, description, extra)).encode()
    return client.post("/api/v1/complaints/", body, content_type="application/json")


def sms(text_json: str, received_at: str | None = None) -> bytes:
    extra = f', "received_at": "{received_at}"' if received_at else ""
    return ('{"id": "gw-1", "from": "+8613812345678", "text": %s%s}' % (text_json, extra)
            ).encode()


def public(description_json: str, name_json='"王芳"') -> bytes:
    return ('{"name": %s, "phone": "13911112222", "service_number": "13911112222", '
            '"description": %s, "location": "上海", "accept_privacy": true}'
            % (name_json, description_json)).encode()


# --- JSON nested 3,000 deep ------------------------------------------------------------------

@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "object"])
def test_deep_json_is_refused_on_every_endpoint(anon, staff_api, body):
    answers = {
        "public": anon.post("/api/v1/public/complaints/", body,
                            content_type="application/json"),
        "token": anon.post("/api/v1/auth/token/", body, content_type="application/json"),
        "staff": staff_api.post("/api/v1/complaints/", body,
                                        content_type="application/json"),
        "webhook": webhook(anon, body),
    }
    for where, response in answers.items():
        assert response.status_code == 400, (where, response.status_code)
        assert "nested" in str(response.json()).lower(), (where, response.json())
    assert not Complaint.objects.exists()


# --- lone surrogates and NUL bytes ----------------------------------------------------------

def test_a_lone_surrogate_is_refused_everywhere(anon, staff_api):
    answers = {
        "public description": anon.post("/api/v1/public/complaints/",
                                        public(r'"bad \ud800 text"'),
                                        content_type="application/json"),
        "public name": anon.post("/api/v1/public/complaints/", public('"x"', r'"\ud800"'),
                                 content_type="application/json"),
        "staff": staff_create(staff_api, description=r'"bad \ud800"'),
        "staff name": staff_create(staff_api, name=r'"\udfff"'),
        "webhook": webhook(anon, sms(r'"bad \ud800 text"')),
    }
    for where, response in answers.items():
        assert response.status_code == 400, (where, response.status_code)
        assert "surrogate" in str(response.json()).lower(), (where, response.json())
    assert not Complaint.objects.exists()


def test_a_nul_byte_is_refused(anon, staff_api):
    answers = {
        "webhook": webhook(anon, sms(r'"bad \u0000 text"')),
        "public": anon.post("/api/v1/public/complaints/", public(r'"a\u0000b"'),
                            content_type="application/json"),
        "staff": staff_create(staff_api, description=r'"a\u0000b"'),
    }
    for where, response in answers.items():
        assert response.status_code == 400, (where, response.status_code)
        assert "nul" in str(response.json()).lower(), (where, response.json())
    assert not Complaint.objects.exists()


# --- over-long text -------------------------------------------------------------------------

@pytest.mark.parametrize("length", [5001, 300_000])
def test_an_over_long_description_is_refused_naming_field_and_cap(anon, staff_api,
                                                                length):
    text = '"' + "信" * length + '"'
    answers = {
        "staff": staff_create(staff_api, description=text),
        "webhook": webhook(anon, sms(text)),
        "public": anon.post("/api/v1/public/complaints/", public(text),
                            content_type="application/json"),
    }
    for where, response in answers.items():
        assert response.status_code == 400, (where, response.status_code)
        assert "5000" in str(response.json()).replace(",", ""), (where, response.json())
        assert "description" in str(response.json()), (where, response.json())
    assert not Complaint.objects.exists()


def test_a_description_at_the_cap_is_taken(anon):
    response = webhook(anon, sms('"' + "信" * 5000 + '"'))
    assert response.status_code == 201, response.json()


# --- received_at window (finding 6) ---------------------------------------------------------

@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+00:00", "1900-01-01T00:00:00+08:00",
                                    "1999-12-31T23:59:00+08:00"])
def test_received_at_before_the_window_is_refused(anon, staff_api, moment):
    answers = {"staff": staff_create(staff_api, received_at=moment),
               "webhook": webhook(anon, sms('"信号差"', received_at=moment))}
    for where, response in answers.items():
        assert response.status_code == 400, (where, response.status_code)
        assert "received_at" in str(response.json()), (where, response.json())
    assert not Complaint.objects.exists()


def test_received_at_in_the_future_is_refused_on_the_staff_api(staff_api):
    response = staff_create(staff_api, received_at="2999-01-01T00:00:00+08:00")
    assert response.status_code == 400
    assert "received_at" in str(response.json())
    assert not Complaint.objects.exists()
