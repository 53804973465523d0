"""Reads behind the complaint workspace. A fixed number of queries per page, whatever the length
of the timeline or the customer's history."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from . import selectors
from .lifecycle import OPEN_STATUSES, Action
from .models import (
    Activity,
    ActivityKind,
    ActorType,
    CannedResponse,
    Complaint,
    CompensationStatus,
    Department,
    DepartmentTask,
    DepartmentTaskStatus,
    RedLinePhrase,
    Visibility,
)

OTHER_COMPLAINTS_SHOWN = 10
# Actions with their own form on the page; the rest are one-click buttons (with a reason).
ACTIONS_WITH_FORMS = {Action.DISPATCH, Action.RECEIVE_RESULT, Action.RESOLVE, Action.REQUEST_INFO}


@dataclass
class TimelineEntry:
    activity: Activity
    attachments: list
    is_public: bool
    is_automatic: bool
    reason: str
    changes: list[tuple[str, object, object]]


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


def _field_label(name: str) -> str:
    try:
        return str(Complaint._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - data written by older code may name other fields
        return name


def _timeline(complaint: Complaint) -> list[TimelineEntry]:
    by_activity: dict[int, list] = {}
    for attachment in complaint.attachments.all():
        by_activity.setdefault(attachment.activity_id, []).append(attachment)
    entries = []
    for activity in complaint.activities.all():
        data = activity.data or {}
        changes = [(_field_label(name), pair[0], pair[1])
                   for name, pair in (data.get("changed") or {}).items()
                   if isinstance(pair, (list, tuple)) and len(pair) == 2]
        entries.append(TimelineEntry(
            activity=activity, attachments=by_activity.get(activity.id, []),
            is_public=activity.visibility == Visibility.PUBLIC,
            is_automatic=activity.actor_type == ActorType.SYSTEM,
            reason=str(data.get("reason") or ""), changes=changes))
    return entries


def complaint_workspace(*, user, reference: str) -> Workspace:
    """Everything the complaint page shows, gated by complaint_get_for_user."""
    complaint = selectors.complaint_get_for_user(user=user, reference=reference,
                                                 with_timeline=True)
    clocks = list(complaint.clocks.order_by("due_at")) if user.has_perm("sla.view_clock") else []
    from sla.models import Escalation  # sla depends on complaints, not the other way round

    escalation = Escalation.objects.filter(complaint=complaint, is_open=True).first()
    others_qs = (Complaint.objects.filter(customer_id=complaint.customer_id)
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
    from sla.models import Escalation

    escalation = Escalation.objects.filter(complaint=complaint, is_open=True,
                                           expected_at__isnull=False).first()
    if escalation:
        return escalation.expected_at
    clock = complaint.clocks.filter(metric="resolution", completed_at__isnull=True) \
        .order_by("-cycle").first()
    return clock.due_at if clock else None


def complaint_is_open(complaint: Complaint) -> bool:
    return complaint.status in OPEN_STATUSES


def form_choices() -> dict:
    """Departments and agents offered by the action forms (two queries)."""
    return {
        "departments": list(Department.objects.filter(is_active=True).order_by("code")),
        "agents": list(get_user_model().objects.filter(
            is_active=True, groups__name__in=["agent", "supervisor"]).distinct()
            .order_by("username")),
    }


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
