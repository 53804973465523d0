"""New complaints: their references, the complaint rows and their first timeline entries, one
at a time (`complaint_create`) or many in one statement per table (`complaints_create_many`,
batch intake). Both build their rows with the same two functions, so a complaint recorded one
by one and one recorded in a batch are the same rows. complaints/services.py re-exports these
functions: callers write through `complaints.services` as for every other change."""

from collections.abc import Callable
from dataclasses import dataclass, field
from collections import Counter
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from django.db.models import QuerySet

from kernel import personal_data
from kernel.db import bulk_update_rows, copy_objects, insert_objects
from kernel.errors import InvalidInput

from .events import EventKind, publish_change
from .models import (
    Activity,
    ActivityKind,
    ActorType,
    Category,
    Channel,
    Complaint,
    Customer,
    CustomerTier,
    Priority,
    ReferenceCounter,
    Visibility,
)

# --- references -----------------------------------------------------------------------------


def references_reserve(*, count: int, day: date) -> list[str]:
    """`count` consecutive complaint references for `day` (local date): TS + YYYYMMDD + 6-digit
    sequence, in one atomic upsert: concurrent callers each get other numbers, and the counter
    only ever goes up, so a number given to a committed complaint is never handed out again."""
    if count <= 0:
        return []
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last_value) VALUES (%s, %s) "
            f"ON CONFLICT (day) DO UPDATE SET last_value = {table}.last_value + "
            "EXCLUDED.last_value RETURNING last_value",
            [connection.ops.adapt_datefield_value(day), count])
        (last,) = cursor.fetchone()
    prefix = settings.COMPLAINT_REFERENCE_PREFIX
    return [f"{prefix}{day:%Y%m%d}{value:06d}" for value in range(last - count + 1, last + 1)]


def references_reserve_days(*, counts: dict[date, int]) -> dict[date, list[str]]:
    """references_reserve for several days (`counts`: {day: count}) in one upsert, the days
    in order (concurrent callers lock them in the same order)."""
    days = sorted(day for day, count in counts.items() if count > 0)
    if not days:
        return {}
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    params = []
    for day in days:
        params.extend([connection.ops.adapt_datefield_value(day), counts[day]])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last_value) VALUES {', '.join(['(%s, %s)'] * len(days))} "
            f"ON CONFLICT (day) DO UPDATE SET last_value = {table}.last_value + "
            "EXCLUDED.last_value RETURNING day, last_value", params)
        last = {_as_date(day): value for day, value in cursor.fetchall()}
    prefix = settings.COMPLAINT_REFERENCE_PREFIX
    return {day: [f"{prefix}{day:%Y%m%d}{value:06d}"
                  for value in range(last[day] - counts[day] + 1, last[day] + 1)]
            for day in days}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite: text


def reference_next(*, day: date | None = None) -> str:
    """The next complaint reference for `day` (today when not given)."""
    return references_reserve(count=1, day=day or timezone.localdate())[0]


# --- complaints -----------------------------------------------------------------------------


def _actor_type(actor) -> str:
    return ActorType.STAFF if actor is not None else ActorType.SYSTEM


def complaint_create_check(*, channel: str, description: str, received_at: datetime,
                           priority: str, now: datetime) -> None:
    """What complaint_create refuses (InvalidInput), checked without writing anything."""
    if timezone.is_naive(received_at):
        raise InvalidInput(_("The time received must include a time zone."), field="received_at")
    if received_at > now + timezone.timedelta(minutes=5):
        raise InvalidInput(_("The time received cannot be in the future."), field="received_at")
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel “%(value)s”.") % {"value": channel}, field="channel")
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority “%(value)s”.") % {"value": priority},
                           field="priority")
    if not description.strip():
        raise InvalidInput(_("Describe the complaint."), field="description")


def _new_complaint(item: dict, *, reference: str, now: datetime, actor) -> Complaint:
    """The complaint row of complaint_create's keyword arguments `item` (not saved), after
    complaint_create_check."""
    received_at = item.get("received_at") or now
    channel, description = item["channel"], item["description"]
    priority = item.get("priority") or Priority.ORDINARY
    complaint_create_check(channel=channel, description=description, received_at=received_at,
                           priority=priority, now=now)
    customer = item["customer"]
    flags = dict(item.get("flags") or {})
    flags.setdefault("is_vip", customer.tier == CustomerTier.VIP)
    flags.setdefault("is_regulator", channel == Channel.REGULATOR)
    return Complaint(
        reference=reference, channel=channel, received_at=received_at, customer=customer,
        category=item.get("category"), priority=priority,
        product_line=item.get("product_line", ""),
        subject=(item.get("subject") or description).strip().splitlines()[0][:200],
        description=description.strip(), location=item.get("location", ""),
        regulator_case_no=item.get("regulator_case_no", ""),
        regulator_due_at=item.get("regulator_due_at"), created_at=now, updated_at=now,
        updated_by=actor, **flags)


