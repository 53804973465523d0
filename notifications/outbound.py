"""Messages to customers: queued with the quiet hours applied, sent by a periodic task.

Every message is an OutboundMessage row (the outbox staff see at /outbox/). SMS leave through
the backend named by SMS_BACKEND, email through Django's EMAIL_BACKEND (complaints/
notify_backends.py). A failed delivery is retried with exponential backoff, never inside the
quiet hours, up to MAX_ATTEMPTS; staff may queue a failed message again (`outbound_retry`).
Personal data stays out of task arguments: tasks carry message ids only.

Automatic SMS (those anyone outside can set off: acknowledgements, tracking codes) are capped
per customer at CUSTOMER_AUTOMATIC_SMS_PER_DAY in any 24 hours, so a flood of submissions with
someone's number cannot flood their phone; over the cap the message is recorded as skipped, with
the reason, and not sent.
"""

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.models import ActivityKind, Complaint, Customer
from complaints.selectors import complaint_scope
from complaints.services import timeline_append
from kernel.db import insert_objects
from kernel.display import local_minute
from kernel.errors import InvalidInput
from kernel.personal_data import mask_secrets
from notifications import backends as notify_backends
from notifications.contact_hours import ContactWindow, is_contact_time, next_contact_time
from notifications.models import OutboundChannel, OutboundMessage, OutboundStatus

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def contact_window() -> ContactWindow:
    return ContactWindow(zone=settings.TIME_ZONE, opens=settings.CUSTOMER_CONTACT_OPENS,
                         closes=settings.CUSTOMER_CONTACT_CLOSES)


def customer_default_address(customer: Customer) -> tuple[str, str] | None:
    """Where a message to `customer` goes when no channel is asked for: (channel, address),
    SMS to a mobile number, else e-mail; None if the customer has neither."""
    if customer.phone.startswith("1"):
        return OutboundChannel.SMS, customer.phone
    return (OutboundChannel.EMAIL, customer.email) if customer.email else None


