"""Closing the loop over HTTP: the SMS webhook's reply keywords, the API, the customer's
tracking-page forms and SMS survey link, and the staff callback page."""

import json
import time
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.lifecycle import Status
from complaints.models import Complaint, PersonalDataAccess, Priority
from followup.models import CallbackTask, ResultConfirmation, SatisfactionSurvey
from followup.result_notice import result_answer
from followup.survey import survey_submit, survey_url
from intake.parsers.webhook import sign
from tests.builders import complaint_in
from tests.factories import CustomerFactory, StaffFactory, make_complaint

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
SMS_SECRET = "whsec_closing_sms"


@pytest.fixture(autouse=True)
def _setup(settings, without_auto_classification):
    settings.CALLBACK_SAMPLE_RATE = 0
    settings.INTAKE_WEBHOOK_SECRETS = {"sms": SMS_SECRET, "wechat": "x", "app": "y"}
    cache.clear()


@pytest.fixture
def resolved(agent):
    def make(**kwargs):
        return complaint_in(Status.RESOLVED, actor=agent, **kwargs,
                            resolution_summary="已为您退还多扣的流量费 20 元。")

    return make


@pytest.fixture
def qa(roles):
    return StaffFactory(role="qa", username="qa_sun")


# --- SMS webhook ---------------------------------------------------------------------------


