"""Every message, whatever its channel, checked against the input limits before it is recorded
(kernel/limits.py; docs/security.md "Input limits" and "received_at window").

`message_check` refuses: the caller (an API, a form, a webhook, a regulator import row) shows the
error, which names the field and the cap, and the sender can correct and resend. Email cannot be
corrected by its sender's mail server, so `message_fit` makes a mail storable instead: NUL
characters dropped, text cut at its cap with a note, a Date header outside the window replaced
by the time the mail arrived (the original is kept in the metadata).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kernel.limits import (
    TEXT_CAPS,
    received_at_check,
    received_at_window,
    received_at_within,
    text_check,
    text_fit,
)

from .parsers.message import IntakeMessage

# The fields of IntakeMessage that are text, each with its cap in kernel.limits.TEXT_CAPS.
TEXT_FIELDS = tuple(TEXT_CAPS)


def message_check(message: IntakeMessage, *, now: datetime) -> None:
    """Raise InvalidInput naming the first field that breaks a limit."""
    for field in TEXT_FIELDS:
        text_check(getattr(message, field) or "", field=field)
    if not message.historical:
        received_at_check(message.received_at, now=now)
    elif message.received_at > received_at_window(now)[1]:
        # History may be older than the live window, never in the future.
        received_at_check(message.received_at, now=now)
    for attachment in message.attachments:
        text_check(attachment.name or "", field="attachments", limit=255)


def message_fit(message: IntakeMessage, *, now: datetime) -> IntakeMessage:
    """`message` changed so message_check accepts it (for email; see the module docstring)."""
    changes, metadata = {}, dict(message.metadata)
    for field in TEXT_FIELDS:
        value = getattr(message, field) or ""
        fitted = text_fit(value, field=field, note=_truncation_note(len(value)))
        if fitted != value:
            changes[field] = fitted
            metadata.setdefault("fitted_to_limits", []).append(field)
    if not received_at_within(message.received_at, now=now):
        changes["received_at"] = now
        metadata["received_at_claimed"] = message.received_at.isoformat()
    attachments = tuple(
        dataclasses.replace(a, name=text_fit(a.name or "", field="external_id"))
        for a in message.attachments)
    if attachments != message.attachments:
        changes["attachments"] = attachments
    if not changes:
        return message
    return dataclasses.replace(message, **changes, metadata=metadata)


def _truncation_note(length: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # agents read Chinese
        return "\n" + _("[Cut: the message was %(length)d characters long; only the start is "
                        "kept.]") % {"length": length}
