"""How a message to a customer leaves the building: one backend per channel.

SMS goes through the backend named by the setting `SMS_BACKEND` (a dotted path):

- `HttpGatewayBackend`: JSON POST to `SMS_GATEWAY_URL` with `SMS_GATEWAY_TOKEN` as a bearer
  token (production; the default when `SMS_GATEWAY_URL` is set);
- `ConsoleBackend`: writes the message to the log (development; the default otherwise);
- `DatabaseBackend`: sends nothing; the outbox row alone records it as sent (demo data).

Email always goes through Django's mail framework (`EMAIL_BACKEND`: SMTP in production), so
`EmailBackend` is a thin adapter. A backend's `send(message)` returns on success and raises on
failure; `notifications.outbound` records the outcome and retries. Backends never touch the
database themselves. `resend_safe` says whether the same message handed over twice reaches the
customer once (the far end drops a repeated message id): only then does a message whose send
was cut off go again by itself.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from notifications.models import OutboundChannel, OutboundMessage

logger = logging.getLogger(__name__)


class NotifyBackend(Protocol):
    resend_safe: bool

    def send(self, message: OutboundMessage) -> None:
        """Deliver `message` or raise."""


class HttpGatewayBackend:
    """An SMS gateway over HTTP: POST {to, text, reference, message_id}; any 2xx is success."""

    timeout = 10

    @property
    def resend_safe(self) -> bool:
        return settings.SMS_GATEWAY_DEDUPLICATES

    def send(self, message: OutboundMessage) -> None:
        if not settings.SMS_GATEWAY_URL:
            raise RuntimeError("SMS_GATEWAY_URL is not configured")
        payload = json.dumps({"to": message.recipient, "text": message.body,
                              "reference": message.complaint.reference,
                              "message_id": message.id}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            settings.SMS_GATEWAY_URL, data=payload, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}"})
        # urlopen raises HTTPError for 4xx/5xx; anything else below 300 is a success.
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            if response.status >= 300:
                raise RuntimeError(f"gateway answered {response.status}")


class ConsoleBackend:
    """Development: the message goes to the log (stdout under `make run`), nowhere else."""

    resend_safe = True

    def send(self, message: OutboundMessage) -> None:
        logger.info("SMS to %s (complaint %s, %s): %s", message.recipient,
                    message.complaint.reference, message.purpose, message.body)


class DatabaseBackend:
    """Demo data and development: nothing leaves; the outbox row records the message as sent."""

    resend_safe = True

    def send(self, message: OutboundMessage) -> None:
        return None


# Every email from the outbox names its outbox row, so a mail log (or the soak's SMTP server)
# can tell a message sent twice from two messages.
OUTBOUND_ID_HEADER = "X-Outbound-Message-Id"


class EmailBackend:
    """Email through Django's EMAIL_BACKEND (SMTP in production), UTF-8 subject and body.

    An SMTP server delivers a repeat again: an email cut off in flight is never resent by itself.
    """

    resend_safe = False

    def send(self, message: OutboundMessage) -> None:
        EmailMessage(subject=message.subject, body=message.body,
                     from_email=settings.DEFAULT_FROM_EMAIL, to=[message.recipient],
                     headers={OUTBOUND_ID_HEADER: str(message.id)}).send()


def sms_backend_path() -> str:
    configured = getattr(settings, "SMS_BACKEND", "")
    if configured:
        return configured
    return ("notifications.backends.HttpGatewayBackend" if settings.SMS_GATEWAY_URL
            else "notifications.backends.ConsoleBackend")


def backend_for(channel: str) -> NotifyBackend:
    if channel == OutboundChannel.SMS:
        return import_string(sms_backend_path())()
    return EmailBackend()
