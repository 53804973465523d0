"""Facts follow complaint events (published after commit by complaints.services)."""

from complaints.events import ComplaintEvent

from .aggregates import facts_refresh


def on_complaint_changed(sender, event: ComplaintEvent, **kwargs) -> None:
    # One complaint: a handful of queries. Its received day is marked dirty, so the dashboard
    # counts that day live until the periodic task rebuilds it.
    facts_refresh(complaint_ids=[event.complaint_id])
