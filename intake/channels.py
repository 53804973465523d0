"""The one intake service every channel ends in, and the email channel around it.

`intake_receive` takes a parsed IntakeMessage (see intake/parsers/) and either adds it to the
complaint it answers or records a new complaint (customer, complaint, attachments,
acknowledgement), all in one transaction: nothing half-written. Classification, grading and
routing follow after commit (intake/receivers.py).

A message is recorded once per (channel, external_id) in InboundMessage; a redelivery (the same
Message-ID, a webhook retry with the same Idempotency-Key) returns what the first delivery
produced and writes nothing. When the caller passes a `payload_digest` (webhooks: the signed key
and body), a second delivery with another digest is not a retry: IdempotencyConflict.
"""

from __future__ import annotations

import imaplib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.models import (
    ActivityKind,
    ActorType,
    Attachment,
    Category,
    Complaint,
    Customer,
    Priority,
    Visibility,
)
from complaints.services import (
    complaint_attach_files,
    complaint_create,
    customer_get_or_create,
    timeline_append,
)
from kernel import memo
from kernel.attachments import image_pixel_refusal
from kernel.db import database_error_is_temporary
from kernel.errors import DomainError, InvalidInput
from notifications.models import OutboundChannel
from notifications.outbound import customer_message_queue

from .input_checks import message_check, message_fit
from .models import InboundMessage, InboundOutcome
from .parsers.email import EmailRefused, SkipReason, parse_email
from .parsers.message import IntakeAttachment, IntakeMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    complaint: Complaint | None
    created: bool
    appended: bool
    duplicate: bool = False  # delivered before: `complaint` is what the first delivery made
    skipped_reason: str = ""  # not a complaint (an auto-reply, a bounce…); nothing created

    @property
    def outcome(self) -> str:
        if self.duplicate:
            return "duplicate"
        if self.created:
            return InboundOutcome.CREATED
        return InboundOutcome.APPENDED if self.appended else InboundOutcome.SKIPPED


class IdempotencyConflict(DomainError):
    """The message's id was used before for other content: not a retry, and not recorded."""

    status_code = 409
    code = "idempotency_conflict"


# --- the one intake service -----------------------------------------------------------------


def intake_receive(*, message: IntakeMessage, actor=None,
                   payload_digest: str = "") -> IntakeResult:
    """Record `message`: appended to the complaint it answers, else a new complaint.

    One memo scope (kernel/memo.py) covers the message and the events its commit sets
    off (classification, deadlines, report figures): each reads the calendars, deadline
    policies and rules once, and the complaint's report figures are computed once."""
    message_check(message, now=timezone.now())  # InvalidInput: nothing is written
    with memo.scope():
        return _receive(message, actor, payload_digest)


def _receive(message: IntakeMessage, actor, payload_digest: str = "") -> IntakeResult:
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            inbound = _inbound_claim(message.channel, message.external_id,
                                     received_at=message.received_at,
                                     payload_digest=payload_digest)
            if inbound is None:
                return _duplicate(message.channel, message.external_id,
                                  payload_digest=payload_digest)
            answered = _result_reply(message)
            if answered is not None:
                inbound.outcome, inbound.complaint = InboundOutcome.APPENDED, answered
                inbound.save(update_fields=["outcome", "complaint"])
                return IntakeResult(complaint=answered, created=False, appended=True)
            target = _answered_complaint(message.reply_to_reference)
            if target is not None:
                _append(target, message, actor, stored_files)
                inbound.outcome, inbound.complaint = InboundOutcome.APPENDED, target
                inbound.save(update_fields=["outcome", "complaint"])
                return IntakeResult(complaint=target, created=False, appended=True)
            complaint = _create(message, actor, stored_files)
            inbound.outcome, inbound.complaint = InboundOutcome.CREATED, complaint
            inbound.save(update_fields=["outcome", "complaint"])
            return IntakeResult(complaint=complaint, created=True, appended=False)
    except Exception:
        # The rows rolled back; do not leave their files behind.
        storage = Attachment._meta.get_field("file").storage
        for name in stored_files:
            storage.delete(name)
        raise


# Hooks for SMS replies: an app above intake that sends customers questions by SMS (followup's
# result notice, "1" solved / "2" not solved) registers a handler in its AppConfig.ready().
# handler(phone=, text=, reference=) returns the complaint it recorded the answer on, or None
# when the message is not such an answer; the first handler that takes it wins.
SmsReplyHandler = Callable[..., "Complaint | None"]
_sms_reply_handlers: list[SmsReplyHandler] = []


def register_sms_reply_handler(handler: SmsReplyHandler) -> None:
    if handler not in _sms_reply_handlers:
        _sms_reply_handlers.append(handler)


def _result_reply(message: IntakeMessage) -> Complaint | None:
    """The complaint an SMS answer was recorded on by a registered handler; None: an ordinary
    message, recorded as usual."""
    if message.channel != "sms":
        return None
    for handler in _sms_reply_handlers:
        answered = handler(phone=message.customer_phone, text=message.description,
                           reference=message.reply_to_reference)
        if answered is not None:
            return answered
    return None


