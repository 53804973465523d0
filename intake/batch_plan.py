"""Batch intake's classification of new complaints, decided in memory before they are written
(complaints/events.py `subscribe_created_stage`: intake's plan, then its stage).

For the whole batch, one read of the customers' recent complaints (a customer created in the
batch has none) gives what the rules count and where a possible duplicate's original is. Each
complaint is then classified, graded, routed and linked as complaint_classify with the
duplicate link would do right after its creation, in batch order, as if the batch's later
complaints did not exist yet: the same changes, versions and timeline entries, made to the
objects in memory (complaints.services' `complaint_change_planned`,
`complaint_assign_planned`), so they are written with the complaint's own INSERT. A department
that assigns automatically is locked and its agents' loads read once per batch, and each
assignment of the batch counts in them. Once the complaints have ids: the classification
records in one INSERT, and the events the writes would have published.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from complaints import events
from complaints.lifecycle import OPEN_STATUSES
from complaints.models import ActivityKind, ActorType, Complaint, Department, Visibility
from complaints.services import (
    complaint_assign_planned,
    complaint_change_planned,
    timeline_entry_planned,
)
from kernel.db import insert_objects

from . import duplicates, explain, history_classify, intake_decide, rules, selectors

logger = logging.getLogger(__name__)


def plan_created(batch) -> None:
    if batch.historical:  # classified after its history is applied (write_created)
        return
    complaints, now = batch.complaints, batch.now
    specs = selectors.enabled_rule_specs()
    window = selectors.repeat_window_days(specs)
    look_back = max(duplicates.duplicate_window(), _days(window))
    known = selectors.customers_recent_complaints(
        customer_ids=[c.customer_id for c in complaints
                      if not getattr(c.customer, "created_now", False)],
        since=min(c.received_at for c in complaints) - look_back)
    names = explain.Names.known(selectors.categories_by_code(), selectors.departments_by_code())
    suggestions = _BatchSuggestions(complaints)
    loads: dict[int, list] = {}
    records, published = [], []
    for index, complaint in enumerate(complaints):
        mine = batch.entries[index]
        earlier = [c for c in known if c.customer_id == complaint.customer_id] + \
            [c for c in complaints[:index] if c.customer_id == complaint.customer_id]
        recent = None
        if window:
            since = complaint.received_at - _days(window)
            recent = tuple(c.received_at for c in [*earlier, complaint]
                           if since <= c.received_at <= complaint.received_at)
        evaluation = rules.evaluate(specs, selectors.complaint_facts(
            complaint=complaint, window_days=window, recent=recent))
        decided = intake_decide.classification_decide(
            complaint, evaluation, suggest=lambda index=index: suggestions.of(index),
            names_for=lambda _decisions: names, category_named=_no_such_category)
        if decided.changes:
            _fields, entry = complaint_change_planned(
                complaint, decided.changes, now=now, reason=decided.reason,
                message=decided.message, extra=decided.extra)
            mine.append(entry)
            published.append((events.EventKind.FIELDS_CHANGED, entry))
        department, agent, entry = route_planned(complaint, evaluation, loads, now)
        if entry is not None:
            mine.append(entry)
            published.append((events.EventKind.ASSIGNED, entry))
        records.append(intake_decide.classification_record(
            complaint, decided, classified_at=now, department=department, agent=agent))
        original = _original(complaint, earlier)
        if original is not None:
            published.append(_link(batch, complaint, original))
    batch.planned["intake"] = (records, published)
    batch.after_insert.append(lambda: _link_ids(batch))


def write_created(batch) -> None:
    """The classification records (one INSERT) and the events of the planned changes. An
    operator's history: each complaint classified on the state its history left, in batch
    order, as after its creation one by one (a closed one is not classified)."""
    if batch.historical:  # intake/history_classify.py, in memory for the whole batch
        history_classify.classify_history(batch)
        return
    records, published = batch.planned["intake"]
    insert_objects(records, ids=False)
    for kind, entry in published:
        events.publish_change(entry.complaint.id, kind, None, entry.data)


def _days(days: int) -> timedelta:
    return timedelta(days=days)


def _no_such_category(code: str):
    raise ValueError(f"a rule sets the category {code!r}, which does not exist")


def route_planned(complaint: Complaint, evaluation, loads: dict[int, list], now):
    """(department, agent, assignment entry) for a complaint still open and with neither a
    department nor an agent: where the rules and its category route it, an agent picked where
    that department assigns automatically (counting the batch's picks), planned in memory;
    (None, None, None) where nothing routes it."""
    if not (complaint.status in OPEN_STATUSES and complaint.assigned_department_id is None
            and complaint.assigned_agent_id is None):
        return None, None, None
    department, why = intake_decide.routing_reason(
        department=selectors.active_department(evaluation.department),
        rule_name=intake_decide.route_rule(evaluation), category=complaint.category)
    if department is None:
        return None, None, None
    agent, auto, pick = None, selectors.department_auto_assigns(department), None
    if auto:
        pick = _pick(department, loads)
        agent = pick.user if pick is not None else None
    entry = complaint_assign_planned(
        complaint, department=department, agent=agent, actor=None, now=now,
        reason=intake_decide.assignment_reason(
            why, intake_decide.assignment_note(auto_assigns=auto, pick=pick)))
    return department, agent, entry


def _pick(department: Department, loads: dict[int, list]):
    """As selectors.agent_pick, counting the batch's assignments: the first time a department
    is met it is locked (one pick at a time per department, as complaint_route) and its
    agents' loads read."""
    if department.pk not in loads:
        Department.objects.select_for_update().filter(pk=department.pk).first()
        loads[department.pk] = list(selectors.department_agents(department=department))
    # Stable: agents with as many open complaints stay in the database's order (username).
    agents = sorted(loads[department.pk], key=lambda a: a.open_complaints)
    pick = next((a for a in agents if a.available), None)
    if pick is not None:
        loads[department.pk] = [
            selectors.AgentLoad(a.user, a.open_complaints + 1, a.available) if a is pick else a
            for a in agents]
    return pick


def _original(complaint: Complaint, earlier: list[Complaint]) -> Complaint | None:
    """duplicates.possible_duplicate_candidate among the customer's complaints in memory:
    the earliest open one of the same category received in the window before it."""
    if complaint.category_id is None or complaint.status not in OPEN_STATUSES:
        return None
    since = complaint.received_at - duplicates.duplicate_window()
    found = [c for c in earlier if c.category_id == complaint.category_id
             and c.status in OPEN_STATUSES and c.received_at >= since]
    # Earlier rows first (lower ids), then the batch's in its order, as ordered by id.
    return min(found, key=lambda c: (c.received_at, c.pk is None), default=None)


def _link(batch, complaint: Complaint, original: Complaint) -> tuple:
    """duplicates.complaint_link_possible_duplicate on the objects in memory."""
    reason, new_text, original_text = duplicates.duplicate_texts(complaint, original)
    data = {"possible_duplicate_of": original.reference, "reason": reason,
            "linked_at": batch.now.isoformat()}
    _fields, entry = complaint_change_planned(
        complaint, {"possible_duplicate_of": original}, now=batch.now,
        actor_type=ActorType.SYSTEM, message=new_text, extra=data)
    batch.entries[batch.complaints.index(complaint)].append(entry)
    batch.other_entries.append(timeline_entry_planned(
        complaint=original, kind=ActivityKind.INTERNAL_NOTE, message=original_text,
        version=original.version, now=batch.now, visibility=Visibility.INTERNAL,
        data={"possible_duplicate": complaint.reference, "reason": reason}))
    return events.EventKind.FIELDS_CHANGED, entry


def _link_ids(batch) -> None:
    """A link to an original of the same batch was planned before it had an id."""
    for mine in batch.entries:
        for entry in mine:
            changed = entry.data.get("changed", {}).get("possible_duplicate_of")
            if changed is not None and changed[1] is None:
                changed[1] = entry.complaint.possible_duplicate_of.pk


class _BatchSuggestions:
    """The classifier's suggestions for a batch's texts, run in one call the first time one is
    needed (a rule's category may make them unnecessary), for the complaints without a
    category only (classification asks for no other)."""

    def __init__(self, complaints: list[Complaint]):
        self.complaints, self.found = complaints, None

    def of(self, index: int):
        if self.found is None:
            asked = [i for i, c in enumerate(self.complaints) if not c.category_id]
            if index not in asked:
                asked.append(index)
            texts = [selectors.complaint_text(self.complaints[i]) for i in asked]
            try:
                found = selectors.suggestions_for_texts(texts)
            except Exception:
                logger.exception("classifier suggestions failed for a batch of %d",
                                 len(texts))
                found = [(None, []) for _text in texts]
            self.found = dict(zip(asked, found))
        return self.found[index]
