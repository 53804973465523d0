"""Every write to complaints goes through these functions.

`complaint_transition` is the only writer of `status`. Writers lock the row, check the caller's
version, write the change and its timeline entry in one transaction, and publish an event that
receivers get after commit."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.attachments import file_sha256, image_pixel_refusal, sniff_content_type
from kernel.db import bulk_update_rows, insert_rows
from kernel.errors import InvalidInput, NotAllowed, StaleVersion
from kernel.idempotency import idempotency_conflict

from . import lifecycle
from .creation import (  # noqa: F401 - new complaints; callers write through this module
    _actor_type,
    complaint_create,
    complaint_create_check,
    CreatedBatch,
    complaints_create_many,
    complaints_plan_many,
    complaints_set_next_due,
    complaints_set_next_due_values,
    complaints_write_many,
    customer_get_or_create,
    reference_next,
    references_reserve,
)
from .customers_bulk import customers_get_or_create_many  # noqa: F401 - batch intake
from .events import EventKind, publish_change
from .lifecycle import Action, Status
from .lifecycle_bulk import (  # noqa: F401 - histories applied in bulk; callers write here
    ComplaintHistory,
    complaints_apply_history,
    complaints_plan_history,
    history_check,
)
from .models import (
    Activity,
    ActivityKind,
    ActorType,
    Attachment,
    CompensationStatus,
    Complaint,
    Department,
    PersonalDataAccess,
    Visibility,
)

# --- complaints -----------------------------------------------------------------------------


def _lock(complaint_id: int, expected_version: int | None,
          locked: Complaint | None = None) -> Complaint:
    """The complaint row locked for this transaction, after checking the caller's version.

    `locked` is the same row as a caller inside this transaction already locked it
    (select_for_update, e.g. classification): reading and locking it again would only cost a
    query, so it is checked and used as it is (and changed in place by the writer). Such a
    writer takes no savepoint of its own either (two statements): the caller's transaction is
    the unit, and an error in the writer fails all of it, as the caller does not go on after
    one."""
    if locked is not None:
        if locked.pk != complaint_id or not connection.in_atomic_block:
            raise ValueError("`locked` must be this complaint, locked in the current transaction")
        complaint = locked
    else:
        complaint = (Complaint.objects.select_for_update()
                     .select_related("customer").get(pk=complaint_id))
    if expected_version is not None and complaint.version != expected_version:
        changes = list(complaint.activities.filter(version__gt=expected_version)
                       .select_related("actor").order_by("created_at", "id"))
        who = changes[-1].actor if changes and changes[-1].actor else None
        raise StaleVersion(
            _("Complaint %(reference)s was changed by %(who)s after you opened it (your version "
              "%(yours)s, now %(current)s). Nothing was saved; reload and try again.") % {
                "reference": complaint.reference,
                "who": who.get_full_name() or who.username if who else _("someone else"),
                "yours": expected_version, "current": complaint.version},
            complaint=complaint, changes=changes)
    return complaint


def complaint_lock(*, complaint_id: int, expected_version: int | None) -> Complaint:
    """For services elsewhere that write rows beside the complaint: lock it and check the
    caller's version (StaleVersion with who changed what), inside the caller's transaction."""
    return _lock(complaint_id, expected_version)


def _bump(complaint: Complaint, actor, fields: list[str]) -> None:
    complaint.version += 1
    complaint.updated_at = timezone.now()
    complaint.updated_by = actor
    complaint.save(update_fields=[*fields, "version", "updated_at", "updated_by"])


def complaint_transition(
    *,
    complaint_id: int,
    action: Action | str,
    actor=None,
    expected_version: int | None,
    reason: str = "",
    resolution_summary: str = "",
    merged_into_reference: str = "",
    actor_type: str | None = None,
    departments: list[Department] | None = None,
    at: datetime | None = None,
    locked: Complaint | None = None,
) -> Complaint:
    """Apply one lifecycle action. Illegal or stale requests change nothing.

    `departments` (dispatch only) names the departments the work goes to (派单).
    `at`: a step of the complaint's history, applied now as it happened then (an operator's
    import): its timestamps and timeline entry carry `at`, and the entry and the event are
    marked historical (data "historical", "at"). For a complaint created historical
    (complaint_create's `historical`) in the same transaction: the SLA receivers settle its
    clocks from these entries when its creation event arrives, and ignore the step's event.
    `locked`: the complaint as the caller locked it in its transaction (see `_lock`; an
    import applies a complaint's history steps on one lock).
    """
    try:
        action = Action(action)
    except ValueError:
        raise InvalidInput(_("Unknown action “%(action)s”.") % {"action": action},
                           field="action") from None
    reason = (reason or "").strip()
    with transaction.atomic(savepoint=locked is None):
        complaint = _lock(complaint_id, expected_version, locked)
        old_status = Status(complaint.status)
        new_status = lifecycle.apply(old_status, action)
        if action in lifecycle.REASON_REQUIRED and not reason:
            raise InvalidInput(_("Give a reason for “%(action)s”.") % {"action": action.label},
                               field="reason")
        changed = ["status"]
        data = {"action": action.value, "from": old_status.value, "to": new_status.value}
        now = timezone.now() if at is None else _historical_moment(complaint, at)
        if at is not None:
            data.update(historical=True, at=at.isoformat())
        if action == Action.ACKNOWLEDGE:
            complaint.acknowledged_at = now
            changed.append("acknowledged_at")
        elif action == Action.RESOLVE:
            summary = (resolution_summary or "").strip()
            if not summary:
                raise InvalidInput(_("Write a resolution summary before resolving."),
                                   field="resolution_summary")
            if complaint.compensation_status == CompensationStatus.PENDING:
                raise InvalidInput(_("The compensation is still awaiting a supervisor's "
                                     "approval."), field="compensation")
            complaint.resolution_summary, complaint.resolved_at = summary, now
            changed += ["resolution_summary", "resolved_at"]
            data["resolution_summary"] = summary
        elif action == Action.CLOSE:
            complaint.closed_at = now
            changed.append("closed_at")
        elif action == Action.REOPEN:
            complaint.reopen_count += 1
            complaint.resolved_at = None
            changed += ["reopen_count", "resolved_at"]
            data["reopen_count"] = complaint.reopen_count
        elif action == Action.DISPATCH and departments:
            data["departments"] = [d.code for d in departments]
        elif action == Action.RECEIVE_RESULT and complaint.department_tasks.filter(
                status="open").exists():
            # The last department's result (dispatch_return) brings the complaint back;
            # moving it by hand would leave those departments' work open and unanswered.
            raise InvalidInput(_("Departments still owe their result: record each "
                                 "department's result instead."), field="action")
        elif action == Action.MERGE:
            target = _merge_target(complaint, merged_into_reference)
            complaint.merged_into = target
            changed.append("merged_into")
            data["merged_into"] = target.reference
        complaint.status = new_status
        _bump(complaint, actor, changed)
        if reason:
            data["reason"] = reason
        Activity.objects.create(
            complaint=complaint, kind=ActivityKind.STATUS_CHANGE,
            actor_type=actor_type or _actor_type(actor), actor=actor,
            visibility=Visibility.PUBLIC, version=complaint.version, created_at=now, data=data,
            message=(_("%(from)s → %(to)s (imported history)") if at is not None
                     else _("%(from)s → %(to)s")) % {"from": old_status.label,
                                                     "to": new_status.label})
        publish_change(complaint.id, EventKind.TRANSITIONED, actor, data)
    return complaint


def _historical_moment(complaint: Complaint, at: datetime) -> datetime:
    """`at` for a historical step: aware, not in the future, not before the complaint arrived."""
    if timezone.is_naive(at):
        raise InvalidInput(_("A historical step needs a time with a time zone."), field="at")
    if at > timezone.now() + timezone.timedelta(minutes=5):
        raise InvalidInput(_("A historical step cannot be in the future."), field="at")
    if at < complaint.received_at:
        raise InvalidInput(_("A historical step cannot be before the complaint was received."),
                           field="at")
    return at


def _merge_target(complaint: Complaint, reference: str) -> Complaint:
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput(_("Name the complaint this one duplicates."), field="merged_into")
    target = Complaint.objects.filter(reference=reference).first()
    if target is None:
        raise InvalidInput(_("There is no complaint %(reference)s.") % {"reference": reference},
                           field="merged_into")
    if target.pk == complaint.pk:
        raise InvalidInput(_("A complaint cannot be merged into itself."), field="merged_into")
    if target.status in {Status.MERGED, Status.CANCELLED}:
        raise InvalidInput(_("%(reference)s is itself merged or cancelled; merge into the "
                             "complaint it points to.") % {"reference": reference},
                           field="merged_into")
    return target


# Fields that services may change through complaint_update_fields; status, version and
# timestamps are owned by the lifecycle.
UPDATABLE_FIELDS = frozenset({
    "category", "priority", "product_line", "subject", "location", "is_repeat", "is_vip",
    "is_regulator", "escalation_risk", "responsible_department", "responsibility_type",
    "compensation_type", "compensation_amount", "compensation_status",
    "compensation_approved_by", "escalation_level", "assigned_department", "assigned_agent",
    "possible_duplicate_of",
})


def _plain(value):
    """A JSON-friendly form of a field value for the timeline."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    return value


def complaint_update_fields(*, complaint_id: int, changes: dict, actor=None,
                            expected_version: int | None = None, reason: str = "",
                            kind: str = ActivityKind.FIELD_CHANGE, actor_type: str | None = None,
                            message: str = "", visibility: str = Visibility.INTERNAL,
                            extra: dict | None = None,
                            locked: Complaint | None = None) -> Complaint:
    """Change non-status fields, audited with old and new values and the reason.

    Fields whose value does not change are ignored; if nothing changes nothing is written.
    Receivers of the "fields_changed" event see {"changed": {field: [old, new]}}.
    `locked`: the complaint as the caller locked it in its transaction (see `_lock`).
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidInput(_("These fields cannot be changed here: %(fields)s.") % {
            "fields": ", ".join(sorted(unknown))})
    with transaction.atomic(savepoint=locked is None):
        complaint = _lock(complaint_id, expected_version, locked)
        changed = complaint_change_planned(
            complaint, changes, actor=actor, reason=reason, kind=kind, actor_type=actor_type,
            message=message, visibility=visibility, extra=extra, now=timezone.now())
        if changed is None:
            return complaint
        fields, entry = changed
        complaint.save(update_fields=[*fields, "version", "updated_at", "updated_by"])
        entry.save()
        publish_change(complaint.id, EventKind.FIELDS_CHANGED, actor, entry.data)
    return complaint


def complaint_change_planned(complaint: Complaint, changes: dict, *, now: datetime, actor=None,
                             reason: str = "", kind: str = ActivityKind.FIELD_CHANGE,
                             actor_type: str | None = None, message: str = "",
                             visibility: str = Visibility.INTERNAL, extra: dict | None = None
                             ) -> tuple[list[str], Activity] | None:
    """complaint_update_fields's change made to `complaint` in memory (new version included),
    with its timeline entry (not saved): the names of the fields changed and the entry, or
    None when nothing changes. Batch intake plans a new complaint's changes with it before
    writing the complaint; the caller saves both and publishes FIELDS_CHANGED (entry.data)."""
    diff = {}
    for name, value in changes.items():
        field = Complaint._meta.get_field(name)
        old = getattr(complaint, field.attname if field.is_relation else name)
        new = value.pk if field.is_relation and value is not None else value
        # A complaint planned in the same batch has no id yet (the caller fills it in).
        unsaved = field.is_relation and value is not None and value.pk is None
        if old != new or unsaved:
            diff[name] = [_plain(old), _plain(new)]
    if not diff:
        return None
    if complaint.status == Status.CLOSED:
        # Archived (issue 7): a closed complaint keeps its record; notes may still be added.
        raise InvalidInput(_("Complaint %(reference)s is closed and archived: its fields "
                             "cannot be changed any more; add a note instead.") % {
            "reference": complaint.reference})
    for name in diff:  # only now: a refused change leaves a caller's `locked` as it was
        setattr(complaint, name, changes[name])
    complaint.version += 1
    complaint.updated_at, complaint.updated_by = now, actor
    data = {"changed": diff, **(extra or {})}
    if reason:
        data["reason"] = reason.strip()
    return list(diff), Activity(
        complaint=complaint, kind=kind, actor_type=actor_type or _actor_type(actor),
        actor=actor, visibility=visibility, version=complaint.version, data=data,
        message=message or reason.strip(), created_at=now)


def complaint_assign(*, complaint_id: int, actor, expected_version: int | None,
                     department: Department | None = None, agent=None,
                     reason: str = "", locked: Complaint | None = None) -> Complaint:
    """Assign to a department and/or an agent. The agent must belong to the department.

    `locked`: the complaint as the caller locked it in its transaction (see `_lock`)."""
    if department is None and agent is None:
        raise InvalidInput(_("Choose a department or an agent."), field="department")
    with transaction.atomic(savepoint=locked is None):
        complaint = _lock(complaint_id, expected_version, locked)
        if Status(complaint.status) in lifecycle.FINAL_STATUSES:
            raise InvalidInput(_("A closed, merged or cancelled complaint cannot be assigned."))
        department = department or complaint.assigned_department
        if agent is not None and department is not None and not (
                department.members.filter(pk=agent.pk).exists()):
            raise InvalidInput(_("%(agent)s is not a member of %(department)s.") % {
                "agent": agent.get_username(), "department": department.name}, field="agent")
        entry = complaint_assign_planned(complaint, department=department, agent=agent,
                                         actor=actor, reason=reason, now=timezone.now())
        complaint.save(update_fields=["assigned_department", "assigned_agent", "version",
                                      "updated_at", "updated_by"])
        entry.save()
        publish_change(complaint.id, EventKind.ASSIGNED, actor, entry.data)
    return complaint


def complaint_assign_planned(complaint: Complaint, *, department: Department | None, agent,
                             actor, reason: str, now: datetime) -> Activity:
    """complaint_assign's change made to `complaint` in memory (after its checks: an open
    complaint, the agent a member of the department), with its timeline entry (not saved);
    the caller saves both and publishes ASSIGNED (entry.data)."""
    old = {"department": complaint.assigned_department_id, "agent": complaint.assigned_agent_id}
    complaint.assigned_department = department
    complaint.assigned_agent = agent
    complaint.version += 1
    complaint.updated_at, complaint.updated_by = now, actor
    data = {"old": old, "new": {"department": getattr(department, "id", None),
                                "agent": getattr(agent, "id", None)}}
    if reason:
        data["reason"] = reason.strip()
    return Activity(
        complaint=complaint, kind=ActivityKind.ASSIGNMENT, actor_type=_actor_type(actor),
        actor=actor, visibility=Visibility.INTERNAL, version=complaint.version, data=data,
        created_at=now, message=_("Assigned to %(target)s") % {
            "target": " / ".join(filter(None, [getattr(department, "name", ""),
                                               agent.get_username() if agent else ""]))})


def complaint_add_note(*, complaint_id: int, actor, body: str, public: bool = False,
                       expected_version: int | None = None,
                       data: dict | None = None, request_key: str = "",
                       request_digest: str = "") -> Activity:
    """An internal note, or a public reply to the customer's timeline.

    `request_key` (an Idempotency-Key, a form's one-time token) makes a retry harmless: the
    same actor's request with the same key gets the note the first one wrote, whatever the
    complaint's version now, and nothing new; with another `request_digest` (other content)
    it is refused (IdempotencyConflict)."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("The note is empty."), field="body")
    with transaction.atomic():
        # A note does not edit the complaint, so it does not bump the version and cannot make
        # someone else's pending edit stale.
        if request_key:
            complaint = _lock(complaint_id, None)
            first = note_by_request_key(complaint_id=complaint_id, actor=actor,
                                        key=request_key, digest=request_digest)
            if first is not None:
                return first
            complaint = _lock(complaint_id, expected_version, locked=complaint)
            data = {**(data or {}), "request": {"key": request_key, "digest": request_digest}}
        else:
            complaint = _lock(complaint_id, expected_version)
        entry = Activity.objects.create(
            complaint=complaint,
            kind=ActivityKind.PUBLIC_REPLY if public else ActivityKind.INTERNAL_NOTE,
            actor_type=_actor_type(actor), actor=actor,
            visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
            version=complaint.version, message=body, data=data or {})
        kind = EventKind.PUBLIC_REPLY if public else EventKind.INTERNAL_NOTE
        publish_change(complaint.id, kind, actor, {"activity_id": entry.id})
    return entry


def note_by_request_key(*, complaint_id: int, actor, key: str, digest: str) -> Activity | None:
    """The note or reply `actor` wrote on the complaint for the request with idempotency `key`,
    or None. Call it with the complaint locked (`complaint_lock`): a concurrent retry then
    waits for the first request and finds its note. IdempotencyConflict when the key came
    with other content."""
    first = (Activity.objects.filter(complaint_id=complaint_id, actor=actor,
                                     kind__in=[ActivityKind.PUBLIC_REPLY,
                                               ActivityKind.INTERNAL_NOTE],
                                     data__request__key=key)
             .select_related("actor").order_by("id").first())
    if first is not None and first.data["request"].get("digest") != digest:
        raise idempotency_conflict()
    return first


# --- personal data --------------------------------------------------------------------------


def personal_data_reveal(*, user, complaint: Complaint, reason: str,
                         ip_address: str | None = None) -> dict[str, str]:
    """The customer's full contact data; allowed by permission, always logged."""
    if not user.has_perm("complaints.reveal_personal_data"):
        raise NotAllowed(_("You do not have permission to see full personal data."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why you need the full personal data."), field="reason")
    customer = complaint.customer
    revealed = {"name": customer.name, "phone": customer.phone, "email": customer.email,
                "id_number": customer.id_number}
    PersonalDataAccess.objects.create(user=user, customer=customer, complaint=complaint,
                                      fields=sorted(revealed), reason=reason[:200],
                                      ip_address=ip_address)
    return revealed


# --- attachments ----------------------------------------------------------------------------

SNIFF_BYTES = 8192


def _check_upload(upload) -> tuple[str, str]:
    """(content type, sha256) of an acceptable upload, or InvalidInput saying what is wrong."""
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInput(_("“%(name)s” is %(size)s; files may be at most %(limit)s.") % {
            "name": upload.name, "size": filesizeformat(upload.size),
            "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}, field="files")
    if upload.size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": upload.name}, field="files")
    upload.seek(0)
    content_type = sniff_content_type(upload.read(SNIFF_BYTES))
    if content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        raise InvalidInput(_("“%(name)s” is not an image, PDF or text file (whatever its name "
                             "says), so it was not accepted.") % {"name": upload.name},
                           field="files")
    if too_big := image_pixel_refusal(upload.name, content_type, upload):
        raise InvalidInput(too_big, field="files")
    return content_type, file_sha256(upload)


def complaint_attach_files(*, complaint_id: int, files: list, actor=None, note: str = "",
                           by_customer: bool = False, public: bool = False,
                           max_files: int = 5) -> Activity:
    """Attach files with one timeline entry. All are checked first: one bad file, none kept."""
    if not files:
        raise InvalidInput(_("Choose at least one file."), field="files")
    if len(files) > max_files:
        raise InvalidInput(_("At most %(n)s files at a time.") % {"n": max_files}, field="files")
    checked = [(upload, *_check_upload(upload)) for upload in files]
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            complaint = _lock(complaint_id, None)
            entry = Activity.objects.create(
                complaint=complaint,
                kind=ActivityKind.CUSTOMER_ACTION if by_customer else (
                    ActivityKind.PUBLIC_REPLY if public else ActivityKind.INTERNAL_NOTE),
                actor_type=ActorType.CUSTOMER if by_customer else _actor_type(actor),
                actor=actor, version=complaint.version,
                visibility=Visibility.PUBLIC if (public or by_customer) else Visibility.INTERNAL,
                message=note.strip() or _("%(n)s file(s) attached.") % {"n": len(files)},
                data={"attachments": [u.name for u, _t, _d in checked]})
            for upload, content_type, sha256 in checked:
                attachment = Attachment(
                    complaint=complaint, activity=entry, original_name=upload.name[:255],
                    content_type=content_type, size=upload.size, sha256=sha256,
                    uploaded_by=actor, uploaded_by_customer=by_customer)
                attachment.file.save(upload.name, upload, save=False)
                stored.append(attachment)
                attachment.save()
            publish_change(complaint.id, EventKind.ATTACHMENTS_ADDED, actor,
                           {"activity_id": entry.id})
    except Exception:
        for attachment in stored:  # the rows rolled back; do not leave their files behind
            attachment.file.delete(save=False)
        raise
    return entry


# --- timeline entries and escalation levels written by other apps -------------------------


def timeline_append(*, complaint_id: int, kind: str, message: str, data: dict | None = None,
                    actor=None, actor_type: str | None = None,
                    visibility: str = Visibility.INTERNAL, version: int | None = None) -> Activity:
    """A timeline entry that records something without editing the complaint (no version bump).
    `version`: the complaint's, when the caller has just read it in its transaction."""
    if version is None:
        version = Complaint.objects.values_list("version", flat=True).get(pk=complaint_id)
    return Activity.objects.create(
        complaint_id=complaint_id, kind=kind, actor=actor,
        actor_type=actor_type or _actor_type(actor), visibility=visibility, message=message,
        data=data or {}, version=version)


def timeline_entry_planned(*, complaint: Complaint, kind: str, message: str, version: int,
                           now: datetime, data: dict | None = None,
                           visibility: str = Visibility.INTERNAL) -> Activity:
    """timeline_append's entry by the system, not saved (batch intake writes it with the
    others of its batch)."""
    return Activity(complaint=complaint, kind=kind, actor_type=ActorType.SYSTEM,
                    visibility=visibility, message=message, data=data or {}, version=version,
                    created_at=now)


def timeline_append_many(*, entries: list[dict]) -> None:
    """`timeline_append` for many complaints in one statement (the SLA sweep): dicts of
    complaint_id, kind, message, data, optional actor_type (system) and visibility (internal)."""
    if not entries:
        return
    unknown = {e["complaint_id"] for e in entries if "version" not in e}
    versions = dict(Complaint.objects.filter(pk__in=unknown).values_list("id", "version")) \
        if unknown else {}
    versions.update({e["complaint_id"]: e["version"] for e in entries if "version" in e})
    now = timezone.now()
    insert_rows(Activity, [
        {"complaint_id": e["complaint_id"], "kind": e["kind"], "message": e["message"],
         "data": e.get("data") or {}, "actor_type": e.get("actor_type", ActorType.SYSTEM),
         "visibility": e.get("visibility", Visibility.INTERNAL),
         "version": versions.get(e["complaint_id"]), "created_at": now}
        for e in entries])


def complaints_scrub_texts(*, customer_id: int, scrub: Callable[[str], str]) -> list[int]:
    """Anonymisation (followup/retention.py): `scrub` rewrites the customer's complaints' texts
    and timeline entries; returns the complaints' ids. A deliberate direct write: version,
    status, dates and counts stay, and the timeline, append-only for people, is rewritten here
    only (test_closing.py's anonymisation test guards it)."""
    complaints = list(Complaint.objects.filter(customer_id=customer_id)
                      .only("id", "subject", "description", "location"))
    for complaint in complaints:
        complaint.subject = scrub(complaint.subject)
        complaint.description = scrub(complaint.description)
        complaint.location = scrub(complaint.location)
    Complaint.objects.bulk_update(complaints, ["subject", "description", "location"])
    for entry in Activity.objects.filter(complaint__customer_id=customer_id).only("id", "message"):
        scrubbed = scrub(entry.message)
        if scrubbed != entry.message:
            Activity.objects.filter(pk=entry.pk).update(message=scrubbed)
    return [complaint.id for complaint in complaints]


def complaints_raise_escalation(*, levels: dict[int, tuple[int, str]], actor=None,
                                now: datetime | None = None) -> list[int]:
    """Raise complaints' escalation levels in bulk: {complaint_id: (level, reason)}.

    A level never goes down here; complaints already at or above it are left alone. One query
    for the lock, one update, one timeline insert, whatever the number of complaints. Returns the
    ids whose level rose.
    """
    if not levels:
        return []
    now = now or timezone.now()
    raised, entries = [], []
    with transaction.atomic():
        complaints = list(Complaint.objects.select_for_update().filter(pk__in=levels)
                          .order_by("pk").only("id", "escalation_level", "version"))
        for complaint in complaints:
            level, reason = levels[complaint.id]
            if level <= complaint.escalation_level:
                continue
            old = complaint.escalation_level
            complaint.escalation_level, complaint.version = level, complaint.version + 1
            complaint.updated_at, complaint.updated_by = now, actor
            raised.append(complaint)
            entries.append({
                "complaint_id": complaint.id, "kind": ActivityKind.ESCALATION,
                "actor_type": _actor_type(actor), "actor": actor,
                "visibility": Visibility.INTERNAL, "version": complaint.version,
                "created_at": now, "message": reason,
                "data": {"changed": {"escalation_level": [old, level]}, "reason": reason}})
        bulk_update_rows(Complaint, raised,
                         ["escalation_level", "version", "updated_at", "updated_by"])
        insert_rows(Activity, entries)
        for complaint in raised:
            publish_change(complaint.id, EventKind.ESCALATED, actor,
                           {"level": complaint.escalation_level})
    return [c.id for c in raised]
