"""Classification of an operator's history (a historical batch, intake/pipeline.py), decided in
memory for the whole batch after its history is applied, then written per table in one
statement each.

The same rows as intake.services.complaint_classify with the duplicate link run for each
complaint in batch order on the state its history left, as if the batch's later complaints did
not exist yet (what recording the history one by one does): a closed complaint is left as it
is; the rules count the customer's complaints received within their window, cancelled ones
left out; the classifier's category, the priority and flags, routing and assignment (the
department locked and its agents' loads read once, each assignment of the batch counted in
them), the possible-duplicate link to the earliest open complaint of the same customer and
category (the batch's earlier ones as their history and classification left them) with its
note on the original. The changes, versions and timeline entries are made to the complaints
in memory (complaints.services' `complaint_change_planned`, `complaint_assign_planned`), then
the complaints are updated in one statement, the timeline entries and the classification
records inserted in one each, and the events published as the one-by-one writes would.
"""

from __future__ import annotations

from complaints import events
from complaints.lifecycle import Status
from complaints.models import (
    Activity,
    ActivityKind,
    ActorType,
    Category,
    Complaint,
    Visibility,
)
from complaints.services import complaint_change_planned, timeline_entry_planned
from kernel.db import bulk_update_rows, copy_objects

from . import batch_plan, duplicates, explain, intake_decide, rules, selectors
from .models import ComplaintClassification

# What classification may change on a complaint (complaint_update_fields, complaint_assign).
_FIELDS = ["category", "priority", "is_repeat", "is_vip", "is_regulator", "escalation_risk",
           "assigned_department", "assigned_agent", "possible_duplicate_of", "version",
           "updated_at", "updated_by"]


def classify_history(batch) -> None:
    """Classify the batch's complaints (already written, their history applied) in order."""
    ids = [c.id for c in batch.complaints]
    fresh = Complaint.objects.select_related("customer", "category__parent").in_bulk(ids)
    complaints = [fresh[i] for i in ids]
    now = batch.now
    specs = selectors.enabled_rule_specs()
    window = selectors.repeat_window_days(specs)
    look_back = max(duplicates.duplicate_window(), batch_plan._days(window))
    mine = set(ids)
    known = [c for c in selectors.customers_recent_complaints(
        customer_ids=[c.customer_id for c in complaints],
        since=min(c.received_at for c in complaints) - look_back) if c.id not in mine]
    by_customer: dict[int, list[Complaint]] = {}
    for c in known:  # oldest first, then by id
        by_customer.setdefault(c.customer_id, []).append(c)
    names = explain.Names.known(selectors.categories_by_code(), selectors.departments_by_code())
    suggestions = batch_plan._BatchSuggestions(complaints)
    loads: dict[int, list] = {}
    entries, records, published, changed = [], [], [], []
    for index, complaint in enumerate(complaints):
        earlier = by_customer.setdefault(complaint.customer_id, [])
        if complaint.status == Status.CLOSED:  # archived before its classification ran
            earlier.append(complaint)
            continue
        version = complaint.version
        recent = None
        if window:
            since = complaint.received_at - batch_plan._days(window)
            recent = tuple(c.received_at for c in [*earlier, complaint]
                           if since <= c.received_at <= complaint.received_at
                           and c.status != Status.CANCELLED)
        evaluation = rules.evaluate(specs, selectors.complaint_facts(
            complaint=complaint, window_days=window, recent=recent))
        decided = intake_decide.classification_decide(
            complaint, evaluation, suggest=lambda index=index: suggestions.of(index),
            names_for=lambda _decisions: names, category_named=_category_named)
        if decided.changes:
            planned = complaint_change_planned(
                complaint, decided.changes, now=now, reason=decided.reason,
                message=decided.message, extra=decided.extra)
            if planned is not None:
                entries.append(planned[1])
                published.append((events.EventKind.FIELDS_CHANGED, planned[1]))
        department, agent, entry = batch_plan.route_planned(complaint, evaluation, loads, now)
        if entry is not None:
            entries.append(entry)
            published.append((events.EventKind.ASSIGNED, entry))
        records.append(intake_decide.classification_record(
            complaint, decided, classified_at=now, department=department, agent=agent))
        original = None if complaint.possible_duplicate_of_id is not None else \
            batch_plan._original(complaint, earlier)
        if original is not None:
            published.append(_link(complaint, original, entries, now))
        if complaint.version != version:
            changed.append(complaint)
        earlier.append(complaint)
    bulk_update_rows(Complaint, changed, _FIELDS)
    copy_objects(Activity, entries)  # nobody reads their ids: one COPY each on PostgreSQL
    copy_objects(ComplaintClassification, records)
    for kind, entry in published:
        events.publish_change(entry.complaint.id, kind, None, entry.data)
    batch.complaints = complaints


def _category_named(code: str) -> Category:
    return Category.objects.select_related("parent").get(code=code)


def _link(complaint: Complaint, original: Complaint, entries: list, now) -> tuple:
    """duplicates.complaint_link_possible_duplicate on the objects in memory."""
    reason, new_text, original_text = duplicates.duplicate_texts(complaint, original)
    data = {"possible_duplicate_of": original.reference, "reason": reason,
            "linked_at": now.isoformat()}
    _fields, entry = complaint_change_planned(
        complaint, {"possible_duplicate_of": original}, now=now,
        actor_type=ActorType.SYSTEM, message=new_text, extra=data)
    entries.append(entry)
    entries.append(timeline_entry_planned(
        complaint=original, kind=ActivityKind.INTERNAL_NOTE, message=original_text,
        version=original.version, now=now, visibility=Visibility.INTERNAL,
        data={"possible_duplicate": complaint.reference, "reason": reason}))
    return events.EventKind.FIELDS_CHANGED, entry
