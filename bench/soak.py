"""Soak (issue 16): steady intake while Redis, workers, beat, PostgreSQL and the SMS gateway fail.

It starts its own PostgreSQL cluster (initdb + pg_ctl on a spare port, as the `postgres` user when
run as root), its own redis-server on a spare port, the web under gunicorn (2 workers), two
Celery workers and beat, and a local SMS gateway recording every message. Three clients send, at
a steady rate, API creates with an `external_ref`, signed webhooks with an `Idempotency-Key` and
public-form posts, and retry on timeouts and 5xx with the same keys, as a real integrator does.
While they run: beat is started a second time; a worker is SIGKILLed (and started again); the
gateway answers 500, then hangs; Redis is killed and restarted; PostgreSQL is restarted (fast
shutdown). /healthz is polled all along. After a bounded time for the outbox to drain:

- every request that got a 2xx is stored exactly once, with the reference it was given;
- a retry with the same key created nothing new; nothing stored without a 2xx;
- every acknowledgement reached the gateway once, or its failure shows in the outbox;
- no message was sent twice; none is stuck untried;
- /healthz reported each outage (database, broker, cache) while it lasted;
- the backup drill: a pg_dump taken under load, restored into a new database, its search index
  and report figures rebuilt there: every restored complaint is live, a sample matches field by
  field.

    /work/main/.venv/bin/python bench/soak.py [--seconds 90] [--rate 4]

Exit status 0 when every check holds. Not covered yet (see docs/reliability.md): ingest_email
and the SMTP server, agents' actions, the SLA clocks, and /healthz's worker and beat reports.
"""

from __future__ import annotations

import argparse
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import PG_BIN, PostgresCluster, RedisServer, spare_port  # noqa: E402

PYTHON = sys.executable
WEBHOOK_SECRET = "whsec_soak_app"  # noqa: S105 - the soak's own gateway secret
RETRIES = 30
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
        self.received: Counter = Counter()  # message_id -> deliveries answered 2xx
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
                gateway.received[json.loads(body)["message_id"]] += 1
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


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
        self.celery: dict[str, subprocess.Popen] = {}

    def start(self) -> str:
        self.pg.init()
        self.pg.start()
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg.port),
                        "-U", "postgres", "soak"], check=True)
        self.redis.start()
        (self.workdir / "var").mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg.port}/soak",
            "REDIS_URL": self.redis.url, "CACHE_KEY_PREFIX": "soak", "DEBUG": "0",
            "SECRET_KEY": "soak-only-not-secret", "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(self.workdir / "var"), "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING", "SMS_BACKEND": "notifications.backends.HttpGatewayBackend",
            "SMS_GATEWAY_URL": f"http://127.0.0.1:{self.sms.port}/send",
            "CUSTOMER_AUTOMATIC_SMS_PER_DAY": "100000", "CUSTOMER_CONTACT_OPENS": "00:00",
            "CUSTOMER_CONTACT_CLOSES": "23:59",
            "INTAKE_WEBHOOK_SECRET_APP": WEBHOOK_SECRET, "THROTTLE_ANON": "100000/minute",
            "THROTTLE_INTAKE_WEBHOOK": "100000/minute",
            "INTAKE_PUBLIC_RATE_IP": "100000/hour", "INTAKE_PUBLIC_RATE_PHONE": "100000/day",
            "DATABASE_UNAVAILABLE_RETRY_AFTER": "2", "PYTHONPATH": str(ROOT)}
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=self.env,
                       check=True)
        token = self.manage_shell(
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.auth.models import Group\n"
            "from rest_framework.authtoken.models import Token\n"
            "from kernel.roles import AGENT, ensure_roles\n"
            "ensure_roles()\n"
            "u = get_user_model().objects.create_user('soak_agent', password=None)\n"
            "u.groups.add(Group.objects.get(name=AGENT))\n"
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
    """Three clients at a steady rate; each request retried with the same key until answered."""

    def __init__(self, port: int, token: str, rate: float):
        self.port, self.token, self.rate = port, token, rate
        self.results: list[dict] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(kind,), daemon=True)
                        for kind in ("api", "webhook", "public")]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=RETRIES * 20)

    def _run(self, kind: str):
        interval = 3 / self.rate
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
            reference = json.loads(body).get("reference")
        return {"kind": kind, "key": key, "statuses": statuses, "reference": reference,
                "answer": None if reference else body[:300].decode("utf-8", "replace")}

    def _attempt(self, kind: str, key: str, text: str) -> tuple[int, bytes]:
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


def _phone() -> str:
    return f"139{random.randrange(10**8):08d}"


