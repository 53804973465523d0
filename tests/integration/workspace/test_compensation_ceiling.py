"""A compensation above COMPENSATION_MAXIMUM is refused on the page and the API, and cannot be
approved (issue 15, finding 11: 99,999,999.99 was accepted for approval)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from complaints.lifecycle import Status
from complaints.models import Complaint
from notifications.models import Notification
from tests import seeds
from tests.builders import complaint_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def workspace_seeds(db, settings):
    seeds.workspace_phrases()
    settings.COMPENSATION_APPROVAL_LIMIT = 200
    settings.COMPENSATION_MAXIMUM = 5000


@pytest.fixture
def complaint(agent):
    return complaint_in(Status.IN_PROGRESS, actor=agent,
                        customer=CustomerFactory(name="陈晓明", phone="13912345678"))


def api(reference, tail=""):
    return f"/api/v1/complaints/{reference}/{tail}"


def propose(client, complaint, amount):
    return client.post(api(complaint.reference, "compensation/"), {
        "version": complaint.version, "compensation_type": "refund", "amount": amount,
        "reason": "重复扣费"}, format="json")


def untouched(complaint) -> bool:
    current = Complaint.objects.get(pk=complaint.pk)
    return (current.compensation_amount, current.compensation_status, current.version) == (
        complaint.compensation_amount, complaint.compensation_status, complaint.version)


def test_the_api_refuses_an_amount_above_the_ceiling_and_names_it(agent, supervisor,
                                                                   client_for, complaint):
    response = propose(client_for(agent), complaint, "99999999.99")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "amount"
    assert "¥5000" in body["detail"] and "COMPENSATION_MAXIMUM" in body["detail"]
    assert untouched(complaint)
    assert not Notification.objects.filter(recipient=supervisor, kind="approval").exists()


def test_the_ceiling_itself_is_allowed_and_one_cent_more_is_not(agent, client_for, complaint):
    client = client_for(agent)
    assert propose(client, complaint, "5000.01").status_code == 400
    assert untouched(complaint)

    response = propose(client, complaint, "5000.00")

    assert response.status_code == 200, response.content
    assert response.json()["compensation_status"] == "pending"  # still above the approval limit


def test_the_ceiling_follows_the_setting(agent, client_for, complaint, settings):
    settings.COMPENSATION_MAXIMUM = 800
    response = propose(client_for(agent), complaint, "900")
    assert response.status_code == 400
    assert "¥800" in response.json()["detail"]


def test_the_page_refuses_it_with_the_message_on_the_form(agent, complaint):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)

    response = client.post(reverse("complaint-act", args=[complaint.reference, "compensation"]),
                           {"version": complaint.version, "compensation_type": "refund",
                            "amount": "99999999.99", "reason": "重复扣费"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "¥5000" in page and "COMPENSATION_MAXIMUM" in page
    assert untouched(complaint)


def test_a_pending_compensation_above_the_ceiling_cannot_be_approved(supervisor, client_for,
                                                                     complaint):
    """Proposed before the ceiling existed (or before it was lowered)."""
    Complaint.objects.filter(pk=complaint.pk).update(
        compensation_type="refund", compensation_amount=Decimal("99999999.99"),
        compensation_status="pending")
    complaint.refresh_from_db()

    response = client_for(supervisor).post(api(complaint.reference, "compensation/approve/"), {
        "version": complaint.version, "approve": True}, format="json")

    assert response.status_code == 400
    assert "COMPENSATION_MAXIMUM" in response.json()["detail"]
    assert Complaint.objects.get(pk=complaint.pk).compensation_status == "pending"
