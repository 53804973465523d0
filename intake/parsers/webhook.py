"""Signed webhooks from the SMS gateway, WeChat and the app → IntakeMessage. Pure.

Signature: ``X-Signature: sha256=<hex>`` (the ``sha256=`` prefix is optional), the HMAC-SHA256 of
``f"{timestamp}.{idempotency_key}.".encode() + body`` under the channel's secret, with
``X-Timestamp: <unix seconds>`` and ``Idempotency-Key: <the message's id>``. Signing the timestamp
makes a replay with a fresh timestamp impossible; signing the key makes a replay under another key
(a second complaint from one message) impossible. The first scheme, which signed only
``f"{timestamp}.".encode() + body``, is refused with its own code (``outdated_signature``) so an
integrator still sending it learns why.

Payload shapes (JSON objects; fields not listed are kept in ``metadata`` only):

sms
    ``{"id": "gw-8f2c…", "from": "+8613812345678", "text": "…",
    "received_at": "2026-11-25T09:30:00+08:00", "to": "10000"}`` — ``id``, ``from`` and
    ``text`` required; ``received_at`` ISO 8601 (without an offset it is Beijing time),
    default: now.
wechat
    ``{"msg_id": 24120..., "openid": "oAbC…", "nickname": "…", "phone": "13812345678",
    "content": "…", "create_time": 1764034200}`` — ``msg_id``, ``openid`` and ``content`` required;
    ``create_time`` unix seconds, default: now.
app
    ``{"event_id": "…", "user": {"name", "phone", "email", "account"},
    "complaint": {"category", "description", "location", "subject"}, "occurred_at": ISO 8601}`` —
    ``event_id``, ``user.phone`` and ``complaint.description`` required.

Any message text carrying a complaint reference (TS + 14 digits) is an answer to that complaint
(``reply_to_reference``).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime

from django.utils.translation import gettext as _

from kernel.personal_data import InvalidPhone, normalize_phone

from .message import (
    LOCAL_ZONE,
    REFERENCE_RE,
    IntakeMessage,
    clamp_to_now,
    find_reference,
    require_aware,
)

WEBHOOK_CHANNELS = ("sms", "wechat", "app")
MAX_ID_LENGTH = 200
DEFAULT_REPLY_KEYWORDS = {"1": "solved", "2": "not_solved"}
# A "1" followed by a long text is a numbered message, not an answer to "reply 1 or 2".
MAX_REPLY_REMAINDER = 20
# Words that contradict the number typed before them ("1 没解决"): a person must read it.
CONTRADICTIONS = {
    "not_solved": ("未解决", "没解决", "没有解决", "不解决", "不满意", "没好", "还没"),
    "solved": ("已解决", "解决了", "已经解决", "满意", "好了"),
}


class WebhookRejected(Exception):
    """The request is not from the gateway it claims to be (or is replayed)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        # missing_header | bad_timestamp | bad_signature | outdated_signature | expired |
        # from_future | not_configured
        self.code = code


class InvalidPayload(ValueError):
    """The payload lacks a field or has a bad value; `field` names it (dotted for nested)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- signature -------------------------------------------------------------------------------

def signed_content(body: bytes, timestamp: int | str, key: str) -> bytes:
    """The bytes the signature covers: ``{timestamp}.{key}.{body}``.

    The key is taken as the header's bytes (HTTP headers travel as Latin-1 octets, which is
    how Django hands them over), so a key is signed exactly as it was sent."""
    return f"{timestamp}.".encode() + _key_bytes(key) + b"." + body


def _key_bytes(key: str) -> bytes:
    try:
        return key.encode("latin-1")  # the octets on the wire, as WSGI and ASGI decode them
    except UnicodeEncodeError:  # not from a real request line: its UTF-8
        return key.encode()


def sign(body: bytes, secret: str, timestamp: int | str, key: str) -> str:
    """The hex signature a gateway sends for `body` at `timestamp` under Idempotency-Key `key`
    (used by tests, bench scripts and tools)."""
    return hmac.new(secret.encode(), signed_content(body, timestamp, key),
                    hashlib.sha256).hexdigest()


def _sign_outdated(body: bytes, secret: str, timestamp: str) -> str:
    """The first scheme (timestamp and body only), recognised only to refuse it clearly."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def payload_digest(body: bytes, key: str) -> str:
    """What an idempotency record remembers of a signed message: the SHA-256 of the key and
    body, so the same key arriving with another body can be told apart from a retry."""
    return hashlib.sha256(_key_bytes(key) + b"." + body).hexdigest()


