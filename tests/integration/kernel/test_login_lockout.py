"""Brute force on every password entry: after LOGIN_FAILURE_LIMIT wrong passwords for one
account, or from one address, even the right password is refused (issue 15, finding 1);
administrators lift the lock."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PASSWORD = "right-pass-1234"
ENTRIES = ["/accounts/login/", "/admin/login/", "/api/v1/auth/token/"]


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    cache.clear()  # the token endpoint's own throttle counts (this test's Redis database)


@pytest.fixture
def staff(db):
    # is_staff so that the admin's own login would let this user in.
    return get_user_model().objects.create_user("li_lei", password=PASSWORD, is_staff=True)


def attempt(client, entry, username, password, address="203.0.113.7"):
    return client.post(entry, {"username": username, "password": password},
                       REMOTE_ADDR=address)


def logged_in(entry, answer) -> bool:
    if entry.startswith("/api/"):
        return answer.status_code == 200 and "token" in answer.json()
    return answer.status_code == 302


def assert_refused_as_locked(entry, answer):
    assert answer.status_code == 429
    assert answer["Retry-After"] == str(15 * 60)
    if entry.startswith("/api/"):
        body = answer.json()
        assert body["code"] == "login_locked"
        assert "Too many failed login attempts" in body["detail"]
    else:
        page = answer.content.decode()
        assert "Too many failed login attempts" in page
        assert 'name="password"' in page  # the login form, with the message on it


@pytest.fixture
def client_en(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize("entry", ENTRIES)
def test_right_password_refused_after_too_many_wrong_ones_for_the_account(client_en, staff, entry):
    for n in range(settings.AXES_FAILURE_LIMIT):
        # every wrong guess from another address: the account itself is locked
        answer = attempt(client_en, entry, "li_lei", f"guess-{n}", address=f"198.51.100.{n + 1}")
        assert not logged_in(entry, answer)
    answer = attempt(client_en, entry, "li_lei", PASSWORD, address="192.0.2.99")
    assert not logged_in(entry, answer)
    assert_refused_as_locked(entry, answer)
    assert "_auth_user_id" not in client_en.session


@pytest.mark.parametrize("entry", ENTRIES)
def test_right_password_refused_from_an_address_that_guessed_too_often(client_en, staff, entry):
    for n in range(settings.AXES_FAILURE_LIMIT):
        # one address trying many accounts: the address is locked
        assert not logged_in(entry, attempt(client_en, entry, f"user{n}", "guess"))
    answer = attempt(client_en, entry, "li_lei", PASSWORD)
    assert_refused_as_locked(entry, answer)
    # the same account from another address is still fine
    assert logged_in(entry, attempt(client_en, entry, "li_lei", PASSWORD, address="192.0.2.5"))


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_few_typos_do_not_lock(client_en, staff, entry):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client_en, entry, "li_lei", f"typo-{n}")
    assert logged_in(entry, attempt(client_en, entry, "li_lei", PASSWORD))


def test_the_message_is_in_chinese_by_default(client, staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/accounts/login/", "li_lei", f"guess-{n}")
    page = attempt(client, "/accounts/login/", "li_lei", PASSWORD).content.decode()
    assert "登录失败次数过多" in page


def lock(client, username="li_lei"):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/accounts/login/", username, f"guess-{n}", address=f"198.51.100.{n + 1}")
    assert attempt(client, "/accounts/login/", username, PASSWORD).status_code == 429


def test_an_administrator_unlocks_the_account_in_the_admin(client, staff, roles):
    from axes.models import AccessAttempt

    from tests.factories import StaffFactory

    lock(client)
    admin_user = StaffFactory(role="administrator", username="admin_zhao")
    admin_user.is_staff = True
    admin_user.save()
    admin_client = type(client)()
    admin_client.force_login(admin_user)
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "li_lei" in listing.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="li_lei")
           .values_list("pk", flat=True)]
    answer = admin_client.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert answer.status_code == 302
    assert attempt(client, "/accounts/login/", "li_lei", PASSWORD).status_code == 302


def test_manage_py_axes_reset_username_unlocks(client, staff):
    lock(client)
    call_command("axes_reset_username", "li_lei")
    assert attempt(client, "/accounts/login/", "li_lei", PASSWORD).status_code == 302


def test_the_test_clients_login_still_works(client, staff):
    """client.login() authenticates without a request: nothing to count, nobody locked."""
    assert client.login(username="li_lei", password=PASSWORD)


def test_the_token_endpoint_counts_json_bodies_too(client_en, staff):
    for n in range(settings.AXES_FAILURE_LIMIT):
        client_en.post("/api/v1/auth/token/", {"username": "li_lei", "password": f"g{n}"},
                       content_type="application/json", REMOTE_ADDR=f"198.51.100.{n + 1}")
    answer = client_en.post("/api/v1/auth/token/", {"username": "li_lei", "password": PASSWORD},
                            content_type="application/json", REMOTE_ADDR="192.0.2.77")
    assert_refused_as_locked("/api/v1/auth/token/", answer)
