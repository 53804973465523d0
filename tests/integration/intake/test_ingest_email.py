"""`manage.py ingest_email` with the captured .eml fixtures on standard input, and the IMAP
poll against a fake mailbox client."""

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from complaints.models import ActivityKind, Complaint
from notifications.models import OutboundMessage
from intake.email_channel import mailbox_poll
from intake.models import InboundMessage
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "intake" / "email"
BASE_DIR = Path(__file__).resolve().parents[3]


class Stdin(io.TextIOWrapper):
    """Standard input as an MTA pipe gives it: bytes behind a text stream."""

    def __init__(self, raw: bytes):
        super().__init__(io.BytesIO(raw), encoding="utf-8")


def ingest(name: str | None = None, raw: bytes | None = None) -> str:
    out = io.StringIO()
    raw = raw if raw is not None else (FIXTURES / name).read_bytes()
    call_command("ingest_email", stdin=Stdin(raw), stdout=out)
    return out.getvalue().strip()


def test_a_gb2312_mail_becomes_one_complaint_with_readable_chinese():
    output = ingest("gb2312_plain_foxmail.eml")

    complaint = Complaint.objects.get()
    assert output == f"created {complaint.reference}"
    assert complaint.subject == "投诉：宽带一周掉线十几次，要求减免月租"
    assert "物业联系人：刘䶮\n王喆" in complaint.description
    assert complaint.customer.name == "王喆"
    assert complaint.received_at == datetime(2026, 11, 24, 13, 13, 58, tzinfo=UTC)
    ack = OutboundMessage.objects.get()
    assert ack.recipient == "13812345678" and ack.purpose == "acknowledgement"


def test_gbk_html_only_mail_is_stored_as_text():
    ingest("gbk_html_only_qqmail.eml")

    complaint = Complaint.objects.get()
    assert complaint.subject == "手机话费被乱扣 请给个说法"
    assert "<script" not in complaint.description and "<div" not in complaint.description
    assert "我的手机号码 139 0001 2233 本月被扣了<彩铃>" in complaint.description


def test_the_same_message_id_twice_gives_one_complaint():
    first = ingest("gb2312_plain_foxmail.eml")
    second = ingest("gb2312_plain_foxmail.eml")

    reference = Complaint.objects.get().reference
    assert first == f"created {reference}"
    assert second == f"duplicate: already received ({reference})"
    assert OutboundMessage.objects.count() == 1


def test_attachments_are_kept():
    ingest("utf8_alternative_with_attachments.eml")

    names = sorted(Complaint.objects.get().attachments.values_list("original_name", flat=True))
    assert names == ["测速截图.jpg", "话费账单2026年10月.pdf"]


def test_a_reply_carrying_a_reference_lands_on_that_complaints_timeline():
    customer = CustomerFactory(phone="13812345678", email="wangzhe_1988@163.com")
    complaint = make_complaint(customer=customer)
    Complaint.objects.filter(pk=complaint.pk).update(reference="TS20261125000123")

    output = ingest("reply_with_reference.eml")

    assert output == "appended to TS20261125000123"
    assert Complaint.objects.count() == 1
    entry = complaint.activities.get(kind=ActivityKind.CUSTOMER_ACTION)
    assert "问题根本没有解决，我不同意结案" in entry.message
    assert "客户经理" not in entry.message  # the quoted original is left out


@pytest.mark.parametrize(("name", "reason"), [
    ("auto_reply_out_of_office.eml", "auto_reply"),
    ("automatic_reply_subject_only.eml", "auto_reply"),
    ("bounce_163_postmaster.eml", "bounce"),
    ("bounce_dsn_postfix.eml", "bounce"),
    ("newsletter_precedence_bulk.eml", "bulk"),
    ("empty_message.eml", "empty"),
])
def test_auto_replies_bounces_and_empty_mail_create_nothing(name, reason):
    output = ingest(name)

    assert output.startswith(f"skipped: {reason}")
    assert not Complaint.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert InboundMessage.objects.get().outcome == "skipped"
    assert ingest(name).startswith("duplicate: already skipped")


