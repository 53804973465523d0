"""Pure parsers, one per channel, each ending in an IntakeMessage (no ORM, no I/O).

- ``email.parse_email(raw, now=…)`` → IntakeMessage | EmailSkipped | EmailRefused
- ``webhook.verify_signature(…)``, ``webhook.parse_webhook(channel, payload, now=…)``,
  ``webhook.parse_sms_reply_keyword(text)``
- ``regulator.parse_regulator_batch(data, filename)`` / ``iter_regulator_rows(…)`` → RowResult
"""

from .message import IntakeAttachment, IntakeMessage, find_mobile, find_reference

__all__ = ["IntakeAttachment", "IntakeMessage", "find_mobile", "find_reference"]
