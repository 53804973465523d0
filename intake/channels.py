"""One message recorded one by one: the steps of the one intake service.

`intake_receive` (intake/pipeline.py, a batch of one) records a parsed IntakeMessage (see
intake/parsers/) as a new complaint, classified, graded, routed, with its clocks, report figures
and acknowledgement, in one transaction. `_receive` below is the per-message path the pipeline
keeps for answers to a complaint, SMS replies and messages with attachments (their
classification and the rest follow after commit, intake/receivers.py); the pipeline also takes
the customer, category and acknowledgement steps from here. The email channel around it:
intake/email_channel.py.

A message is recorded once per (channel, external_id) in InboundMessage; a redelivery (the same
Message-ID, a webhook retry with the same Idempotency-Key) returns what the first delivery
produced and writes nothing. When the caller passes a `payload_digest` (webhooks: the signed key
and body), a second delivery with another digest is not a retry: IdempotencyConflict.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import translation
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
from kernel.errors import DomainError, InvalidInput
from notifications.models import OutboundChannel
from notifications.outbound import customer_message_queue

from .models import InboundMessage, InboundOutcome
from .parsers.message import IntakeAttachment, IntakeMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    complaint: Complaint | None
    created: bool
    appended: bool
    duplicate: bool = False  # delivered before: `complaint` is what the first delivery made
    skipped_reason: str = ""  # not a complaint (an auto-reply, a bounce…); nothing created
    # Batch intake, whose transaction classified and routed the complaint: its timeline
    # entries and clocks as written (`complaint` is as written too), so an answer may be built
    # without reading them back; None otherwise.
    timeline: list | None = None
    clocks: list | None = None

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


# --- one message, one by one -------------------------------------------------------------------


def _receive(message: IntakeMessage, actor, payload_digest: str = "") -> IntakeResult:
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            inbound = _inbound_claim(message.claim_channel, message.external_id,
                                     received_at=message.received_at,
                                     payload_digest=payload_digest)
            if inbound is None:
                return _duplicate(message.claim_channel, message.external_id,
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
        regulator_due_at=message.regulator_due_at, historical=message.historical)
    if message.store:
        timeline_append(complaint_id=complaint.id, **_store_note(message))
    _attach(complaint, message, actor, stored_files, public=True)
    if not message.historical:  # the customer heard from the old system long ago
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
    return memo.get(f"intake.category_hint.{hint}", lambda: (
        active.filter(code=hint).first() or active.filter(name=hint).first()
        or active.filter(name_en__iexact=hint).first()))  # once per batch


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


def _acknowledgement_channel(customer: Customer) -> str | None:
    """SMS to a mobile, else email, else None (no acknowledgement: a note says so)."""
    if customer.phone.startswith("1"):
        return OutboundChannel.SMS
    return OutboundChannel.EMAIL if customer.email else None


def _no_acknowledgement_note() -> dict:
    return {"kind": ActivityKind.INTERNAL_NOTE,
            "message": _("No acknowledgement sent: the customer has no mobile number or email "
                         "address on file."), "data": {"acknowledgement": "no_contact"}}


def _store_note(message: IntakeMessage) -> dict:
    return {"kind": ActivityKind.INTERNAL_NOTE,
            "message": _("Received at store: %(store)s") % {"store": message.store},
            "data": {"store": message.store}}


def _acknowledgement(complaint: Complaint, channel: str) -> dict:
    """customer_message_queue's arguments for the acknowledgement of `complaint`."""
    with translation.override(settings.LANGUAGE_CODE):  # customers are written to in Chinese
        body = _("We have received your complaint. Reference: %(reference)s. We will handle it "
                 "as soon as possible; track its progress at %(url)s with the reference and "
                 "your phone number.") % {"reference": complaint.reference,
                                          "url": settings.INTAKE_TRACKING_URL}
        subject = _("Your complaint %(reference)s has been received") % {
            "reference": complaint.reference}
    return {"complaint": complaint, "body": body, "purpose": "acknowledgement",
            "channel": channel, "subject": subject, "automatic": True,
            "dedupe_key": f"acknowledgement:{complaint.reference}"}


def _acknowledge(complaint: Complaint) -> None:
    """Tell the customer the complaint is received: SMS to a mobile, else email, else a note."""
    channel = _acknowledgement_channel(complaint.customer)
    if channel is None:
        timeline_append(complaint_id=complaint.id, **_no_acknowledgement_note())
        return
    customer_message_queue(**_acknowledgement(complaint, channel))
