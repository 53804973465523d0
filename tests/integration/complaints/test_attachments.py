"""Attachments: type from the content, size limit, all-or-nothing, downloadable by staff."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints.models import Attachment
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def upload(name, content):
    return SimpleUploadedFile(name, content)


def post(client, complaint, *files, **data):
    return client.post(f"/api/v1/complaints/{complaint.reference}/attachments/",
                       {"files": list(files), **data}, format="multipart")


def test_images_pdf_and_chinese_text_are_accepted_and_downloadable(client_for, agent):
    complaint = make_complaint()
    client = client_for(agent)
    response = post(client, complaint, upload("截图.png", PNG), upload("账单.pdf", PDF),
                    upload("说明.txt", "话费账单多扣了三十元".encode("gb18030")),
                    note="客户提供的账单截图")
    assert response.status_code == 201, response.json()
    assert [a["content_type"] for a in response.json()] == [
        "image/png", "application/pdf", "text/plain"]
    download = client.get(response.json()[1]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    timeline = client.get(f"/api/v1/complaints/{complaint.reference}/").json()["timeline"]
    assert timeline[-1]["message"] == "客户提供的账单截图"


def test_the_name_does_not_decide_the_type(client_for, agent):
    complaint = make_complaint()
    response = post(client_for(agent), complaint, upload("invoice.pdf", EXE))
    assert response.status_code == 400
    assert "invoice.pdf" in response.json()["detail"]
    assert Attachment.objects.count() == 0


def test_one_bad_file_keeps_none_of_them(client_for, agent, settings):
    complaint = make_complaint()
    response = post(client_for(agent), complaint, upload("ok.png", PNG), upload("bad.bin", EXE))
    assert response.status_code == 400
    assert Attachment.objects.count() == 0
    assert complaint.activities.count() == 1  # only "created"
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_size_limit_with_a_clear_message(client_for, agent, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    complaint = make_complaint()
    response = post(client_for(agent), complaint, upload("big.txt", b"a" * 2048))
    assert response.status_code == 400
    assert "big.txt" in response.json()["detail"] and "1.0" in response.json()["detail"]


def test_at_most_five_files(client_for, agent):
    complaint = make_complaint()
    files = [upload(f"{i}.png", PNG) for i in range(6)]
    assert post(client_for(agent), complaint, *files).status_code == 400


def test_download_needs_access(client_for, agent, api_client):
    complaint = make_complaint()
    url = post(client_for(agent), complaint, upload("a.png", PNG)).json()[0]["url"]
    assert api_client.get(url).status_code == 401
