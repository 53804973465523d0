"""POST /api/v1/public/complaints/: the public form as an API (no login, no session)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from complaints.models import Attachment, Complaint
from notifications.models import OutboundMessage
from tests.factories import PNG

# Rate counters and codes: a private, empty cache per test (see conftest).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]
URL = "/api/v1/public/complaints/"


@pytest.fixture
def api():
    # CSRF checks on: the endpoint must not need them (it has no session authentication).
    return APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


def payload(**changes):
    data = {"name": "王芳", "phone": "13911112222", "service_number": "13911112222",
            "description": "手机流量费用异常，本月多扣了200元。", "location": "上海市浦东新区",
            "accept_privacy": True}
    data.update(changes)
    return data


def test_json_creates_a_complaint(api):
    response = api.post(URL, payload(category="billing-usage", email="wf@example.com"),
                        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    complaint = Complaint.objects.get()
    assert body["reference"] == complaint.reference
    assert body["tracking_url"] == f"http://testserver/track/?ref={complaint.reference}"
    assert complaint.channel == "web" and complaint.category.code == "billing-usage"
    assert OutboundMessage.objects.filter(complaint=complaint,
                                          purpose="acknowledgement").exists()


def test_multipart_carries_attachments(api):
    data = payload(accept_privacy="true",
                   attachments=[SimpleUploadedFile("账单.png", PNG, content_type="image/png")])
    response = api.post(URL, data, format="multipart")
    assert response.status_code == 201, response.json()
    assert Attachment.objects.get().original_name == "账单.png"


def test_field_errors_answer_400_and_store_nothing(api):
    response = api.post(URL, payload(phone="123", description="", accept_privacy=False),
                        format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "is not a Chinese mobile number" in errors["phone"][0]
    assert errors["description"] == ["This field is required."]
    assert "accept_privacy" in errors
    assert not Complaint.objects.exists()


def test_a_wrong_file_type_answers_400(api):
    data = payload(attachments=[SimpleUploadedFile("a.jpg", b"just text, not a photo")])
    response = api.post(URL, data, format="multipart")
    assert response.status_code == 400
    assert response.json()["attachments"] == [
        "The content of “a.jpg” does not match its file type."]
    assert not Complaint.objects.exists()


def test_the_honeypot_answers_a_generic_400(api):
    response = api.post(URL, payload(website="x"), format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"][0].startswith(
        "Your complaint could not be accepted.")
    assert not Complaint.objects.exists()


def test_rate_limits_answer_429_with_retry_after(api, settings):
    settings.INTAKE_PUBLIC_RATE_PHONE = "1/day"
    assert api.post(URL, payload(), format="json").status_code == 201
    response = api.post(URL, payload(), format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 86400
    body = response.json()
    assert body["code"] == "rate_limited" and body["retry_after"] == int(response["Retry-After"])
    assert "Too many complaints have been sent with this phone number." in body["detail"]
    assert Complaint.objects.count() == 1


def test_the_ip_limit_answers_429(api, settings):
    settings.INTAKE_PUBLIC_RATE_IP = "1/hour"
    assert api.post(URL, payload(), format="json").status_code == 201
    response = api.post(URL, payload(phone="13933334444"), format="json")
    assert response.status_code == 429 and int(response["Retry-After"]) <= 3600
    assert "from your network" in response.json()["detail"]


def test_a_session_does_not_authenticate_it(api, agent):
    api.force_login(agent)  # a staff session cookie changes nothing: no CSRF, no identity
    response = api.post(URL, payload(), format="json")
    assert response.status_code == 201
    assert Complaint.objects.get().activities.get(kind="created").actor is None


@pytest.mark.parametrize("body", [[1, 2], {"name": ["a"], "website": 1, "phone": None}])
def test_odd_json_answers_400(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert not Complaint.objects.exists()


def test_broken_json_answers_400(api):
    response = api.post(URL, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Complaint.objects.exists()
