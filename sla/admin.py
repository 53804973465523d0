from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from kernel.admin import AppendOnlyAdmin, ReadOnlyAdmin

from . import policy_services
from .calendar_services import ADMIN_SOURCE
from .models import (
    BusinessCalendar,
    CalendarDay,
    CalendarYear,
    Clock,
    Escalation,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "zone", "always_open", "makeup_weekday")
    list_filter = ("always_open", "zone")
    search_fields = ("code", "name")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "is_workday", "name", "source")
    list_filter = ("is_workday", "source")
    search_fields = ("name", "date")
    date_hierarchy = "date"
    readonly_fields = ("source",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return obj.date.strftime("%a")

    def save_model(self, request, obj, form, change):
        # An edit here is an admin's correction: later official loads must keep it.
        obj.source = ADMIN_SOURCE
        super().save_model(request, obj, form, change)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "loaded_at")
    list_filter = ("source",)
    search_fields = ("year", "source")


class SlaTargetFormSet(BaseInlineFormSet):
    """The staff pages' rules (one target per metric, no exact twin, a complete default) apply
    here too. `self.instance` already carries the policy's edited, unsaved fields."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [f.cleaned_data for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        targets = tuple(policy_services.TargetInput(r["metric"], r["amount"], r["unit"])
                        for r in rows)
        data = policy_services.policy_input_of(self.instance, targets=targets)
        try:
            policy_services.sla_policy_validate(data=data, policy_id=self.instance.pk)
        except policy_services.PolicyInvalid as exc:
            raise ValidationError([message for _field, message in exc.errors]) from exc


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    formset = SlaTargetFormSet
    extra = 0
    max_num = 6


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "category", "channel", "customer_tier",
                    "warning_percent", "breach_level", "escalation_step_hours", "is_active")
    list_filter = ("is_active", "priority", "channel", "customer_tier", "breach_level",
                   "calendar")
    search_fields = ("name", "category__code", "category__name")
    list_select_related = ("category__parent", "calendar")
    autocomplete_fields = ("category",)
    inlines = [SlaTargetInline]


# Clocks and SLA events are written only by the deadline services; the admin shows them for
# inspection.


@admin.register(Clock)
class ClockAdmin(AppendOnlyAdmin):
    list_display = ("complaint", "metric", "cycle", "state", "due_at", "due_verified",
                    "escalation_level", "next_check_at")
    list_filter = ("state", "metric", "due_verified", "escalation_level")
    search_fields = ("complaint__reference",)
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint",)
    date_hierarchy = "due_at"


@admin.register(SlaEvent)
class SlaEventAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "complaint", "kind", "level", "automatic", "reason",
                    "notified_at")
    list_filter = ("kind", "level", "automatic")
    search_fields = ("complaint__reference", "reason")
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint", "clock")
    date_hierarchy = "created_at"


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ("complaint", "level", "is_open", "escalated_at", "acknowledged_at",
                    "acknowledged_by", "expected_at")
    list_filter = ("is_open", "level")
    search_fields = ("complaint__reference", "reason")
    list_select_related = ("complaint", "acknowledged_by")
    raw_id_fields = ("complaint", "acknowledged_by")
    date_hierarchy = "escalated_at"


@admin.register(SlaTarget)
class SlaTargetAdmin(ReadOnlyAdmin):
    """Targets are edited with their policy; this list is for finding them across policies."""

    list_display = ("policy", "metric", "amount", "unit")
    list_filter = ("metric", "unit", "policy")
    search_fields = ("policy__name",)
    list_select_related = ("policy",)
