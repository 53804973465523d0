"""The IMAP poll is never stalled by failing mail (issue 15): a message that fails for a reason
a retry cannot fix is flagged Seen and $ComplaintIntakeFailed, so the next poll, which takes
the first IMAP_BATCH unseen messages, reaches new mail."""

import imaplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import OperationalError

from complaints.models import Complaint
from intake import email_channel as channels
from intake.email_channel import IMAP_FAILED_KEYWORD, mailbox_poll

pytestmark = pytest.mark.django_db


def mail(n: int, body: str = "家里宽带断网三天了") -> bytes:
    return (f"From: user{n}@example.com\r\nTo: ts@example.com\r\nSubject: 投诉 {n}\r\n"
            f"Message-ID: <m{n}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n").encode()


class Mailbox:
    """imaplib's UID SEARCH/FETCH/STORE over a dict, flags parsed as a server does."""

    def __init__(self, messages):
        self.messages = {str(i).encode(): [raw, set()] for i, raw in enumerate(messages, 1)}

    def select(self, folder):
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        if command == "SEARCH":
            assert args == (None, "UNSEEN")
            return "OK", [b" ".join(u for u, (_r, f) in self.messages.items()
                                    if "\\Seen" not in f)]
        if command == "FETCH":
            uid, what = args
            assert what == "(BODY.PEEK[])"
            raw = self.messages[uid][0]
            return "OK", [(uid + b" (UID " + uid + b" BODY[] {%d}" % len(raw), raw), b")"]
        if command == "STORE":
            uid, op, flags = args
            assert op == "+FLAGS"
            self.messages[uid][1].update(flags.strip("()").split())
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self):
        pass

    def flagged(self, flag):
        return [int(u) for u, (_r, f) in self.messages.items() if flag in f]


def test_fifty_failing_messages_do_not_stall_the_poll(settings, monkeypatch):
    settings.IMAP_BATCH = 50
    mailbox = Mailbox([mail(n, "poison") for n in range(1, 51)] + [mail(51)])
    real = channels.intake_receive

    def poisoned(*, message, actor=None):
        if message.description.startswith("poison"):
            raise KeyError("a bug this mail sets off")
        return real(message=message, actor=actor)

    monkeypatch.setattr(channels, "intake_receive", poisoned)
    first = mailbox_poll(connect=lambda: mailbox)
    assert (first.fetched, first.failed, first.ingested) == (50, 50, 0)
    assert mailbox.flagged(IMAP_FAILED_KEYWORD) == list(range(1, 51))

    second = mailbox_poll(connect=lambda: mailbox)
    assert (second.fetched, second.ingested) == (1, 1)
    assert Complaint.objects.get().customer.email == "user51@example.com"
    assert mailbox.flagged(IMAP_FAILED_KEYWORD) == list(range(1, 51))  # 51 was taken


def test_refused_mail_is_seen_and_a_database_outage_stops_the_poll(monkeypatch):
    mailbox = Mailbox([mail(1, "x" * 0), mail(2), mail(3)])

    def down(*, message, actor=None):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(channels, "intake_receive", down)
    result = mailbox_poll(connect=lambda: mailbox)
    assert result.stopped and result.fetched == 1  # the first try showed the outage
    assert mailbox.flagged("\\Seen") == []  # all stay for the next poll


# --- against a real IMAP server (pymap, a pure-Python IMAP4rev1 server, in memory) ----------


@pytest.fixture
def imap_server(settings):
    """pymap on a free loopback port, its demo user's INBOX emptied of unseen mail."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pymap = Path(sys.executable).with_name("pymap")
    server = subprocess.Popen([str(pymap), "--host", "127.0.0.1", "--port", str(port),
                               "--no-tls", "--no-service", "admin", "dict", "--demo-data"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = _connect_when_ready(port, server)
        client.login("demouser", "demopass")
        client.select('"INBOX"')
        client.uid("STORE", "1:*", "+FLAGS", "(\\Seen)")  # the demo's own mail
        settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SSL = "127.0.0.1", port, False
        settings.IMAP_USER, settings.IMAP_PASSWORD, settings.IMAP_FOLDER = (
            "demouser", "demopass", "INBOX")
        yield client
        client.logout()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _connect_when_ready(port: int, server) -> imaplib.IMAP4:
    for _attempt in range(300):
        if server.poll() is not None:
            raise RuntimeError("pymap exited")
        try:
            return imaplib.IMAP4("127.0.0.1", port, timeout=10)
        except ConnectionRefusedError:
            time.sleep(0.1)
    raise RuntimeError("pymap did not start")


def _unseen(client) -> list[bytes]:
    client.select('"INBOX"')
    return client.uid("SEARCH", None, "UNSEEN")[1][0].split()


def test_a_real_imap_server_is_not_stalled_by_fifty_failing_messages(imap_server, settings,
                                                                     monkeypatch):
    settings.IMAP_BATCH = 50
    for n in range(1, 51):
        imap_server.append("INBOX", None, None, mail(n, "poison"))
    imap_server.append("INBOX", None, None, mail(51))
    real = channels.intake_receive

    def poisoned(*, message, actor=None):
        if message.description.startswith("poison"):
            raise KeyError("a bug this mail sets off")
        return real(message=message, actor=actor)

    monkeypatch.setattr(channels, "intake_receive", poisoned)
    first = mailbox_poll()
    assert (first.fetched, first.failed, first.ingested) == (50, 50, 0)
    assert len(_unseen(imap_server)) == 1  # only the good one, beyond the first batch

    second = mailbox_poll()
    assert (second.fetched, second.ingested) == (1, 1)
    assert Complaint.objects.get().customer.email == "user51@example.com"
    assert _unseen(imap_server) == []