class HealthWatch:
    """Polls /healthz every half second and keeps which parts it reported down."""

    def __init__(self, port: int):
        self.port = port
        self.seen: Counter = Counter()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            status, body = request(self.port, "GET", "/healthz", timeout=10)
            if status:
                try:
                    report = json.loads(body)
                except ValueError:
                    report = {}
                for part in ("database", "broker", "cache"):
                    if isinstance(report.get(part), dict) and not report[part].get("ok"):
                        self.seen[part] += 1
            time.sleep(0.5)


def faults(stack: Stack, phase: float, log: list) -> dict:
    def note(what):
        log.append((round(time.monotonic() - t0, 1), what))
        print(f"  [{log[-1][0]:6.1f}s] {what}", flush=True)

    t0 = time.monotonic()
    note("beat started a second time")
    stack.start_celery("beat2")
    time.sleep(phase / 2)
    note("worker1 SIGKILLed")
    stack.kill_celery("worker1")
    stack.start_celery("worker1")
    note("sms gateway answering 500")
    stack.sms.mode = "500"
    time.sleep(phase / 2)
    note("sms gateway hanging")
    stack.sms.mode = "hang"
    time.sleep(phase / 2)
    stack.sms.mode = "ok"
    note("sms gateway back; second beat stopped")
    stack.kill_celery("beat2", signal.SIGTERM)
    note("redis killed")
    stack.redis.kill()
    time.sleep(phase)
    stack.redis.start()
    note("redis restarted")
    time.sleep(phase)
    note("postgresql stopping (fast)")
    stack.pg.stop()
    time.sleep(phase / 2)
    stack.pg.start()
    note("postgresql restarted")
    time.sleep(phase / 2)
    drill = backup_drill(stack, note)
    time.sleep(phase / 2)
    return drill


SAMPLE = (
    "import json\n"
    "from complaints.models import Complaint\n"
    "rows = Complaint.objects.order_by('reference').values_list("
    "'reference', 'description', 'channel', 'received_at', 'customer__phone')\n"
    "print(json.dumps([[str(v) for v in r] for r in rows]))\n")


def backup_drill(stack: Stack, note) -> dict:
    """pg_dump while the load runs, restore into a new database, rebuild the search index and the
    report figures there; then the restored complaints must be the live ones of the dump's
    moment: each restored row equal to its live row (docs/operations.md)."""
    dump = stack.workdir / "soak.dump"
    target = ["-h", "127.0.0.1", "-p", str(stack.pg.port), "-U", "postgres"]
    note("pg_dump under load")
    subprocess.run([str(PG_BIN / "pg_dump"), *target, "-Fc", "-f", str(dump), "soak"],
                   check=True)
    subprocess.run([str(PG_BIN / "createdb"), *target, "soak_restored"], check=True)
    subprocess.run([str(PG_BIN / "pg_restore"), *target, "--no-owner", "-d", "soak_restored",
                    str(dump)], check=True)
    restored_env = {**stack.env, "DATABASE_URL": stack.env["DATABASE_URL"].rsplit("/", 1)[0]
                    + "/soak_restored"}
    for command in (["search_reindex", "--rebuild"], ["reports_rebuild"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=restored_env, check=True,
                       capture_output=True)
    note("restored, search index and report figures rebuilt")
    restored = json.loads(subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SAMPLE], cwd=ROOT, env=restored_env, check=True,
        capture_output=True, text=True).stdout.strip().splitlines()[-1])
    return {"dump_bytes": dump.stat().st_size, "restored_complaints": len(restored),
            "restored": restored}


def drill_figures(stack: Stack, drill: dict) -> dict:
    live = {r[0]: r for r in json.loads(stack.manage_shell(SAMPLE).strip().splitlines()[-1])}
    restored = drill.pop("restored")
    sample = random.Random(16).sample(restored, min(50, len(restored)))
    return {**drill, "live_complaints": len(live),
            "restored_not_live": sum(1 for r in restored if r[0] not in live),
            "sample_checked": len(sample),
            "sample_mismatches": sum(1 for r in sample if live.get(r[0]) != r)}


OUTBOX = (
    "import json\n"
    "from notifications.models import OutboundMessage\n"
    "print(json.dumps(list(OutboundMessage.objects.filter(channel='sms').values_list("
    "'id', 'status', 'complaint__reference', 'purpose', 'attempts', 'last_error'))))\n")


def converge_outbox(stack: Stack, limit: float) -> list:
    """Wait (at most `limit` seconds) until every SMS was tried at least once; the outbox then.

    A message that failed waits for its retry (2, 4, 8, 16 minutes): queued with its attempts
    and error shown in the outbox, which staff see; only one never tried is stuck."""
    deadline = time.monotonic() + limit
    while True:
        rows = json.loads(stack.manage_shell(OUTBOX).strip().splitlines()[-1])
        if time.monotonic() > deadline or not any(r[1] == "queued" and not r[4] for r in rows):
            return rows
        time.sleep(5)


