"""The soak's short form (bench/soak.py, issue 16): its own PostgreSQL, Redis, gunicorn, two
Celery workers, beat, SMS gateway and SMTP server, and a deadline policy of minutes; steady intake
by API, signed webhook, public form and ingest_email retried with the same keys, and agents
acknowledging, replying and resolving through the API, while beat runs twice, a worker is
SIGKILLed, the gateway answers 500 then hangs, the SMTP server is down, Redis is killed and
restarted and PostgreSQL restarted. Every accepted request stored once, none lost, every action
applied once, every acknowledgement sent once (or its failure shown in the outbox), every clock
that fell due warned once and escalated once per level, nothing stuck, /healthz reported each
outage, and the backup drill's restore matches."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.worker
def test_the_short_soak_keeps_every_promise(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--seconds", "30",
                          "--rate", "3", "--converge", "60", "--settle", "30",
                          "--workdir", str(tmp_path / "soak")],
                         cwd=ROOT, capture_output=True, text=True, timeout=178)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "soak: all checks hold" in run.stdout