def _created_entry(complaint: Complaint, *, actor, actor_type: str | None, at: datetime,
                   historical: bool = False) -> Activity:
    """The complaint's first timeline entry (not saved)."""
    return Activity(
        complaint=complaint, kind=ActivityKind.CREATED,
        actor_type=actor_type or _actor_type(actor), actor=actor,
        visibility=Visibility.PUBLIC, version=complaint.version, created_at=at,
        message=_("Complaint received via %(channel)s.") % {
            "channel": Channel(complaint.channel).label},
        data={"channel": complaint.channel, "received_at": complaint.received_at.isoformat(),
              **({"historical": True} if historical else {})})


def complaint_create(
    *,
    customer: Customer,
    channel: str,
    subject: str,
    description: str,
    received_at: datetime | None = None,
    actor=None,
    actor_type: str | None = None,
    category: Category | None = None,
    priority: str = Priority.ORDINARY,
    product_line: str = "",
    location: str = "",
    regulator_case_no: str = "",
    regulator_due_at: datetime | None = None,
    flags: dict[str, bool] | None = None,
    historical: bool = False,
) -> Complaint:
    """A new complaint and its first timeline entry.

    `historical`: a complaint from an operator's history (intake's import): its reference and
    its first timeline entry are dated by `received_at`, and the creation event says so, so
    the deadlines are settled by its history (sla) rather than left running."""
    now = timezone.now()
    received_at = received_at or now
    item = {"customer": customer, "channel": channel, "subject": subject,
            "description": description, "received_at": received_at, "category": category,
            "priority": priority, "product_line": product_line, "location": location,
            "regulator_case_no": regulator_case_no, "regulator_due_at": regulator_due_at,
            "flags": flags}
    complaint_create_check(channel=channel, description=description, received_at=received_at,
                           priority=priority, now=now)
    # No savepoint inside a caller's transaction (intake's): its callers let an error here fail
    # their whole transaction and none carries on in it, so a savepoint would only cost two
    # statements per complaint.
    with transaction.atomic(savepoint=False):
        reference = reference_next(day=timezone.localdate(received_at if historical else now))
        complaint = _new_complaint(item, reference=reference, now=now, actor=actor)
        complaint.save(force_insert=True)
        _created_entry(complaint, actor=actor, actor_type=actor_type,
                       at=received_at if historical else now, historical=historical).save()
        publish_change(complaint.id, EventKind.CREATED, actor,
                       {"historical": True} if historical else None)
    return complaint


@dataclass
class CreatedBatch:
    """New complaints of one batch, planned in memory before any of them is written.

    `entries[i]`: the timeline entries of the i-th complaint, in order; `other_entries`:
    entries on other complaints (a possible duplicate's original). The apps' plans
    (complaints/events.py `subscribe_created_stage`) change the complaints and add entries in
    place; what they plan for their own tables they keep in `planned[app_label]` and write
    after the complaints. `after_insert`: callables run once the complaints have their ids,
    before the entries are written."""

    complaints: list[Complaint]
    entries: list[list[Activity]]
    actor: object
    now: datetime
    other_entries: list[Activity] = field(default_factory=list)
    planned: dict = field(default_factory=dict)
    after_insert: list[Callable[[], None]] = field(default_factory=list)
    # False once something may have changed the written rows since they were planned (an
    # importer's hook): the stages still to run read them instead.
    in_memory: bool = True
    historical: bool = False  # an operator's history (complaint_create's `historical`)


def complaints_create_many(*, items: list[dict], actor=None, actor_type: str | None = None,
                           extra_entries: list[list[dict]] | None = None,
                           historical: bool = False) -> list[Complaint]:
    """complaint_create for many complaints at once, inside the caller's transaction: the same
    rows (complaint, its CREATED timeline entry, its CREATED event), written with one upsert for
    the references and one INSERT per table. `items`: complaint_create's keyword arguments
    (customer, channel, subject, description, received_at, category, priority, product_line,
    location, regulator_case_no, regulator_due_at, flags), each already passed
    complaint_create_check (InvalidInput here fails the whole batch). `extra_entries[i]`: more
    timeline entries of the i-th complaint (kind, message, data; internal, by the system),
    written in the same statement after its CREATED entry. `historical`: as complaint_create's,
    for every item (an import's batch)."""
    if not items:
        return []
    batch = complaints_plan_many(items=items, actor=actor, actor_type=actor_type,
                                 extra_entries=extra_entries, historical=historical)
    complaints_write_many(batch=batch)
    return batch.complaints


