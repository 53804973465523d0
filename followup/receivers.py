"""Closing the loop (闭环) follows complaint events (published after commit by
complaints.services).

Flow: resolving a complaint (any path) publishes an event; `on_resolved` queues the result
notice to the customer (followup.result_notice) and, for regulator, major, reopened and a sample
of the other complaints, a callback task for someone other than the handler (followup.callbacks).
The customer answers "solved" (the complaint closes, or waits for its callback) or "not solved"
(it reopens; the SLA receivers restart the clocks; a second reopen escalates to the supervisor,
`on_reopened`). Resolved complaints nobody answers close after CLOSING_AUTO_CLOSE_WORKING_DAYS
working days (followup.auto_close). Closed complaints are archived: read-only except notes.
Customers' personal data is anonymised RETENTION_YEARS after their last complaint closed
(followup.retention). The satisfaction survey is followup.survey.

Every status change goes through complaints.services.complaint_transition.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.events import ComplaintEvent
from complaints.lifecycle import Action, Status
from complaints.models import Complaint
from followup.callbacks import callback_schedule
from followup.models import CallbackTask
from followup.result_notice import result_notice_queue
from sla.escalations import escalation_raise_manually


def on_complaint_changed(event: ComplaintEvent) -> None:
    """Subscribed to complaints.events in FollowupConfig.ready(); runs after commit."""
    if event.kind != "transitioned":
        return
    if event.data.get("historical"):
        return  # imported history: the customer was told back then, by the old system
    action = event.data.get("action")
    if action == Action.RESOLVE:
        on_resolved(complaint_id=event.complaint_id, actor_id=event.actor_id)
    elif action == Action.REOPEN:
        on_reopened(complaint_id=event.complaint_id)


def on_resolved(*, complaint_id: int, actor_id: int | None = None,
                now: datetime | None = None) -> CallbackTask | None:
    """Tell the customer the result and schedule the callback if one is due. Idempotent: the
    notice has a de-duplication key and the task a unique (complaint, cycle)."""
    now = now or timezone.now()
    complaint = Complaint.objects.select_related("customer", "assigned_agent").get(
        pk=complaint_id)
    if complaint.status != Status.RESOLVED:
        return None
    result_notice_queue(complaint=complaint, now=now)
    return callback_schedule(complaint=complaint, handler_id=actor_id, now=now)


def on_reopened(*, complaint_id: int) -> None:
    """A second reopen escalates to the supervisor (level 1), once."""
    complaint = Complaint.objects.get(pk=complaint_id)
    if complaint.reopen_count < 2 or complaint.escalation_level >= 1:
        return
    escalation_raise_manually(
        complaint_id=complaint_id, actor=None, level=1, automatic=True,
        reason=_("Reopened %(n)s times: the supervisor takes over.") % {
            "n": complaint.reopen_count})
