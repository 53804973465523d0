"""Facts follow complaint events (published after commit by complaints.services)."""

from complaints.events import ComplaintEvent, from_pipeline
from kernel import memo

from .aggregates import facts_refresh, facts_write_created


def on_complaint_changed(event: ComplaintEvent) -> None:
    # One complaint: a handful of queries. Its received day is marked dirty, so the dashboard
    # counts that day live until the periodic task rebuilds it. Inside a memo scope (one
    # intake message: created, then classified) once, when the scope ends.
    if from_pipeline(event):
        return  # batch intake computed the figures after everything else (below)
    memo.batch("reports.facts", event.complaint_id, _refresh)


def on_complaints_created(batch) -> None:
    """Batch intake's stage, last: the new complaints' facts, from their timeline entries and
    clocks as planned (read instead when something changed them since)."""
    if not batch.in_memory:  # an operator's history: a large batch, its facts in one COPY
        facts_write_created(complaints=batch.complaints, copy=batch.historical)
        return
    facts_write_created(complaints=batch.complaints, entries=batch.entries,
                        clocks=[c for mine in batch.planned.get("sla", ()) for c in mine])


def _refresh(complaint_ids: list[int]) -> None:
    facts_refresh(complaint_ids=complaint_ids)
