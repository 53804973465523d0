"""What every intake channel parses into: one plain, immutable message. Pure (no ORM).

Conventions, so the intake service can treat every channel alike:

- Text fields are ``""`` when the channel did not say (as Django stores blank text); the values
  whose absence means something are ``None``: ``customer_phone`` (no usable number),
  ``reply_to_reference`` (not an answer to an existing complaint), ``regulator_due_at``.
- ``received_at`` is always timezone-aware and never later than the parse time.
- ``external_id`` identifies the message at its source (Message-ID, webhook id, regulator case
  number, call id); with ``channel`` it is what makes a redelivery harmless.
- ``category_code`` is a hint as the channel gave it (a code or a category name); the service
  resolves it or ignores it.
- ``historical`` marks a complaint from an operator's history; ``source`` names the
  idempotency namespace of ``external_id`` when it is not ``channel``.
- ``metadata`` is JSON-serialisable and kept for the record; nothing downstream depends on it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kernel.personal_data import InvalidPhone, normalize_phone

CHANNELS = frozenset(
    ["phone", "web", "email", "sms", "wechat", "app", "store", "letter", "regulator"]
)  # complaints.models.Channel values, repeated here so the parsers need no model import

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

# A clock a few minutes fast at the sender is normal; anything later is taken as "now".
FUTURE_TOLERANCE = timedelta(minutes=5)

# TS + YYYYMMDD + 6-digit sequence (complaints.services.reference_next).
REFERENCE_RE = re.compile(r"(?<![A-Za-z0-9])TS(\d{14})(?!\d)", re.IGNORECASE)

# A Chinese mobile number in running text, allowing +86 and the usual 3-4-4 separators.
MOBILE_IN_TEXT_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d(?:[\s-]?\d{4}){2})(?!\d)")
CONTACT_WORDS_RE = re.compile(r"(电话|手机|联系|號碼|号码|tel|phone|mobile)", re.IGNORECASE)


@dataclass(frozen=True)
class IntakeAttachment:
    name: str
    content: bytes = field(repr=False)
    content_type: str | None  # sniffed from the bytes; None when unrecognised
    declared_content_type: str = ""  # what the sender claimed, for the record only

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class IntakeMessage:
    channel: str
    external_id: str
    received_at: datetime
    description: str
    customer_name: str = ""
    customer_phone: str | None = None
    customer_email: str = ""
    service_number: str = ""
    subject: str = ""
    location: str = ""
    category_code: str = ""
    attachments: tuple[IntakeAttachment, ...] = ()
    reply_to_reference: str | None = None
    regulator_case_no: str = ""
    regulator_due_at: datetime | None = None
    store: str = ""
    # Staff channels (the agents' API) may grade and file the complaint themselves: a priority
    # here is a floor the rules only raise; "" leaves both to the defaults.
    priority: str = ""
    product_line: str = ""
    # An operator's history brought in by `manage.py import_complaints`: received_at may lie
    # further in the past than live channels allow, no acknowledgement goes to the customer,
    # and the complaint's timeline and clocks are dated as it happened (intake/importing.py).
    historical: bool = False
    # Where `external_id` is unique, when not the channel itself ("import" for imported history,
    # whose rows keep their original channel): the InboundMessage claim uses it.
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def claim_channel(self) -> str:
        """The namespace of `external_id` in its InboundMessage claim."""
        return self.source or self.channel

    def __post_init__(self):
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if not self.external_id:
            raise ValueError("external_id is required")
        for name in ("received_at", "regulator_due_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        object.__setattr__(self, "attachments", tuple(self.attachments))


def find_reference(text: str) -> str | None:
    """The first complaint reference (TS + 14 digits) in `text`, upper-cased, or None."""
    match = REFERENCE_RE.search(unicodedata.normalize("NFKC", text or ""))
    return f"TS{match.group(1)}" if match else None


def find_mobile(text: str) -> str | None:
    """A Chinese mobile number written in `text`, normalised; one next to a contact word wins."""
    text = unicodedata.normalize("NFKC", text or "")
    candidates = []
    for match in MOBILE_IN_TEXT_RE.finditer(text):
        try:
            phone = normalize_phone(match.group(1))
        except InvalidPhone:
            continue
        before = text[max(0, match.start() - 12):match.start()]
        candidates.append((not CONTACT_WORDS_RE.search(before), match.start(), phone))
    return min(candidates)[2] if candidates else None


def clamp_to_now(moment: datetime, now: datetime) -> datetime:
    """`moment`, unless it lies more than a few minutes after `now`: then `now`."""
    return now if moment > now + FUTURE_TOLERANCE else moment


def require_aware(now: datetime) -> datetime:
    if now is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now
