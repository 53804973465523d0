"""The desk (/desk/): queues with counts, filters and search, bulk actions, the team's workload
and availability. Thin: selectors read, services write."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from complaints.lifecycle import OPEN_STATUSES, Status
from complaints.models import Category, Channel, Department, Priority
from desk import search
from desk import selectors as queues
from desk import services as desk_services
from desk.filters import FLAG_CHOICES, SORT_CHOICES
from intake import selectors as intake_selectors
from intake import services as intake_services
from kernel.errors import DomainError
from kernel.http import query_without, redirect_to_next
from kernel.roles import AGENT, SUPERVISOR

RED_HOURS = 4  # countdown.js marks the last four hours


def _due(row, now: datetime) -> None:
    """The countdown's first text and colour (static/js/countdown.js keeps it going)."""
    row.due_state = row.due_text = ""
    if row.next_due_at is None:
        return
    left = (row.next_due_at - now).total_seconds()
    seconds = abs(int(left))
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    day = pgettext("days abbreviation", "d")
    amount = (f"{days}{day} " if days else "") + f"{hours:02d}:{minutes:02d}"
    row.due_text = (_("late %s") if left < 0 else _("left %s")) % amount
    row.due_state = ("late" if left < 0 else "soon" if left < RED_HOURS * 3600
                     else "amber" if left < queues.due_soon_window().total_seconds() else "ok")


def _page_size(value: str) -> int:
    return int(value) if value.isdigit() and int(value) in queues.PAGE_SIZES \
        else queues.DEFAULT_PAGE_SIZE


def _count_label(count: int) -> str:
    return f"{queues.COUNT_CAP}+" if count > queues.COUNT_CAP else str(count)


@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def queue(request):
    now = timezone.now()
    params = _filled(request.GET)
    viewer = queues.Viewer.of(request.user)
    tab, filterset = queues.desk_filterset(params, user=request.user, now=now, request=request,
                                           viewer=viewer)
    valid = filterset.is_valid()
    results = filterset.qs if valid else filterset.queryset.none()
    if valid:
        desk_services.phone_search_record(
            user=request.user, query=params.get("q", ""), results=results,
            reason=_("Desk search by full phone number"),
            ip_address=request.META.get("REMOTE_ADDR"))
    sort = (filterset.form.cleaned_data.get("sort") if valid else "") or \
        queues.TABS_BY_KEY[tab].sort
    per_page = _page_size(params.get("per_page", ""))
    text_search = search.parse(params.get("q", "")).kind == "text"
    page = queues.keyset_page(results, sort=sort, per_page=per_page,
                              after=params.get("after", ""), before=params.get("before", ""),
                              rows=queues.desk_base(user=request.user),
                              recent_first=text_search)
    detail_url = _detail_url_template()
    can_pick = request.user.has_perm("intake.override_classification")
    picks = intake_selectors.stored_suggestions(
        [row.id for row in page.rows if row.category_id is None]) if can_pick else {}
    for row in page.rows:
        row.picks = picks.get(row.id, [])
        _due(row, now)
        row.detail_url = detail_url.replace(REFERENCE_SLOT, row.reference) if detail_url else ""
        row.pick_label = _("Select %(r)s") % {"r": row.reference}
    # Words are looked up in a GIN index, which PostgreSQL can only read whole: counting the
    # matches of a common word would cost what listing them all costs. Pages of them are cheap.
    counted = valid and not text_search
    counts = queues.tab_counts(user=request.user, viewer=viewer, now=now,
                               extra={"results": (results, tab)} if counted else None)
    kept = params.copy()
    for name in ("after", "before", "tab"):
        kept.pop(name, None)
    tabs = [{"key": t.key, "label": t.label, "count": _count_label(counts.get(t.key, 0)),
             "current": t.key == tab} for t in queues.TABS]
    staff = list(get_user_model().objects.filter(
        is_active=True, groups__name__in=[AGENT, SUPERVISOR]).distinct().order_by("username"))
    categories = list(Category.objects.filter(is_active=True).select_related("parent")
                      .order_by("parent__sort_order", "sort_order", "code"))
    departments = list(Department.objects.filter(is_active=True))
    # Options as (value, label, selected): the page renders a few hundred of them.
    options = {
        "status": [(s.value, s.label) for s in Status], "priority": Priority.choices,
        "channel": Channel.choices, "sort": SORT_CHOICES,
        "category": [(c.code, ("\u3000" if c.parent_id else "") + c.label) for c in categories],
        "department": [(d.code, d.name) for d in departments],
        "assignee": [(u.username, u.get_full_name() or u.username) for u in staff],
    }
    selected = {**{name: params.get(name, "") for name in options}, "sort": sort}
    return render(request, "desk/queue.html", {
        "options": {name: [(value, label, value == selected[name]) for value, label in choices]
                    for name, choices in options.items()},
        "left_label": _("left %s"), "late_label": _("late %s"),
        "tab": tab, "tabs": tabs, "page": page, "sort": sort, "per_page": per_page,
        "amber_hours": queues.due_soon_window().total_seconds() / 3600,
        "page_sizes": queues.PAGE_SIZES, "filterset": filterset, "params": params,
        "kept_query": kept.urlencode(),
        "tab_query": query_without(params, "tab", "after", "before"),
        "results_count": _count_label(counts["results"]) if "results" in counts else "",
        "priorities": Priority.choices, "flags": FLAG_CHOICES,
        "selected_flags": params.getlist("flag"),
        "departments": departments, "staff": staff,
        "available": queues.agent_available(request.user),
        "can_assign": request.user.has_perm(desk_services.ASSIGN_PERMISSION),
        "can_prioritise": request.user.has_perm(desk_services.PRIORITY_PERMISSION),
        "manages_agents": request.user.has_perm(queues.MANAGE_AGENTS_PERMISSION),
    })


