"""Reads. Views and APIs get complaints only through these.

Data scope: `complaint_list` is the one gate every list, count, search, export and drill-down
starts from, and `complaint_get_for_user` the one gate for a single complaint (pages, API
actions, attachments). Both apply `complaint_scope`: what a user may see of the complaints.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .lifecycle import Action, allowed_actions
from .models import Activity, Attachment, Complaint, Department

ACTION_PERMISSIONS = {Action.CANCEL: "complaints.cancel_complaint"}
DEFAULT_ACTION_PERMISSION = "complaints.change_complaint"
# The provincial customer-service centre and administrators: every department.
VIEW_ALL_DEPARTMENTS_PERMISSION = "complaints.view_all_departments"
_SCOPE_CACHE = "_complaint_scope_department_ids"


def department_subtree_ids(root_ids) -> set[int]:
    """The departments given and every department below them (one query: the tree is small)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Department.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), list(root_ids)
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, ()))
    return found


def sees_all_departments(user) -> bool:
    return bool(user.is_active and (user.is_superuser
                                    or user.has_perm(VIEW_ALL_DEPARTMENTS_PERMISSION)))


def scope_department_ids(user) -> frozenset[int]:
    """The departments whose complaints a user works: those they belong to or supervise, and
    every department below them. Kept on the user object for the request, like Django's
    permission cache."""
    cached = getattr(user, _SCOPE_CACHE, None)
    if cached is None:
        roots = set(user.departments.values_list("id", flat=True))
        roots |= set(user.supervised_departments.values_list("id", flat=True))
        cached = frozenset(department_subtree_ids(roots)) if roots else frozenset()
        setattr(user, _SCOPE_CACHE, cached)
    return cached


def complaint_scope(*, user, prefix: str = "") -> Q:
    """The condition on complaints (or on rows that reach one through `prefix`, such as
    "complaint__") that a user may see and act on: complaints of their departments and of the
    departments below them (assigned there, or dispatched there for a result), complaints
    assigned to them, and the unassigned intake queue (no department, no agent). Everything
    with the all-departments permission."""
    if sees_all_departments(user):
        return Q()
    departments = sorted(scope_department_ids(user))
    in_scope = (Q(**{f"{prefix}assigned_agent": user.pk})
                | Q(**{f"{prefix}assigned_department__isnull": True,
                       f"{prefix}assigned_agent__isnull": True}))
    if departments:
        # Work dispatched to one of their departments (派单): they read it to send the result
        # back. Through the reverse relation, so the record needs no import of workspace.
        dispatched = Complaint.objects.filter(
            department_tasks__department__in=departments).values("pk")
        in_scope |= (Q(**{f"{prefix}assigned_department__in": departments})
                     | Q(**{f"{prefix}pk__in": dispatched}))
    return in_scope


def complaint_in_scope(*, user, complaint: Complaint) -> bool:
    """complaint_scope for a complaint in memory that was created in this request (so no
    department was dispatched to yet), and the permission to view complaints."""
    if not user.has_perm("complaints.view_complaint"):
        return False
    if sees_all_departments(user) or complaint.assigned_agent_id == user.pk:
        return True
    if complaint.assigned_department_id is None:
        return complaint.assigned_agent_id is None
    return complaint.assigned_department_id in scope_department_ids(user)


def complaint_list(*, user) -> QuerySet[Complaint]:
    """Complaints a staff user may see, with what list pages show joined in."""
    if not user.has_perm("complaints.view_complaint"):
        return Complaint.objects.none()
    return Complaint.objects.filter(complaint_scope(user=user)).select_related(
        "customer", "category", "category__parent", "assigned_department", "assigned_agent")


def complaint_get_for_user(*, user, reference: str, with_timeline: bool = False,
                           handed_over_by: Complaint | None = None) -> Complaint:
    """The one access gate for a single complaint; 404 whether missing or out of scope, so an
    answer never confirms that a complaint of another department exists.

    `handed_over_by`: the complaint as the user read it through this gate before assigning it
    elsewhere; the answer to that action may show it once more, though now out of their scope."""
    # The usually empty links are prefetched, not joined: an empty one costs no query, while
    # each further join made PostgreSQL plan this one-row read for ~6 ms (11 tables).
    queryset = complaint_list(user=user)
    if handed_over_by is not None and handed_over_by.reference == reference:
        queryset = Complaint.objects.filter(pk=handed_over_by.pk).select_related(
            "customer", "category", "category__parent", "assigned_department", "assigned_agent")
    queryset = queryset.prefetch_related(
        "responsible_department", "merged_into", "compensation_approved_by", "updated_by",
        "possible_duplicate_of")
    if with_timeline:
        queryset = queryset.prefetch_related(
            Prefetch("activities", queryset=Activity.objects.select_related("actor")),
            Prefetch("attachments", queryset=Attachment.objects.select_related("complaint")))
    # No reference holds a NUL, and PostgreSQL refuses one in a query (it was a 500).
    complaint = None if "\x00" in reference else queryset.filter(reference=reference).first()
    if complaint is None:
        raise Http404(_("No complaint %(reference)s.") % {"reference": reference})
    return complaint


def complaint_visible(*, user, reference: str) -> bool:
    return complaint_list(user=user).filter(reference=reference).exists()


def action_permission(action: Action) -> str:
    return ACTION_PERMISSIONS.get(action, DEFAULT_ACTION_PERMISSION)


def complaint_actions_for_user(*, user, complaint: Complaint) -> list[Action]:
    """What this user may do to this complaint now: the lifecycle table filtered by role."""
    return [a for a in allowed_actions(complaint.status) if user.has_perm(action_permission(a))]
