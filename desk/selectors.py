"""Reads for the desk: the queue tabs with their counts, pages of a queue, team workload.

Built to stay fast at millions of complaints: every tab is an indexed condition, counts stop at
COUNT_CAP ("1000+"), and pages are read by keyset (the sort key and id of the last row shown),
never by OFFSET, so page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints import selectors
from complaints.lifecycle import Status

# Sorted, so the SQL is the same in every process and matches the partial indexes' predicates.
from complaints.models import OPEN_VALUES, Complaint
from desk.filters import SORTS, ComplaintFilter, ordering, with_sort_keys
from intake.models import AgentAvailability
from intake.selectors import agent_is_available
from kernel.json_input import json_loads_bounded
from kernel.roles import AGENT

COUNT_CAP = 1000
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
RECENTLY_RESOLVED_DAYS = 7
# Who sees every queue: people who manage agents (supervisors, administrators). Agents see the
# due-soon, overdue, escalated, waiting and resolved queues of their own and their departments'
# complaints.
MANAGE_AGENTS_PERMISSION = "intake.change_agentavailability"


def due_soon_window() -> timedelta:
    return timedelta(hours=getattr(settings, "DESK_DUE_SOON_HOURS", 24))


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    sort: str  # default sort
    # The column of the index that holds the tab; its count reads the index in this order, so
    # PostgreSQL does not guess that scanning the table finds a thousand rows sooner (recent
    # complaints are at its end).
    count_order: str = ""


TABS = [
    Tab("mine", _("My open complaints"), "due"),
    Tab("department", _("My departments"), "due"),
    Tab("unassigned", _("Unassigned"), "due"),
    Tab("due_soon", _("Due soon"), "due", "next_due_at"),
    Tab("overdue", _("Overdue"), "due", "next_due_at"),
    Tab("escalated", _("Escalated"), "due", "next_due_at"),
    Tab("waiting", _("Waiting for customer"), "-received"),
    Tab("resolved", _("Recently resolved"), "-received", "resolved_at"),
    Tab("all", _("All"), "-received"),
]
TABS_BY_KEY = {t.key: t for t in TABS}
DEFAULT_TAB = "mine"
SUPERVISOR_TAB = "overdue"


@dataclass(frozen=True)
class Viewer:
    """The desk's user with what the tabs need: departments and whether they see everything."""

    user: object
    department_ids: tuple[int, ...]
    sees_all: bool

    @classmethod
    def of(cls, user) -> Viewer:
        return cls(user, tuple(user.departments.values_list("id", flat=True)),
                   user.has_perm(MANAGE_AGENTS_PERMISSION))

    def own_work(self) -> Q:
        """Assigned to them, or to one of their departments (everything for supervisors)."""
        if self.sees_all:
            return Q()
        return Q(assigned_agent=self.user) | Q(assigned_department__in=self.department_ids)




def tab_condition(tab: str, *, viewer: Viewer, now: datetime) -> Q:
    """Each tab as an indexed condition. A nearest deadline exists only while a clock runs (the
    complaint is open), and resolved_at only on resolved or closed complaints, so those tabs
    need no status condition, which would make PostgreSQL combine in the large status index."""
    is_open = Q(status__in=OPEN_VALUES)
    own = viewer.own_work()
    if tab == "mine":
        return is_open & Q(assigned_agent=viewer.user)
    if tab == "department":
        return is_open & Q(assigned_department__in=viewer.department_ids)
    if tab == "unassigned":
        pool = Q() if viewer.sees_all else (Q(assigned_department__in=viewer.department_ids)
                                            | Q(assigned_department__isnull=True))
        return is_open & Q(assigned_agent__isnull=True) & pool
    if tab == "due_soon":
        return own & Q(next_due_at__gte=now, next_due_at__lt=now + due_soon_window())
    if tab == "overdue":
        return own & Q(next_due_at__lt=now)
    if tab == "escalated":
        return Q(escalation_level__gt=0) & is_open & own
    if tab == "waiting":
        return own & Q(status=Status.WAITING_CUSTOMER)
    if tab == "resolved":
        return own & Q(resolved_at__gte=now - timedelta(days=RECENTLY_RESOLVED_DAYS))
    return Q()


def desk_base(*, user) -> QuerySet:
    """What the desk lists: complaint_list (the one access gate) with the sort keys."""
    return with_sort_keys(selectors.complaint_list(user=user))


def tab_queryset(*, user, viewer: Viewer, tab: str, now: datetime) -> QuerySet:
    return desk_base(user=user).filter(tab_condition(tab, viewer=viewer, now=now))