def verify_signature(body: bytes, signature_header: str, secret: str, timestamp_header: str,
                     *, now: datetime, max_age: int = 300, key: str = "") -> datetime:
    """Accept the request or raise WebhookRejected; returns the signed timestamp.

    `key` is the Idempotency-Key header, covered by the signature."""
    now = require_aware(now)
    if not secret:
        raise WebhookRejected(_("Webhooks for this channel are not configured (no secret)."),
                              code="not_configured")
    if not signature_header or not timestamp_header:
        raise WebhookRejected(_("The signature or timestamp header is missing."),
                              code="missing_header")
    timestamp = (timestamp_header or "").strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRejected(_("The timestamp header must be a Unix time in seconds."),
                              code="bad_timestamp")
    given = signature_header.strip()
    if given.lower().startswith("sha256="):
        given = given[len("sha256="):]
    given = given.lower().encode("ascii", "replace")
    if not hmac.compare_digest(sign(body, secret, timestamp, key).encode(), given):
        if hmac.compare_digest(_sign_outdated(body, secret, timestamp).encode(), given):
            raise WebhookRejected(
                _("The signature uses the old scheme (timestamp and body only), which is no "
                  "longer accepted: sign “{timestamp}.{Idempotency-Key}.{body}” instead."),
                code="outdated_signature")
        raise WebhookRejected(
            _("The signature does not match the timestamp, Idempotency-Key and body."),
            code="bad_signature")
    signed_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
    age = (now - signed_at).total_seconds()
    if age > max_age:
        raise WebhookRejected(
            _("The request was signed %(seconds)d seconds ago; at most %(max)d are allowed.")
            % {"seconds": age, "max": max_age}, code="expired")
    if age < -max_age:
        raise WebhookRejected(
            _("The request is signed %(seconds)d seconds in the future; check the sender's "
              "clock.") % {"seconds": -age}, code="from_future")
    return signed_at


# --- payloads --------------------------------------------------------------------------------

def parse_webhook(channel: str, payload: Mapping, *, now: datetime) -> IntakeMessage:
    now = require_aware(now)
    parser = _PARSERS.get(channel)
    if parser is None:
        raise InvalidPayload("channel", _("Unknown webhook channel “%(channel)s”.")
                             % {"channel": channel})
    if not isinstance(payload, Mapping):
        raise InvalidPayload("", _("The body must be a JSON object."))
    return parser(payload, now)


def _parse_sms(payload: Mapping, now: datetime) -> IntakeMessage:
    text = _text(payload, "text", required=True)
    return IntakeMessage(
        channel="sms",
        external_id=_identifier(payload, "id"),
        received_at=_iso_time(payload, "received_at", now),
        description=text,
        customer_phone=_phone(payload, "from", required=True),
        reply_to_reference=find_reference(text),
        metadata=_raw(payload),
    )


def _parse_wechat(payload: Mapping, now: datetime) -> IntakeMessage:
    text = _text(payload, "content", required=True)
    openid = _text(payload, "openid", required=True)
    return IntakeMessage(
        channel="wechat",
        external_id=_identifier(payload, "msg_id"),
        received_at=_unix_time(payload, "create_time", now),
        description=text,
        customer_name=_text(payload, "nickname"),
        customer_phone=_phone(payload, "phone"),
        reply_to_reference=find_reference(text),
        metadata=_raw(payload) | {"openid": openid},
    )


def _parse_app(payload: Mapping, now: datetime) -> IntakeMessage:
    user = _object(payload, "user")
    complaint = _object(payload, "complaint")
    description = _text(complaint, "description", required=True, path="complaint.description")
    return IntakeMessage(
        channel="app",
        external_id=_identifier(payload, "event_id"),
        received_at=_iso_time(payload, "occurred_at", now),
        description=description,
        subject=_text(complaint, "subject", path="complaint.subject"),
        customer_name=_text(user, "name", path="user.name"),
        customer_phone=_phone(user, "phone", required=True, path="user.phone"),
        customer_email=_email(user, "email", path="user.email"),
        service_number=_text(user, "account", path="user.account"),
        location=_text(complaint, "location", path="complaint.location"),
        category_code=_text(complaint, "category", path="complaint.category"),
        reply_to_reference=find_reference(description),
        metadata=_raw(payload),
    )


