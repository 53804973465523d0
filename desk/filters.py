"""The desk's filters as one FilterSet; reports reuse it for exports, so the query-string names
(status, priority, category, channel, department, flag, received_after, received_before, q,
assignee, sort) are part of the URL contract and stay as they are."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.lifecycle import Status
from complaints.models import Category, Channel, Complaint, Priority
from desk import search

FLAG_FIELDS = {"repeat": "is_repeat", "vip": "is_vip", "regulator": "is_regulator",
               "escalation_risk": "escalation_risk"}
FLAG_CHOICES = [("repeat", _("Repeat complaint")), ("vip", _("VIP")),
                ("regulator", _("Regulator")), ("escalation_risk", _("Escalation risk"))]
PRIORITY_RANK = Case(When(priority=Priority.MAJOR, then=Value(3)),
                     When(priority=Priority.URGENT, then=Value(2)),
                     default=Value(1), output_field=IntegerField())

# sort key → ordering: (field or annotation, descending, nullable), then id breaks ties.
SORTS = {
    "due": [("next_due_at", False, True)],
    "-due": [("next_due_at", True, True)],
    "received": [("received_at", False, False)],
    "-received": [("received_at", True, False)],
    "priority": [("priority_rank", True, False), ("received_at", False, False)],
}
SORT_CHOICES = [
    ("due", pgettext_lazy("sort", "Nearest deadline first")),
    ("-due", pgettext_lazy("sort", "Latest deadline first")),
    ("-received", pgettext_lazy("sort", "Newest first")),
    ("received", pgettext_lazy("sort", "Oldest first")),
    ("priority", pgettext_lazy("sort", "Highest priority first")),
]
UNASSIGNED = "none"


def ordering(sort: str) -> list:
    """ORDER BY expressions of a sort key (NULL deadlines last either way), id last."""
    keys = SORTS.get(sort) or SORTS["due"]
    out = []
    for name, descending, nullable in keys:
        # NULLS LAST only where NULLs can occur: on a NOT NULL column it would stop
        # PostgreSQL from reading a descending order straight off the index.
        nulls = {"nulls_last": True} if nullable else {}
        out.append(F(name).desc(**nulls) if descending else F(name).asc(**nulls))
    descending_id = keys[0][1]
    out.append(F("id").desc() if descending_id else F("id").asc())
    return out


def _local_day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


class ComplaintFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q", max_length=100)
    # distinct=False: no join can repeat a row, and DISTINCT would stop PostgreSQL from
    # ending the scan once a page is found.
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=[(s.value, s.label) for s in Status], distinct=False)
    priority = django_filters.MultipleChoiceFilter(label=_("Priority"), choices=Priority.choices,
                                                   distinct=False)
    category = django_filters.CharFilter(label=_("Category"), method="filter_category")
    channel = django_filters.MultipleChoiceFilter(label=_("Channel"), choices=Channel.choices,
                                                  distinct=False)
    department = django_filters.CharFilter(label=_("Department"),
                                           field_name="assigned_department__code")
    flag = django_filters.MultipleChoiceFilter(label=_("Flags"), choices=FLAG_CHOICES,
                                               method="filter_flags", distinct=False,
                                               widget=forms.CheckboxSelectMultiple)
    received_after = django_filters.DateFilter(
        label=_("Received from"), method="filter_received_after",
        widget=forms.DateInput(attrs={"type": "date"}))
    received_before = django_filters.DateFilter(
        label=_("Received until"), method="filter_received_before",
        widget=forms.DateInput(attrs={"type": "date"}))
    assignee = django_filters.CharFilter(label=_("Assignee"), method="filter_assignee")
    sort = django_filters.ChoiceFilter(label=_("Sort"), choices=SORT_CHOICES,
                                       method="filter_sort", empty_label=None)

    class Meta:
        model = Complaint
        fields: list = []

    def filter_q(self, queryset, name, value):
        return search.complaint_search(queryset, value)

    def filter_category(self, queryset, name, value):
        """A category code; a top-level code includes its children. The ids are looked up
        first (categories are few): joins with an OR between them would hide the condition
        from the complaint table's indexes."""
        ids = list(Category.objects.filter(Q(code=value) | Q(parent__code=value))
                   .values_list("id", flat=True))
        return queryset.filter(category_id__in=ids)

    def filter_flags(self, queryset, name, values):
        return queryset.filter(**{FLAG_FIELDS[v]: True for v in values})

    def filter_received_after(self, queryset, name, value):
        """From the start of that day, Beijing time."""
        return queryset.filter(received_at__gte=_local_day_start(value))

    def filter_received_before(self, queryset, name, value):
        """Up to the end of that day, Beijing time (the day is included)."""
        return queryset.filter(received_at__lt=_local_day_start(value + timedelta(days=1)))

    def filter_assignee(self, queryset, name, value):
        if value == UNASSIGNED:
            return queryset.filter(assigned_agent__isnull=True)
        return queryset.filter(assigned_agent__username=value)

    def filter_sort(self, queryset, name, value):
        return with_sort_keys(queryset).order_by(*ordering(value))


def with_sort_keys(queryset):
    return queryset.annotate(priority_rank=PRIORITY_RANK)