def sms(client, text, phone, key):
    body = json.dumps({"id": key, "from": f"+86{phone}", "text": text},
                      ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    return client.post("/api/v1/intake/webhooks/sms/", body, content_type="application/json",
                       headers={"X-Signature": "sha256=" + sign(body, SMS_SECRET, stamp, key),
                                "X-Timestamp": stamp, "Idempotency-Key": key})


def test_sms_reply_keyword_confirms_through_the_webhook_once(resolved, api_client,
                                                            django_capture_on_commit_callbacks):
    customer = CustomerFactory(phone="13912340001")
    complaint = resolved(customer=customer)
    count = Complaint.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        first = sms(api_client, "1", customer.phone, "gw-reply-1")
    assert first.status_code == 200, first.json()
    assert first.json()["reference"] == complaint.reference
    assert first.json()["status"] == Status.CLOSED
    again = sms(api_client, "1", customer.phone, "gw-reply-1")  # the gateway retries
    assert again.status_code == 200 and again.json()["reference"] == complaint.reference
    assert Complaint.objects.count() == count  # no new complaint from a "1"
    assert ResultConfirmation.objects.get(complaint=complaint).channel == "sms_reply"


def test_sms_reply_2_reopens_and_other_texts_are_new_complaints(resolved, api_client,
                                                                django_capture_on_commit_callbacks):
    customer = CustomerFactory(phone="13912340002")
    complaint = resolved(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = sms(api_client, "2", customer.phone, "gw-reply-2")
    assert response.json()["status"] == Status.REOPENED
    stranger = sms(api_client, "1", "13700001111", "gw-reply-3")
    assert stranger.status_code == 201  # not a customer with a resolved complaint
    assert Complaint.objects.get(pk=complaint.pk).reopen_count == 1


# --- API -----------------------------------------------------------------------------------


def test_api_confirmation_and_survey(resolved, client_for, agent):
    complaint = resolved(priority=Priority.MAJOR)
    api = client_for(agent)
    url = f"/api/v1/complaints/{complaint.reference}/"
    response = api.post(url + "confirmation/", {"solved": True, "comment": "电话里确认"},
                        format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["answer"] == "solved"
    assert response.json()["complaint_status"] == Status.RESOLVED  # its callback is still open
    assert api.post(url + "confirmation/", {"solved": False}, format="json").status_code == 409
    assert api.get(url + "survey/").status_code == 404
    bad = api.post(url + "survey/", {"stars": 9}, format="json")
    assert bad.status_code == 400
    good = api.post(url + "survey/", {"stars": 4, "reasons": ["speed", "result"]},
                    format="json")
    assert good.status_code == 201 and good.json()["reasons"] == ["speed", "result"]
    assert api.post(url + "survey/", {"stars": 5}, format="json").status_code == 409
    assert api.get(url + "survey/").json()["stars"] == 4


def test_api_needs_staff_permissions(resolved, api_client, client_for, roles):
    complaint = resolved()
    url = f"/api/v1/complaints/{complaint.reference}/confirmation/"
    assert api_client.post(url, {"solved": True}, format="json").status_code in {401, 403}
    nobody = StaffFactory(username="nobody")
    assert client_for(nobody).post(url, {"solved": True}, format="json").status_code == 403
    assert client_for(nobody).get("/api/v1/callbacks/").status_code == 403


def test_api_callbacks_list_and_attempts(resolved, client_for, qa, supervisor, agent,
                                         django_assert_max_num_queries):
    tasks = [CallbackTask.objects.get(complaint=resolved(priority=Priority.MAJOR))
             for _ in range(3)]
    assert {t.assignee for t in tasks} <= {qa, supervisor}
    mine = client_for(qa).get("/api/v1/callbacks/").json()
    assert mine["count"] == sum(t.assignee == qa for t in tasks)
    with django_assert_max_num_queries(8):
        everyone = client_for(supervisor).get("/api/v1/callbacks/?all=1")
    assert everyone.json()["count"] == 3
    assert "****" in everyone.json()["results"][0]["customer_phone"]
    assert client_for(agent).get("/api/v1/callbacks/").status_code == 403

    task = tasks[0]
    worker = task.assignee
    at = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
    with mock.patch("followup.callbacks.timezone.now", return_value=at):
        response = client_for(worker).post(f"/api/v1/callbacks/{task.id}/attempts/",
                                           {"result": "reached_satisfied"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "done"
    assert response.json()["attempts"][0]["result"] == "reached_satisfied"
    assert Complaint.objects.get(pk=task.complaint_id).status == Status.CLOSED
    evening = datetime(2026, 11, 26, 19, 0, tzinfo=SHANGHAI)
    with mock.patch("followup.callbacks.timezone.now", return_value=evening):
        late = client_for(tasks[1].assignee).post(f"/api/v1/callbacks/{tasks[1].id}/attempts/",
                                                  {"result": "unreachable"}, format="json")
    assert late.status_code == 400 and "18:00" in late.json()["detail"]


# --- the customer's pages ------------------------------------------------------------------


def grant(client: Client, complaint):
    """The tracking page's session grant, got as a customer gets it: reference + phone."""
    response = client.post("/track/", {"action": "phone", "reference": complaint.reference,
                                       "phone": complaint.customer.phone})
    assert response.status_code == 302, response.content.decode()[:500]


def test_tracking_page_shows_the_forms_and_takes_the_answers(
        resolved, django_capture_on_commit_callbacks):
    complaint = resolved()
    browser = Client()
    assert browser.post(f"/track/{complaint.reference}/confirm/",
                        {"answer": "solved"}).status_code == 302
    assert not ResultConfirmation.objects.exists()  # no grant, nothing recorded
    grant(browser, complaint)
    page = browser.get(f"/track/{complaint.reference}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/track/{complaint.reference}/confirm/" in html and 'name="stars"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/track/{complaint.reference}/confirm/", {"answer": "solved"})
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED
    response = browser.post(f"/track/{complaint.reference}/survey/",
                            {"stars": "5", "reasons": ["attitude"], "comment": "很好"},
                            follow=True)
    assert SatisfactionSurvey.objects.get(complaint=complaint).stars == 5
    html = response.content.decode()
    assert f"/track/{complaint.reference}/survey/" not in html  # answered: no second form


def test_sms_survey_link_rates_once_and_rejects_forgeries(resolved):
    complaint = resolved()
    url = survey_url(complaint)
    page = Client().get(url)
    assert page.status_code == 200 and complaint.reference in page.content.decode()
    response = Client().post(url, {"form": "survey", "stars": "1", "reasons": ["speed"]},
                             follow=True)
    assert response.status_code == 200
    survey = SatisfactionSurvey.objects.get(complaint=complaint)
    assert survey.stars == 1 and survey.channel == "sms_link"
    assert complaint.follow_up_tasks.filter(kind="low_score_review").exists()
    Client().post(url, {"form": "survey", "stars": "5"})
    assert SatisfactionSurvey.objects.get(complaint=complaint).stars == 1
    assert Client().get(url[:-3] + "xx/").status_code == 404


# --- staff page ----------------------------------------------------------------------------


def test_callback_page_lists_my_tasks_and_records_a_call(resolved, qa, client,
                                                         django_assert_max_num_queries):
    tasks = [CallbackTask.objects.get(complaint=resolved(priority=Priority.MAJOR))
             for _ in range(2)]
    CallbackTask.objects.update(assignee=qa)
    client.force_login(qa)
    with CaptureQueriesContext(connection) as few:
        client.get("/callbacks/")
    for _ in range(3):
        resolved(priority=Priority.MAJOR)
    CallbackTask.objects.update(assignee=qa)
    with django_assert_max_num_queries(len(few.captured_queries)):  # whatever the page size
        page = client.get("/callbacks/")
    html = page.content.decode()
    assert html.count('name="result"') == 5
    assert "closing-overdue" not in html
    CallbackTask.objects.filter(pk=tasks[1].pk).update(due_at=timezone.now())
    assert client.get("/callbacks/").content.decode().count("closing-overdue") == 1
    assert page.status_code == 200 and all(t.complaint.reference in html for t in tasks)
    phone = client.post(f"/callbacks/{tasks[0].id}/phone/")
    assert tasks[0].complaint.customer.phone in phone.content.decode()
    assert PersonalDataAccess.objects.filter(user=qa, fields=["phone"]).exists()
    at = timezone.make_aware(datetime(2026, 11, 26, 10, 0), SHANGHAI)
    with mock.patch("followup.callbacks.timezone.now", return_value=at):
        response = client.post(f"/callbacks/{tasks[0].id}/attempt/",
                               {"result": "unreachable", "note": "无人接听",
                                "next": "https://evil.example/"})
    assert response.status_code == 302 and response.url == "/callbacks/"
    assert tasks[0].attempts.count() == 1


def test_callback_page_is_for_callback_staff_only(client, agent):
    client.force_login(agent)
    assert client.get("/callbacks/").status_code == 403


def test_staff_panel_shows_the_answer_rating_and_callback(resolved, qa):
    from django.template.loader import render_to_string

    complaint = resolved(priority=Priority.MAJOR)
    result_answer(complaint_id=complaint.id, answer="solved", channel="tracking_page",
                          comment="已到账")
    survey_submit(complaint_id=complaint.id, stars=3, reasons=["speed"],
                          channel="sms_link")
    html = render_to_string("closing/_complaint_panel.html", {"complaint": complaint})
    assert "★★★☆☆" in html and "已到账" in html and "qa_sun" in html
    assert render_to_string("closing/_complaint_panel.html",
                            {"complaint": make_complaint()}).strip() == ""


def test_low_score_reviews_are_worked_through_the_api(resolved, client_for, supervisor, agent):
    complaint = resolved()
    survey_submit(complaint_id=complaint.id, stars=1, reasons=["speed"], channel="staff")
    api = client_for(supervisor)
    listed = api.get("/api/v1/reviews/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["reference"], r["stars"], r["status"]) for r in rows] == [
        (complaint.reference, 1, "open")]
    assert api.post(f"/api/v1/reviews/{rows[0]['id']}/done/", {"note": ""},
                    format="json").status_code == 400
    done = api.post(f"/api/v1/reviews/{rows[0]['id']}/done/", {"note": "已致电道歉"},
                    format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert complaint.activities.filter(message__contains="已致电道歉").exists()
    listed = api.get("/api/v1/reviews/").json()
    assert (listed["results"] if isinstance(listed, dict) else listed) == []
    assert client_for(agent).get("/api/v1/reviews/").status_code == 403
    assert api.post("/api/v1/reviews/999999/done/", {"note": "x"},
                    format="json").status_code == 404


def test_the_complaint_page_shows_the_answer_and_the_rating(resolved, client, agent):
    complaint = resolved()
    result_answer(complaint_id=complaint.id, answer="solved", channel="staff",
                          comment="客户确认已恢复")
    survey_submit(complaint_id=complaint.id, stars=4, reasons=["speed"],
                          channel="staff")
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.reference}/",
                                 HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Closing the loop" in html and "客户确认已恢复" in html and "★★★★" in html
