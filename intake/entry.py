"""The agents' entry form: hotline calls, walk-in stores and letters, recorded through the one
intake service (intake.pipeline.intake_receive), and the caller lookup that shows a repeat
caller's previous complaints before the new one is saved.

The call id (from the telephony system) or, without one, a token issued when the form was
rendered is the message's external id: submitting the same form twice records one complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import selectors as complaint_selectors
from complaints.lifecycle import OPEN_STATUSES
from complaints.models import Category, Channel, Complaint, Customer
from kernel.errors import InvalidInput, NotAllowed
from kernel.personal_data import InvalidPhone, normalize_phone

from .channels import IntakeResult
from .pipeline import intake_receive
from .parsers.message import FUTURE_TOLERANCE, IntakeMessage

ENTRY_CHANNELS = (Channel.PHONE, Channel.STORE, Channel.LETTER)
ENTRY_PERMISSION = "complaints.add_complaint"
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class EntryInput:
    """What the agent typed; phone and times as entered, the service normalises them."""

    channel: str
    phone: str
    description: str
    received_at: datetime
    form_token: str
    name: str = ""
    email: str = ""
    service_number: str = ""
    subject: str = ""
    category: Category | None = None
    location: str = ""
    store: str = ""
    call_id: str = ""


def entry_external_id(entry: EntryInput) -> str:
    """The call id when the telephony system gave one, else the form's one-time token."""
    call_id = entry.call_id.strip()
    if call_id:
        return call_id[:255]
    if not entry.form_token:
        raise InvalidInput(_("The form has expired; open it again."), field="form_token")
    return f"entry-{entry.form_token}"


def complaint_enter(*, actor, entry: EntryInput, now: datetime | None = None) -> IntakeResult:
    """Record what an agent took down as a complaint (or find the one this call already made).

    Refused with InvalidInput (nothing written) for a missing store on a store visit, a start
    time in the future, an unusable phone number.
    """
    if actor is None or not actor.has_perm(ENTRY_PERMISSION):
        raise NotAllowed(_("Your role may not record complaints."))
    now = now or timezone.now()
    if entry.channel not in ENTRY_CHANNELS:
        raise InvalidInput(_("Choose hotline, store or letter."), field="channel")
    if entry.channel == Channel.STORE and not entry.store.strip():
        raise InvalidInput(_("Name the store or outlet the customer came to."), field="store")
    if timezone.is_naive(entry.received_at):
        raise InvalidInput(_("The time received must include a time zone."), field="received_at")
    if entry.received_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(_("The call start time cannot be in the future."),
                           field="received_at")
    phone = None
    if entry.phone.strip():
        try:
            phone = normalize_phone(entry.phone)
        except InvalidPhone as problem:
            raise InvalidInput(str(problem), field="phone") from problem
    elif entry.channel != Channel.LETTER:
        raise InvalidInput(_("Enter the customer's phone number."), field="phone")
    elif not entry.name.strip():
        raise InvalidInput(_("A letter without a phone number needs the sender's name."),
                           field="name")
    if not entry.description.strip():
        raise InvalidInput(_("Describe the complaint."), field="description")
    message = IntakeMessage(
        channel=entry.channel, external_id=entry_external_id(entry),
        received_at=entry.received_at, description=entry.description.strip(),
        customer_name=entry.name.strip()[:100], customer_phone=phone,
        customer_email=entry.email.strip(), service_number=entry.service_number.strip()[:40],
        subject=entry.subject.strip()[:200], location=entry.location.strip()[:200],
        category_code=entry.category.code if entry.category else "",
        store=entry.store.strip()[:200],
        metadata={"call_id": entry.call_id.strip(), "entered_by": actor.username})
    return intake_receive(message=message, actor=actor)


# --- the caller lookup ----------------------------------------------------------------------


@dataclass(frozen=True)
class CallerHistory:
    phone: str  # normalised; "" when the number typed so far is not a usable one
    customers: list[Customer]
    complaints: list[Complaint]
    since: datetime
    days: int
    more: bool = False  # more complaints than shown

    @property
    def open_count(self) -> int:
        return sum(1 for c in self.complaints if c.status in OPEN_STATUSES)


def caller_history(*, user, phone: str, now: datetime | None = None) -> CallerHistory:
    """The caller's customers (by phone number) and their complaints of the last days that the
    user may see: open ones first, then newest first. Three queries whatever the history."""
    now = now or timezone.now()
    days = settings.INTAKE_CALLER_HISTORY_DAYS
    since = now - timedelta(days=days)
    try:
        normalised = normalize_phone(phone)
    except InvalidPhone:
        return CallerHistory("", [], [], since, days)
    customers = list(Customer.objects.filter(phone=normalised).order_by("id"))
    if not customers:
        return CallerHistory(normalised, [], [], since, days)
    complaints = list(_history(user, customers, since)[:HISTORY_LIMIT + 1])
    return CallerHistory(normalised, customers, complaints[:HISTORY_LIMIT], since, days,
                         more=len(complaints) > HISTORY_LIMIT)


def _history(user, customers, since) -> QuerySet[Complaint]:
    open_values = [s.value for s in OPEN_STATUSES]
    return (complaint_selectors.complaint_list(user=user)
            .filter(customer__in=customers, received_at__gte=since)
            .select_related("possible_duplicate_of")
            .annotate(is_closed=Case(When(status__in=open_values, then=Value(0)),
                                     default=Value(1), output_field=IntegerField()))
            .order_by("is_closed", "-received_at", "-id"))
