"""Customer-facing intake, without login: web submissions, tracking access, one-time codes and
the throttles around them. Plain functions; the public views and API stay thin.

Everything a customer writes is recorded by the one intake service, `intake_receive`, as an
IntakeMessage on channel "web": a new complaint from /submit/ (and the public API), an answer
(`reply_to_reference`) from /track/.

Access to /track/ is granted to the browser session, per complaint, after a correct reference
and phone number (or one-time code sent by SMS); the grant expires. A wrong combination and an
unknown reference get the same answer, and repeated failures are throttled per IP address and
per reference. Counters and codes live in the Django cache (Redis in production); phone numbers
and references appear there only as keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from complaints.lifecycle import Status
from complaints.models import Activity, ActivityKind, Attachment, Complaint, Visibility
from kernel.attachments import image_pixel_refusal, sniff_content_type
from kernel.errors import DomainError, InvalidInput
from kernel.idempotency import IdempotencyConflict, request_digest
from kernel.personal_data import InvalidPhone, is_mobile, normalize_phone
from notifications.models import OutboundChannel
from notifications.outbound import customer_message_queue

from .pipeline import intake_receive
from .models import InboundMessage
from .parsers.message import REFERENCE_RE, IntakeAttachment, IntakeMessage

logger = logging.getLogger(__name__)

SESSION_KEY = "public_tracking"  # {complaint id: grant expiry (unix seconds)}
MAX_GRANTS = 20
CODE_PURPOSE = "tracking_code"
SNIFF_BYTES = 8192
MAX_MERGE_HOPS = 10

# What a file's name claims, by extension; the content decides, but must not contradict it.
_EXTENSION_KINDS = {
    "jpg": "image", "jpeg": "image", "png": "image", "gif": "image", "webp": "image",
    "bmp": "image", "heic": "image", "pdf": "pdf", "txt": "text", "log": "text",
}


def _now() -> datetime:
    return timezone.now()  # one place for tests to move the clock


# --- rates and throttles ---------------------------------------------------------------------

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
          "hour": 3600, "d": 86400, "day": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(text: str) -> Rate:
    """"10/hour", "5/day", "5/15min" → Rate(count, window in seconds)."""
    match = _RATE_RE.match((text or "").lower())
    if not match or match.group(3) not in _UNITS:
        raise ValueError(f"not a rate: {text!r} (expected e.g. 10/hour, 5/15min)")
    return Rate(int(match.group(1)), int(match.group(2) or 1) * _UNITS[match.group(3)])


class RateLimited(DomainError):
    """Too many requests; `retry_after` seconds until the window ends."""

    status_code = 429
    code = "rate_limited"

    def __init__(self, message, *, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))


def _key(scope: str, ident: str, window: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{ident}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    return f"public:{scope}:{digest}:{window}"


def _window(rate: Rate, now: datetime) -> tuple[int, int]:
    """(window number, seconds until it ends): fixed windows, cheap and predictable."""
    stamp = now.timestamp()
    number = int(stamp // rate.seconds)
    return number, math.ceil((number + 1) * rate.seconds - stamp)


def _count(scope: str, ident: str, rate: Rate, now: datetime) -> tuple[int, int]:
    number, remaining = _window(rate, now)
    return cache.get(_key(scope, ident, number), 0), remaining


def _hit(scope: str, ident: str, rate: Rate, now: datetime) -> tuple[int, int]:
    number, remaining = _window(rate, now)
    key = _key(scope, ident, number)
    cache.add(key, 0, timeout=rate.seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.seconds + 60)
        count = 1
    return count, remaining


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    if seconds < 2 * 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


# --- attachments -----------------------------------------------------------------------------

def _kind(content_type: str | None) -> str | None:
    if not content_type:
        return None
    if content_type.startswith("image/"):
        return "image"
    return {"application/pdf": "pdf", "text/plain": "text"}.get(content_type)


def attachment_from_upload(upload) -> IntakeAttachment:
    """An uploaded file as an IntakeAttachment, or InvalidInput saying what is wrong with it.

    The type comes from the bytes (kernel.attachments.sniff_content_type, as every channel
    does); a name that claims another kind ("photo.jpg" holding text) is refused too.
    """
    name = (upload.name or "attachment")[-255:]
    if upload.size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": name}, field="attachments")
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInput(_("“%(name)s” is %(size)s; files may be at most %(limit)s.") % {
            "name": name, "size": filesizeformat(upload.size),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}, field="attachments")
    upload.seek(0)
    content = upload.read()
    sniffed = sniff_content_type(content[:SNIFF_BYTES])
    if sniffed not in settings.ATTACHMENT_ALLOWED_TYPES:
        raise InvalidInput(_("“%(name)s” is not an image, PDF or text file (whatever its name "
                             "says), so it was not accepted.") % {"name": name},
                           field="attachments")
    if too_big := image_pixel_refusal(name, sniffed, upload):
        raise InvalidInput(too_big, field="attachments")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    claimed = _EXTENSION_KINDS.get(extension)
    if claimed is not None and claimed != _kind(sniffed):
        raise InvalidInput(_("The content of “%(name)s” does not match its file type."
                             ) % {"name": name}, field="attachments")
    return IntakeAttachment(name, content, sniffed, getattr(upload, "content_type", "") or "")


# --- submitting a complaint ------------------------------------------------------------------

@dataclass(frozen=True)
class WebComplaint:
    """A validated submission from the public form or API."""

    name: str
    phone: str  # normalised
    service_number: str
    description: str
    location: str
    email: str = ""
    category_code: str = ""
    attachments: tuple[IntakeAttachment, ...] = field(default=())
    submission_id: str = ""  # the form's one-off id: a second delivery records nothing new


def submission_rate_check(*, ip: str, phone: str, now: datetime | None = None) -> None:
    """Count one submission against the limits per IP address and per (phone number, IP
    address); RateLimited when over either.

    Not per phone number alone: anyone may type anyone's number, and such a limit would let a
    stranger use up a customer's submissions for the day. The SMS a flood would send the number
    are capped per customer instead (CUSTOMER_AUTOMATIC_SMS_PER_DAY, notifications/outbound.py).
    """
    now = now or _now()
    for scope, ident, setting, message in (
            ("submit-ip", ip, settings.INTAKE_PUBLIC_RATE_IP,
             _("Too many complaints have been sent from your network. Please try again in "
               "%(wait)s, or call our service hotline.")),
            ("submit-phone-ip", f"{phone}|{ip}", settings.INTAKE_PUBLIC_RATE_PHONE,
             _("Too many complaints have been sent with this phone number. Please try again "
               "in %(wait)s, or add information to a complaint you already sent via "
               "“Track a complaint”."))):
        rate = parse_rate(setting)
        count, remaining = _hit(scope, ident, rate, now)
        if count > rate.count:
            logger.info("public intake: %s limit reached (%s)", scope, rate)
            raise RateLimited(message % {"wait": _wait_words(remaining)},
                              retry_after=remaining)


def public_complaint_submit(*, submission: WebComplaint, ip: str,
                            now: datetime | None = None) -> Complaint:
    """Record a complaint from the public form or API (rate-limited). Nothing is written when
    a limit is reached or anything fails."""
    now = now or _now()
    external_id = f"web:{submission.submission_id or uuid.uuid4().hex}"
    first = (InboundMessage.objects.filter(channel="web", external_id=external_id)
             .select_related("complaint").first())
    if first is not None and first.complaint is not None:
        return first.complaint  # the same form sent again: the complaint it made
    submission_rate_check(ip=ip, phone=submission.phone, now=now)
    message = IntakeMessage(
        channel="web", external_id=external_id, received_at=now,
        description=submission.description, customer_name=submission.name,
        customer_phone=submission.phone, customer_email=submission.email,
        service_number=submission.service_number, location=submission.location,
        category_code=submission.category_code, attachments=submission.attachments,
        metadata={"ip": ip, "language": translation.get_language() or ""})
    return intake_receive(message=message).complaint


def honeypot_tripped(*, ip: str, value: str) -> None:
    logger.warning("public intake: honeypot field filled from %s (%d characters); refused",
                   ip, len(value or ""))


def tracking_url(reference: str, *, request=None) -> str:
    """Absolute link to the tracking page with the reference filled in."""
    from django.urls import reverse

    path = f"{reverse('public:track')}?ref={reference}"
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    if base:
        return base + path
    return request.build_absolute_uri(path) if request is not None else path


# --- finding a complaint by reference --------------------------------------------------------

def normalize_reference(raw: str) -> str:
    return (raw or "").strip().upper().replace(" ", "")


def is_reference(text: str) -> bool:
    return bool(REFERENCE_RE.fullmatch(normalize_reference(text)))


def _by_reference(reference: str) -> Complaint | None:
    reference = normalize_reference(reference)
    if not is_reference(reference):
        return None
    return Complaint.objects.select_related("customer").filter(reference=reference).first()


def survivor(complaint: Complaint) -> Complaint:
    """The complaint a merged one lives on in (itself if not merged)."""
    hops = 0
    while complaint.merged_into_id and hops < MAX_MERGE_HOPS:
        complaint = Complaint.objects.select_related("customer").get(pk=complaint.merged_into_id)
        hops += 1
    return complaint


# --- tracking access -------------------------------------------------------------------------

class TrackingDenied(DomainError):
    """Wrong reference, phone or code: one answer for all, so none can be told apart."""

    code = "tracking_denied"


def _denied() -> TrackingDenied:
    return TrackingDenied(_("We could not find a complaint with this reference and phone "
                            "number (or code). Check both and try again."))


def _failure_check(*, ip: str, reference: str | None, now: datetime) -> None:
    """Refuse an attempt from an address that failed too often, and phone-number guesses at a
    reference that was failed too often from anywhere.

    The reference lock (`reference` given: the phone path only) stops guessing one
    complaint's phone number from many addresses. It does not shut the customer out: a stranger
    who fails on purpose cannot read the one-time code texted to the customer's phone, so the
    code path checks the address only (each code also dies after a few wrong tries)."""
    rate = parse_rate(settings.INTAKE_TRACK_FAILURES)
    count, remaining = _count("track-fail-ip", ip, rate, now)
    if count >= rate.count:
        raise RateLimited(_("Too many unsuccessful attempts. For your security, please "
                            "try again in %(wait)s.") % {"wait": _wait_words(remaining)},
                          retry_after=remaining)
    if reference is None:
        return
    count, remaining = _count("track-fail-ref", reference, rate, now)
    if count >= rate.count:
        raise RateLimited(_("Too many unsuccessful attempts. For your security, please "
                            "try again in %(wait)s, or ask for a one-time code: we text it to "
                            "the phone number of the complaint.") % {
                              "wait": _wait_words(remaining)}, retry_after=remaining)


def _failure_record(*, ip: str, reference: str, now: datetime) -> None:
    rate = parse_rate(settings.INTAKE_TRACK_FAILURES)
    _hit("track-fail-ip", ip, rate, now)
    _hit("track-fail-ref", reference, rate, now)
    logger.info("public tracking: failed attempt from %s", ip)


def tracking_open_with_phone(*, session, reference: str, phone: str, ip: str,
                             now: datetime | None = None) -> Complaint:
    """Grant `session` access to the complaint if the phone number is its customer's."""
    now = now or _now()
    reference = normalize_reference(reference)
    _failure_check(ip=ip, reference=reference, now=now)
    complaint = _by_reference(reference)
    try:
        given = normalize_phone(phone)
    except InvalidPhone:
        given = ""
    customer_phone = complaint.customer.phone if complaint is not None else ""
    # Compared in constant time whether or not the reference exists.
    if not hmac.compare_digest(given.encode(), (customer_phone or "-").encode()):
        _failure_record(ip=ip, reference=reference, now=now)
        raise _denied()
    return tracking_grant(session, complaint, now=now)


