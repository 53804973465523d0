"""Messages to customers: queued with the quiet hours applied, sent by a periodic task.

SMS go to an HTTP gateway (SMS_GATEWAY_URL, JSON POST); email through Django's mail backend.
Personal data stays out of task arguments: tasks carry message ids only.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sla.contact_hours import ContactWindow, next_contact_time

from .errors import InvalidInput
from .models import ActivityKind, Complaint, OutboundChannel, OutboundMessage, OutboundStatus

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def contact_window() -> ContactWindow:
    return ContactWindow(zone=settings.TIME_ZONE, opens=settings.CUSTOMER_CONTACT_OPENS,
                         closes=settings.CUSTOMER_CONTACT_CLOSES)


def customer_message_queue(*, complaint: Complaint, body: str, purpose: str,
                           channel: str | None = None, subject: str = "",
                           urgent: bool = False, dedupe_key: str | None = None,
                           now: datetime | None = None) -> OutboundMessage | None:
    """Queue a message to the complaint's customer; None if it was already queued (same key).

    Outside contact hours it waits for the next opening (08:00) unless `urgent`.
    """
    now = now or timezone.now()
    customer = complaint.customer
    channel = channel or (OutboundChannel.SMS if customer.phone.startswith("1")
                          else OutboundChannel.EMAIL)
    recipient = customer.phone if channel == OutboundChannel.SMS else customer.email
    if not recipient or (channel == OutboundChannel.SMS and not customer.phone.startswith("1")):
        raise InvalidInput(_("The customer has no %(channel)s address on file.") % {
            "channel": OutboundChannel(channel).label}, field="channel")
    send_after = now if urgent else next_contact_time(now, contact_window())
    try:
        with transaction.atomic():
            return OutboundMessage.objects.create(
                complaint=complaint, channel=channel, recipient=recipient, body=body,
                subject=subject or _("About your complaint %(reference)s") % {
                    "reference": complaint.reference},
                purpose=purpose, send_after=send_after, dedupe_key=dedupe_key, created_at=now)
    except IntegrityError:
        if dedupe_key and OutboundMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def outbound_send_due(*, now: datetime | None = None, limit: int = 200) -> dict:
    """Send queued messages whose time has come. Safe to run twice at once (SKIP LOCKED)."""
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "retry": 0}
    with transaction.atomic():
        messages = list(OutboundMessage.objects.select_for_update(skip_locked=True)
                        .filter(status=OutboundStatus.QUEUED, send_after__lte=now)
                        .select_related("complaint").order_by("send_after")[:limit])
        for message in messages:
            outcome = _deliver(message, now)
            counts[outcome] += 1
        OutboundMessage.objects.bulk_update(
            messages, ["status", "attempts", "last_error", "sent_at", "send_after"])
    for message in messages:
        if message.status == OutboundStatus.SENT:
            _record_sent(message)
    return counts


def _deliver(message: OutboundMessage, now: datetime) -> str:
    message.attempts += 1
    try:
        if message.channel == OutboundChannel.SMS:
            _send_sms(message)
        else:
            send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL,
                      [message.recipient])
    except Exception as exc:  # noqa: BLE001 - any delivery failure is retried, then recorded
        message.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboundStatus.FAILED
            return "failed"
        retry_at = now + timedelta(minutes=2 ** message.attempts)
        message.send_after = next_contact_time(retry_at, contact_window())
        return "retry"
    message.status, message.sent_at, message.last_error = OutboundStatus.SENT, now, ""
    return "sent"


def _send_sms(message: OutboundMessage) -> None:
    if not settings.SMS_GATEWAY_URL:
        raise RuntimeError("SMS_GATEWAY_URL is not configured")
    payload = json.dumps({"to": message.recipient, "text": message.body,
                          "reference": message.complaint.reference,
                          "message_id": message.id}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        settings.SMS_GATEWAY_URL, data=payload, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8",
                 "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured URL
        if response.status >= 300:
            raise RuntimeError(f"gateway answered {response.status}")


def _record_sent(message: OutboundMessage) -> None:
    from .services import timeline_append

    timeline_append(
        complaint_id=message.complaint_id, kind=ActivityKind.NOTIFICATION,
        message=_("%(channel)s sent to the customer: %(body)s") % {
            "channel": OutboundChannel(message.channel).label, "body": message.body},
        data={"outbound_id": message.id, "purpose": message.purpose,
              "channel": message.channel}, visibility="public")