def customer_message_queue(*, complaint: Complaint, body: str, purpose: str,
                           channel: str | None = None, subject: str = "",
                           urgent: bool = False, dedupe_key: str | None = None,
                           automatic: bool = False,
                           now: datetime | None = None,
                           secrets: Sequence[str] = ()) -> OutboundMessage | None:
    """Queue a message to the complaint's customer; None if it was already queued (same key).

    Outside contact hours it waits for the next opening (08:00) unless `urgent`. An `automatic`
    SMS over the customer's daily cap is recorded as skipped instead (see the module's note).
    `secrets`: one-time values in the body (a tracking code, a survey link's token); they are
    sent, but staff only ever see the message with them masked.
    """
    now = now or timezone.now()
    customer = complaint.customer
    if channel is None:
        channel = (customer_default_address(customer) or (OutboundChannel.EMAIL, ""))[0]
    recipient = customer.phone if channel == OutboundChannel.SMS else customer.email
    if not recipient or (channel == OutboundChannel.SMS and not customer.phone.startswith("1")):
        raise InvalidInput(_("The customer has no %(channel)s address on file.") % {
            "channel": OutboundChannel(channel).label}, field="channel")
    send_after = now if urgent else next_contact_time(now, contact_window())
    try:
        with transaction.atomic():
            skipped = (_automatic_sms_refusal(customer, recipient, now)
                       if automatic and channel == OutboundChannel.SMS else "")
            return OutboundMessage.objects.create(
                complaint=complaint, channel=channel, recipient=recipient, body=body,
                masked_body=mask_secrets(body, secrets),
                subject=subject or _("About your complaint %(reference)s") % {
                    "reference": complaint.reference},
                purpose=purpose, send_after=send_after, dedupe_key=dedupe_key, created_at=now,
                automatic=automatic, last_error=skipped,
                status=OutboundStatus.SKIPPED if skipped else OutboundStatus.QUEUED)
    except IntegrityError:
        if dedupe_key and OutboundMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def customer_messages_queue_many(*, messages: list[dict], now: datetime | None = None,
                                 skip_queued: bool = False) -> list[OutboundMessage]:
    """customer_message_queue for many messages at once, inside the caller's transaction (batch
    intake's acknowledgements, the sweep's progress notices): the same rows, in one INSERT.
    Each dict: complaint (its customer loaded), body, purpose, channel, subject, automatic,
    dedupe_key; not urgent, no secrets. The automatic SMS cap counts the earlier messages of
    the list too, as it counts earlier messages queued one by one: one lock of the customers
    and one count for all. The messages come back without their ids (kernel.db.insert_objects,
    ids=False). `skip_queued`: a message whose dedupe_key was queued before is left out (as
    customer_message_queue returns None for it) instead of failing the INSERT."""
    if not messages:
        return []
    now = now or timezone.now()
    send_after = next_contact_time(now, contact_window())
    recipients = [m["complaint"].customer.phone if m["channel"] == OutboundChannel.SMS
                  else m["complaint"].customer.email for m in messages]
    for message, recipient in zip(messages, recipients):
        if not recipient or (message["channel"] == OutboundChannel.SMS
                             and not recipient.startswith("1")):
            raise InvalidInput(_("The customer has no %(channel)s address on file.") % {
                "channel": OutboundChannel(message["channel"]).label}, field="channel")
    cap = settings.CUSTOMER_AUTOMATIC_SMS_PER_DAY
    capped = [i for i, m in enumerate(messages)
              if m.get("automatic") and m["channel"] == OutboundChannel.SMS] if cap > 0 else []
    sent: dict[str, int] = {}
    if capped:
        # The customers locked (as _automatic_sms_refusal does) and their numbers' automatic
        # SMS of the last 24 hours counted, in one statement.
        customers = sorted({messages[i]["complaint"].customer.pk for i in capped})
        sent = _automatic_sms_sent_locking(customers, since=now - timedelta(days=1))
    rows = []
    capped_set = set(capped)
    for index, (message, recipient) in enumerate(zip(messages, recipients)):
        skipped = ""
        if index in capped_set:
            count = sent.get(recipient, 0)
            if count >= cap:
                with translation.override(settings.LANGUAGE_CODE):
                    skipped = _("Not sent: this number already had %(count)d automatic SMS in "
                                "the last 24 hours (at most %(cap)d, "
                                "CUSTOMER_AUTOMATIC_SMS_PER_DAY).") % {"count": count, "cap": cap}
            else:
                sent[recipient] = count + 1
        complaint = message["complaint"]
        rows.append(OutboundMessage(
            complaint=complaint, channel=message["channel"], recipient=recipient,
            body=message["body"], masked_body=mask_secrets(message["body"], ()),
            subject=message.get("subject") or _("About your complaint %(reference)s") % {
                "reference": complaint.reference},
            purpose=message["purpose"], send_after=send_after,
            dedupe_key=message.get("dedupe_key"), created_at=now,
            automatic=bool(message.get("automatic")), last_error=skipped,
            status=OutboundStatus.SKIPPED if skipped else OutboundStatus.QUEUED))
    if skip_queued:
        return OutboundMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return insert_objects(rows, ids=False)


def _automatic_sms_sent_locking(customer_ids: list[int], *, since: datetime) -> dict[str, int]:
    """{phone: automatic SMS sent to it since `since`} for these customers, their rows locked
    (in id order), in one statement. On PostgreSQL a statement written once (the ORM built the
    same one again for every acknowledgement, about 1 ms of CPU); elsewhere the ORM's."""
    if connection.vendor != "postgresql":
        count = (OutboundMessage.objects
                 .filter(channel=OutboundChannel.SMS, automatic=True, recipient=OuterRef("phone"),
                         created_at__gt=since)
                 .exclude(status=OutboundStatus.SKIPPED).order_by()
                 .values("recipient").annotate(n=Count("pk")).values("n"))
        return {phone: n or 0 for phone, n in Customer.objects.select_for_update(of=("self",))
                .filter(pk__in=customer_ids).order_by("pk")
                .annotate(n=Subquery(count)).values_list("phone", "n")}
    quote = connection.ops.quote_name
    customers, messages = Customer._meta.db_table, OutboundMessage._meta.db_table
    sql = (f"SELECT c.phone, (SELECT COUNT(*) FROM {quote(messages)} o WHERE o.automatic "
           "AND o.channel = %s AND o.created_at > %s AND o.recipient = c.phone "
           f"AND NOT (o.status = %s)) FROM {quote(customers)} c "
           f"WHERE c.id IN ({', '.join(['%s'] * len(customer_ids))}) ORDER BY c.id "
           "FOR UPDATE OF c")
    with connection.cursor() as cursor:
        cursor.execute(sql, [OutboundChannel.SMS.value, since, OutboundStatus.SKIPPED.value,
                             *customer_ids])
        return dict(cursor.fetchall())


