"""/submit/: the customers' web form (no login)."""

import logging
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from complaints.models import Attachment, Complaint, Customer
from notifications.models import OutboundMessage
from intake import public
from intake.models import ComplaintClassification, InboundMessage
from tests.factories import PNG

# Rate counters and codes: a private, empty cache per test (see conftest).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]
URL = "/submit/"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def client():
    """In English, so the messages asserted stay the msgids once translations are compiled."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def form_data(**changes):
    data = {"name": "陈晓明", "phone": "138-0013-8000", "email": "chenxm@example.com",
            "service_number": "13800138000", "category": "",
            "description": "家里宽带这一周每天晚上都掉线，重启光猫也没用。",
            "location": "北京市朝阳区望京街道", "accept_privacy": "on"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def nothing_stored():
    return (Complaint.objects.count(), Customer.objects.count(), Attachment.objects.count(),
            InboundMessage.objects.count(), OutboundMessage.objects.count()) == (0, 0, 0, 0, 0)


def test_a_complaint_is_received_acknowledged_and_classified(
        client, django_capture_on_commit_callbacks):
    photo = SimpleUploadedFile("光猫.png", PNG, content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form_data(attachments=[photo]))
    assert response.status_code == 302
    complaint = Complaint.objects.select_related("customer").get()
    assert complaint.channel == "web"
    assert complaint.customer.phone == "13800138000"  # normalised
    assert complaint.customer.email == "chenxm@example.com"
    assert complaint.location == "北京市朝阳区望京街道"
    attachment = Attachment.objects.get(complaint=complaint)
    assert (attachment.original_name, attachment.content_type) == ("光猫.png", "image/png")
    assert attachment.uploaded_by_customer
    ack = OutboundMessage.objects.get(complaint=complaint, purpose="acknowledgement")
    assert ack.recipient == "13800138000" and complaint.reference in ack.body
    assert ComplaintClassification.objects.filter(complaint=complaint).exists()
    complaint.refresh_from_db()
    assert complaint.category is not None  # 宽带 + 掉线: the rules classified it

    page = client.get(response["Location"])
    html = page.content.decode()
    assert complaint.reference in html
    assert f"/track/?ref={complaint.reference}" in html
    assert "138****8000" in html and "13800138000" not in html


def test_the_chosen_category_is_kept(client):
    response = client.post(URL, form_data(category="billing-dispute"))
    assert response.status_code == 302, response.content.decode()
    assert Complaint.objects.get().category.code == "billing-dispute"


def test_a_landline_without_email_is_accepted(client):
    response = client.post(URL, form_data(phone="010-62345678", email=""))
    assert response.status_code == 302
    assert Complaint.objects.get().customer.phone == "01062345678"


def test_the_tracking_link_uses_the_public_address(client, settings):
    settings.PUBLIC_BASE_URL = "https://ts.example.com"
    page = client.post(URL, form_data(), follow=True)
    reference = Complaint.objects.get().reference
    assert f"https://ts.example.com/track/?ref={reference}" in page.content.decode()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(("changes", "message"), [
    ({"description": ""}, "This field is required."),
    ({"description": "   \n  "}, "This field is required."),
    ({"description": "很" * 100_000}, "at most 5000 characters (it has 100000)"),
    ({"phone": "12345"}, "is not a Chinese mobile number"),
    ({"phone": "138001380001"}, "is not a Chinese mobile number"),
    ({"phone": "phone-me"}, "may contain only digits"),
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"name": ""}, "This field is required."),
    ({"service_number": "<b>1</b>"}, "Use only digits, letters"),
    ({"location": ""}, "This field is required."),
    ({"category": "no-such-category"}, "Select a valid choice."),
    ({"accept_privacy": None}, "Please read and accept the personal information notice"),
    ({"attachments": [upload("发票.pdf", b"MZ\x90\x00\x03" + b"\x00" * 300)]},
     "is not an image, PDF or text file"),
    ({"attachments": [upload("photo.jpg", b"<script>alert(1)</script> plain text")]},
     "The content of “photo.jpg” does not match its file type."),
    ({"attachments": [upload("scan.pdf", PNG)]},
     "The content of “scan.pdf” does not match its file type."),
    ({"attachments": [upload("empty.png", b"")]}, "“empty.png” is empty."),
    ({"attachments": [upload(f"p{i}.png", PNG) for i in range(6)]}, "Attach at most 5 files."),
])
def test_bad_input_gets_a_clear_error_and_nothing_is_stored(client, changes, message):
    response = client.post(URL, form_data(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&quot;", '"'), html[:200]
    assert 'class="pub-error"' in html or 'class="pub-alert"' in html
    assert nothing_stored()


def test_an_oversized_file_is_refused(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = client.post(URL, form_data(attachments=[
        upload("ok.pdf", PDF), upload("big.png", PNG + b"\x00" * 2000)]))
    assert response.status_code == 400
    html = response.content.decode().replace("\xa0", " ")
    assert "“big.png” is 2.2 KB; files may be at most 1.0 KB." in html
    assert nothing_stored()


def test_a_malformed_upload_is_refused(client):
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\xe9\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"attachments\"; "
            b"filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG")  # cut short
    response = client.post(URL, body, content_type="multipart/form-data; boundary=XyZ")
    assert response.status_code == 400
    assert nothing_stored()


def test_the_description_is_stored_as_given(client):
    text = "<script>alert('x')</script> 信号差 & “引号”"
    assert client.post(URL, form_data(description=text)).status_code == 302
    assert Complaint.objects.get().description == text


def test_a_filled_honeypot_is_refused_and_logged(client, caplog):
    with caplog.at_level(logging.WARNING, logger="intake.public"):
        response = client.post(URL, form_data(website="http://spam.example"))
    assert response.status_code == 400
    assert "Your complaint could not be accepted." in response.content.decode()
    assert nothing_stored()
    assert any("honeypot" in record.getMessage() for record in caplog.records)


def test_csrf_is_enforced():
    client = Client(enforce_csrf_checks=True)
    assert client.post(URL, form_data()).status_code == 403
    assert nothing_stored()
    page = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(URL, form_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    assert Complaint.objects.count() == 1


def test_submissions_are_limited_per_ip_address(client, settings, monkeypatch):
    settings.INTAKE_PUBLIC_RATE_IP = "2/hour"
    # Twenty minutes into an hour (the limit counts in fixed hours), in the past (it becomes
    # the complaint's received_at): 40 minutes left whatever the time the test runs at; near
    # the end of an hour the wait would be in seconds.
    now = timezone.now()
    instant = now.replace(minute=20, second=0, microsecond=0)
    if instant > now:
        instant -= timedelta(hours=1)
    monkeypatch.setattr(public, "_now", lambda: instant)
    for phone in ("13800138001", "13800138002"):
        assert client.post(URL, form_data(phone=phone)).status_code == 302
    response = client.post(URL, form_data(phone="13800138003"))
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many complaints have been sent from your network." in html
    assert "40 minutes" in html  # how long to wait
    assert Complaint.objects.count() == 2
    other_network = client.post(URL, form_data(phone="13800138004"), REMOTE_ADDR="10.1.2.3")
    assert other_network.status_code == 302


def test_submissions_are_limited_per_phone_number_and_address(client, settings):
    settings.INTAKE_PUBLIC_RATE_PHONE = "1/day"
    assert client.post(URL, form_data(phone="13800138000")).status_code == 302
    # Written differently: still the same number (from the same address; another address has
    # its own count, see test_public_limits.py).
    response = client.post(URL, form_data(phone="+86 138 0013 8000"))
    assert response.status_code == 429
    assert "Too many complaints have been sent with this phone number." in \
        response.content.decode()
    assert Complaint.objects.count() == 1


def test_the_form_speaks_chinese_and_english(client):
    chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in chinese
    assert "宽带断网/网速慢" in chinese and "Broadband outage" not in chinese  # current language
    assert "<optgroup" in chinese
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english
    assert "Submit a complaint" in english and "Phone number" in english
    assert "Broadband outage or slow speed" in english and "宽带断网" not in english
    for page in (chinese, english):
        assert 'name="website"' in page  # the honeypot
        assert "Personal information notice" in page or "个人信息" in page
        assert "Log out" not in page and "退出" not in page  # no staff chrome


def test_the_acknowledgement_links_to_the_public_address():
    """PUBLIC_BASE_URL makes the acknowledgement's tracking link absolute (settings at import)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PUBLIC_BASE_URL": "https://ts.example.com/",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("INTAKE_TRACKING_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(settings.INTAKE_TRACKING_URL)"],
        cwd=Path(__file__).resolve().parents[3], env=env, capture_output=True, text=True,
        check=True)
    assert result.stdout.strip() == "https://ts.example.com/track/"


def test_the_same_form_sent_twice_records_one_complaint(client, settings):
    settings.INTAKE_PUBLIC_RATE_PHONE = "1/day"
    page = client.get(URL).content.decode()
    submission_id = re.search(r'name="submission_id" value="([0-9a-f-]+)"', page).group(1)
    first = client.post(URL, form_data(submission_id=submission_id))
    again = client.post(URL, form_data(submission_id=submission_id))  # a double tap
    assert first.status_code == again.status_code == 302
    assert Complaint.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    assert Complaint.objects.get().reference in client.get(again["Location"]).content.decode()
