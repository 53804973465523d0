"""With Redis down, intake still answers 201 and loses nothing (issue 16).

Redis is the cache (throttles, the public form's rate limits, settings) and the Celery broker. A
real redis-server of the test's own is started and killed; then complaints arrive by the API, a
signed webhook and the public form: each is accepted once, and a retry creates nothing new.
"""

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.models import Complaint, ReceiverFailure
from intake.parsers.webhook import sign
from notifications.models import OutboundMessage
from reports.exports import exports_send_waiting
from reports.models import ExportJob

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "whsec_test_app"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "intake" / "webhooks"


def _api_create(client, ref):
    return client.post("/api/v1/complaints/", {
        "channel": "phone", "received_at": "2026-11-20T09:15:00+08:00", "external_ref": ref,
        "customer": {"name": "周杰", "phone": "186 0000 1111", "email": ""},
        "description": "宽带每天晚上断网，一直没人处理。"}, format="json")


def _webhook(key):
    payload = json.loads((FIXTURES / "app_complaint.json").read_text())
    body = json.dumps({**payload, "event_id": key}, ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    signature = "sha256=" + sign(body, SECRET, timestamp, key)
    return APIClient().post("/api/v1/intake/webhooks/app/", body,
                            content_type="application/json",
                            headers={"X-Signature": signature, "X-Timestamp": timestamp,
                                     "Idempotency-Key": key})


def _public_form():
    return APIClient().post("/api/v1/public/complaints/", {
        "name": "王芳", "phone": "13911112222", "service_number": "13911112222",
        "description": "手机流量费用异常，本月多扣了200元。", "location": "上海市浦东新区",
        "accept_privacy": True}, format="json")


def test_api_creates_are_accepted_once_while_redis_is_down(redis_down, client_for, agent):
    client = client_for(agent)
    first = _api_create(client, "CALL-REDIS-DOWN-1")
    assert first.status_code == 201, first.content
    again = _api_create(client, "CALL-REDIS-DOWN-1")  # the integrator's retry
    assert again.status_code == 200 and again.json()["reference"] == first.json()["reference"]
    complaint = Complaint.objects.get()
    assert complaint.reference == first.json()["reference"]
    # The acknowledgement waits in the outbox (the database), for the sweep to send it.
    assert OutboundMessage.objects.filter(complaint=complaint).count() == 1
    # Nothing that follows a complaint's commit failed for want of Redis.
    assert not ReceiverFailure.objects.exists()


def test_signed_webhooks_are_accepted_once_while_redis_is_down(redis_down, settings):
    settings.INTAKE_WEBHOOK_SECRETS = {"app": SECRET}
    first = _webhook("app-evt-redis-down-1")
    assert first.status_code == 201, first.content
    again = _webhook("app-evt-redis-down-1")
    assert again.status_code == 200, again.content
    assert Complaint.objects.count() == 1


def test_the_public_form_accepts_complaints_while_redis_is_down(redis_down, settings):
    # The rate limits cannot count without Redis: they let the posts through (fail open).
    settings.INTAKE_PUBLIC_RATE_PHONE = "2/day"
    for _ in range(3):
        response = _public_form()
        assert response.status_code == 201, response.content
    assert Complaint.objects.filter(channel="web").count() == 3
    assert not ReceiverFailure.objects.exists()


def test_work_started_from_a_request_waits_in_the_database_while_redis_is_down(
        redis_down, client, supervisor, settings):
    """An export (any size here) is queued after its commit: the broker is unreachable, yet the
    request answers as usual and the job stays visibly queued, not a 500."""
    settings.REPORTS_ASYNC_EXPORT_ROWS = 0
    client.force_login(supervisor)
    response = client.get(reverse("reports:complaints"), {"format": "csv"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:export-job",
                                                                   args=[job.pk])
    assert job.status == "queued"


def test_retraining_says_it_could_not_start_while_redis_is_down(redis_down, client,
                                                                administrator):
    client.force_login(administrator)
    response = client.post(reverse("intake-classifier"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert "could not be started now" in response.content.decode()


def test_an_export_queued_while_redis_was_down_is_sent_once_it_is_back(
        redis_down, client, supervisor, settings):
    settings.REPORTS_ASYNC_EXPORT_ROWS = 0
    client.force_login(supervisor)
    client.get(reverse("reports:complaints"), {"format": "csv"})
    job = ExportJob.objects.get()
    assert exports_send_waiting() == []  # not waiting long yet; and the broker is still down
    ExportJob.objects.filter(pk=job.pk).update(created_at=job.created_at - timedelta(minutes=6))
    assert exports_send_waiting() == []  # the broker is still down: it keeps waiting

    redis_down.start()  # back, empty
    assert exports_send_waiting() == [job.pk]
    queued = [json.loads(m) for m in redis.Redis(port=redis_down.port).lrange(
        settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)]
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in queued] == [
        ("reports.export", f"({job.pk},)")]
