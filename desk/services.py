"""Bulk actions from the desk: assign, change priority, add a flag, merge duplicates.

Each complaint goes through the same service as the single action, in its own transaction,
with the version the user saw: one that changed in the meantime, or whose status forbids the
action, is refused with the reason and the others still go through. The caller gets a
per-complaint result to show ("8 done, 2 refused: …").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from complaints import access_log, selectors, services
from complaints.lifecycle import Action
from desk import search
from desk.filters import FLAG_FIELDS
from intake import services as intake_services
from kernel.errors import DomainError, InvalidInput
from kernel.permissions import actor_must_have

MAX_BULK = 100
ASSIGN_PERMISSION = "complaints.change_complaint"
FLAG_PERMISSION = "complaints.change_complaint"
PRIORITY_PERMISSION = "intake.override_classification"


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason)


@dataclass(frozen=True)
class Selected:
    reference: str
    version: int | None = None


def _visible(actor, items: list[Selected]) -> tuple[dict, BulkResult]:
    """The selected complaints the actor may see, by reference; the rest refused."""
    if not items:
        raise InvalidInput(_("Select at least one complaint."), field="complaints")
    if len(items) > MAX_BULK:
        raise InvalidInput(_("Select at most %(n)s complaints at a time.") % {"n": MAX_BULK},
                           field="complaints")
    found = {c.reference: c for c in selectors.complaint_list(user=actor)
             .filter(reference__in=[i.reference for i in items])}
    result = BulkResult()
    for item in items:
        if item.reference not in found:
            result.refused.append((item.reference, _("No such complaint.")))
    return found, result


def _each(actor, items: list[Selected], act) -> BulkResult:
    found, result = _visible(actor, items)
    for item in items:
        complaint = found.get(item.reference)
        if complaint is None:
            continue
        try:
            act(complaint, item.version)
        except DomainError as exc:
            result.refused.append((item.reference, str(exc.message)))
        else:
            result.done.append(item.reference)
    return result


def complaints_bulk_assign(*, actor, items: list[Selected], department=None, agent=None,
                           reason: str = "") -> BulkResult:
    actor_must_have(actor, ASSIGN_PERMISSION)
    if department is None and agent is None:
        raise InvalidInput(_("Choose a department or an agent."), field="department")
    if agent is not None and department is None:
        departments = list(agent.departments.filter(is_active=True)[:2])
        if len(departments) == 1:
            department = departments[0]

    def act(complaint, version):
        # The service refuses an agent who is not a member of the (kept) department.
        services.complaint_assign(complaint_id=complaint.id, actor=actor,
                                  expected_version=version, department=department, agent=agent,
                                  reason=reason)

    return _each(actor, items, act)


def complaints_bulk_set_priority(*, actor, items: list[Selected], priority: str,
                                 reason: str) -> BulkResult:
    """Through the classification override, as for one complaint: reason required, audited,
    deadlines recomputed."""

    actor_must_have(actor, PRIORITY_PERMISSION)
    if not (reason or "").strip():
        raise InvalidInput(_("Say why you are changing the priority."), field="reason")

    def act(complaint, version):
        intake_services.classification_override(complaint_id=complaint.id, actor=actor,
                                                expected_version=version, priority=priority,
                                                reason=reason)

    return _each(actor, items, act)


def complaints_bulk_add_flag(*, actor, items: list[Selected], flag: str,
                             reason: str = "") -> BulkResult:
    actor_must_have(actor, FLAG_PERMISSION)
    if flag not in FLAG_FIELDS:
        raise InvalidInput(_("Unknown flag “%(value)s”.") % {"value": flag}, field="flag")
    name = FLAG_FIELDS[flag]

    def act(complaint, version):
        if getattr(complaint, name):
            raise InvalidInput(_("Already flagged."))
        services.complaint_update_fields(
            complaint_id=complaint.id, actor=actor, expected_version=version,
            changes={name: True}, reason=reason,
            message=reason or _("Flag added: %(flag)s") % {
                "flag": complaint._meta.get_field(name).verbose_name})

    return _each(actor, items, act)


def complaints_bulk_merge(*, actor, items: list[Selected], into: str = "",
                          reason: str) -> BulkResult:
    """Merge the selected complaints as duplicates into `into` (a reference), or, if none is
    given, into the earliest received of them."""
    actor_must_have(actor, selectors.action_permission(Action.MERGE))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why these are duplicates."), field="reason")
    found, result = _visible(actor, items)
    into = (into or "").strip().upper()
    if into:
        target = selectors.complaint_list(user=actor).filter(reference=into).first()
        if target is None:
            raise InvalidInput(_("There is no complaint %(reference)s.") % {"reference": into},
                               field="into")
    else:
        if len(found) < 2:
            raise InvalidInput(_("Select two or more complaints, or name the one to keep."),
                               field="into")
        target = min(found.values(), key=lambda c: (c.received_at, c.id))
    for item in items:
        complaint = found.get(item.reference)
        if complaint is None or complaint.pk == target.pk:
            continue
        try:
            services.complaint_transition(
                complaint_id=complaint.id, action=Action.MERGE, actor=actor,
                expected_version=item.version, reason=reason,
                merged_into_reference=target.reference)
        except DomainError as exc:
            result.refused.append((item.reference, str(exc.message)))
        else:
            result.done.append(item.reference)
    return result


# --- search by full phone number ---------------------------------------------------------------


def phone_search_record(*, user, query: str, results, reason: str,
                        ip_address: str | None = None) -> int:
    """A search by a whole phone number confirms whose number it is: one personal-data access
    record per customer it found (`results`: the complaints the search listed). A search by the
    last digits or by words records nothing."""
    parsed = search.parse(query)
    if parsed.kind != "phone" or not (len(parsed.value) >= 11
                                      or access_log.full_phone_number(parsed.value)):
        return 0
    customers = results.order_by().values_list("customer_id", flat=True).distinct()
    return access_log.phone_lookup_record(
        user=user, customer_ids=list(customers[:access_log.MAX_CUSTOMERS_RECORDED]),
        reason=reason, ip_address=ip_address)
