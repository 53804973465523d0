"""Every message of a corpus of real-world odd and malformed mail that nobody on this project
wrote (CPython's email test data, tests/fixtures/mail/malformed/README.md) through
`manage.py ingest_email`: each is taken (exit 0) or refused as data (exit 65), with one line of
output; none ends in a traceback or in 75 (EX_TEMPFAIL, "try again later"), which would make
the mail server retry it for ever (issue 15)."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from intake import email_channel as channels

from complaints.models import Complaint
from intake.models import InboundMessage

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "mail" / "malformed"
MESSAGES = sorted(CORPUS.glob("msg_*.txt"))


class Stdin(io.TextIOWrapper):
    def __init__(self, raw: bytes):
        super().__init__(io.BytesIO(raw), encoding="utf-8")


def ingest(raw: bytes) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("ingest_email", stdin=Stdin(raw), stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue().strip()


def test_the_corpus_is_there():
    assert len(MESSAGES) >= 40


@pytest.mark.parametrize("path", MESSAGES, ids=[p.name for p in MESSAGES])
def test_each_message_is_taken_or_refused_as_data(path):
    code, line = ingest(path.read_bytes())
    assert code in (0, 65), (code, line)
    assert line and "\n" not in line
    if code == 0:
        assert InboundMessage.objects.count() == 1  # recorded: a redelivery is recognised
        again, _line = ingest(path.read_bytes())
        assert again == 0 and InboundMessage.objects.count() == 1


def test_an_over_long_mail_is_taken_cut_at_the_cap_not_retried(settings):
    raw = ("From: 王芳 <wf@example.com>\r\nTo: ts@example.com\r\nSubject: 投诉\r\n"
           "Message-ID: <long-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Transfer-Encoding: 8bit\r\n\r\n" + "信号差" * 100_000 + "\r\n").encode()
    code, line = ingest(raw)
    assert code == 0, line
    complaint = Complaint.objects.get()
    assert len(complaint.description) == settings.INPUT_MAX_DESCRIPTION
    assert complaint.description.startswith("信号差信号差")
    assert "300000" in complaint.description  # the note says how long it was


def test_nul_bytes_and_a_date_in_year_1_are_mended(settings):
    raw = (b"From: wf@example.com\r\nTo: ts@example.com\r\nSubject: a\x00b\r\n"
           b"Date: Mon, 01 Jan 0001 00:00:00 +0000\r\nMessage-ID: <nul-1@example.com>\r\n\r\n"
           b"signal\x00 is bad\r\n")
    code, line = ingest(raw)
    assert code == 0, line
    complaint = Complaint.objects.get()
    assert "\x00" not in complaint.description + complaint.subject
    assert complaint.received_at.year >= 2000


class ServerError(Exception):
    """What the driver raises for an error the server answered, with its SQLSTATE."""

    def __init__(self, pgcode):
        super().__init__(pgcode)
        self.pgcode = pgcode


def test_the_database_down_is_the_only_temporary_failure(settings, monkeypatch):
    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(channels, "intake_receive", down)
    code, line = ingest(b"From: wf@example.com\r\nMessage-ID: <db-1@example.com>\r\n\r\nhi\r\n")
    assert code == 75 and "try again later" in line

    def too_long(**kwargs):  # what 300,000 characters did before the caps (issue 15)
        raise OperationalError("string is too long for tsvector") from ServerError("54000")

    monkeypatch.setattr(channels, "intake_receive", too_long)
    code, line = ingest(b"From: wf@example.com\r\nMessage-ID: <db-3@example.com>\r\n\r\nhi\r\n")
    assert code == 65 and "tsvector" in line

    def bug(**kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(channels, "intake_receive", bug)
    code, line = ingest(b"From: wf@example.com\r\nMessage-ID: <db-2@example.com>\r\n\r\nhi\r\n")
    assert code == 70 and "KeyError" in line  # EX_SOFTWARE: not retried for ever, logged


def test_a_real_process_with_the_database_down_exits_75_without_a_traceback():
    """The MTA's view: a real `manage.py ingest_email` whose database refuses connections."""
    base = Path(__file__).resolve().parents[3]
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nothing",
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "manage.py", "ingest_email"], cwd=base, env=env,
                          input=(CORPUS / "msg_01.txt").read_bytes(), capture_output=True,
                          timeout=120)
    assert done.returncode == 75, done.stderr
    assert b"Traceback" not in done.stderr and b"try again later" in done.stderr