_PARSERS = {"sms": _parse_sms, "wechat": _parse_wechat, "app": _parse_app}


def _missing(path: str) -> InvalidPayload:
    return InvalidPayload(path, _("The field “%(field)s” is required.") % {"field": path})


def _bad(path: str, problem: str) -> InvalidPayload:
    return InvalidPayload(path, _("The field “%(field)s” is invalid: %(problem)s")
                          % {"field": path, "problem": problem})


def _text(data: Mapping, key: str, *, required: bool = False, path: str | None = None) -> str:
    path = path or key
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _missing(path)
        return ""
    if not isinstance(value, str):
        raise _bad(path, _("expected text."))
    return value.strip()


def _identifier(data: Mapping, key: str) -> str:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # WeChat message ids are 64-bit integers
    value = _text({key: value}, key, required=True)
    if len(value) > MAX_ID_LENGTH:
        raise _bad(key, _("longer than %(max)d characters.") % {"max": MAX_ID_LENGTH})
    return value


def _object(data: Mapping, key: str) -> Mapping:
    value = data.get(key)
    if value is None:
        raise _missing(key)
    if not isinstance(value, Mapping):
        raise _bad(key, _("expected an object."))
    return value


def _phone(data: Mapping, key: str, *, required: bool = False, path: str | None = None):
    path = path or key
    raw = _text(data, key, required=required, path=path)
    if not raw:
        return None
    try:
        return normalize_phone(raw)
    except InvalidPhone as error:
        raise InvalidPayload(path, f"{path}: {error}") from error


def _email(data: Mapping, key: str, *, path: str) -> str:
    value = _text(data, key, path=path)
    local, at, domain = value.rpartition("@")
    if value and (not at or not local or "." not in domain or " " in value):
        raise _bad(path, _("not an email address."))
    return value


def _iso_time(data: Mapping, key: str, now: datetime) -> datetime:
    value = data.get(key)
    if value in (None, ""):
        return now
    if not isinstance(value, str):
        raise _bad(key, _("expected an ISO 8601 date and time."))
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise _bad(key, _("expected an ISO 8601 date and time.")) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    return clamp_to_now(moment, now)


def _unix_time(data: Mapping, key: str, now: datetime) -> datetime:
    value = data.get(key)
    if value in (None, ""):
        return now
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 10**11:
        raise _bad(key, _("expected a Unix time in seconds."))
    return clamp_to_now(datetime.fromtimestamp(value, tz=UTC), now)


def _raw(payload: Mapping) -> dict:
    return copy.deepcopy(dict(payload))


# --- SMS replies -----------------------------------------------------------------------------

def parse_sms_reply_keyword(text: str, keywords: Mapping[str, str] | None = None) -> str | None:
    """"1", "1 已解决", "TS20261125000123 2" → the outcome the keyword stands for, else None.

    Only a short answer counts: "1. 我家宽带……" is a message, not a "1". A keyword followed by
    words that say the opposite ("1 没解决") gives None, so a person reads it.
    """
    keywords = DEFAULT_REPLY_KEYWORDS if keywords is None else keywords
    text = unicodedata.normalize("NFKC", text or "")
    text = REFERENCE_RE.sub(" ", text).strip(" \t\r\n.,;:!?。，；：！？、-—~()（）【】[]")
    folded = text.casefold()
    for keyword in sorted(keywords, key=len, reverse=True):
        key = unicodedata.normalize("NFKC", keyword).casefold()
        if not key or not folded.startswith(key):
            continue
        remainder = folded[len(key):]
        if remainder[:1].isascii() and remainder[:1].isalnum():
            continue  # "12" is not "1"; "1st" is not "1"
        remainder = remainder.strip(" \t.,;:!?。，；：！？、-—~")
        outcome = keywords[keyword]
        if len(remainder) > MAX_REPLY_REMAINDER or _contradicts(remainder, outcome):
            return None
        return outcome
    return None


def _contradicts(remainder: str, outcome: str) -> bool:
    negative = any(word in remainder for word in CONTRADICTIONS["not_solved"])
    if outcome == "solved":
        return negative
    if outcome == "not_solved":
        return not negative and any(word in remainder for word in CONTRADICTIONS["solved"])
    return False
