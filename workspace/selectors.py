"""Reads behind the complaint workspace. A fixed number of queries per page, whatever the length
of the timeline or the customer's history."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from complaints import selectors
from complaints.lifecycle import OPEN_STATUSES, Action
from complaints.models import (
    Activity,
    ActivityKind,
    ActorType,
    Category,
    CompensationStatus,
    Complaint,
    Visibility,
)
from notifications.models import OutboundChannel
from sla.models import Escalation
from workspace.models import CannedResponse, DepartmentTask, DepartmentTaskStatus, RedLinePhrase

OTHER_COMPLAINTS_SHOWN = 10
OUTBOUND_LABELS = dict(OutboundChannel.choices)
# Actions with their own form on the page; the rest are one-click buttons (with a reason).
ACTIONS_WITH_FORMS = {Action.DISPATCH, Action.RECEIVE_RESULT, Action.RESOLVE, Action.REQUEST_INFO}


@dataclass
class TimelineEntry:
    activity: Activity
    attachments: list
    is_public: bool
    is_automatic: bool
    reason: str
    changes: list[tuple[str, str, str]]
    send_after: datetime | None = None
    channel: str = ""


@dataclass
class Workspace:
    complaint: Complaint
    timeline: list[TimelineEntry]
    clocks: list
    escalation: object | None
    other_complaints: list[Complaint]
    other_count: int
    tasks: list[DepartmentTask]
    open_tasks: list[DepartmentTask]
    actions: list[Action]
    button_actions: list[Action]
    expected_at: datetime | None
    canned_responses: list[CannedResponse] = field(default_factory=list)


def _field(name: str):
    try:
        return Complaint._meta.get_field(name)
    except Exception:  # noqa: BLE001 - data written by older code may name other fields
        return None


def _related_names(changes: list[dict]) -> dict[tuple[str, object], str]:
    """Display names for the ids in field changes: one query per related model used."""
    wanted: dict[type, set] = {}
    for changed in changes:
        for name, pair in changed.items():
            field = _field(name)
            if field is not None and field.is_relation and isinstance(pair, (list, tuple)):
                wanted.setdefault(field.related_model, set()).update(v for v in pair if v)
    names = {}
    for model, ids in wanted.items():
        queryset = model._default_manager.filter(pk__in=ids)
        if model is Category:  # its name includes the parent's
            queryset = queryset.select_related("parent")
        for obj in queryset:
            label = obj.get_username() if hasattr(obj, "get_username") else str(obj)
            names[(model._meta.label, obj.pk)] = label
    return names


def _display(field, value, names) -> str:
    if value is None or value == "":
        return "—"
    if field is None:
        return str(value)
    if field.is_relation:
        return names.get((field.related_model._meta.label, value), f"#{value}")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _changes(data: dict, names) -> list[tuple[str, str, str]]:
    rows = []
    for name, pair in (data.get("changed") or {}).items():
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            field = _field(name)
            rows.append((str(field.verbose_name) if field else name,
                         _display(field, pair[0], names), _display(field, pair[1], names)))
    return rows


def conflict_changes(activities: list[Activity]) -> list[tuple[Activity, list]]:
    """Someone else's entries since the caller's version, with readable field changes."""
    names = _related_names([(a.data or {}).get("changed") or {} for a in activities])
    return [(a, _changes(a.data or {}, names)) for a in activities]


def _timeline(complaint: Complaint) -> list[TimelineEntry]:
    by_activity: dict[int, list] = {}
    for attachment in complaint.attachments.all():
        by_activity.setdefault(attachment.activity_id, []).append(attachment)
    activities = list(complaint.activities.all())
    names = _related_names([(a.data or {}).get("changed") or {} for a in activities])
    entries = []
    for activity in activities:
        data = activity.data or {}
        changes = _changes(data, names)
        send_after = parse_datetime(data["send_after"]) if data.get("send_after") else None
        entries.append(TimelineEntry(
            activity=activity, attachments=by_activity.get(activity.id, []),
            is_public=activity.visibility == Visibility.PUBLIC,
            is_automatic=activity.actor_type == ActorType.SYSTEM,
            reason=str(data.get("reason") or ""), changes=changes, send_after=send_after,
            channel=OUTBOUND_LABELS.get(data.get("channel"), "")))
    return entries


def complaint_workspace(*, user, reference: str) -> Workspace:
    """Everything the complaint page shows, gated by complaint_get_for_user."""
    complaint = selectors.complaint_get_for_user(user=user, reference=reference,
                                                 with_timeline=True)
    clocks = list(complaint.clocks.order_by("due_at")) if user.has_perm("sla.view_clock") else []

    escalation = Escalation.objects.filter(complaint=complaint, is_open=True).first()
    # The customer's other complaints: only those in the viewer's scope.
    others_qs = (Complaint.objects.filter(selectors.complaint_scope(user=user),
                                          customer_id=complaint.customer_id)
                 .exclude(pk=complaint.pk).select_related("category", "category__parent")
                 .order_by("-received_at"))
    others = list(others_qs[:OTHER_COMPLAINTS_SHOWN + 1])
    tasks = list(DepartmentTask.objects.filter(complaint=complaint)
                 .select_related("department", "returned_by", "created_by"))
    actions = selectors.complaint_actions_for_user(user=user, complaint=complaint)
    expected_at = escalation.expected_at if escalation and escalation.expected_at else None
    if expected_at is None:
        resolution = [c for c in clocks if c.metric == "resolution" and c.completed_at is None]
        expected_at = resolution[-1].due_at if resolution else None
    return Workspace(
        complaint=complaint, timeline=_timeline(complaint), clocks=clocks,
        escalation=escalation, other_complaints=others[:OTHER_COMPLAINTS_SHOWN],
        other_count=len(others), tasks=tasks,
        open_tasks=[t for t in tasks if t.status == DepartmentTaskStatus.OPEN],
        actions=actions, button_actions=[
            a for a in actions if a not in ACTIONS_WITH_FORMS
            # Results normally come back through the dispatches; by hand only without any.
            or (a == Action.RECEIVE_RESULT and not any(
                t.status == DepartmentTaskStatus.OPEN for t in tasks))],
        expected_at=expected_at,
        canned_responses=list(CannedResponse.objects.filter(is_active=True)))


def expected_at_for(complaint: Complaint) -> datetime | None:
    """The date to promise the customer: a supervisor's new expected date, else the running
    resolution deadline."""

    escalation = Escalation.objects.filter(complaint=complaint, is_open=True,
                                           expected_at__isnull=False).first()
    if escalation:
        return escalation.expected_at
    clock = complaint.clocks.filter(metric="resolution", completed_at__isnull=True) \
        .order_by("-cycle").first()
    return clock.due_at if clock else None


def complaint_is_open(complaint: Complaint) -> bool:
    return complaint.status in OPEN_STATUSES


def approval_queue(*, user) -> QuerySet[Complaint]:
    """Compensations above the limit awaiting a supervisor, oldest change first."""
    if not user.has_perm("complaints.approve_compensation"):
        return Complaint.objects.none()
    return (selectors.complaint_list(user=user)
            .filter(compensation_status=CompensationStatus.PENDING)
            .order_by("updated_at", "id"))


def approval_proposals(complaints: list[Complaint]) -> dict[int, Activity]:
    """The latest compensation proposal entry of each complaint (one query)."""
    latest: dict[int, Activity] = {}
    rows = (Activity.objects.filter(complaint__in=complaints, kind=ActivityKind.FIELD_CHANGE,
                                    data__compensation="proposed")
            .select_related("actor").order_by("created_at", "id"))
    for activity in rows:
        latest[activity.complaint_id] = activity
    return latest


def canned_list() -> QuerySet[CannedResponse]:
    return CannedResponse.objects.select_related("updated_by")


def redline_list() -> QuerySet[RedLinePhrase]:
    return RedLinePhrase.objects.select_related("updated_by")
