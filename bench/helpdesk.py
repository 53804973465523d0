"""django-helpdesk 2.6.1 as the benchmarks' outside yardstick: its REST API's ticket create,
served the same way as ours. Used by bench/intake_api.py; runnable alone for a smoke check:

    .venv/bin/python bench/helpdesk.py        # install, start, create one ticket, stop

`ensure_venv()` installs django-helpdesk with pip into its own virtualenv, `.bench/helpdesk-venv`
(pinned below; downloaded from PyPI once, then reused). `helpdesk_server()` writes a minimal
Django project for it into a temporary directory (PostgreSQL database
`complaints_bench_helpdesk`, created and finally dropped; DEBUG off; teams mode off so no
pinax-teams; e-mail to the dummy backend), migrates, creates a staff user with a DRF token (the
ticket API requires `IsAdminUser`; a token, as our API uses, rather than basic authentication,
whose password hash per request would measure PBKDF2 instead of helpdesk) and one queue, and
starts it under gunicorn with the worker settings it is given. Its API (`HELPDESK_API_ENABLED`,
on by default in 2.6.1) takes `POST /api/tickets/` with queue, title, description, submitter
e-mail and priority; each create goes through helpdesk's own `TicketForm.save` (ticket, first
follow-up, notification e-mails to the submitter and the queue).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import pg  # noqa: E402

DB = os.environ.get("BENCH_HELPDESK_DB", "complaints_bench_helpdesk")  # another name: side by side
VENV = ROOT / ".bench" / "helpdesk-venv"
# django-helpdesk 2.6.1 requires Django >= 5.2; the same Django, DRF-compatible and server
# versions as the product where it allows.
PINS = ["django-helpdesk==2.6.1", "Django==5.2.19", "djangorestframework==3.16.1",
        "gunicorn==23.0.0", "psycopg2-binary==2.9.10"]

SETTINGS = '''
import os
SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize",
    "rest_framework", "rest_framework.authtoken", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "hdbench.urls"
WSGI_APPLICATION = "hdbench.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": os.environ["HD_DB"],
                         "HOST": "127.0.0.1", "PORT": 5432, "USER": "postgres",
                         "CONN_MAX_AGE": 60}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
STATIC_URL = "/static/"
MEDIA_ROOT = os.path.join(os.path.dirname(__file__), "media")
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "helpdesk@example.com"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_KB_ENABLED = True  # False breaks 2.6.1's urls.py (NameError: kb)
HELPDESK_API_ENABLED = True
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [
    "rest_framework.authentication.TokenAuthentication"]}
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"level": "WARNING", "handlers": []}}
'''

URLS = '''
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
'''

WSGI = '''
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdbench.settings")
application = get_wsgi_application()
'''

SETUP = '''
import json
import django
django.setup()
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from helpdesk.models import Queue
user = get_user_model().objects.create_user("bench_agent", email="agent@example.com",
                                            password=None, is_staff=True)
queue = Queue.objects.create(title="Complaints", slug="complaints",
                             email_address="queue@example.com")
print(json.dumps({"token": Token.objects.create(user=user).key, "queue": queue.pk}))
'''

COUNT = '''
import json
import django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
token = Token.objects.get()
client = APIClient()
client.credentials(HTTP_AUTHORIZATION="Token " + token.key)
body = json.loads(%r)
client.post("/api/tickets/", body, format="json")  # warm
with CaptureQueriesContext(connection) as captured:
    response = client.post("/api/tickets/", body, format="json")
assert response.status_code == 201, response.content
print(len(captured))
'''


@dataclass
class Helpdesk:
    port: int
    token: str
    queue: int
    statements: int
    path: str = "/api/tickets/"

    def payload(self, i: int, description: str) -> dict:
        return {"queue": self.queue, "title": description[:40], "description": description,
                "submitter_email": f"customer{i}@example.com", "priority": 3}


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """The virtualenv with the pinned django-helpdesk; created and installed once."""
    marker = VENV / "bench-pins.txt"
    if marker.exists() and marker.read_text().split() == PINS:
        return _python()
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(_python()), "-m", "pip", "install", "-q", *PINS], check=True)
    marker.write_text("\n".join(PINS) + "\n")
    return _python()


def _project(directory: Path) -> None:
    package = directory / "hdbench"
    package.mkdir()
    for name, text in (("__init__.py", ""), ("settings.py", SETTINGS), ("urls.py", URLS),
                       ("wsgi.py", WSGI)):
        (package / name).write_text(text)


def _wait_up(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("helpdesk's gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("helpdesk's gunicorn did not come up")


@contextmanager
def helpdesk_server(*, port: int, workers: int, sample: dict | None = None):
    """django-helpdesk under gunicorn (`workers` sync workers) on `port`; dropped afterwards."""
    python = ensure_venv()
    pg.recreate_database(DB)
    directory = Path(tempfile.mkdtemp(prefix="bench-helpdesk-"))
    _project(directory)
    env = {**os.environ, "HD_DB": DB, "DJANGO_SETTINGS_MODULE": "hdbench.settings",
           "PYTHONPATH": str(directory)}
    for var in ("DATABASE_URL", "VIRTUAL_ENV"):
        env.pop(var, None)
    process = None
    try:
        subprocess.run([str(python), "-m", "django", "migrate", "-v", "0"], cwd=directory,
                       env=env, check=True)
        made = json.loads(subprocess.run([str(python), "-c", SETUP], cwd=directory, env=env,
                                         check=True, capture_output=True, text=True).stdout)
        desk = Helpdesk(port=port, token=made["token"], queue=made["queue"], statements=0)
        body = json.dumps(sample or desk.payload(0, "bench ticket"))
        desk.statements = int(subprocess.run(
            [str(python), "-c", COUNT % body], cwd=directory, env=env, check=True,
            capture_output=True, text=True).stdout.split()[-1])
        process = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "hdbench.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--log-level", "warning"],
            cwd=directory, env=env, start_new_session=True)
        _wait_up(port, process)
        yield desk
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        pg.drop_database(DB)


def main() -> None:
    from bench.intake_api import free_port

    with helpdesk_server(port=free_port(), workers=1) as desk:
        conn = http.client.HTTPConnection("127.0.0.1", desk.port, timeout=30)
        conn.request("POST", desk.path, body=json.dumps(desk.payload(1, "smoke test")),
                     headers={"Authorization": f"Token {desk.token}",
                              "Content-Type": "application/json"})
        response = conn.getresponse()
        print(response.status, response.read()[:200])
        print(f"{desk.statements} statements per create")


if __name__ == "__main__":
    main()
