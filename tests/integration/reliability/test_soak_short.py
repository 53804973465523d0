"""The soak's short form (bench/soak.py, issue 16): its own PostgreSQL, Redis, gunicorn, two
Celery workers, beat and SMS gateway; steady intake by API, signed webhook and public form
retried with the same keys, while beat runs twice, a worker is SIGKILLed, the gateway answers 500
then hangs, Redis is killed and restarted and PostgreSQL restarted. Every accepted request stored
once, none lost, every acknowledgement sent once (or its failure shown in the outbox), /healthz
reported each outage."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.worker
def test_the_short_soak_keeps_every_promise(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--seconds", "30",
                          "--rate", "3", "--converge", "60", "--workdir", str(tmp_path / "soak")],
                         cwd=ROOT, capture_output=True, text=True, timeout=170)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "soak: all checks hold" in run.stdout