def intake_skip(*, channel: str, external_id: str, reason: str,
                received_at: datetime | None = None) -> IntakeResult:
    """Record a message that is not a complaint (once), so a redelivery is recognised too."""
    with transaction.atomic():
        inbound = _inbound_claim(channel, external_id, received_at=received_at,
                                 outcome=InboundOutcome.SKIPPED, reason=reason)
        if inbound is None:
            return _duplicate(channel, external_id)
    return IntakeResult(complaint=None, created=False, appended=False, skipped_reason=reason)


def _inbound_claim(channel: str, external_id: str, *, received_at=None,
                   outcome: str = InboundOutcome.CREATED, reason: str = "",
                   payload_digest: str = ""):
    """The new InboundMessage row, or None if this message was recorded before.

    Inserted first: a concurrent second delivery waits on the unique index and then fails
    here, so only one of them goes on to create a complaint.
    """
    try:
        with transaction.atomic():
            return InboundMessage.objects.create(
                channel=channel, external_id=external_id[:255], outcome=outcome,
                reason=reason[:300], received_at=received_at, payload_digest=payload_digest)
    except IntegrityError:
        return None


def _duplicate(channel: str, external_id: str, *, payload_digest: str = "") -> IntakeResult:
    first = (InboundMessage.objects.select_related("complaint")
             .get(channel=channel, external_id=external_id[:255]))
    # A first delivery recorded without a digest (before digests were kept) cannot be compared.
    if payload_digest and first.payload_digest and first.payload_digest != payload_digest:
        logger.warning("intake: %s message %s sent again with other content; refused", channel,
                       external_id)
        raise IdempotencyConflict(
            _("This Idempotency-Key was already used for a different message; nothing was "
              "recorded. Send each message with its own key, and a retry with the same key "
              "and the same body."), field="Idempotency-Key")
    logger.info("intake: %s message %s delivered again; first outcome %s", channel,
                external_id, first.outcome)
    return IntakeResult(complaint=first.complaint, created=False, appended=False,
                        duplicate=True, skipped_reason=first.reason)


# --- an answer to an existing complaint -----------------------------------------------------


def _answered_complaint(reference: str | None) -> Complaint | None:
    if not reference:
        return None
    complaint = Complaint.objects.select_related("customer", "merged_into").filter(
        reference=reference.upper()).first()
    if complaint is not None and complaint.merged_into_id:
        return complaint.merged_into  # merged: the customer's words belong to the survivor
    return complaint


def _same_customer(complaint: Complaint, message: IntakeMessage) -> bool:
    customer = complaint.customer
    if message.customer_phone and customer.phone and message.customer_phone == customer.phone:
        return True
    return bool(message.customer_email and customer.email
                and message.customer_email.casefold() == customer.email.casefold())


def _append(complaint: Complaint, message: IntakeMessage, actor, stored_files: list) -> None:
    # A reference is not a secret: words from someone who is not the complaint's customer are
    # kept for the agent, but not shown on the customer's public timeline.
    known = _same_customer(complaint, message)
    data = {"channel": message.channel, "external_id": message.external_id,
            "received_at": message.received_at.isoformat()}
    if not known:
        data["sender"] = message.customer_email or message.customer_phone or ""
    timeline_append(
        complaint_id=complaint.id, kind=ActivityKind.CUSTOMER_ACTION if known else
        ActivityKind.INTERNAL_NOTE, actor=actor, actor_type=ActorType.CUSTOMER,
        visibility=Visibility.PUBLIC if known else Visibility.INTERNAL,
        message=message.description if known else _(
            "A message citing this complaint arrived from a sender who is not its customer "
            "(%(sender)s):\n%(text)s") % {"sender": data["sender"] or _("unknown"),
                                          "text": message.description},
        data=data)
    _attach(complaint, message, actor, stored_files, public=known)


# --- a new complaint ------------------------------------------------------------------------


def _create(message: IntakeMessage, actor, stored_files: list) -> Complaint:
    customer = _customer(message)
    complaint = complaint_create(
        customer=customer, channel=message.channel, subject=message.subject,
        description=message.description, received_at=message.received_at, actor=actor,
        actor_type=None if actor is not None else ActorType.CUSTOMER,
        category=_category(message.category_code), location=message.location[:200],
        regulator_case_no=message.regulator_case_no,
        priority=message.priority or Priority.ORDINARY, product_line=message.product_line,
        regulator_due_at=message.regulator_due_at)
    if message.store:
        timeline_append(complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
                        message=_("Received at store: %(store)s") % {"store": message.store},
                        data={"store": message.store})
    _attach(complaint, message, actor, stored_files, public=True)
    _acknowledge(complaint)
    return complaint


