"""The email channel: one mail from the MTA pipe (`manage.py ingest_email`) or the IMAP poll
becomes an IntakeMessage (intake/parsers/email.py) recorded by the one intake service
(intake/pipeline.py `intake_receive`), or is recorded as skipped with its reason."""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.db import database_error_is_temporary
from kernel.errors import InvalidInput

from .channels import IntakeResult, intake_skip
from .input_checks import message_fit
from .parsers.email import EmailRefused, SkipReason, parse_email
from .parsers.message import IntakeMessage
from .pipeline import intake_receive

logger = logging.getLogger(__name__)

class UnreadableEmail(Exception):
    """The bytes are not a mail message that can be taken apart."""


def email_ingest(raw: bytes, *, now: datetime | None = None) -> IntakeResult:
    """One RFC 822 message, from the MTA pipe or the IMAP poll.

    Auto-replies, bounces and bulk mail, and mail that cannot become a complaint (no text, no
    sender), are recorded as skipped with their reason; UnreadableEmail only for broken mail.
    """
    if not raw or not raw.strip():
        raise UnreadableEmail(_("The message is empty."))
    now = now or timezone.now()
    result = parse_email(raw, now=now)
    if isinstance(result, IntakeMessage):
        # Fitted, not refused: the sender's mail server cannot correct and resend it.
        return intake_receive(message=message_fit(result, now=now))
    if isinstance(result, EmailRefused) and result.reason == SkipReason.MALFORMED:
        logger.warning("intake: unreadable mail %s from %s: %s", result.external_id,
                       result.sender, result.detail)
        raise UnreadableEmail(_("The message cannot be read: %(detail)s") % {
            "detail": result.detail})
    verb = "refused" if isinstance(result, EmailRefused) else "skipped"
    logger.info("intake: %s mail %s from %s: %s (%s)", verb, result.external_id, result.sender,
                result.reason, result.detail)
    reason = f"{result.reason}: {result.detail}"
    if not result.external_id:
        return IntakeResult(complaint=None, created=False, appended=False,
                            skipped_reason=reason)
    return intake_skip(channel="email", external_id=result.external_id, reason=reason)


def email_result_text(result: IntakeResult) -> str:
    """One line for the log or the MTA's output."""
    reference = result.complaint.reference if result.complaint else ""
    if result.duplicate:
        return (f"duplicate: already received ({reference})" if reference
                else f"duplicate: already skipped ({result.skipped_reason})")
    if result.created:
        return f"created {reference}"
    if result.appended:
        return f"appended to {reference}"
    return f"skipped: {result.skipped_reason}"


@dataclass
class MailboxPollResult:
    fetched: int = 0
    ingested: int = 0
    unreadable: int = 0
    failed: int = 0
    stopped: bool = False  # the database became unavailable: the rest waits for the next poll


# Set on a message the poll could not take (besides \Seen), so it leaves the UNSEEN search that
# every poll starts from and the next poll takes new mail; find them in the mailbox by it.
IMAP_FAILED_KEYWORD = "$ComplaintIntakeFailed"


def mailbox_poll(*, connect=None) -> MailboxPollResult:
    """Ingest the UNSEEN messages of the configured IMAP folder (nothing if IMAP_HOST is empty).

    A message is flagged Seen once it is recorded, found unreadable, or refused, or when taking
    it failed for a reason a retry cannot fix (it also gets IMAP_FAILED_KEYWORD and one log
    line): so 50 bad messages can never stall the poll, which takes the first IMAP_BATCH unseen
    ones. Only a temporary failure (the database or another server unreachable) leaves the
    message unseen, and stops the poll.
    `connect` is for tests: a callable returning a logged-in imaplib-like client.
    """
    result = MailboxPollResult()
    if connect is None:
        if not settings.IMAP_HOST:
            return result
        connect = _imap_connect
    client = connect()
    try:
        status, _data = client.select(_imap_quote(settings.IMAP_FOLDER))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {settings.IMAP_FOLDER!r}")
        status, data = client.uid("SEARCH", None, "UNSEEN")
        uids = (data[0] or b"").split()[: settings.IMAP_BATCH] if status == "OK" else []
        for uid in uids:
            if not _mailbox_take(client, uid, result):
                result.stopped = True
                break
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return result


def _mailbox_take(client, uid, result: MailboxPollResult) -> bool:
    """Take one message; False when the poll must stop (the database is unavailable)."""
    # BODY.PEEK leaves the message unseen until it is taken.
    status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None)
    if status != "OK" or raw is None:
        logger.warning("intake: IMAP message %s could not be fetched (%s)", uid, status)
        result.failed += 1
        _imap_flag(client, uid, failed=True)
        return True
    result.fetched += 1
    try:
        outcome = email_ingest(raw)
    except UnreadableEmail as error:
        logger.warning("intake: IMAP message %s unreadable: %s", uid, error)
        result.unreadable += 1
    except InvalidInput as error:
        logger.warning("intake: IMAP message %s refused: %s", uid, error.message)
        result.unreadable += 1
    except (DatabaseError, ConnectionError, TimeoutError) as error:
        if not isinstance(error, DatabaseError) or database_error_is_temporary(error):
            logger.warning("intake: IMAP message %s: a server is unavailable, poll stopped: %s",
                           uid, error)
            result.failed += 1
            return False
        return _mailbox_failed(client, uid, error, result)
    except Exception as error:  # noqa: BLE001 - flagged and logged; the next poll goes on
        return _mailbox_failed(client, uid, error, result)
    else:
        logger.info("intake: IMAP message %s: %s", uid, email_result_text(outcome))
        result.ingested += 1
    _imap_flag(client, uid)
    return True


def _mailbox_failed(client, uid, error: Exception, result: MailboxPollResult) -> bool:
    logger.error("intake: IMAP message %s failed and is flagged %s: %s: %s", uid,
                 IMAP_FAILED_KEYWORD, type(error).__name__, " ".join(str(error).split())[:300])
    result.failed += 1
    _imap_flag(client, uid, failed=True)
    return True


def _imap_flag(client, uid, *, failed: bool = False) -> None:
    flags = f"(\\Seen {IMAP_FAILED_KEYWORD})" if failed else "(\\Seen)"
    client.uid("STORE", uid, "+FLAGS", flags)


def _imap_connect():
    cls = imaplib.IMAP4_SSL if settings.IMAP_SSL else imaplib.IMAP4
    client = cls(settings.IMAP_HOST, settings.IMAP_PORT, timeout=settings.IMAP_TIMEOUT)
    client.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
    return client


def _imap_quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
