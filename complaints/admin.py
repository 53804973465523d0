from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from kernel.admin import AppendOnlyAdmin, NoAddMixin, ReadOnlyAdmin
from kernel.personal_data import mask_phone

from . import access_log

from .models import (
    Activity,
    Attachment,
    Category,
    Complaint,
    Customer,
    Department,
    PersonalDataAccess,
    ReceiverFailure,
    ReferenceCounter,
)

MASKED_FIELDS = ["masked_name", "masked_phone", "masked_email", "masked_id_number",
                 "masked_service_number"]


class PhoneSearchRecordMixin:
    """A search by a whole phone number confirms whose number it is: it leaves a personal-data
    access record per customer found, as the desk's search does."""

    # (lookup of the customer's phone, column of the customer's id) in this admin's queryset
    phone_lookup = ("phone", "id")

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset,
                                                                  search_term)
        phones = {access_log.full_phone_number(term)
                  for term in [search_term, *search_term.split()]} - {""}
        if phones:
            phone_field, id_field = self.phone_lookup
            found = (results.filter(**{f"{phone_field}__in": sorted(phones)}).order_by()
                     .values_list(id_field, flat=True).distinct())
            access_log.phone_lookup_record(
                user=request.user, customer_ids=list(found[:access_log.MAX_CUSTOMERS_RECORDED]),
                reason=_("Admin search by full phone number"),
                ip_address=request.META.get("REMOTE_ADDR"))
        return results, may_have_duplicates


@admin.register(Customer)
class CustomerAdmin(PhoneSearchRecordMixin, admin.ModelAdmin):
    """Personal data is shown masked, to everyone: the full data is seen only through the
    reveal form, with a reason, and logged. A new customer is typed in full."""

    list_display = ("id", "masked_name", "masked_phone", "tier", "masked_service_number",
                    "created_at")
    list_filter = ("tier", "created_at")
    search_fields = ("phone", "service_number", "name")
    readonly_fields = ("created_at",)

    def get_fields(self, request, obj=None):
        if obj is not None:
            return [*MASKED_FIELDS, "tier", "created_at"]
        return ["name", "phone", "email", "id_number", "service_number", "tier", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*MASKED_FIELDS, "created_at"]
        return self.readonly_fields

    @admin.display(description=_("name"))
    def masked_name(self, obj):
        return obj.masked_name

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=_("email"))
    def masked_email(self, obj):
        return obj.masked_email

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("service number"))
    def masked_service_number(self, obj):
        return mask_phone(obj.service_number)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "supervisor", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("members",)
    autocomplete_fields = ("parent",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "parent", "sort_order", "is_strict_scenario",
                    "is_active")
    list_filter = ("parent", "is_strict_scenario", "is_active")
    search_fields = ("code", "name", "name_en")


class ActivityInline(NoAddMixin, admin.TabularInline):
    model = Activity
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "actor_type", "actor", "visibility", "message")
    readonly_fields = fields


class ReceiverFailedFilter(admin.SimpleListFilter):
    """Complaints an event receiver failed on (no clocks or category yet, say); the sweep
    retries them, and the failed event receivers list says what went wrong."""

    title = _("event receiver failed")
    parameter_name = "receiver_failed"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(receiver_failures__isnull=False).distinct()
        return queryset


@admin.register(ReceiverFailure)
class ReceiverFailureAdmin(ReadOnlyAdmin):
    """Written by complaints.events when a receiver raises; cleared by the retry sweep. An
    administrator may delete a row once the complaint is put right by hand."""

    list_display = ("complaint", "receiver", "event_kind", "attempts", "failed_at",
                    "last_tried_at", "error")
    list_filter = ("receiver", "event_kind", "failed_at")
    list_select_related = ("complaint",)
    raw_id_fields = ("complaint",)
    search_fields = ("complaint__reference",)


@admin.register(Complaint)
class ComplaintAdmin(PhoneSearchRecordMixin, AppendOnlyAdmin):
    """Read-only: complaints are created by intake, which numbers and times them; edits go
    through the services, which version and audit them."""

    list_display = ("reference", "channel", "status", "priority", "category", "received_at",
                    "assigned_department", "assigned_agent", "escalation_level")
    list_filter = ("status", "priority", "channel", "is_repeat", "is_vip", "is_regulator",
                   "escalation_risk", "escalation_level", "product_line", "assigned_department",
                   "received_at", ReceiverFailedFilter)
    search_fields = ("reference", "subject", "regulator_case_no", "customer__phone")
    phone_lookup = ("customer__phone", "customer_id")
    date_hierarchy = "received_at"
    list_select_related = ("category", "category__parent", "assigned_department",
                           "assigned_agent")
    raw_id_fields = ("customer", "merged_into")
    readonly_fields = ("reference", "status", "version", "escalation_level", "reopen_count",
                       "merged_into", "acknowledged_at", "resolved_at", "closed_at",
                       "created_at", "updated_at", "updated_by", "compensation_status",
                       "compensation_approved_by")
    inlines = [ActivityInline]
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(AppendOnlyAdmin):
    list_display = ("complaint", "kind", "actor_type", "actor", "visibility", "created_at")
    list_filter = ("kind", "actor_type", "visibility", "created_at")
    search_fields = ("complaint__reference", "message")
    list_select_related = ("complaint", "actor")
    raw_id_fields = ("complaint",)
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "complaint", "content_type", "size", "uploaded_by_customer",
                    "created_at")
    list_filter = ("content_type", "uploaded_by_customer", "created_at")
    search_fields = ("original_name", "complaint__reference", "sha256")
    raw_id_fields = ("complaint", "activity")


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(AppendOnlyAdmin):
    list_display = ("created_at", "user", "complaint", "reason", "ip_address")
    list_filter = ("created_at", "user")
    search_fields = ("complaint__reference", "user__username", "reason")
    list_select_related = ("user", "complaint")


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    list_display = ("day", "last_value")
    date_hierarchy = "day"
    search_fields = ("day",)