def complaints_plan_many(*, items: list[dict], actor=None, actor_type: str | None = None,
                         extra_entries: list[list[dict]] | None = None,
                         historical: bool = False) -> CreatedBatch:
    """complaints_create_many's first half: the references reserved (one upsert), the
    complaints and their first entries in memory, for the apps' plans to complete before
    `complaints_write_many` writes them."""
    if not connection.in_atomic_block:
        raise ValueError("complaints_create_many runs inside the caller's transaction")
    now = timezone.now()
    references = _references(items, now, historical)
    complaints = [_new_complaint(item, reference=reference, now=now, actor=actor)
                  for item, reference in zip(items, references)]
    entries = []
    for index, complaint in enumerate(complaints):
        mine = [_created_entry(complaint, actor=actor, actor_type=actor_type,
                               at=complaint.received_at if historical else now,
                               historical=historical)]
        for extra in (extra_entries[index] if extra_entries else ()):
            mine.append(Activity(
                complaint=complaint, kind=extra["kind"], actor_type=ActorType.SYSTEM,
                visibility=Visibility.INTERNAL, version=complaint.version, created_at=now,
                message=extra["message"], data=extra.get("data") or {}))
        entries.append(mine)
    return CreatedBatch(complaints=complaints, entries=entries, actor=actor, now=now,
                        historical=historical)


def complaints_write_many(*, batch: CreatedBatch) -> None:
    """The planned complaints in one INSERT, every planned timeline entry in one INSERT, and
    the CREATED events. A possible duplicate of a complaint of the same batch gets its link in
    one UPDATE after the INSERT, as the original has no id before it."""
    if not batch.complaints:
        return
    linked = [(c, c.possible_duplicate_of) for c in batch.complaints
              if c.possible_duplicate_of is not None and c.possible_duplicate_of.pk is None]
    for complaint, _original in linked:
        complaint.possible_duplicate_of = None
    if batch.historical:  # a large batch: ids from the sequence, then one COPY
        copy_objects(Complaint, batch.complaints, with_ids=True)
    else:
        insert_objects(batch.complaints)
    for complaint, original in linked:
        complaint.possible_duplicate_of = original
    if linked:
        bulk_update_rows(Complaint, [Complaint(pk=c.pk, possible_duplicate_of_id=o.pk)
                                     for c, o in linked], ["possible_duplicate_of"])
    for hook in batch.after_insert:
        hook()
    entries = [entry for mine in batch.entries for entry in mine] + batch.other_entries
    if batch.historical:  # an operator's history: nobody reads the entries' ids (one COPY)
        copy_objects(Activity, entries)
    else:  # a live batch hands its entries back (intake's results), with their ids
        insert_objects(entries)
    for complaint in batch.complaints:
        publish_change(complaint.id, EventKind.CREATED, batch.actor,
                       {"historical": True} if batch.historical else None)


# --- customers ------------------------------------------------------------------------------


def customer_get_or_create(*, phone: str, name: str = "", email: str = "",
                           service_number: str = "", tier: str | None = None) -> Customer:
    """The customer with this phone number, created if new; blank fields filled in."""
    try:
        phone = personal_data.normalize_phone(phone)
    except personal_data.InvalidPhone as exc:
        raise InvalidInput(str(exc), field="phone") from exc
    customer = Customer.objects.filter(phone=phone).order_by("id").first()
    if customer is None:
        customer = Customer.objects.create(
            phone=phone, name=name.strip() or _("Unknown caller"), email=email,
            service_number=service_number, tier=tier or CustomerTier.ORDINARY)
        customer.created_now = True  # batch intake: no earlier complaints to read
        return customer
    updates = {}
    for field_name, value in (("name", name), ("email", email), ("service_number", service_number)):
        if value and not getattr(customer, field_name):
            updates[field_name] = value
    if tier and tier != customer.tier:
        updates["tier"] = tier
    if updates:
        for key, value in updates.items():
            setattr(customer, key, value)
        customer.save(update_fields=list(updates))
    return customer


def complaints_set_next_due(*, complaints: QuerySet[Complaint], nearest) -> int:
    """The cached nearest deadline (`next_due_at`, the desk sorts on it) from the SLA code's
    `nearest` expression. A deliberate direct write: a cache of the clocks, not a fact of the
    complaint, so no version, timeline entry or event (test_desk_deadlines.py guards it)."""
    return complaints.update(next_due_at=nearest)


def complaints_set_next_due_values(*, complaints: list[Complaint], nearest: list,
                                   stored: list) -> int:
    """complaints_set_next_due with the values known (`nearest[i]` of `complaints[i]`, which
    has `stored[i]`): one UPDATE of those that change. The same direct write."""
    changed = []
    for complaint, value, old in zip(complaints, nearest, stored, strict=True):
        complaint.next_due_at = value
        if old != value:
            changed.append(complaint)
    bulk_update_rows(Complaint, changed, ["next_due_at"])
    return len(changed)


def _references(items: list[dict], now: datetime, historical: bool) -> list[str]:
    """One reference per item, in order: of today, or (historical) of its received day."""
    if not historical:
        return references_reserve(count=len(items), day=timezone.localdate(now))
    days = [timezone.localdate(item.get("received_at") or now) for item in items]
    blocks = {day: iter(numbers) for day, numbers in
              references_reserve_days(counts=Counter(days)).items()}
    return [next(blocks[day]) for day in days]
