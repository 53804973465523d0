import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    """`postgres` tests run on PostgreSQL; on SQLite they are skipped, saying so.

    Browser tests run last: Playwright keeps an event loop running in the main thread for the
    rest of the session, which must not affect the transactional tests that follow.
    """
    from django.conf import settings

    items.sort(key=lambda item: "browser" in item.keywords)

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    # Not hiding anything: .ci/run always sets DATABASE_URL to PostgreSQL, so in CI these run;
    # the skip only spares a developer's SQLite run, and prints why.
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed_data_after_flush(request):
    """Transactional tests empty every table afterwards and data migrations do not run again:
    a transactional test puts their rows back for itself if an earlier one emptied them (roles
    and beat tasks come back through post_migrate on their own). Other tests that need them
    use the `migration_seeds` fixture."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or \
        "live_server" in request.fixturenames or "transactional_db" in request.fixturenames
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from tests import seeds

    seeds.restore()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """committed(fn, *args) runs fn, then its after-commit receivers (classification, clocks,
    report figures), as a real request's commit would; returns fn's result."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def migration_seeds(db):
    """The rows data migrations seed (categories, calendars, deadline policies, rules), for a
    test that needs them whichever test ran before: a transactional one empties every table."""
    from tests import seeds

    seeds.restore()


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Real hashing costs ~0.3 s a user; tests do not need it to be slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roles(db):
    from kernel.roles import ensure_roles

    ensure_roles()


def _every_department(user):
    """The shared agent and supervisor see every department (as the provincial customer-service
    centre does), so tests of other behaviour need not place them in departments. The data scope
    itself is tested with users of their own in tests/integration/complaints/test_scope.py."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(
        content_type__app_label="complaints", codename="view_all_departments"))
    return user


@pytest.fixture
def agent(roles):
    from tests.factories import StaffFactory

    return _every_department(
        StaffFactory(role="agent", username="agent_li", first_name="李", last_name=""))


@pytest.fixture
def supervisor(roles):
    from tests.factories import StaffFactory

    return _every_department(
        StaffFactory(role="supervisor", username="sup_wang", first_name="王", last_name=""))


@pytest.fixture
def administrator(roles):
    from tests.factories import StaffFactory

    return StaffFactory(role="administrator", username="admin_zhao")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for():
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def without_auto_classification():
    """Intake's automatic classification, grading and routing switched off for one test, then
    restored in its original place among the receivers (the order they run in matters: intake
    classifies a new complaint before its clocks start)."""
    from complaints import events

    with events.unsubscribed("intake"):
        yield


class SmtpInbox:
    """What a real SMTP server on loopback (aiosmtpd) received."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """An SMTP server on a free loopback port, with Django's SMTP backend pointed at it."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()
