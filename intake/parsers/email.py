"""One RFC 822 message → an IntakeMessage, or the reason it is not a complaint. Pure.

Written for Chinese mail as it arrives: GB2312 labels on GBK/GB18030 text (decoded as GB18030),
RFC 2047 and raw 8-bit headers, RFC 2231 file names, HTML-only bodies, broken MIME. Parsing
never raises on bad mail; the worst case is a refusal with its reason, for the log.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.errors import MessageError
from email.header import Header, decode_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from enum import StrEnum
from html import unescape

import html_text
import lxml.etree

from kernel.attachments import sniff_content_type

from .message import (
    IntakeAttachment,
    IntakeMessage,
    clamp_to_now,
    find_mobile,
    find_reference,
    require_aware,
)

# Mail clients label GBK (and GB18030) text as GB2312; GB18030 is a superset of all of them.
GB_FAMILY = frozenset(["gb2312", "gb_2312", "gb_2312-80", "gb-2312", "csgb2312", "euc-cn",
                       "x-euc-cn", "chinese", "gbk", "x-gbk", "cp936", "ms936", "windows-936",
                       "gb18030"])
# Labels that say nothing reliable about 8-bit bytes: try UTF-8 and GB18030 first.
VAGUE_CHARSETS = frozenset(["", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "8bit",
                            "iso-8859-1", "latin-1", "latin1", "default"])

MAX_ID_LENGTH = 200
# What the standard library raises on mail it cannot make sense of (binascii and Unicode errors
# are ValueErrors; unknown charsets LookupErrors).
MALFORMED = (MessageError, ValueError, LookupError, TypeError, AttributeError)
SIGNATURE_TYPES = frozenset(["application/pkcs7-signature", "application/x-pkcs7-signature",
                             "application/pgp-signature"])
REPORT_PART_TYPES = frozenset(["message/delivery-status", "message/disposition-notification",
                               "text/rfc822-headers", "message/feedback-report"])
DAEMON_LOCAL_PARTS = frozenset(["mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"])
BULK_PRECEDENCE = frozenset(["bulk", "junk", "list", "auto_reply"])
AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")
# Anchored at the start of the subject: "投诉：自动回复短信乱扣费" is a complaint, not an
# auto-reply.
AUTO_REPLY_SUBJECT_RE = re.compile(
    r"^\W*(自动回复|自动答复|auto[\s_-]?reply|auto[\s_-]?response|automatic\s+reply"
    r"|out\s+of\s+(the\s+)?office|休假|不在办公室)",
    re.IGNORECASE,
)
BOUNCE_SUBJECT_RE = re.compile(
    r"^\W*(退信|系统退信|邮件退信|undeliverable|undelivered\s+mail|delivery\s+status\s+notification"
    r"|delivery\s+failure|mail\s+delivery\s+failed|returned\s+mail|failure\s+notice"
    r"|无法投递|投递失败)",
    re.IGNORECASE,
)
# Where the quoted original starts in a reply (QQ Mail, Foxmail, Outlook, Gmail, Apple Mail).
QUOTE_START_RES = [re.compile(pattern, re.MULTILINE | flags) for pattern, flags in [
    (r"^-{2,}\s*(原始邮件|原邮件|Original Message|Original)\s*-{2,}\s*$", re.IGNORECASE),
    (r"^(发件人|From)\s*[:：].*\n\s*(发送时间|时间|日期|Sent|Date|收件人|To)\s*[:：]", re.IGNORECASE),
    (r"^(在|于).{0,160}写道\s*[:：]\s*$", 0),
    (r"^On .{0,200}wrote:\s*$", 0),
]]
UNTERMINATED_WORD_RE = re.compile(r"=\?[\w.:-]+\?[bBqQ]\?[^?\s]*$")
INVISIBLE_BLOCKS_RE = re.compile(
    r"<(script|style|head|title)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
BLANK_LINES_RE = re.compile(r"\n{3,}")


class SkipReason(StrEnum):
    """Why a message is not a complaint (skipped) or cannot be taken as one (refused)."""

    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    BOUNCE = "bounce"
    EMPTY = "empty"
    NO_SENDER = "no_sender"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class EmailSkipped:
    """An auto-reply, a bounce or bulk mail: not a complaint; dropped with a log line."""

    reason: SkipReason
    detail: str  # what gave it away, e.g. "Auto-Submitted: auto-replied"
    external_id: str
    sender: str


@dataclass(frozen=True)
class EmailRefused:
    """Mail from a person that cannot become a complaint: a logged rejection."""

    reason: SkipReason
    detail: str
    external_id: str
    sender: str


EmailResult = IntakeMessage | EmailSkipped | EmailRefused


def parse_email(raw: bytes, *, now: datetime) -> EmailResult:
    """Never raises on bad mail: what cannot be taken apart is an EmailRefused (MALFORMED)
    naming the error, so an MTA pipe logs it instead of bouncing or retrying forever."""
    now = require_aware(now)
    msg = message_from_bytes(raw, policy=compat32)
    external_id = _external_id(msg, raw)
    try:
        return _parse(msg, external_id, now)
    except Exception as error:  # noqa: BLE001 - see the docstring; the detail names the bug
        return EmailRefused(SkipReason.MALFORMED, f"{type(error).__name__}: {error}",
                            external_id, "")


def _parse(msg: Message, external_id: str, now: datetime) -> EmailResult:
    sender_name, sender_email = _sender(msg)
    subject = header_text(msg.get("Subject"))

    skip = _skip_reason(msg, subject, sender_email)
    if skip is not None:
        reason, detail = skip
        return EmailSkipped(reason, detail, external_id, sender_email)

    found = _Found()
    _collect(msg, found)
    body = clean_text("\n\n".join(text for text in found.texts if text.strip()))
    reply_to_reference = find_reference(subject) or _reference_in_thread_headers(msg)
    quoted_removed = False
    if reply_to_reference:
        own_words = strip_quoted_reply(body)
        quoted_removed = own_words != body
        body = own_words
    attachments = tuple(found.unique_attachments())
    description = body or subject
    if not description and not attachments:
        return EmailRefused(SkipReason.EMPTY, "no text and no attachment", external_id,
                            sender_email)
    phone = find_mobile(body) or find_mobile(subject)
    if not sender_email and not phone:
        return EmailRefused(SkipReason.NO_SENDER, "no sender address and no phone number",
                            external_id, sender_email)

    return IntakeMessage(
        channel="email",
        external_id=external_id,
        received_at=_received_at(msg, now),
        description=description,
        customer_name=sender_name,
        customer_phone=phone,
        customer_email=sender_email,
        subject=subject,
        attachments=attachments,
        reply_to_reference=reply_to_reference,
        metadata={
            "from": sender_email,
            "from_name": sender_name,
            "to": _addresses(msg, "To"),
            "cc": _addresses(msg, "Cc"),
            "reply_to": _addresses(msg, "Reply-To"),
            "date_header": header_text(msg.get("Date")),
            "message_id_missing": external_id.startswith("sha256:"),
            "html_only": found.html_only,
            "quoted_text_removed": quoted_removed,
            "mime_defects": sorted({type(d).__name__ for part in msg.walk()
                                    for d in getattr(part, "defects", [])}),
        },
    )


# --- text ------------------------------------------------------------------------------------

def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from `data` labelled `charset`, surviving wrong and missing labels."""
    label = (charset or "").strip().strip('"').lower()
    if label in GB_FAMILY:
        label = "gb18030"
    attempts = ([] if label in VAGUE_CHARSETS else [label]) + ["utf-8", "gb18030"]
    for encoding in attempts:
        try:
            return data.decode(encoding)
        except (LookupError, ValueError):  # unknown label, undecodable bytes, NUL in the label
            continue
    for encoding in (label, "utf-8"):
        try:
            return data.decode(encoding or "utf-8", errors="replace")
        except (LookupError, ValueError):
            continue
    return data.decode("utf-8", errors="replace")  # pragma: no cover - utf-8 always exists