def check(stack: Stack, results: list[dict], health: HealthWatch, outbox: list) -> dict:
    acks = [r for r in outbox if r[3] == "acknowledgement"]
    keys = [r["key"] for r in results]
    rows = json.loads(stack.manage_shell(
        "import json\n"
        "from complaints.models import Complaint\n"
        "print(json.dumps(list(Complaint.objects.values_list('reference', 'description'))))\n"
    ).strip().splitlines()[-1])
    stored = Counter()
    references = {}
    for reference, description in rows:
        key = description.rsplit("[", 1)[-1].rstrip("]") if description.endswith("]") else None
        stored[key] += 1
        references[key] = reference
    accepted = [r for r in results if r["statuses"][-1] in (200, 201)]
    figures = {
        "requests": sum(len(r["statuses"]) for r in results),
        "operations": len(results),
        "accepted": len(accepted),
        "retried": sum(1 for r in results if len(r["statuses"]) > 1),
        "answered_5xx_or_no_answer": sum(1 for r in results for s in r["statuses"]
                                         if s == 0 or s >= 500),
        "lost": sum(1 for r in accepted if stored[r["key"]] == 0),
        "duplicated": sum(1 for k in keys if stored[k] > 1),
        "wrong_reference": sum(1 for r in accepted if references.get(r["key"]) != r["reference"]),
        "stored_without_2xx": sum(1 for r in results if r not in accepted and stored[r["key"]]),
        "not_answered_in_the_end": len(results) - len(accepted),
        "health_reported_down": dict(health.seen),
        "acknowledgements": len(acks),
        "acknowledgements_sent_once": sum(1 for r in acks if stack.sms.received[r[0]] == 1),
        "acknowledgements_visibly_failed": sum(1 for r in acks if r[1] == "failed"
                                               and stack.sms.received[r[0]] == 0),
        "acknowledgements_waiting_retry_with_error_shown": sum(
            1 for r in acks if r[1] == "queued" and r[4] and r[5]),
        "acknowledgements_stuck": sum(1 for r in acks if r[1] == "queued" and not r[4]),
        "messages_sent_twice": sum(1 for count in stack.sms.received.values() if count > 1),
        "complaints_without_acknowledgement": len({r["reference"] for r in accepted}
                                                  - {r[2] for r in acks}),
        "final_answers": dict(Counter(f"{r['kind']} {r['statuses'][-1]}" for r in results)),
        "refused_samples": sorted({f"{r['kind']} {r['statuses'][-1]}: {r['answer']}"
                                   for r in results if r not in accepted})[:5],
    }
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=90, help="length of the faulted load")
    parser.add_argument("--rate", type=float, default=3, help="operations per second, in all")
    parser.add_argument("--converge", type=float, default=150,
                        help="at most this long for the outbox to drain after the faults")
    parser.add_argument("--workdir", default=str(ROOT / "var" / f"soak-{os.getpid()}"))
    args = parser.parse_args(argv)
    stack = Stack(Path(args.workdir))
    started = time.monotonic()
    try:
        token = stack.start()
        print(f"stack up in {time.monotonic() - started:.0f} s", flush=True)
        load, health = Load(stack.web_port, token, args.rate), HealthWatch(stack.web_port)
        health.thread.start()
        load.start()
        fault_log: list = []
        drill = faults(stack, args.seconds / 5, fault_log)
        converging = time.monotonic()
        load.stop()
        outbox = converge_outbox(stack, args.converge)
        converged = time.monotonic() - converging
        health.stopping.set()
        figures = check(stack, load.results, health, outbox)
        figures["seconds_to_converge"] = round(converged, 1)
        figures["backup_drill"] = drill_figures(stack, drill)
        figures["faults"] = fault_log
    finally:
        stack.stop()
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    ok = (figures["lost"] == figures["duplicated"] == figures["wrong_reference"] == 0
          and figures["messages_sent_twice"] == figures["acknowledgements_stuck"] == 0
          and figures["complaints_without_acknowledgement"] == 0
          and figures["acknowledgements_sent_once"] + figures["acknowledgements_visibly_failed"]
          + figures["acknowledgements_waiting_retry_with_error_shown"]
          == figures["acknowledgements"]
          and figures["stored_without_2xx"] == 0 and figures["not_answered_in_the_end"] == 0
          and {"database", "broker", "cache"} <= set(figures["health_reported_down"])
          and figures["backup_drill"]["restored_complaints"] > 0
          and figures["backup_drill"]["restored_not_live"] == 0
          and figures["backup_drill"]["sample_mismatches"] == 0)
    print("soak: all checks hold" if ok else "soak: CHECKS FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