def _automatic_sms_refusal(customer: Customer, recipient: str, now: datetime) -> str:
    """Why an automatic SMS to `recipient` must not be sent (over the daily cap), or "".

    The customer's row is locked first, so simultaneous submissions are counted one after the
    other and cannot all slip under the cap."""
    cap = settings.CUSTOMER_AUTOMATIC_SMS_PER_DAY
    if cap <= 0:
        return ""
    list(Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk"))
    sent = (OutboundMessage.objects
            .filter(channel=OutboundChannel.SMS, recipient=recipient, automatic=True,
                    created_at__gt=now - timedelta(days=1))
            .exclude(status=OutboundStatus.SKIPPED).count())
    if sent < cap:
        return ""
    logger.info("outbound: automatic SMS to customer %s skipped, %d in 24 hours", customer.pk,
                sent)
    with translation.override(settings.LANGUAGE_CODE):  # for staff, whoever set it off
        return _("Not sent: this number already had %(count)d automatic SMS in the last 24 "
                 "hours (at most %(cap)d, CUSTOMER_AUTOMATIC_SMS_PER_DAY).") % {
            "count": sent, "cap": cap}


def outbound_send_due(*, now: datetime | None = None, limit: int = 200,
                      budget_seconds: float = 90.0) -> dict:
    """Send queued messages whose time has come. Safe to run twice at once (SKIP LOCKED).

    At most once: each message is first marked "sending" (its attempt counted, the time noted)
    in a transaction of its own, then handed to its gateway and marked sent or failed in a
    second one. A run stopped in between (a worker killed, the task's time limit while a gateway
    hangs, PostgreSQL gone before the mark) leaves that one message "sending", never queued, so
    no run sends it again blindly; the next runs settle it (`outbound_settle_interrupted`).
    Messages already marked stay sent. A run takes no new message after `budget_seconds`, well
    inside the task's limit.

    A message due before 18:00 that this run reaches only after it (a late or stopped worker)
    waits for 08:00 instead; only urgent messages, which were queued for a time inside the
    quiet hours, go out then.
    """
    now = now or timezone.now()
    started = time.monotonic()
    counts = {"sent": 0, "failed": 0, "retry": 0, "deferred": 0}
    backends, window = {}, contact_window()
    quiet_now = not is_contact_time(now, window)
    outbound_settle_interrupted(now=now)
    for _n in range(limit):
        elapsed = time.monotonic() - started
        if elapsed > budget_seconds:
            break
        with transaction.atomic():
            message = (OutboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
                       .filter(status=OutboundStatus.QUEUED, send_after__lte=now)
                       .select_related("complaint").order_by("send_after").first())
            if message is None:
                break
            if quiet_now and is_contact_time(message.send_after, window):
                message.send_after = next_contact_time(now, window)
                message.save(update_fields=["send_after"])
                counts["deferred"] += 1
                continue
            message.status, message.attempts = OutboundStatus.SENDING, message.attempts + 1
            message.sending_since = now + timedelta(seconds=elapsed)
            message.save(update_fields=["status", "attempts", "sending_since"])
        if message.channel not in backends:
            backends[message.channel] = notify_backends.backend_for(message.channel)
        outcome = _send_marked(message, backends[message.channel], now)
        if outcome:
            counts[outcome] += 1
        if message.status == OutboundStatus.SENT:
            _record_sent(message)
    return counts


def _send_marked(message: OutboundMessage, backend, now: datetime) -> str:
    """Hand a message marked "sending" to its gateway and record the outcome; "" if another run
    settled it meanwhile (then it is not sent from here)."""
    with transaction.atomic():
        # Locked while in flight: a concurrent run's settling skips it (SKIP LOCKED).
        still_ours = list(OutboundMessage.objects.select_for_update(of=("self",))
                          .filter(pk=message.pk, status=OutboundStatus.SENDING,
                                  attempts=message.attempts).values_list("pk", flat=True))
        if not still_ours:
            return ""
        outcome = _deliver(message, backend, now)
        message.sending_since = None
        message.save(update_fields=["status", "last_error", "sent_at", "send_after",
                                    "sending_since"])
    return outcome


def _deliver(message: OutboundMessage, backend, now: datetime) -> str:
    try:
        backend.send(message)
    except Exception as exc:  # noqa: BLE001 - any delivery failure is retried, then recorded
        message.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboundStatus.FAILED
            return "failed"
        message.status = OutboundStatus.QUEUED
        message.send_after = next_contact_time(retry_time(message.attempts, now),
                                               contact_window())
        return "retry"
    message.status, message.sent_at, message.last_error = OutboundStatus.SENT, now, ""
    return "sent"




def outbound_settle_interrupted(*, now: datetime | None = None) -> dict:
    """Settle messages whose send was cut off (still "sending", no run holding them).

    Whether the gateway got such a message is unknown. Where the far end drops a repeated
    message id (`backend.resend_safe`: an SMS gateway with client message ids) it is queued
    again and goes with the same id; otherwise (email: an SMTP server delivers a repeat again)
    it is never resent by itself: it becomes "delivery unknown" in the outbox, with what to
    check, and a supervisor may send it again (`outbound_retry`).
    """
    now = now or timezone.now()
    # A message is "sending" for milliseconds between its two transactions, then locked while
    # in flight (skipped here); one unlocked and "sending" longer than this was cut off.
    grace = timedelta(seconds=settings.OUTBOUND_SENDING_GRACE_SECONDS)
    counts = {"requeued": 0, "unknown": 0}
    backends = {}
    for _batch in range(100):
        with transaction.atomic():
            cut_off = list(OutboundMessage.objects
                           .select_for_update(skip_locked=True, of=("self",))
                           .filter(status=OutboundStatus.SENDING,
                                   sending_since__lt=now - grace)
                           .order_by("sending_since")[:100])
            if not cut_off:
                break
            for message in cut_off:
                if message.channel not in backends:
                    backends[message.channel] = notify_backends.backend_for(message.channel)
                _settle(message, backends[message.channel].resend_safe, now)
                counts["requeued" if message.status == OutboundStatus.QUEUED
                       else "unknown"] += 1
            OutboundMessage.objects.bulk_update(
                cut_off, ["status", "send_after", "last_error", "sending_since"])
    if counts["requeued"] or counts["unknown"]:
        logger.warning("outbound: sends cut off in flight: %(requeued)d queued again with "
                       "their id, %(unknown)d marked delivery unknown", counts)
    return counts


def _settle(message: OutboundMessage, resend_safe: bool, now: datetime) -> None:
    started = local_minute(message.sending_since)
    with translation.override(settings.LANGUAGE_CODE):  # for staff, whoever reads it
        if resend_safe:
            message.status, message.send_after = OutboundStatus.QUEUED, now
            message.last_error = _(
                "Attempt %(attempt)d (from %(time)s) was cut off before its outcome was "
                "recorded; sent again with the same message id %(id)d, which the gateway "
                "delivers once.") % {"attempt": message.attempts, "time": started,
                                     "id": message.id}
        else:
            message.status = OutboundStatus.UNKNOWN
            values = {"attempt": message.attempts, "time": started, "id": message.id,
                      "header": notify_backends.OUTBOUND_ID_HEADER}
            if message.channel == OutboundChannel.EMAIL:
                message.last_error = _(
                    "Attempt %(attempt)d (from %(time)s) was cut off after the email was handed "
                    "to the mail server: it may or may not have reached the customer, so it was "
                    "not sent again. Check the mail log for %(header)s: %(id)d before sending "
                    "it again.") % values
            else:
                message.last_error = _(
                    "Attempt %(attempt)d (from %(time)s) was cut off after the SMS was handed to "
                    "the gateway: it may or may not have reached the customer, so it was not "
                    "sent again. Check the gateway's records for message id %(id)d before "
                    "sending it again.") % values
    message.sending_since = None


def retry_time(attempts: int, now: datetime) -> datetime:
    """When to try again after `attempts` failures: 2, 4, 8, 16 minutes (before quiet hours)."""
    return now + timedelta(minutes=2 ** attempts)


def _record_sent(message: OutboundMessage) -> None:
    timeline_append(
        complaint_id=message.complaint_id, kind=ActivityKind.NOTIFICATION,
        message=_("%(channel)s sent to the customer: %(body)s") % {
            "channel": OutboundChannel(message.channel).label, "body": message.masked_body},
        data={"outbound_id": message.id, "purpose": message.purpose,
              "channel": message.channel}, visibility="public")


# --- the outbox -----------------------------------------------------------------------------


def outbox_messages(*, status: str = "", channel: str = "", purpose: str = "",
                    reference: str = "", user=None) -> QuerySet[OutboundMessage]:
    """Customer messages for the staff outbox, newest first, with their complaint joined in;
    with `user`, only those of complaints in the user's data scope."""
    queryset = (OutboundMessage.objects.select_related("complaint")
                .order_by("-created_at", "-id"))
    if user is not None:
        queryset = queryset.filter(complaint_scope(user=user, prefix="complaint__"))
    if status:
        queryset = queryset.filter(status=status)
    if channel:
        queryset = queryset.filter(channel=channel)
    if purpose:
        queryset = queryset.filter(purpose=purpose)
    if reference:
        queryset = queryset.filter(complaint__reference=reference.strip().upper())
    return queryset


def outbox_purposes() -> list[str]:
    return list(OutboundMessage.objects.order_by("purpose").values_list("purpose", flat=True)
                .distinct())


def outbound_retry(*, message_id: int, actor, now: datetime | None = None) -> OutboundMessage:
    """Queue a failed message, or one whose delivery is unknown, again with a fresh round of
    attempts (for the latter a member of staff checked that the customer did not get it).

    It goes out with the next send run, or at the next opening (08:00) during the quiet hours.
    The complaint's timeline notes who asked and the error the last attempt had.
    """

    now = now or timezone.now()
    with transaction.atomic():
        message = (OutboundMessage.objects.select_for_update(of=("self",))
                   .select_related("complaint").get(pk=message_id))
        if message.status not in (OutboundStatus.FAILED, OutboundStatus.UNKNOWN):
            raise InvalidInput(_("Only a failed message, or one whose delivery is unknown, can "
                                 "be sent again; this one is %(status)s.")
                               % {"status": message.get_status_display()})
        previous = {"status": message.status, "attempts": message.attempts,
                    "last_error": message.last_error}
        message.status, message.attempts = OutboundStatus.QUEUED, 0
        message.send_after = next_contact_time(now, contact_window())
        message.save(update_fields=["status", "attempts", "send_after"])
        values = {"channel": OutboundChannel(message.channel).label,
                  "error": previous["last_error"] or _("no error recorded")}
        timeline_append(
            complaint_id=message.complaint_id, kind=ActivityKind.INTERNAL_NOTE, actor=actor,
            message=(_("The %(channel)s to the customer that failed (%(error)s) was queued "
                       "again.") if previous["status"] == OutboundStatus.FAILED
                     else _("The %(channel)s to the customer whose delivery was unknown "
                            "(%(error)s) was queued again by hand.")) % values,
            data={"outbound_id": message.id, "retry": previous})
    return message


def outbound_scrub_customer(*, customer_id: int) -> int:
    """Anonymisation under the retention policy: the addresses and texts of every message sent
    to the customer become "***" (the rows stay, for the counts)."""
    return OutboundMessage.objects.filter(complaint__customer_id=customer_id).update(
        recipient="***", body="***", masked_body="***")