def chosen_tab(params, *, viewer: Viewer) -> str:
    """The tab a desk query string asks for: a search looks everywhere; agents start with their
    own complaints, supervisors with what is late."""
    default = SUPERVISOR_TAB if viewer.sees_all else DEFAULT_TAB
    tab = params.get("tab") or ("all" if params.get("q", "").strip() else default)
    return tab if tab in TABS_BY_KEY else default


def desk_filterset(params, *, user, now: datetime, request=None, viewer: Viewer | None = None):
    """(tab, filter set) of a desk query string: the list the desk shows, and what its export
    writes."""

    viewer = viewer or Viewer.of(user)
    tab = chosen_tab(params, viewer=viewer)
    base = tab_queryset(user=user, viewer=viewer, tab=tab, now=now)
    return tab, ComplaintFilter(params, queryset=base, request=request)


def tab_counts(*, user, viewer: Viewer, now: datetime,
               extra: dict[str, tuple[QuerySet, str]] | None = None) -> dict[str, int]:
    """Every tab's count (and of any `extra` (queryset, tab key)), each stopping at
    COUNT_CAP + 1, in one query. Show COUNT_CAP + 1 as "1000+"."""
    base = selectors.complaint_list(user=user)
    querysets = {t.key: (base.filter(tab_condition(t.key, viewer=viewer, now=now)), t.key)
                 for t in TABS}
    querysets.update(extra or {})
    columns, params, counts = [], [], {}
    for key, (queryset, tab) in querysets.items():
        order = TABS_BY_KEY[tab].count_order
        queryset = queryset.order_by(order) if order else queryset.order_by()
        try:
            # SELECT 1: no column outside the index, so PostgreSQL can count from the index
            # (index-only or bitmap scans that skip the table's pages).
            sql, query_params = queryset.annotate(one=Value(1)).values("one")[
                :COUNT_CAP + 1].query.sql_with_params()
        except EmptyResultSet:
            counts[key] = 0
            continue
        columns.append((key, f"(SELECT COUNT(*) FROM ({sql}) AS capped)"))
        params.extend(query_params)
    if columns:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(c for _k, c in columns), params)
            counts.update(zip([k for k, _c in columns], cursor.fetchone()))
    return counts


# --- keyset pages ------------------------------------------------------------------------------

KEY_TYPES = {"next_due_at": "datetime", "received_at": "datetime", "priority_rank": "int"}


@dataclass
class Page:
    rows: list
    per_page: int
    next_cursor: str = ""
    previous_cursor: str = ""
    is_first: bool = True


def _keys(sort: str) -> list[tuple[str, bool, bool]]:
    keys = SORTS.get(sort) or SORTS["due"]
    return [*keys, ("id", keys[0][1], False)]


