"""Clocks follow complaint events (published after commit by complaints.services)."""

from django.utils import timezone

from complaints.events import ComplaintEvent, EventKind, from_pipeline
from complaints.lifecycle import Action
from complaints.models import Activity, ActorType, Visibility

from . import services
from .models import Metric

def _meet(event: ComplaintEvent) -> None:
    services.clocks_meet(complaint_id=event.complaint_id,
                         metrics=services.MEETS_ON[event.data["action"]])


def _stop(event: ComplaintEvent) -> None:
    services.clocks_stop(complaint_id=event.complaint_id)


ON_TRANSITION = {
    **dict.fromkeys(services.MEETS_ON, _meet),
    **dict.fromkeys(services.STOPS_ON, _stop),
    Action.REQUEST_INFO: lambda e: services.clocks_pause(complaint_id=e.complaint_id),
    Action.RECEIVE_INFO: lambda e: services.clocks_resume(complaint_id=e.complaint_id),
    Action.REOPEN: lambda e: services.clocks_start(
        complaint_id=e.complaint_id, metrics=[Metric.RESOLUTION, Metric.PROGRESS_UPDATE],
        start=_now(), new_cycle=True),
}
RECOMPUTE_ON = {"priority", "category", "is_vip", "channel"}


def _now():
    return timezone.now()


def plan_complaints_created(batch) -> None:
    """Batch intake's plan, after classification's: the new complaints' clocks and nearest
    deadlines in memory, the warnings about unverified years among their timeline entries."""
    # An operator's history plans its clocks again once its history is applied
    # (on_complaints_created): here only their deadlines, kept for that second plan.
    known = batch.planned["sla.known"] = {}
    planned, warnings = services.clocks_plan_created(complaints=batch.complaints, known=known,
                                                     objects=not batch.historical)
    for complaint, mine, warning in zip(batch.complaints, batch.entries, warnings):
        if warning is not None:
            mine.append(Activity(complaint=complaint, actor_type=ActorType.SYSTEM,
                                 visibility=Visibility.INTERNAL, created_at=batch.now,
                                 **warning))
    batch.planned["sla"] = planned


def on_complaints_created(batch) -> None:
    """Batch intake's stage: the planned clocks written."""
    if batch.historical:  # an operator's history, classified after its steps were applied:
        # the clocks planned again on its category and priority, and settled by those steps
        stored = [c.next_due_at for c in batch.complaints]  # as written (the first plan's)
        batch.planned["sla"], _warnings = services.clocks_plan_created(
            complaints=batch.complaints, known=batch.planned.get("sla.known"))
        services.clocks_settle_historical(complaints=batch.complaints,
                                          planned=batch.planned["sla"])
    services.clocks_start_created(clocks=[c for mine in batch.planned["sla"] for c in mine],
                                  copy=batch.historical)
    if batch.historical:
        services.next_due_set_planned(complaints=batch.complaints, planned=batch.planned["sla"],
                                      stored=stored)


def on_complaint_changed(event: ComplaintEvent) -> None:
    if from_pipeline(event) and event.kind in (EventKind.CREATED, EventKind.FIELDS_CHANGED):
        # Batch intake started the clocks after classifying (on_complaints_created).
        return
    if event.kind == EventKind.CREATED:
        if event.data.get("historical"):  # an imported complaint: its history settles them
            services.clocks_start_historical(complaint_id=event.complaint_id)
        else:
            services.clocks_start(complaint_id=event.complaint_id)
    elif event.kind == EventKind.TRANSITIONED and event.data.get("historical"):
        # A step of imported history: written with the complaint's creation, and settled by
        # clocks_start_historical on that event, which comes first.
        return
    elif event.kind == EventKind.TRANSITIONED:
        handler = ON_TRANSITION.get(event.data.get("action"))
        if handler:
            handler(event)
        if event.data.get("action") == Action.DISPATCH and \
                len(event.data.get("departments", [])) > 1:
            services.clocks_start(complaint_id=event.complaint_id,
                                  metrics=[Metric.MULTI_DEPARTMENT_NOTICE], start=_now())
    elif event.kind == EventKind.PUBLIC_REPLY:
        services.clocks_on_public_reply(complaint_id=event.complaint_id)
    elif event.kind == EventKind.FIELDS_CHANGED:
        changed = set(event.data.get("changed", {}))
        if changed & RECOMPUTE_ON:
            services.clocks_recompute(complaint_id=event.complaint_id,
                                      reason=", ".join(sorted(changed & RECOMPUTE_ON)))
