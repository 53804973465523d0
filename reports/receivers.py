"""Facts follow complaint events (published after commit by complaints.services)."""

from complaints.events import ComplaintEvent
from kernel import memo

from .aggregates import facts_refresh


def on_complaint_changed(event: ComplaintEvent) -> None:
    # One complaint: a handful of queries. Its received day is marked dirty, so the dashboard
    # counts that day live until the periodic task rebuilds it. Inside a memo scope (one
    # intake message: created, then classified) once, when the scope ends.
    memo.batch("reports.facts", event.complaint_id, _refresh)


def _refresh(complaint_ids: list[int]) -> None:
    facts_refresh(complaint_ids=complaint_ids)
