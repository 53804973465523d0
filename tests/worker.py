"""Start a real Celery worker (optionally with beat) as a subprocess for integration tests.

It uses the same broker as the test process (Redis when REDIS_URL is set, else the filesystem
transport), its own queue so no other process's messages interfere, and the test database.
"""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        auth = db.get("USER") or "postgres"
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


@contextmanager
def celery_worker(*, beat: bool = False, extra_env: dict | None = None):
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_QUEUE": queue,
           "DJANGO_SETTINGS_MODULE": "config.settings", **(extra_env or {})}
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
           "--concurrency=1", "--pool=solo", "--loglevel=INFO", "--without-gossip",
           "--without-mingle", "-n", f"{queue}@%h"]
    if beat:
        cmd += ["--beat", "--schedule", str(ROOT / "var" / f"{queue}-beat")]
    log = (ROOT / "var" / f"{queue}.log").open("w+")
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield queue, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def wait_for(predicate, *, timeout: float = 45, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def read_log(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()