def header_text(value) -> str:
    """A header as a person reads it: encoded words and raw 8-bit bytes decoded, unfolded."""
    if value is None:
        return ""
    if not isinstance(value, Header):
        # Some clients forget the closing "?=" of the last encoded word.
        value = UNTERMINATED_WORD_RE.sub(r"\g<0>?=", str(value).rstrip())
    try:
        chunks = decode_header(value)
    except MALFORMED:  # a broken encoded word must not lose the mail
        chunks = [(str(value), None)]
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(_undo_surrogates(chunk))
        else:
            parts.append(decode_bytes(chunk, charset))
    return " ".join("".join(parts).split())


def _undo_surrogates(text: str) -> str:
    """compat32 keeps raw 8-bit header bytes as surrogate escapes; decode them properly."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    return decode_bytes(text.encode("utf-8", errors="surrogateescape"), None)


def clean_text(text: str) -> str:
    """Newlines unified, control characters and trailing spaces removed, blank runs shortened."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = CONTROL_CHARS_RE.sub("", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return BLANK_LINES_RE.sub("\n\n", text).strip()


def unflow(text: str, *, delsp: bool = False) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next one."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.removeprefix(" ")  # space-stuffed
        if lines and lines[-1].endswith(" ") and lines[-1] != "-- ":
            previous = lines.pop()
            lines.append((previous[:-1] if delsp else previous) + line)
        else:
            lines.append(line)
    return "\n".join(lines)