def tracking_grant(session, complaint: Complaint, *, now: datetime | None = None) -> Complaint:
    """Let this browser session see `complaint` (the survivor, if merged) for a while."""
    now = now or _now()
    target = survivor(complaint)
    grants = _live_grants(session, now)
    expires = int(now.timestamp()) + settings.INTAKE_TRACK_ACCESS_MINUTES * 60
    grants[str(target.pk)] = expires
    if len(grants) > MAX_GRANTS:
        grants = dict(sorted(grants.items(), key=lambda item: item[1])[-MAX_GRANTS:])
    if hasattr(session, "cycle_key"):
        # A fresh session id with every grant, the first and each later one: an id someone
        # planted or saw before (session fixation) never gains access to another complaint.
        session.cycle_key()
    session[SESSION_KEY] = grants
    return target


def _live_grants(session, now: datetime) -> dict[str, int]:
    stamp = now.timestamp()
    return {key: expires for key, expires in (session.get(SESSION_KEY) or {}).items()
            if isinstance(expires, int) and expires > stamp}


def tracking_forget(session) -> None:
    session.pop(SESSION_KEY, None)


def tracked_complaint(request, reference: str) -> Complaint | None:
    """The complaint (the survivor, if merged) this browser was granted access to, or None.

    The session grant check for every customer-facing page about one complaint.
    """
    complaint = _by_reference(reference)
    if complaint is None:
        return None
    target = survivor(complaint)
    if str(target.pk) not in _live_grants(request.session, _now()):
        return None
    return (Complaint.objects.select_related("customer", "category", "category__parent")
            .get(pk=target.pk))


