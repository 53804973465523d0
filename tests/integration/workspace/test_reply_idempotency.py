"""Notes and replies written once (issue 16): a client retrying after a lost answer with the
same `Idempotency-Key` gets the first answer again and nothing new (no second note, no second
message to the customer); the key with another body is refused with 409. On the workspace page
the note and reply forms carry a one-time token, so a double submit writes once."""

import re

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from complaints.lifecycle import Status
from complaints.models import Activity, Complaint
from notifications.models import OutboundMessage
from tests.builders import complaint_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(agent):
    return complaint_in(Status.IN_PROGRESS, actor=agent,
                        customer=CustomerFactory(name="陈晓明", phone="13912345678"))


def api(complaint, tail):
    return f"/api/v1/complaints/{complaint.reference}/{tail}"


def notes(complaint, text):
    return Activity.objects.filter(complaint=complaint, message=text).count()


def test_a_retried_public_note_is_stored_once_and_answers_as_the_first(client_for, agent,
                                                                       complaint):
    client = client_for(agent)
    body = {"body": "您好，基站已修复，请重启光猫", "public": True}
    first = client.post(api(complaint, "notes/"), body, format="json",
                        HTTP_IDEMPOTENCY_KEY="note-1")
    again = client.post(api(complaint, "notes/"), body, format="json",
                        HTTP_IDEMPOTENCY_KEY="note-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert notes(complaint, "您好，基站已修复，请重启光猫") == 1

    # The same key with another body is not a retry: 409, nothing stored.
    other = client.post(api(complaint, "notes/"), {"body": "另一条回复", "public": True},
                        format="json", HTTP_IDEMPOTENCY_KEY="note-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"
    assert other.json()["field"] == "Idempotency-Key"
    assert notes(complaint, "另一条回复") == 0
    # Another key, or none, is another note.
    assert client.post(api(complaint, "notes/"), body, format="json",
                       HTTP_IDEMPOTENCY_KEY="note-2").status_code == 201
    assert client.post(api(complaint, "notes/"), body, format="json").status_code == 201
    assert notes(complaint, "您好，基站已修复，请重启光猫") == 3


def test_keys_are_the_caller_s_own(client_for, agent, supervisor, complaint):
    body = {"body": "已电话联系客户"}
    assert client_for(agent).post(api(complaint, "notes/"), body, format="json",
                                  HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert client_for(supervisor).post(api(complaint, "notes/"), body, format="json",
                                       HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert notes(complaint, "已电话联系客户") == 2


def test_an_overlong_key_is_refused(client_for, agent, complaint):
    response = client_for(agent).post(api(complaint, "notes/"), {"body": "x"}, format="json",
                                      HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key"
    assert notes(complaint, "x") == 0


def test_a_retried_reply_queues_one_message_even_after_the_complaint_moved_on(
        client_for, agent, complaint):
    client = client_for(agent)
    payload = {"version": complaint.version, "channel": "sms", "body": "您好，工程师明天上门"}
    first = client.post(api(complaint, "replies/"), payload, format="json",
                        HTTP_IDEMPOTENCY_KEY="reply-1")
    assert first.status_code == 201
    # Someone changes the complaint before the retry arrives: the retry still gets the first
    # answer (not a stale-version refusal), and no second SMS is queued.
    Complaint.objects.filter(pk=complaint.pk).update(version=F("version") + 1)
    assert client.post(api(complaint, "replies/"), payload, format="json").status_code == 409
    again = client.post(api(complaint, "replies/"), payload, format="json",
                        HTTP_IDEMPOTENCY_KEY="reply-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert OutboundMessage.objects.filter(complaint=complaint, purpose="reply").count() == 1
    assert notes(complaint, "您好，工程师明天上门") == 1
    conflict = client.post(api(complaint, "replies/"), {**payload, "channel": "email"},
                           format="json", HTTP_IDEMPOTENCY_KEY="reply-1")
    assert conflict.status_code == 409 and conflict.json()["code"] == "idempotency_conflict"
    assert OutboundMessage.objects.filter(complaint=complaint, purpose="reply").count() == 1


def _token(html: str, form: str) -> str:
    action = reverse("complaint-act", args=[form[0], form[1]])
    section = html[html.index(f'action="{action}"'):]
    return re.search(r'name="form_token" value="([0-9a-f]{32})"', section).group(1)


@pytest.mark.parametrize("name", ["note", "reply"])
def test_a_double_submit_of_the_note_or_reply_form_writes_once(agent, complaint, name):
    browser = Client()
    browser.force_login(agent)
    page = browser.get(reverse("complaint-detail", args=[complaint.reference])).content.decode()
    token = _token(page, (complaint.reference, name))
    text = f"双击提交的{name}"
    form = {"version": complaint.version, "body": text, "channel": "sms", "form_token": token}
    url = reverse("complaint-act", args=[complaint.reference, name])
    assert browser.post(url, form).status_code == 302
    assert browser.post(url, form).status_code == 302  # the second click: nothing new
    assert notes(complaint, text) == 1
    assert OutboundMessage.objects.filter(complaint=complaint, purpose="reply").count() \
        == (1 if name == "reply" else 0)
    # The page after it carries a new token: the next note is a new note.
    page = browser.get(reverse("complaint-detail", args=[complaint.reference])).content.decode()
    assert _token(page, (complaint.reference, name)) != token