def test_an_unreadable_message_is_refused_with_a_clear_error():
    with pytest.raises(CommandError, match="unreadable message") as raised:
        ingest(raw=b"")
    assert raised.value.returncode == 65
    assert not InboundMessage.objects.exists()


def test_piped_from_a_real_process(tmp_path):
    """What the MTA does: the fixture file piped into manage.py; exit status 0.

    The subprocess runs on its own SQLite file, whatever database the suite uses."""
    db = tmp_path / "pipe.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path),
           "MEDIA_ROOT": str(tmp_path / "media"), "LANGUAGE": "C.UTF-8"}
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
    with open(FIXTURES / "gb2312_plain_foxmail.eml", "rb") as mail:
        done = subprocess.run([python, "manage.py", "ingest_email"], cwd=BASE_DIR, env=env,
                              stdin=mail, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created TS")
    done = subprocess.run([python, "manage.py", "ingest_email"], cwd=BASE_DIR, env=env,
                          input="not a mail at all\n", capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("skipped:"), done.stderr


# --- IMAP -----------------------------------------------------------------------------------


class FakeImap:
    """The part of imaplib.IMAP4 the poll uses, over a dict of UID → (bytes, flags)."""

    def __init__(self, messages: dict[bytes, bytes]):
        self.messages = {uid: [raw, set()] for uid, raw in messages.items()}
        self.selected = None
        self.logged_out = False

    def select(self, folder):
        self.selected = folder
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        if command == "SEARCH":
            unseen = [u for u, (_raw, flags) in self.messages.items() if "\\Seen" not in flags]
            return "OK", [b" ".join(unseen)]
        if command == "FETCH":
            uid, what = args
            assert what == "(BODY.PEEK[])"  # fetching must not mark it seen
            raw = self.messages[uid][0]
            return "OK", [(uid + b" (UID " + uid + b" BODY[] {%d}" % len(raw), raw), b")"]
        if command == "STORE":
            uid, _op, flags = args
            self.messages[uid][1].add(flags.strip("()"))
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self):
        self.logged_out = True

    def seen(self):
        return sorted(u for u, (_raw, flags) in self.messages.items() if "\\Seen" in flags)


def test_imap_poll_ingests_unseen_mail_and_marks_it_seen_only_when_recorded(monkeypatch):
    mailbox = FakeImap({
        b"1": (FIXTURES / "gb2312_plain_foxmail.eml").read_bytes(),
        b"2": (FIXTURES / "bounce_dsn_postfix.eml").read_bytes(),
        b"3": (FIXTURES / "utf8_alternative_with_attachments.eml").read_bytes(),
    })
    from intake import email_channel as channels

    real = channels.intake_receive

    def flaky(*, message, actor=None):
        if message.external_id.startswith("CAJx9Zk8"):  # message 3: the database hiccups
            raise ConnectionError("database went away")
        return real(message=message, actor=actor)

    monkeypatch.setattr(channels, "intake_receive", flaky)
    result = mailbox_poll(connect=lambda: mailbox)

    assert (result.fetched, result.ingested, result.failed) == (3, 2, 1)
    assert mailbox.seen() == [b"1", b"2"]  # 3 stays unseen for the next poll
    assert mailbox.logged_out
    assert Complaint.objects.count() == 1

    monkeypatch.setattr(channels, "intake_receive", real)
    result = mailbox_poll(connect=lambda: mailbox)
    assert (result.fetched, result.ingested) == (1, 1)
    assert mailbox.seen() == [b"1", b"2", b"3"]
    assert Complaint.objects.count() == 2


def test_imap_poll_does_nothing_without_a_host(settings):
    settings.IMAP_HOST = ""
    assert mailbox_poll().fetched == 0