REFERENCE_SLOT = "REFERENCE"


def _detail_url_template() -> str:
    """The complaint page's URL with a slot for the reference ("" while it does not exist)."""
    try:
        return reverse("complaint-detail", args=[REFERENCE_SLOT])
    except NoReverseMatch:
        return ""


def _filled(query):
    """The query string without its empty fields (the filter form sends every field)."""
    filled = query.copy()
    for name in list(filled):
        values = [v for v in filled.getlist(name) if v.strip()]
        if values:
            filled.setlist(name, values)
        else:
            del filled[name]
    return filled


def _selected(request) -> list[desk_services.Selected]:
    """Checked rows, posted as "reference:version"."""
    items = []
    for value in request.POST.getlist("c"):
        reference, _sep, version = value.partition(":")
        items.append(desk_services.Selected(
            reference.strip(), int(version) if version.isdigit() else None))
    return items


@require_POST
@login_required
@permission_required("complaints.view_complaint", raise_exception=True)
def bulk(request):
    action, post = request.POST.get("action", ""), request.POST
    items = _selected(request)
    reason = post.get("reason", "").strip()
    try:
        if action == "assign":
            department = Department.objects.filter(pk=post.get("department") or 0,
                                                   is_active=True).first()
            agent = get_user_model().objects.filter(pk=post.get("agent") or 0,
                                                    is_active=True).first()
            result = desk_services.complaints_bulk_assign(
                actor=request.user, items=items, department=department, agent=agent,
                reason=reason)
        elif action == "priority":
            result = desk_services.complaints_bulk_set_priority(
                actor=request.user, items=items, priority=post.get("priority", ""),
                reason=reason)
        elif action == "flag":
            result = desk_services.complaints_bulk_add_flag(
                actor=request.user, items=items, flag=post.get("flag", ""), reason=reason)
        elif action == "merge":
            result = desk_services.complaints_bulk_merge(
                actor=request.user, items=items, into=post.get("into", ""), reason=reason)
        else:
            messages.error(request, _("Choose what to do with the selected complaints."))
            return redirect_to_next(request, "desk:queue")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect_to_next(request, "desk:queue")
    summary = _("%(done)s done, %(refused)s refused.") % {
        "done": len(result.done), "refused": len(result.refused)}
    if result.refused:
        reasons = "; ".join(f"{ref}: {why}" for ref, why in result.refused)
        messages.warning(request, f"{summary} {reasons}")
    else:
        messages.success(request, summary)
    return redirect_to_next(request, "desk:queue")


@require_POST
@login_required
def availability(request):
    """Agents mark themselves (supervisors anyone) available or unavailable for automatic
    assignment."""

    user = request.user
    if request.POST.get("user"):
        user = get_object_or_404(get_user_model(), pk=request.POST["user"]
                                 if request.POST["user"].isdigit() else 0)
    available = request.POST.get("available") == "1"
    try:
        intake_services.agent_availability_set(actor=request.user, user=user,
                                               available=available)
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc
    name = user.get_full_name() or user.get_username()
    messages.success(request, (_("%(agent)s is available.") if available
                               else _("%(agent)s is unavailable.")) % {"agent": name})
    return redirect_to_next(request, "desk:queue")


@login_required
@permission_required(queues.MANAGE_AGENTS_PERMISSION, raise_exception=True)
def team(request):
    department = request.GET.get("department", "")
    return render(request, "desk/team.html", {
        "rows": queues.team_workload(department_code=department),
        "departments": list(Department.objects.filter(is_active=True)),
        "department": department,
        "open_statuses": sorted(s.value for s in OPEN_STATUSES),
    })
