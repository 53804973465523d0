"""The tracking page's uploads and downloads (issue 15, finding 10): a customer's HTML file is
handed back as plain text under a .txt name; an image of too many pixels is refused on the form."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from complaints.models import Attachment
from tests.factories import CustomerFactory, make_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]
PHONE = "13900139000"


def png_header(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def complaint(client):
    complaint = make_complaint(customer=CustomerFactory(phone=PHONE), channel="web")
    client.post("/track/", {"action": "phone", "reference": complaint.reference, "phone": PHONE})
    return complaint


def add(client, complaint, upload):
    return client.post(f"/track/{complaint.reference}/add/",
                       {"text": "补充材料", "attachments": [upload]})


def test_an_html_file_comes_back_as_text(client, complaint):
    html = b"<html><body><script>alert(document.cookie)</script></body></html>"
    assert add(client, complaint, SimpleUploadedFile("page.html", html)).status_code == 302
    attachment = Attachment.objects.get(complaint=complaint)
    download = client.get(f"/track/{complaint.reference}/files/{attachment.id}/")
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "page.txt" in download["Content-Disposition"]


def test_an_image_of_too_many_pixels_is_refused_on_the_form(client, complaint):
    answer = add(client, complaint, SimpleUploadedFile("bomb.png", png_header(30000, 30000)))
    assert answer.status_code == 400
    assert "bomb.png” has 900 megapixels" in answer.content.decode()
    assert not Attachment.objects.filter(complaint=complaint).exists()
