"""Error pages a customer or agent can meet in production (DEBUG off): readable, in their language."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False


def test_a_broken_upload_gets_a_readable_400_and_nothing_is_saved():
    from complaints.models import Complaint

    body = b"--XX\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nhello"  # no end
    # As in production: the CSRF middleware reads the body for its token and cannot parse it.
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post("/submit/", data=body,
                             content_type="multipart/form-data",  # no boundary
                             HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert b"The request could not be read" in response.content
    assert b"Nothing was saved" in response.content
    assert not Complaint.objects.exists()


def test_a_form_without_its_csrf_token_explains_what_happened():
    response = Client(enforce_csrf_checks=True).post(
        "/submit/", {"name": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert b"The form has expired" in response.content


def test_an_unknown_address_gets_the_not_found_page_in_chinese():
    response = Client().get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_uploaded_files_are_not_served_from_media_even_in_debug(settings):
    import importlib

    import config.urls

    settings.DEBUG = True
    try:
        patterns = importlib.reload(config.urls).urlpatterns  # built as under `make run`
        served = [p for p in patterns if str(p.pattern).startswith(settings.MEDIA_URL.lstrip("/"))
                  or "media" in str(p.pattern)]
        assert served == []
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
