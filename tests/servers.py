"""Real Redis and PostgreSQL servers of a test's own, on spare loopback ports, that a test can
stop mid-run (issue 16: what the system does while its parts are down); a local HTTP server
for an SMS gateway."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class RedisServer:
    def __init__(self):
        self.port = spare_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _wait(lambda: _listening(self.port)), "redis-server did not start"

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None
        assert _wait(lambda: not _listening(self.port))


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _as_postgres_user(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the cluster's commands as the `postgres` user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


class PostgresCluster:
    def __init__(self):
        self.port = spare_port()
        self.dir = Path(tempfile.mkdtemp(prefix="soak-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args):
        subprocess.run(_as_postgres_user([str(PG_BIN / args[0]), *args[1:]]), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/tmp")

    def init(self):
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")

    def start(self):
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -h 127.0.0.1 -F", "start")

    def stop(self):
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def postgres_cluster():
    cluster = PostgresCluster()
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped by the test
        cluster.remove()


@contextmanager
def http_server(handler):
    """An HTTP server on a spare loopback port answering with `handler` (a
    BaseHTTPRequestHandler class) in a thread of its own: a local SMS gateway."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()


class SmsGateway:
    """What a local SMS gateway saw: every POST as (Authorization header, JSON payload); it
    answers `status`. Like a gateway that takes client message ids, `delivered` keeps the text
    of each id it accepted once: a repeat of an id is received but not delivered again."""

    def __init__(self):
        self.received: list = []
        self.status = 200
        self.delivered: dict = {}

    @property
    def posts(self) -> list:
        return [payload for _auth, payload in self.received]

    def take(self, auth, payload) -> int:
        self.received.append((auth, payload))
        if self.status < 300 and "message_id" in payload:
            self.delivered.setdefault(payload["message_id"], payload["text"])
        return self.status


@contextmanager
def sms_gateway():
    """A recording SMS gateway (`SmsGateway`) on a spare loopback port; yields (gateway, url)."""
    gateway = SmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(gateway.take(self.headers.get("Authorization"), payload))
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    with http_server(Handler) as server:
        yield gateway, f"http://127.0.0.1:{server.server_port}/send"