def html_to_text(html: str) -> str:
    """Safe plain text: no tags, no script/style/head content, entities decoded, blocks kept
    on their own lines."""
    html = CONTROL_CHARS_RE.sub("", html)  # libxml2 refuses them
    try:
        tree = html_text.parse_html(html)
        for element in tree.xpath("//head | //title"):
            if element.getparent() is not None:  # a <title> goes with its <head>
                element.drop_tree()
        return html_text.extract_text(tree, guess_layout=True)
    except (ValueError, lxml.etree.LxmlError):
        return _strip_tags(html)


def _strip_tags(html: str) -> str:
    """The last resort for HTML that libxml2 cannot take: invisible blocks and tags removed."""
    html = INVISIBLE_BLOCKS_RE.sub(" ", html)
    html = re.sub(r"<(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", "\n", html, flags=re.IGNORECASE)
    return unescape(re.sub(r"<[^>]*>", " ", html))


def strip_quoted_reply(text: str) -> str:
    """The customer's own words in a reply: the quoted original and trailing '>' lines cut."""
    cut = len(text)
    for pattern in QUOTE_START_RES:
        match = pattern.search(text)
        if match:
            cut = min(cut, match.start())
    lines = text[:cut].rstrip().split("\n")
    while lines and lines[-1].lstrip().startswith(">"):
        lines.pop()
    own = clean_text("\n".join(lines))
    return own or text


# --- structure -------------------------------------------------------------------------------

class _Found:
    def __init__(self):
        self.texts: list[str] = []
        self.attachments: list[IntakeAttachment] = []
        self.saw_plain = False
        self.saw_html = False

    @property
    def html_only(self) -> bool:
        return self.saw_html and not self.saw_plain

    def merge(self, other: _Found, *, with_text: bool):
        if with_text:
            self.texts.extend(other.texts)
            self.saw_plain |= other.saw_plain
            self.saw_html |= other.saw_html
        self.attachments.extend(other.attachments)

    def unique_attachments(self):
        seen = set()
        for attachment in self.attachments:
            key = (attachment.name, hashlib.sha256(attachment.content).digest())
            if key not in seen:
                seen.add(key)
                yield attachment


