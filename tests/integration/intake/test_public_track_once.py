"""The customer's "Add information" form on the tracking page carries a one-off id: sent twice
(a double tap, a retry on a slow network) it adds the information once (issue 16)."""

import re

import pytest
from django.test import Client

from complaints.models import Activity, ActivityKind
from tests.factories import CustomerFactory, make_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]
PHONE = "13900139000"


@pytest.fixture
def signed_in():
    complaint = make_complaint(customer=CustomerFactory(phone=PHONE), channel="web")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/track/", {"action": "phone", "reference": complaint.reference, "phone": PHONE})
    return client, complaint


def _submission_id(client, complaint) -> str:
    page = client.get(f"/track/{complaint.reference}/").content.decode()
    return re.search(r'name="submission_id" value="([0-9a-f-]{36})"', page).group(1)


def added(complaint, text) -> int:
    return Activity.objects.filter(complaint=complaint, kind=ActivityKind.CUSTOMER_ACTION,
                                   message=text).count()


def test_the_same_form_sent_twice_adds_the_information_once(signed_in):
    client, complaint = signed_in
    form = {"text": "今天又断网了两次", "submission_id": _submission_id(client, complaint)}
    first = client.post(f"/track/{complaint.reference}/add/", form)
    again = client.post(f"/track/{complaint.reference}/add/", form)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert added(complaint, "今天又断网了两次") == 1
    # A new page is a new form: the next message is added.
    form = {"text": "今天又断网了两次", "submission_id": _submission_id(client, complaint)}
    assert client.post(f"/track/{complaint.reference}/add/", form).status_code == 302
    assert added(complaint, "今天又断网了两次") == 2


def test_the_same_form_with_other_words_is_refused_and_adds_nothing(signed_in):
    client, complaint = signed_in
    submission = _submission_id(client, complaint)
    client.post(f"/track/{complaint.reference}/add/",
                {"text": "第一次的内容", "submission_id": submission})
    response = client.post(f"/track/{complaint.reference}/add/",
                           {"text": "改过的内容", "submission_id": submission})
    assert response.status_code == 409
    assert "already sent with other content" in response.content.decode()
    assert added(complaint, "改过的内容") == 0 and added(complaint, "第一次的内容") == 1
