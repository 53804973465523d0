"""Clocks follow complaint events (published after commit by complaints.services)."""

from django.utils import timezone

from complaints.events import ComplaintEvent, EventKind
from complaints.lifecycle import Action

from . import services
from .models import Metric

ON_TRANSITION = {
    Action.ACKNOWLEDGE: lambda e: services.clocks_meet(complaint_id=e.complaint_id,
                                                       metrics=[Metric.ACKNOWLEDGE]),
    Action.REQUEST_INFO: lambda e: services.clocks_pause(complaint_id=e.complaint_id),
    Action.RECEIVE_INFO: lambda e: services.clocks_resume(complaint_id=e.complaint_id),
    Action.RESOLVE: lambda e: services.clocks_meet(
        complaint_id=e.complaint_id,
        metrics=[Metric.ACKNOWLEDGE, Metric.FIRST_RESPONSE, Metric.PROGRESS_UPDATE,
                 Metric.RESOLUTION, Metric.MULTI_DEPARTMENT_NOTICE, Metric.REGULATOR_EXPOSURE]),
    Action.REOPEN: lambda e: services.clocks_start(
        complaint_id=e.complaint_id, metrics=[Metric.RESOLUTION, Metric.PROGRESS_UPDATE],
        start=_now(), new_cycle=True),
    Action.CLOSE: lambda e: services.clocks_stop(complaint_id=e.complaint_id),
    Action.MERGE: lambda e: services.clocks_stop(complaint_id=e.complaint_id),
    Action.CANCEL: lambda e: services.clocks_stop(complaint_id=e.complaint_id),
}
RECOMPUTE_ON = {"priority", "category", "is_vip", "channel"}


def _now():
    return timezone.now()


def on_complaint_changed(event: ComplaintEvent) -> None:
    if event.kind == EventKind.CREATED:
        services.clocks_start(complaint_id=event.complaint_id)
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