def _collect(part: Message, found: _Found, depth: int = 0) -> None:
    if depth > 30:  # pathological nesting: what was found so far is kept
        return
    content_type = part.get_content_type()
    if content_type == "message/rfc822":  # a forwarded mail stays whole, as an .eml
        attachment = _attachment(part, _filename(part), len(found.attachments) + 1)
        if attachment is not None:
            found.attachments.append(attachment)
        return
    if part.is_multipart():
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if content_type == "multipart/alternative":
            _collect_alternative(children, found, depth)
        else:
            for child in children:
                _collect(child, found, depth + 1)
        return
    if content_type in SIGNATURE_TYPES or content_type in REPORT_PART_TYPES:
        return
    filename = _filename(part)
    is_body = (content_type in ("text/plain", "text/html") and not filename
               and part.get_content_disposition() != "attachment")
    if is_body:
        text = decode_bytes(part.get_payload(decode=True) or b"", part.get_content_charset())
        if content_type == "text/html":
            found.saw_html = True
            text = html_to_text(text)
        else:
            found.saw_plain = True
            if (part.get_param("format") or "").lower() == "flowed":
                text = unflow(text, delsp=(part.get_param("delsp") or "").lower() == "yes")
        found.texts.append(clean_text(text))
        return
    attachment = _attachment(part, filename, len(found.attachments) + 1)
    if attachment is not None:
        found.attachments.append(attachment)


def _collect_alternative(children: list[Message], found: _Found, depth: int) -> None:
    """Plain text wins over HTML; attachments (inline images) are kept from every branch."""
    branches = []
    for child in children:
        branch = _Found()
        _collect(child, branch, depth + 1)
        branches.append(branch)
    with_text = [b for b in branches if any(t.strip() for t in b.texts)]
    chosen = next((b for b in with_text if b.saw_plain), with_text[0] if with_text else None)
    for branch in branches:
        found.merge(branch, with_text=branch is chosen)


def _filename(part: Message) -> str:
    try:
        raw = part.get_param("filename", header="content-disposition")
        if raw is None:
            raw = part.get_param("name")
    except MALFORMED:  # e.g. RFC 2231 continuations numbered nonsensically
        return ""
    if raw is None:
        return ""
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, %-decoded latin-1 text)
        charset, _language, value = raw
        try:
            name = decode_bytes(value.encode("latin-1", errors="surrogateescape"), charset)
        except UnicodeEncodeError:
            name = value
    else:
        # Outlook and Foxmail put RFC 2047 encoded words inside the quoted parameter.
        name = header_text(raw)
    return _safe_filename(name)


def _safe_filename(name: str) -> str:
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = CONTROL_CHARS_RE.sub("", name).replace("\n", "").replace("\r", "").strip(" .")
    if len(name) > 150:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:140] + dot + extension[:9]) if dot and len(extension) <= 9 else name[:150]
    return name


def _attachment(part: Message, filename: str, number: int) -> IntakeAttachment | None:
    declared = part.get_content_type()
    if declared == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if not isinstance(inner, Message):
            return None
        try:
            content = inner.as_bytes()
        except MALFORMED:  # a forwarded mail that cannot be re-serialised
            return None
        name = filename or _safe_filename(header_text(inner.get("Subject")))[:100] or "message"
        return IntakeAttachment(name if name.endswith(".eml") else f"{name}.eml", content,
                                "message/rfc822", declared)
    content = part.get_payload(decode=True) or b""
    if not content:
        return None
    sniffed = sniff_content_type(content[:8192])
    if not filename:
        extension = mimetypes.guess_extension(sniffed or declared) or ".bin"
        filename = f"attachment-{number}{extension}"
    return IntakeAttachment(filename, content, sniffed, declared)


# --- headers ---------------------------------------------------------------------------------