def encode_cursor(row, sort: str) -> str:
    values = []
    for name, _desc, _nullable in _keys(sort):
        value = getattr(row, name)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps([sort, values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list | None:
    """The cursor's key values, or None if it is damaged or belongs to another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, values = json_loads_bounded(raw, depth=4, size=4096)
        keys = _keys(sort)
        if cursor_sort != sort or len(values) != len(keys):
            return None
        out = []
        for (name, _d, nullable), value in zip(keys, values):
            if value is None and not nullable:
                return None
            if value is not None and KEY_TYPES.get(name) == "datetime":
                value = datetime.fromisoformat(value)
                if timezone.is_naive(value):
                    return None
            elif value is not None and not isinstance(value, int):
                return None
            out.append(value)
        return out
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None


def _beyond(name: str, value, greater: bool, nullable: bool, backwards: bool) -> Q:
    """Rows whose key `name` comes after `value` (before it when walking backwards).
    NULLs sort last in both directions."""
    op = "gt" if greater != backwards else "lt"
    if backwards:
        return Q(**{f"{name}__isnull": False}) if value is None else Q(**{f"{name}__{op}": value})
    if value is None:
        return Q(pk__in=[])
    beyond = Q(**{f"{name}__{op}": value})
    return beyond | Q(**{f"{name}__isnull": True}) if nullable else beyond


def _seek(sort: str, values: list, backwards: bool) -> Q:
    condition, same = Q(pk__in=[]), Q()
    for (name, descending, nullable), value in zip(_keys(sort), values):
        condition |= same & _beyond(name, value, not descending, nullable, backwards)
        same &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return condition


def _ids(queryset: QuerySet, sort: str, order: list, limit: int) -> list[int]:
    """The ids of the first `limit` rows in `order`, read without joins, so PostgreSQL never
    joins thousands of rows only to sort them when it misjudges how many match."""
    names = [name for name, _desc, _nullable in _keys(sort)]
    return [row[-1] for row in queryset.order_by(*order).values_list(*names)[:limit]]


def _rows(ids: list[int], queryset: QuerySet, rows: QuerySet | None) -> list:
    """Those rows, in that order, read by primary key from `rows` (with everything the page
    shows), so a search is not run again to find rows already known."""
    if not ids:
        return []
    found = {row.pk: row for row in (queryset if rows is None else rows).order_by()
             .filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


RECENT_WINDOWS = (7, 30)  # days


def keyset_page(queryset: QuerySet, *, sort: str, per_page: int, after: str = "",
                before: str = "", rows: QuerySet | None = None,
                recent_first: bool = False) -> Page:
    """One page of `queryset` in `sort` order, after (or before) a cursor. `rows`, if given,
    is what the page's rows are read from once their ids are known (with its joins)."""
    sort = sort if sort in SORTS else "due"
    order = ordering(sort)
    after_values = decode_cursor(after, sort) if after else None
    before_values = decode_cursor(before, sort) if before and not after_values else None
    if before_values is not None:
        reverse = [o.copy() for o in order]
        for expr in reverse:
            expr.descending = not expr.descending
            if expr.nulls_last:
                expr.nulls_first, expr.nulls_last = True, None
        ids = _ids(queryset.filter(_seek(sort, before_values, backwards=True)), sort, reverse,
                   per_page + 1)
        rows = _rows(ids, queryset, rows)
        has_previous = len(rows) > per_page
        rows = rows[:per_page][::-1]
        page = Page(rows, per_page, is_first=not has_previous)
        if rows:
            page.next_cursor = encode_cursor(rows[-1], sort)
            if has_previous:
                page.previous_cursor = encode_cursor(rows[0], sort)
        return page
    if after_values is not None:
        queryset = queryset.filter(_seek(sort, after_values, backwards=False))
    ids = None
    if recent_first and sort == "-received":
        # Newest first: if the last week (or month) already fills the page, older matches
        # cannot be on it, and PostgreSQL reads far fewer of a common word's rows.
        now = timezone.now()
        for days in RECENT_WINDOWS:
            ids = _ids(queryset.filter(received_at__gte=now - timedelta(days=days)), sort,
                       order, per_page + 1)
            if len(ids) > per_page:
                break
            ids = None
    if ids is None:
        ids = _ids(queryset, sort, order, per_page + 1)
    rows = _rows(ids, queryset, rows)
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    page = Page(rows, per_page, is_first=after_values is None)
    if has_next:
        page.next_cursor = encode_cursor(rows[-1], sort)
    if after_values is not None and rows:
        page.previous_cursor = encode_cursor(rows[0], sort)
    return page


# --- team ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentWorkload:
    user: object
    open_complaints: int
    due_soon: int
    overdue: int
    available: bool
    departments: str


def team_workload(*, now: datetime | None = None, department_code: str = "") -> list[AgentWorkload]:
    """Every active agent with their open, due-soon and overdue complaints and availability,
    most overdue first. Three queries whatever the team's size; each number is a count over
    the (assigned agent, status) index, so it stays fast at millions of complaints."""


    now = now or timezone.now()
    of_agent = Complaint.objects.filter(assigned_agent=OuterRef("pk"))
    open_of_agent = of_agent.filter(status__in=OPEN_VALUES)

    def count(queryset):
        # Counting the grouped column itself: nothing outside the index is read.
        counted = queryset.order_by().values("assigned_agent").annotate(
            n=Count("assigned_agent")).values("n")
        return Coalesce(Subquery(counted), 0)

    users = get_user_model().objects.filter(is_active=True, groups__name=AGENT)
    if department_code:
        users = users.filter(departments__code=department_code)
    users = list(users.annotate(
        open_count=count(open_of_agent),
        # A nearest deadline exists only on open complaints: counted from the index alone.
        due_soon_count=count(of_agent.filter(next_due_at__gte=now,
                                             next_due_at__lt=now + due_soon_window())),
        overdue_count=count(of_agent.filter(next_due_at__lt=now)))
        .prefetch_related("departments").order_by("-overdue_count", "-open_count", "username"))
    unavailable = set(AgentAvailability.objects.filter(user__in=[u.id for u in users],
                                                       available=False)
                      .values_list("user_id", flat=True))
    return [AgentWorkload(u, u.open_count, u.due_soon_count, u.overdue_count,
                          u.id not in unavailable,
                          ", ".join(d.name for d in u.departments.all())) for u in users]


def agent_available(user) -> bool:
    return agent_is_available(user)
