"""One-time tracking codes and survey links reach the customer, never staff: the outbox, the
admin, the API and the complaint page show them masked (issue 15, finding 3)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from rest_framework.test import APIClient

from followup.result_notice import result_notice_queue
from followup.survey import survey_token
from intake.public import tracking_code_send
from notifications.models import OutboundMessage
from notifications.outbound import outbound_send_due
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SH)


@pytest.fixture
def sent(settings):
    """A tracking code and a result notice with its survey link, both sent; (complaint, the
    code, the survey token)."""
    settings.SMS_BACKEND = "notifications.backends.DatabaseBackend"
    complaint = make_complaint(customer=CustomerFactory(phone="13912345678"))
    tracking_code_send(reference=complaint.reference, ip="203.0.113.7", now=MORNING)
    complaint.resolution_summary = "已为您退还多收的话费。"
    complaint.save(update_fields=["resolution_summary"])
    result_notice_queue(complaint=complaint, now=MORNING)
    assert outbound_send_due(now=MORNING)["sent"] == 2
    code_message = OutboundMessage.objects.get(purpose="tracking_code")
    code = re.search(r"(?<!\d)\d{6}(?!\d)", code_message.body).group()
    token = survey_token(complaint)
    # The gateway gets the text as sent: the code and the whole link.
    assert token in OutboundMessage.objects.get(purpose="result_notice").body
    return complaint, code, token


def _page(user):
    client = Client()
    client.force_login(user)
    return client


def _hidden(text, code, token):
    return code not in text and token not in text


def test_the_outbox_masks_codes_and_survey_links(sent, agent, supervisor):
    complaint, code, token = sent
    for user in (agent, supervisor):
        page = _page(user).get("/outbox/").content.decode()
        assert complaint.reference in page and "******" in page
        assert _hidden(page, code, token)


def test_the_admin_masks_them_and_cannot_search_by_them(sent, administrator):
    complaint, code, token = sent
    administrator.is_staff = True
    administrator.save()
    client = _page(administrator)
    listing = client.get("/admin/notifications/outboundmessage/").content.decode()
    assert _hidden(listing, code, token)
    for message in OutboundMessage.objects.all():
        page = client.get(f"/admin/notifications/outboundmessage/{message.pk}/change/")
        assert page.status_code == 200 and _hidden(page.content.decode(), code, token)
    found = client.get("/admin/notifications/outboundmessage/", {"q": code}).content.decode()
    assert complaint.reference not in found


def test_the_api_and_the_complaint_page_show_the_timeline_masked(sent, agent):
    complaint, code, token = sent
    api = APIClient()
    api.force_authenticate(agent)
    detail = api.get(f"/api/v1/complaints/{complaint.reference}/").content.decode()
    assert "******" in detail and _hidden(detail, code, token)
    page = _page(agent).get(f"/complaints/{complaint.reference}/").content.decode()
    assert _hidden(page, code, token)
