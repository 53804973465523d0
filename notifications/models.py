"""Messages: in-app notifications to staff, and the outbox of messages to customers.

These tables kept their names when the models moved here from `complaints` (the move changed
the migration state only, see notifications/migrations/0001).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint

User = settings.AUTH_USER_MODEL


class Notification(models.Model):
    """An in-app message to a staff member (escalations, warnings, approvals)."""

    recipient = models.ForeignKey(User, verbose_name=_("recipient"), on_delete=models.CASCADE,
                                  related_name="notifications")
    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=30)
    message = models.CharField(_("message"), max_length=500)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        db_table = "complaints_notification"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"],
                                name="notification_inbox")]

    def __str__(self) -> str:
        return self.message


class OutboundChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent")  # recorded, never sent; `last_error` says why
    # Handed to its gateway in a step committed first: a row still "sending" after a crash or a
    # database outage may or may not have reached the gateway (notifications/outbound.py).
    SENDING = "sending", _("Sending")
    # A "sending" row that could not be sent again safely (email): never resent automatically;
    # `last_error` says what to check, and a supervisor may send it again by hand.
    UNKNOWN = "unknown", _("Delivery unknown: check")


class OutboundMessage(models.Model):
    """A message to a customer. Queued, then sent by a task no earlier than `send_after`, which
    is never inside the customers' quiet hours (18:00–08:00) unless marked urgent."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="outbound_messages")
    channel = models.CharField(_("channel"), max_length=8, choices=OutboundChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    # `body` goes to the gateway as it is; staff (outbox, admin, timeline) see `masked_body`,
    # where one-time codes and survey links' tokens are masked: with them a member of staff
    # could act as the customer.
    body = models.TextField(_("text"))
    masked_body = models.TextField(_("text as staff see it"), blank=True, default="")
    purpose = models.CharField(_("purpose"), max_length=30)
    send_after = models.DateTimeField(_("send after"))
    status = models.CharField(_("status"), max_length=8, choices=OutboundStatus.choices,
                              default=OutboundStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sending_since = models.DateTimeField(
        _("sending since"), null=True, blank=True,
        help_text=_("When the last attempt handed the message to its gateway."))
    dedupe_key = models.CharField(_("de-duplication key"), max_length=100, null=True,
                                  blank=True, unique=True,
                                  help_text=_("Messages caused by timers are queued once."))
    automatic = models.BooleanField(
        _("automatic"), default=False,
        help_text=_("Sent because someone outside used a public channel (an acknowledgement, a "
                    "tracking code), not written or decided by staff; capped per customer "
                    "per day."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        db_table = "complaints_outboundmessage"
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["send_after"], name="outbound_due",
                                condition=Q(status="queued")),
                   models.Index(fields=["sending_since"], name="outbound_sending",
                                condition=Q(status="sending"))]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} {self.complaint_id}"
