"""Nobody can use up a customer's public submissions or flood their phone by typing their number
(issue 15, finding 11): limits per (phone number, address), a cap on automatic SMS per customer,
and client addresses that a caller cannot choose."""

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from complaints.models import Complaint
from kernel.http import client_address
from notifications.models import OutboundMessage, OutboundStatus
from notifications.outbound import outbound_send_due

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]
URL = "/submit/"
PHONE = "13800138000"


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def english_site(settings):
    settings.LANGUAGE_CODE = "en"  # what the outbox's reasons are written in


def form_data(**changes):
    data = {"name": "陈晓明", "phone": PHONE, "service_number": PHONE, "category": "",
            "description": "家里宽带这一周每天晚上都掉线，重启光猫也没用。",
            "location": "北京市朝阳区望京街道", "accept_privacy": "on"}
    return data | changes


def test_a_stranger_cannot_use_up_a_customers_daily_submissions(client, settings):
    settings.INTAKE_PUBLIC_RATE_PHONE = "1/day"
    stranger = client.post(URL, form_data(), REMOTE_ADDR="203.0.113.9")
    assert stranger.status_code == 302

    customer = client.post(URL, form_data(phone="+86 138 0013 8000"), REMOTE_ADDR="198.51.100.7")

    assert customer.status_code == 302
    assert Complaint.objects.count() == 2
    # The same number from the same address again: that pair's limit holds.
    again = client.post(URL, form_data(), REMOTE_ADDR="198.51.100.7")
    assert again.status_code == 429
    assert "Too many complaints have been sent with this phone number." in \
        again.content.decode()
    assert Complaint.objects.count() == 2


def test_a_flood_with_one_number_is_accepted_but_sends_it_at_most_the_cap(client, settings):
    settings.CUSTOMER_AUTOMATIC_SMS_PER_DAY = 2
    settings.SMS_BACKEND = "notifications.backends.DatabaseBackend"
    for n in range(4):
        response = client.post(URL, form_data(), REMOTE_ADDR=f"203.0.113.{n + 1}")
        assert response.status_code == 302

    assert Complaint.objects.count() == 4  # every complaint is still taken
    acks = list(OutboundMessage.objects.filter(purpose="acknowledgement").order_by("id"))
    assert [m.status for m in acks] == ["queued", "queued", "skipped", "skipped"]
    reason = acks[2].last_error
    assert "Not sent" in reason and "CUSTOMER_AUTOMATIC_SMS_PER_DAY" in reason
    assert "at most 2" in reason

    outbound_send_due(now=max(m.send_after for m in acks))
    assert OutboundMessage.objects.filter(status=OutboundStatus.SENT).count() == 2
    assert OutboundMessage.objects.filter(status=OutboundStatus.SKIPPED).count() == 2


def test_the_outbox_shows_a_skipped_acknowledgement_and_why(client, settings, supervisor):
    settings.CUSTOMER_AUTOMATIC_SMS_PER_DAY = 1
    for address in ("203.0.113.1", "203.0.113.2"):
        assert client.post(URL, form_data(), REMOTE_ADDR=address).status_code == 302
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(supervisor)

    page = staff.get("/outbox/", {"status": "skipped"}).content.decode()

    assert "Not sent" in page
    assert "CUSTOMER_AUTOMATIC_SMS_PER_DAY" in page
    skipped = OutboundMessage.objects.get(status="skipped")
    assert skipped.complaint.reference in page


def test_a_forged_x_forwarded_for_does_not_reset_the_address_limit(client, settings):
    settings.INTAKE_PUBLIC_RATE_IP = "1/hour"
    first = client.post(URL, form_data(phone="13800138001"), HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert first.status_code == 302

    second = client.post(URL, form_data(phone="13800138002"), HTTP_X_FORWARDED_FOR="10.0.0.2")

    assert second.status_code == 429


@pytest.mark.parametrize(("proxies", "expected"), [(0, "192.0.2.10"), (1, "198.51.100.4")])
def test_api_throttles_and_the_public_form_see_the_same_client_address(settings, proxies,
                                                                       expected):
    """DRF's throttles (the token endpoint, anonymous API calls) count the address the public
    form counts: without trusted proxies a forged X-Forwarded-For is not the caller."""
    settings.INTAKE_PUBLIC_NUM_PROXIES = proxies
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"NUM_PROXIES": proxies}
    raw = RequestFactory().post("/api/v1/auth/token/", REMOTE_ADDR="192.0.2.10",
                                HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")

    assert AnonRateThrottle().get_ident(Request(raw)) == expected
    assert client_address(raw) == expected


def test_drf_is_configured_with_the_trusted_proxy_count():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == \
        django_settings.INTAKE_PUBLIC_NUM_PROXIES
