"""Headers of every answer (issue 15, finding 9): a Content-Security-Policy that forbids inline
script, `Cache-Control: no-store` on staff pages, the API, the public form and the tracking page,
and a /healthz that tells outsiders nothing about the vendors behind the site."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture
def staff_client(client, agent):
    client.force_login(agent)
    return client


@pytest.mark.parametrize("url", ["/", "/desk/", "/intake/new/", "/outbox/", "/accounts/login/",
                                 "/submit/", "/track/", "/api/docs/"])
def test_every_page_has_a_policy_without_inline_script(staff_client, url):
    answer = staff_client.get(url, follow=True)
    assert answer.status_code == 200, url
    policy = answer["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    if "text/html" in answer["Content-Type"]:
        # nothing the policy would block: no inline <script> with code, no handler attributes
        page = answer.content.decode()
        for script in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S):
            attributes, body = script
            assert "src=" in attributes or 'type="application/json"' in attributes \
                or not body.strip(), (url, body[:80])
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), url


def test_no_template_has_inline_script_or_handler_attributes():
    """A new template with inline code would be blocked by the policy in browsers."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text), \
            template
        assert not re.search(r"<[^>]+\son[a-z]+\s*=\s*\"", text), template


@pytest.mark.parametrize("url", ["/", "/desk/", "/outbox/", "/api/v1/categories/",
                                 "/api/v1/departments/"])
def test_staff_pages_and_api_answers_are_not_stored(staff_client, url):
    answer = staff_client.get(url)
    assert answer.status_code == 200, url
    assert "no-store" in answer["Cache-Control"], url


@pytest.mark.parametrize("url", ["/track/", "/submit/", "/api/v1/categories/",
                                 "/accounts/login/"])
def test_public_and_refused_answers_are_not_stored(client, url):
    answer = client.get(url)
    assert "no-store" in answer["Cache-Control"], (url, answer.status_code)


def test_api_errors_are_not_stored(client):
    answer = client.post("/api/v1/auth/token/", {"username": "x", "password": "y"},
                         REMOTE_ADDR="192.0.2.1")
    assert answer.status_code == 400
    assert "no-store" in answer["Cache-Control"]


def test_health_tells_outsiders_only_up_or_down(client):
    answer = client.get("/healthz", REMOTE_ADDR="203.0.113.9")
    assert answer.json() == {"status": answer.json()["status"]}
    text = answer.content.decode()
    for secret in ("postgresql", "sqlite", "redis", "filesystem", "vendor", "transport"):
        assert secret not in text


def test_health_details_for_loopback_and_staff(client, agent):
    body = client.get("/healthz").json()  # the test client calls from 127.0.0.1
    assert {"database", "broker", "worker"} <= body.keys()
    assert body["database"]["vendor"]
    client.force_login(agent)
    body = client.get("/healthz", REMOTE_ADDR="203.0.113.9").json()
    assert {"database", "broker", "worker"} <= body.keys()


def test_health_details_for_ipv6_loopback(client):
    assert "database" in client.get("/healthz", REMOTE_ADDR="::1").json()
