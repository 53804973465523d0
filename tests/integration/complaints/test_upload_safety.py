"""Uploads that could hurt (issue 15, finding 10): an HTML file never comes back as a page or
under its .html name, an image of too many pixels is refused, a too large body is refused before
it is read."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.models import Attachment
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/v1/complaints/')</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width x height: under 100 bytes, gigabytes once unpacked."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def post(client, complaint, *files):
    return client.post(f"/api/v1/complaints/{complaint.reference}/attachments/",
                       {"files": list(files)}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("name", ["page.html", "page.htm", "image.svg", "notes.txt", "noext"])
def test_what_is_not_an_image_or_pdf_is_served_as_plain_text_under_a_txt_name(
        client_for, agent, name):
    complaint = make_complaint()
    client = client_for(agent)
    answer = post(client, complaint, SimpleUploadedFile(name, HTML, content_type="text/html"))
    assert answer.status_code == 201, answer.json()
    download = client.get(answer.json()[0]["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert ".txt" in disposition and ".htm" not in disposition and ".svg" not in disposition
    assert download["X-Content-Type-Options"] == "nosniff"
    stored = Attachment.objects.get().file.name
    assert stored.endswith(".txt") and ".htm" not in stored  # not on disk under .html either


def test_images_and_pdf_keep_their_type_and_name(client_for, agent):
    complaint = make_complaint()
    client = client_for(agent)
    answer = post(client, complaint, SimpleUploadedFile("photo.png", png_header(640, 480)),
                  SimpleUploadedFile("bill.pdf", PDF))
    assert answer.status_code == 201, answer.json()
    png, pdf = (client.get(a["url"]) for a in answer.json())
    assert png["Content-Type"] == "image/png" and "photo.png" in png["Content-Disposition"]
    assert pdf["Content-Type"] == "application/pdf" and "bill.pdf" in pdf["Content-Disposition"]


def test_an_image_of_too_many_pixels_is_refused_with_a_clear_message(client_for, agent):
    complaint = make_complaint()
    answer = post(client_for(agent), complaint,
                  SimpleUploadedFile("bomb.png", png_header(30000, 30000)))
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert "bomb.png" in detail and "900 megapixels" in detail and "at most 40" in detail
    assert Attachment.objects.count() == 0
    chinese = client_for(agent).post(
        f"/api/v1/complaints/{complaint.reference}/attachments/",
        {"files": [SimpleUploadedFile("bomb.png", png_header(30000, 30000))]}, format="multipart")
    assert "图片最多 40 百万像素" in chinese.json()["detail"]


def test_the_pixel_limit_is_a_setting(client_for, agent, settings):
    settings.ATTACHMENT_MAX_IMAGE_PIXELS = 100 * 100
    complaint = make_complaint()
    client = client_for(agent)
    assert post(client, complaint, SimpleUploadedFile("a.png", png_header(100, 100))
                ).status_code == 201
    assert post(client, complaint, SimpleUploadedFile("b.png", png_header(101, 100))
                ).status_code == 400
