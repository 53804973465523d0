"""Every page reachable from the navigation, as each role sees it, answers without a server
error, on the demo data — what someone clicking through the system after `make run` meets."""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests import seeds

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("/admin/", "/static/", "/api/docs/", "/api/schema/", "/i18n/",
                 "/accounts/logout/")
MAX_PAGES = 120


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def _internal(href: str) -> str | None:
    href, _fragment = urldefrag(href)
    parsed = urlparse(href)
    if parsed.scheme or parsed.netloc or not parsed.path.startswith("/"):
        return None
    if parsed.path.startswith(SKIP_PREFIXES) or parsed.path.endswith((".csv", ".xlsx")):
        return None  # downloads and exports have their own tests
    return href


def crawl(client: Client) -> dict[str, int]:
    seen: dict[str, int] = {}
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        seen[url] = response.status_code
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            parser = _Links()
            parser.feed(response.content.decode())
            queue.extend(link for link in map(_internal, parser.links) if link)
    return seen


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", complaints=60, stdout=open("/dev/null", "w"))
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        seeds.restore()  # for the tests after this module


@pytest.mark.parametrize("username", ["agent1", "supervisor", "admin"])
def test_every_linked_page_opens_for_each_role(demo, username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    seen = crawl(client)
    errors = {url: code for url, code in seen.items() if code >= 500}
    assert errors == {}
    assert len(seen) >= 10  # the navigation, queues and complaints were reached
    assert any(url.startswith("/complaints/TS") for url in seen)
    assert seen["/"] == 200


def test_the_public_pages_open_for_a_customer(demo):
    seen = crawl(Client())  # "/" sends an anonymous visitor to the login page
    seen.update({url: Client().get(url).status_code for url in ("/submit/", "/track/")})
    assert {url: code for url, code in seen.items() if code >= 500} == {}
    assert seen["/submit/"] == seen["/track/"] == 200