def _sender(msg: Message) -> tuple[str, str]:
    for header in ("From", "Sender", "Reply-To"):
        value = msg.get(header)
        if value is None:
            continue
        raw = str(value) if not isinstance(value, Header) else header_text(value)
        name, address = parseaddr(_undo_surrogates(raw))
        address = _clean_address(address)
        if address:
            name = header_text(name).strip().strip('"').strip()
            return ("" if name.lower() == address else name), address
    return "", ""


def _clean_address(address: str) -> str:
    address = (address or "").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or " " in address or "." not in domain:
        return ""
    return f"{local}@{domain.lower()}"


def _addresses(msg: Message, header: str) -> list[str]:
    values = [header_text(v) for v in msg.get_all(header, [])]
    return [a for _name, a in getaddresses(values) if _clean_address(a)]


def _skip_reason(msg: Message, subject: str, sender: str) -> tuple[SkipReason, str] | None:
    # Bounces first: MTAs mark them Auto-Submitted too, but "bounce" is the truer reason.
    content_type = msg.get_content_type()
    if content_type == "multipart/report" or content_type in REPORT_PART_TYPES:
        report_type = msg.get_param("report-type") or ""
        return SkipReason.BOUNCE, f"{content_type}; report-type={report_type}".rstrip("=; ")
    if sender.rpartition("@")[0].lower() in DAEMON_LOCAL_PARTS:
        return SkipReason.BOUNCE, f"From: {sender}"
    if msg.get("X-Failed-Recipients") is not None:
        return SkipReason.BOUNCE, "X-Failed-Recipients"
    auto_submitted = header_text(msg.get("Auto-Submitted")).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return SkipReason.AUTO_REPLY, f"Auto-Submitted: {auto_submitted}"
    for header in AUTO_REPLY_HEADERS:
        if msg.get(header) is not None:
            return SkipReason.AUTO_REPLY, f"{header}: {header_text(msg.get(header))}"
    precedence = header_text(msg.get("Precedence")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return SkipReason.BULK, f"Precedence: {precedence}"
    if AUTO_REPLY_SUBJECT_RE.search(subject):
        return SkipReason.AUTO_REPLY, f"Subject: {subject}"
    if BOUNCE_SUBJECT_RE.search(subject):
        return SkipReason.BOUNCE, f"Subject: {subject}"
    return None


def _reference_in_thread_headers(msg: Message) -> str | None:
    for header in ("In-Reply-To", "References"):
        reference = find_reference(header_text(msg.get(header)))
        if reference:
            return reference
    return None


def _received_at(msg: Message, now: datetime) -> datetime:
    try:
        moment = parsedate_to_datetime(header_text(msg.get("Date")))
    except (TypeError, ValueError, IndexError, OverflowError):
        return now
    if moment.tzinfo is None:  # "-0000": the sender did not know its zone; RFC 5322 says UTC
        moment = moment.replace(tzinfo=UTC)
    return clamp_to_now(moment, now)


def _external_id(msg: Message, raw: bytes) -> str:
    message_id = "".join(header_text(msg.get("Message-ID")).split()).strip("<>")
    if message_id:
        if len(message_id) <= MAX_ID_LENGTH:
            return message_id
        return "mid-sha256:" + hashlib.sha256(message_id.encode()).hexdigest()
    return "sha256:" + _content_fingerprint(msg, raw)


def _content_fingerprint(msg: Message, raw: bytes) -> str:
    """Stable across redelivery: trace headers (Received, Delivered-To…) and line endings left
    out, so the same message fetched twice, by pipe or by IMAP, gives the same id."""
    digest = hashlib.sha256()
    for header in ("From", "To", "Cc", "Date", "Subject"):
        digest.update(header.encode() + b":" + header_text(msg.get(header)).encode() + b"\n")
    boundary = re.search(rb"\r?\n\r?\n", raw)
    body = raw[boundary.end():] if boundary else b""
    lines = body.replace(b"\r\n", b"\n").split(b"\n")
    digest.update(b"\n".join(line.rstrip() for line in lines).strip())
    return digest.hexdigest()