def _customer(message: IntakeMessage) -> Customer:
    openid = str(message.metadata.get("openid") or "")[:64] if message.channel == "wechat" else ""
    if openid:
        known = Customer.objects.filter(wechat_openid=openid).order_by("-phone", "id").first()
        if known is not None and (not message.customer_phone
                                  or message.customer_phone == known.phone):
            return known  # the same follower writing again
    if message.customer_phone:
        customer = customer_get_or_create(
            phone=message.customer_phone, name=message.customer_name,
            email=message.customer_email, service_number=message.service_number[:40])
        if openid and not customer.wechat_openid:
            customer.wechat_openid = openid
            customer.save(update_fields=["wechat_openid"])
        return customer
    name = message.customer_name.strip()[:100]
    email = message.customer_email
    if email:
        customer = (Customer.objects.filter(email__iexact=email)
                    .order_by("-phone", "id").first())  # one with a phone number first
        if customer is not None:
            updates = {key: value for key, value in
                       (("name", name), ("service_number", message.service_number[:40]))
                       if value and not getattr(customer, key)}
            if updates:
                for key, value in updates.items():
                    setattr(customer, key, value)
                customer.save(update_fields=list(updates))
            return customer
    # No usable phone number (an email-only sender, a WeChat user who gave none): the phone
    # stays empty until an agent learns it.
    return Customer.objects.create(
        phone="", name=name or _("Unknown sender"), email=email,
        service_number=message.service_number[:40], wechat_openid=openid)


def _category(hint: str) -> Category | None:
    hint = (hint or "").strip()
    if not hint:
        return None
    active = Category.objects.filter(is_active=True)
    return (active.filter(code=hint).first() or active.filter(name=hint).first()
            or active.filter(name_en__iexact=hint).first())


def _refusal(attachment: IntakeAttachment) -> str | None:
    """Why the complaint's attachment checks would refuse this file, or None."""
    if attachment.size == 0:
        return _("“%(name)s” is empty.") % {"name": attachment.name}
    if attachment.size > settings.ATTACHMENT_MAX_BYTES:
        return _("“%(name)s” is %(size)s; files may be at most %(limit)s.") % {
            "name": attachment.name, "size": filesizeformat(attachment.size),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
    if attachment.content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        return _("“%(name)s” is not an image, PDF or text file (whatever its name says).") % {
            "name": attachment.name}
    return image_pixel_refusal(attachment.name, attachment.content_type,
                               io.BytesIO(attachment.content))


def _attach(complaint: Complaint, message: IntakeMessage, actor, stored_files: list, *,
            public: bool) -> None:
    """Keep the acceptable attachments; note the refused ones rather than lose the message."""
    accepted, refused = [], []
    for attachment in message.attachments:
        problem = _refusal(attachment)
        if problem is None and len(accepted) >= settings.INTAKE_MAX_ATTACHMENTS:
            problem = _("“%(name)s” was not kept: at most %(n)s files per message.") % {
                "name": attachment.name, "n": settings.INTAKE_MAX_ATTACHMENTS}
        if problem:
            refused.append((attachment.name, problem))
        else:
            accepted.append(attachment)
    if accepted:
        uploads = [SimpleUploadedFile(a.name or "attachment", a.content,
                                      content_type=a.content_type or "") for a in accepted]
        try:
            with transaction.atomic():
                entry = complaint_attach_files(
                    complaint_id=complaint.id, files=uploads, actor=actor,
                    by_customer=public, public=public, max_files=len(uploads))
                stored_files.extend(entry.attachments.values_list("file", flat=True))
        except InvalidInput as error:  # a check this module does not know about
            refused.extend((a.name, str(error.message)) for a in accepted)
    if refused:
        timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
            message=_("Attachments not kept:") + "\n" + "\n".join(p for _n, p in refused),
            data={"refused_attachments": [n for n, _p in refused]})


def _acknowledge(complaint: Complaint) -> None:
    """Tell the customer the complaint is received: SMS to a mobile, else email, else a note."""
    customer = complaint.customer
    if customer.phone.startswith("1"):
        channel = OutboundChannel.SMS
    elif customer.email:
        channel = OutboundChannel.EMAIL
    else:
        timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
            message=_("No acknowledgement sent: the customer has no mobile number or email "
                      "address on file."), data={"acknowledgement": "no_contact"})
        return
    with translation.override(settings.LANGUAGE_CODE):  # customers are written to in Chinese
        body = _("We have received your complaint. Reference: %(reference)s. We will handle it "
                 "as soon as possible; track its progress at %(url)s with the reference and "
                 "your phone number.") % {"reference": complaint.reference,
                                          "url": settings.INTAKE_TRACKING_URL}
        subject = _("Your complaint %(reference)s has been received") % {
            "reference": complaint.reference}
    customer_message_queue(complaint=complaint, body=body, purpose="acknowledgement",
                           channel=channel, subject=subject, automatic=True,
                           dedupe_key=f"acknowledgement:{complaint.reference}")


# --- email ----------------------------------------------------------------------------------


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