# --- one-time codes ------------------------------------------------------------------------

def _code_key(reference: str) -> str:
    return _key("code", reference, 0)


def _code_digest(reference: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"tracking-code:{reference}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def tracking_code_send(*, reference: str, ip: str, now: datetime | None = None) -> None:
    """Text a 6-digit code to the complaint's mobile number. Says nothing about whether the
    reference exists: the caller shows the same answer either way. Rate-limited."""
    now = now or _now()
    reference = normalize_reference(reference)
    for scope, ident, setting in (("code-ref", reference, settings.INTAKE_TRACK_CODE_RATE),
                                  ("code-ip", ip, settings.INTAKE_TRACK_CODE_RATE_IP)):
        rate = parse_rate(setting)
        count, remaining = _hit(scope, ident, rate, now)
        if count > rate.count:
            raise RateLimited(_("Too many codes have been requested. Please try again in "
                                "%(wait)s.") % {"wait": _wait_words(remaining)},
                              retry_after=remaining)
    complaint = _by_reference(reference)
    if complaint is None or not is_mobile(complaint.customer.phone or ""):
        logger.info("public tracking: code requested for %s, nothing sent", reference)
        return
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = settings.INTAKE_TRACK_CODE_MINUTES * 60
    cache.set(_code_key(reference), {"digest": _code_digest(reference, code), "attempts": 0,
                                     "expires": now.timestamp() + ttl}, timeout=ttl)
    with translation.override(settings.LANGUAGE_CODE):  # customers are written to in Chinese
        body = _("Your code to view complaint %(reference)s is %(code)s. It is valid for "
                 "%(minutes)d minutes. Never tell it to anyone, including our staff.") % {
            "reference": reference, "code": code,
            "minutes": settings.INTAKE_TRACK_CODE_MINUTES}
        subject = _("Your code for complaint %(reference)s") % {"reference": reference}
    # Urgent: the customer is waiting for it now, quiet hours or not.
    customer_message_queue(complaint=complaint, body=body, purpose=CODE_PURPOSE,
                           channel=OutboundChannel.SMS, subject=subject, urgent=True,
                           automatic=True, dedupe_key=f"{CODE_PURPOSE}:{reference}:{uuid.uuid4().hex[:16]}",
                           now=now, secrets=[code])


def tracking_open_with_code(*, session, reference: str, code: str, ip: str,
                            now: datetime | None = None) -> Complaint:
    """Grant `session` access with the code sent by SMS; each code works once, expires, and
    dies after INTAKE_TRACK_CODE_ATTEMPTS wrong tries."""
    now = now or _now()
    reference = normalize_reference(reference)
    _failure_check(ip=ip, reference=None, now=now)
    key = _code_key(reference)
    stored = cache.get(key)
    code = (code or "").strip()
    valid = (stored is not None and stored["expires"] > now.timestamp()
             and stored["attempts"] < settings.INTAKE_TRACK_CODE_ATTEMPTS
             and hmac.compare_digest(stored["digest"], _code_digest(reference, code)))
    complaint = _by_reference(reference) if valid else None
    if complaint is None:
        if stored is not None:
            stored["attempts"] += 1
            remaining = math.ceil(stored["expires"] - now.timestamp())
            if remaining > 0 and stored["attempts"] < settings.INTAKE_TRACK_CODE_ATTEMPTS:
                cache.set(key, stored, timeout=remaining)
            else:
                cache.delete(key)
        _failure_record(ip=ip, reference=reference, now=now)
        raise _denied()
    cache.delete(key)
    return tracking_grant(session, complaint, now=now)


# --- what the customer sees ------------------------------------------------------------------

def public_timeline(complaint: Complaint) -> list[Activity]:
    """The complaint's public entries, oldest first, with their attachments; never internal
    notes, and not the texts carrying one-time codes. Each gets `public_title` and
    `public_text` in the current language; who wrote it is for the template to say as a role
    (the actor, a member of staff, is never loaded)."""
    entries = list(
        Activity.objects.filter(complaint=complaint, visibility=Visibility.PUBLIC)
        .exclude(kind=ActivityKind.NOTIFICATION, data__purpose=CODE_PURPOSE)
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id"))
    for entry in entries:
        entry.public_title, entry.public_text = _entry_words(entry)
    return entries


def _entry_words(entry: Activity) -> tuple[str, str]:
    data = entry.data or {}
    if entry.kind == ActivityKind.CREATED:
        return _("Complaint received"), ""
    if entry.kind == ActivityKind.STATUS_CHANGE:
        try:
            label = Status(data.get("to", "")).label
        except ValueError:
            return str(ActivityKind.STATUS_CHANGE.label), ""
        text = data.get("resolution_summary", "") if data.get("to") == Status.RESOLVED else ""
        return _("Status: %(status)s") % {"status": label}, text
    if entry.kind == ActivityKind.CUSTOMER_ACTION:
        if "attachments" in data:  # complaint_attach_files' entry: its text only counts files
            return _("You sent files"), ""
        return _("You added information"), entry.message
    if entry.kind == ActivityKind.PUBLIC_REPLY:
        return _("Reply from customer service"), entry.message
    if entry.kind == ActivityKind.NOTIFICATION:
        return _("Message sent to you"), entry.message
    return str(ActivityKind(entry.kind).label) if entry.kind in ActivityKind.values \
        else entry.kind, entry.message


def public_attachment(complaint: Complaint, attachment_id: int) -> Attachment | None:
    """An attachment of `complaint` shown on its public timeline, or None."""
    return (Attachment.objects.filter(pk=attachment_id, complaint=complaint,
                                      activity__visibility=Visibility.PUBLIC).first())


def tracking_add_information(*, complaint: Complaint, text: str,
                             attachments: tuple[IntakeAttachment, ...] = (), ip: str,
                             submission_id: str = "",
                             now: datetime | None = None) -> Complaint:
    """The customer's further words (and files) on the complaint's public timeline, through
    the intake service as an answer from the complaint's own customer. Rate-limited.

    `submission_id` (the form's one-off id): the same form sent again adds nothing and answers
    as the first did; with other words it is refused (IdempotencyConflict), nothing added."""
    now = now or _now()
    text = (text or "").strip()
    if not text and not attachments:
        raise InvalidInput(_("Write something or attach a file."), field="text")
    external_id = f"web-track:{submission_id or uuid.uuid4().hex}"
    digest = request_digest(complaint.reference, text,
                            [(a.name, hashlib.sha256(a.content).hexdigest()) for a in attachments])
    first = (InboundMessage.objects.filter(channel="web", external_id=external_id)
             .select_related("complaint").first())
    if first is not None and first.complaint is not None:
        if first.payload_digest != digest:
            raise IdempotencyConflict(_("This form was already sent with other content; "
                                        "nothing was added. Reload the page to add more."))
        return first.complaint  # the same form sent again: added once
    rate = parse_rate(settings.INTAKE_TRACK_ADD_RATE)
    count, remaining = _hit("add", str(complaint.pk), rate, now)
    if count > rate.count:
        raise RateLimited(_("You have added information many times in a short while. Please "
                            "try again in %(wait)s.") % {"wait": _wait_words(remaining)},
                          retry_after=remaining)
    customer = complaint.customer
    message = IntakeMessage(
        channel="web", external_id=external_id, received_at=now,
        description=text or _("Attached %(n)d file(s).") % {"n": len(attachments)},
        customer_phone=customer.phone or None, customer_email=customer.email,
        reply_to_reference=complaint.reference, attachments=attachments,
        metadata={"ip": ip})
    # A concurrent second send waits on the first's record and gets its complaint
    # (intake/channels.py); with other content, IdempotencyConflict.
    return intake_receive(message=message, payload_digest=digest).complaint

