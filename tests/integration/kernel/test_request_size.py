"""A body larger than REQUEST_MAX_BYTES is refused with 413 and a clear message before it is
read (issue 15, finding 10): JSON on the API, a page elsewhere."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.models import Attachment
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

BIG = 2 * 1024 * 1024


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.REQUEST_MAX_BYTES = 1024 * 1024


def test_the_api_answers_413_in_json(client_for, agent):
    complaint = make_complaint()
    answer = client_for(agent).post(
        f"/api/v1/complaints/{complaint.reference}/attachments/",
        {"files": [SimpleUploadedFile("big.txt", b"a" * BIG)]}, format="multipart")
    assert answer.status_code == 413
    body = answer.json()
    assert body["code"] == "request_too_large"
    assert "2.0" in body["detail"] and "1.0" in body["detail"]
    assert Attachment.objects.count() == 0


def test_the_public_form_answers_413_with_a_page():
    client = Client(HTTP_ACCEPT_LANGUAGE="en", enforce_csrf_checks=True)
    answer = client.post("/submit/", {"attachments": [SimpleUploadedFile("big.txt", b"a" * BIG)]})
    assert answer.status_code == 413
    page = answer.content.decode()
    assert "Too much sent at once" in page or "一次发送的内容过多" in page
    assert "no-store" in answer["Cache-Control"]


def test_an_announced_size_is_enough_to_refuse(client):
    """Refused on the Content-Length alone: the body is never read."""
    answer = client.post("/api/v1/public/complaints/", data=b"{}",
                         content_type="application/json", CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert answer.status_code == 413


def test_bodies_under_the_limit_pass(client_for, agent):
    complaint = make_complaint()
    answer = client_for(agent).post(
        f"/api/v1/complaints/{complaint.reference}/attachments/",
        {"files": [SimpleUploadedFile("small.txt", b"a" * 1000)]}, format="multipart")
    assert answer.status_code == 201
