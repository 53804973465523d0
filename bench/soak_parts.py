"""The soak's parts (bench/soak.py runs them): the SMS gateway and SMTP server that record
every message, the stack it starts (PostgreSQL, Redis, gunicorn, workers, beat), the clients
that load it and the agents working through the API."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from email.message import EmailMessage
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import PG_BIN, PostgresCluster, RedisServer, spare_port  # noqa: E402

PYTHON = sys.executable
WEBHOOK_SECRET = "whsec_soak_app"  # noqa: S105 - the soak's own gateway secret
RETRIES = 90  # a second apart: the soak's outages last at most a minute
TEXTS = ["家里宽带从昨晚开始一直断网，光猫红灯闪烁。", "这个月话费多扣了三十元。",
         "小区里手机信号很差，打电话经常没有信号。", "流量包到期后自动续订了，要求退款。"]


def sign_webhook(body: bytes, timestamp: str, key: str) -> str:
    """The webhook signature: HMAC-SHA256 over `{timestamp}.{key}.{body}` (one place to change)."""
    content = f"{timestamp}.".encode() + key.encode("latin-1") + b"." + body
    return "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), content, hashlib.sha256).hexdigest()


class SmsGateway:
    """A local SMS gateway recording every message it is sent; it can answer 500 or hang."""

    def __init__(self):
        self.port = spare_port()
        self.received: Counter = Counter()  # message_id -> delivered to the phone (once)
        self.repeats: Counter = Counter()  # message_id -> sent again, dropped by the gateway
        self.lock = threading.Lock()
        self.mode = "ok"  # "ok" | "500" | "hang"
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if gateway.mode == "hang":
                    time.sleep(60)
                    return
                if gateway.mode == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                # As real gateways do with a client message id: a repeat of a message id it
                # already took is answered 200 and not delivered again (counted apart).
                message_id = json.loads(body)["message_id"]
                with gateway.lock:
                    if gateway.received[message_id]:
                        gateway.repeats[message_id] += 1
                    else:
                        gateway.received[message_id] += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


# A deadline policy of minutes, so clocks fall due, warn and escalate during the run: every
# complaint is acknowledged within 36 s (warned at 18 s), answered within 72 s and resolved
# within 108 s; each 36 s past due raises the level (1 on breach, up to 3). The SLA sweep, the
# outbox's send run and the clocks' catch-up (sla.start_missing_clocks) run every 10 s instead
# of every minute or five, so they run during short faults.
MINUTE_POLICY = (
    "from decimal import Decimal\n"
    "from django_celery_beat.models import IntervalSchedule, PeriodicTask\n"
    "from sla.models import SlaPolicy, SlaTarget\n"
    "calendar = SlaPolicy.objects.order_by('id').first().calendar\n"
    "SlaPolicy.objects.update(is_active=False)\n"
    "p = SlaPolicy.objects.create(name='soak: minutes', calendar=calendar, warning_percent=50,"
    " breach_level=1, escalation_step_hours=Decimal('0.01'))\n"
    "for metric, hours in (('acknowledge', '0.01'), ('first_response', '0.02'),"
    " ('resolution', '0.03')):\n"
    "    SlaTarget.objects.create(policy=p, metric=metric, amount=Decimal(hours),"
    " unit='calendar_hours')\n"
    "every = IntervalSchedule.objects.get_or_create(every=SWEEP_SECONDS, period='seconds')[0]\n"
    "for task in PeriodicTask.objects.filter(task__in=['sla.sweep',"
    " 'complaints.send_outbound', 'sla.start_missing_clocks']):\n"
    "    task.interval = every\n"
    "    task.save()\n").replace("SWEEP_SECONDS", "10")


class SmtpServer:
    """A local SMTP server (aiosmtpd) recording every message it accepts, by the outbox id the
    message carries (X-Outbound-Message-Id); it can be stopped and started on the same port."""

    def __init__(self):
        self.port = spare_port()
        self.received: Counter = Counter()  # outbox message id -> deliveries accepted
        self.other = 0  # mail without an outbox id (staff's deadline warnings, escalations)
        self.controller = None

    def start(self):
        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd
                from email import message_from_bytes

                outbound_id = message_from_bytes(envelope.content)["X-Outbound-Message-Id"]
                if outbound_id:
                    server.received[int(outbound_id)] += 1
                else:
                    server.other += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Stack:
    """PostgreSQL, Redis and gunicorn of the soak's own."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.pg = PostgresCluster()
        self.redis = RedisServer()
        self.web_port = spare_port()
        self.web = None
        self.env = {}
        self.sms = SmsGateway()
        self.smtp = SmtpServer()
        self.celery: dict[str, subprocess.Popen] = {}

    def start(self) -> str:
        self.pg.init()
        self.pg.start()
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg.port),
                        "-U", "postgres", "soak"], check=True)
        self.redis.start()
        self.smtp.start()
        (self.workdir / "var").mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg.port}/soak",
            "REDIS_URL": self.redis.url, "CACHE_KEY_PREFIX": "soak", "DEBUG": "0",
            "SECRET_KEY": "soak-only-not-secret", "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(self.workdir / "var"), "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING", "SMS_BACKEND": "notifications.backends.HttpGatewayBackend",
            "SMS_GATEWAY_URL": f"http://127.0.0.1:{self.sms.port}/send",
            "SMS_GATEWAY_DEDUPLICATES": "1",  # its gateway delivers a repeated message id once
            "OUTBOUND_SENDING_GRACE_SECONDS": "15",  # sends cut off settled within the run
            "CUSTOMER_AUTOMATIC_SMS_PER_DAY": "100000", "CUSTOMER_CONTACT_OPENS": "00:00",
            "CUSTOMER_CONTACT_CLOSES": "23:59",
            "INTAKE_WEBHOOK_SECRET_APP": WEBHOOK_SECRET, "THROTTLE_ANON": "100000/minute",
            "THROTTLE_INTAKE_WEBHOOK": "100000/minute",
            "INTAKE_PUBLIC_RATE_IP": "100000/hour", "INTAKE_PUBLIC_RATE_PHONE": "100000/day",
            "DATABASE_UNAVAILABLE_RETRY_AFTER": "2", "PYTHONPATH": str(ROOT),
            "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.smtp.port), "EMAIL_TIMEOUT": "5"}
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True)
        token = self.manage_shell(
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.auth.models import Group\n"
            "from rest_framework.authtoken.models import Token\n"
            "from django.contrib.auth.models import Permission\n"
            "from kernel.roles import SUPERVISOR, ensure_roles\n"
            "ensure_roles()\n"
            "u = get_user_model().objects.create_user('soak_agent', password=None)\n"
            "u.groups.add(Group.objects.get(name=SUPERVISOR))\n"
            "u.user_permissions.add(Permission.objects.get(codename='view_all_departments'))\n"
            + MINUTE_POLICY +
            "print(Token.objects.create(user=u).key)\n").strip().splitlines()[-1]
        self.web = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "--bind",
             f"127.0.0.1:{self.web_port}", "--workers", "2", "--timeout", "60",
             "--log-level", "warning"], cwd=ROOT, env=self.env, start_new_session=True,
            stdout=(self.workdir / "web.log").open("w"), stderr=subprocess.STDOUT)
        for name in ("worker1", "worker2", "beat1"):
            self.start_celery(name)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if request(self.web_port, "GET", "/healthz")[0] in (200, 503):
                return token
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not come up")

    def start_celery(self, name: str):
        if name.startswith("beat"):
            cmd = ["beat", "--schedule", str(self.workdir / f"{name}-schedule")]
        else:
            cmd = ["worker", "--concurrency=1", "--pool=prefork", "--without-gossip",
                   "--without-mingle", "-n", f"{name}@%h"]
        self.celery[name] = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "config", *cmd, "--loglevel=WARNING"], cwd=ROOT,
            env=self.env, start_new_session=True,
            stdout=(self.workdir / f"{name}.log").open("a"), stderr=subprocess.STDOUT)

    def kill_celery(self, name: str, sig=signal.SIGKILL):
        process = self.celery.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def manage_shell(self, code: str) -> str:
        return subprocess.run([PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT, env=self.env,
                              check=True, capture_output=True, text=True).stdout

    def stop(self):
        if self.web is not None:
            os.killpg(self.web.pid, signal.SIGTERM)
            self.web.wait(timeout=30)
        for name in list(self.celery):
            self.kill_celery(name, signal.SIGTERM)
        self.sms.server.shutdown()
        self.smtp.stop()
        self.redis.kill()
        try:
            self.pg.stop()
        except subprocess.CalledProcessError:
            pass
        self.pg.remove()


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, timeout: float = 15) -> tuple[int, bytes]:
    """(status, body); status 0 for a timeout or a refused or broken connection."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""


class Load:
    """Three clients at a steady rate, and an MTA piping an email to `ingest_email` every few
    seconds; each request retried with the same key until answered."""

    def __init__(self, port: int, token: str, rate: float, env: dict):
        self.port, self.token, self.rate, self.env = port, token, rate, env
        self.results: list[dict] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(kind,), daemon=True)
                        for kind in ("api", "webhook", "public", "email")]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=RETRIES * 20)

    def _run(self, kind: str):
        interval = EMAIL_EVERY if kind == "email" else 3 / self.rate
        while not self.stopping.is_set():
            started = time.monotonic()
            result = self._send(kind, f"soak-{kind}-{uuid.uuid4().hex[:12]}")
            with self.lock:
                self.results.append(result)
            time.sleep(max(0.0, interval - (time.monotonic() - started)))

    def _send(self, kind: str, key: str) -> dict:
        text = f"{random.choice(TEXTS)} [{key}]"
        statuses = []
        for _attempt in range(RETRIES):
            status, body = self._attempt(kind, key, text)
            statuses.append(status)
            if status and status < 500:
                break
            time.sleep(1)
        reference = None
        if statuses[-1] in (200, 201):
            reference = (body.decode().split()[-1].strip("()") if kind == "email"
                         else json.loads(body).get("reference"))
        return {"kind": kind, "key": key, "statuses": statuses, "reference": reference,
                "answer": None if reference else body[:300].decode("utf-8", "replace")}

    def _attempt(self, kind: str, key: str, text: str) -> tuple[int, bytes]:
        if kind == "email":
            return self._pipe_email(key, text)
        if kind == "api":
            body = json.dumps({"channel": "phone", "external_ref": key, "description": text,
                               "customer": {"name": "客户", "phone": _phone()}},
                              ensure_ascii=False).encode()
            return request(self.port, "POST", "/api/v1/complaints/", body, {
                "Authorization": f"Token {self.token}", "Content-Type": "application/json"})
        if kind == "webhook":
            body = json.dumps({"event_id": key, "user": {"name": "周敏", "phone": _phone()},
                               "complaint": {"description": text}},
                              ensure_ascii=False).encode()
            timestamp = str(int(time.time()))
            return request(self.port, "POST", "/api/v1/intake/webhooks/app/", body, {
                "Content-Type": "application/json", "Idempotency-Key": key,
                "X-Timestamp": timestamp, "X-Signature": sign_webhook(body, timestamp, key)})
        # The public form has no key: a person sends it again after an error page; the text
        # carries the soak's key, so a second copy would show as duplicated.
        phone = _phone()
        body = json.dumps({"name": "王芳", "phone": phone, "description": text,
                           "service_number": phone, "location": "上海市浦东新区",
                           "accept_privacy": True}, ensure_ascii=False).encode()
        return request(self.port, "POST", "/api/v1/public/complaints/", body,
                       {"Content-Type": "application/json"})


    def _pipe_email(self, key: str, text: str) -> tuple[int, bytes]:
        """What an MTA does: pipe the message to `manage.py ingest_email`; exit 75 (database
        unavailable) or no answer: try again later with the same message (same Message-ID).
        The sender has no phone on file, so the acknowledgement goes by email (SMTP)."""
        message = EmailMessage()
        message["From"] = f"客户 <{key}@customers.example>"
        message["To"] = "complaints@operator.example"
        message["Subject"] = "投诉：宽带故障"
        message["Message-ID"] = f"<{key}@customers.example>"
        message["Date"] = formatdate(localtime=False)
        message.set_content(text)
        try:
            run = subprocess.run([PYTHON, "manage.py", "ingest_email"], cwd=ROOT, env=self.env,
                                 input=message.as_bytes(), capture_output=True, timeout=90)
        except subprocess.TimeoutExpired:
            return 0, b""
        # As an HTTP client would see it: 0 created or recorded, 75 try later, else refused.
        status = {0: 201, 75: 503}.get(run.returncode, 400)
        return status, (run.stdout or run.stderr).strip()


EMAIL_EVERY = 6  # seconds between two emails (each is a Django start-up: CPU-heavy)


def _phone() -> str:
    return f"139{random.randrange(10**8):08d}"


class Agents:
    """Agents working through the API: every third accepted complaint is acknowledged; half of
    those then get a public reply (with an Idempotency-Key, always sent twice) and are
    resolved. The rest are left alone to fall due. Each action is retried on a timeout or a 5xx with the same version (a retry after the action was
    applied gets 409, stale version: nothing happens twice); a 409 without an earlier failure
    (someone else changed the complaint) is read again and tried once more."""

    def __init__(self, port: int, token: str, load: Load, every: float):
        self.port, self.token, self.load, self.every = port, token, load, every
        self.actions: list[dict] = []
        self.taken: set[str] = set()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def _run(self):
        pick = random.Random(16)
        while not self.stopping.is_set():
            started = time.monotonic()
            with self.load.lock:
                fresh = [r["reference"] for r in self.load.results
                         if r["reference"] and r["reference"] not in self.taken]
            for reference in fresh:
                self.taken.add(reference)
                if pick.random() < 1 / 3:
                    self._work(reference, full=pick.random() < 0.5)
                    break
            time.sleep(max(0.0, self.every - (time.monotonic() - started)))

    def _work(self, reference: str, full: bool):
        self._act(reference, "acknowledge", {})
        if full:
            self._reply(reference)
            self._act(reference, "resolve", {"resolution_summary": "已远程重置光猫，恢复正常。"})

    def _version(self, reference: str) -> int | None:
        for _attempt in range(RETRIES):
            status, body = request(self.port, "GET", f"/api/v1/complaints/{reference}/",
                                   headers=self.headers)
            if status == 200:
                return json.loads(body)["version"]
            if status and status < 500:
                return None
            time.sleep(1)
        return None

    def _act(self, reference: str, action: str, data: dict):
        statuses = []
        for _round in range(2):
            version = self._version(reference)
            if version is None:
                break
            body = json.dumps({"version": version, **data}, ensure_ascii=False).encode()
            for _attempt in range(RETRIES):
                status, _answer = request(self.port, "POST",
                                          f"/api/v1/complaints/{reference}/{action}/", body,
                                          self.headers)
                statuses.append(status)
                if status and status < 500:
                    break
                time.sleep(1)
            if statuses[-1] != 409 or len(statuses) > 1:
                break
        self.actions.append({"reference": reference, "action": action, "statuses": statuses})

    def _reply(self, reference: str):
        """A public reply with an Idempotency-Key, retried with the same key on a timeout or a
        5xx; once answered, sent again as a client does whose answer was lost: the same answer
        must come back, and the reply be stored once."""
        token = f"reply-{uuid.uuid4().hex[:12]}"
        body = json.dumps({"body": f"您好，我们已安排工程师处理。[{token}]", "public": True},
                          ensure_ascii=False).encode()
        headers = {**self.headers, "Idempotency-Key": token}
        statuses, answers = [], []
        for _send in range(2):
            for _attempt in range(RETRIES):
                status, answer = request(self.port, "POST",
                                         f"/api/v1/complaints/{reference}/notes/", body, headers)
                statuses.append(status)
                if status and status < 500:
                    answers.append((status, answer))
                    break
                time.sleep(1)
        self.actions.append({"reference": reference, "action": "reply", "statuses": statuses,
                             "token": token, "answered_as_the_first": len(answers) == 2
                             and answers[0] == answers[1]})
