from django.contrib import admin

from kernel.admin import AppendOnlyAdmin

from .models import (
    AgentAvailability,
    CategoryRoute,
    ClassificationOverride,
    ClassifierModel,
    ComplaintClassification,
    DepartmentRouting,
    InboundMessage,
    RegulatorImport,
    Rule,
)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "enabled", "set_category", "set_priority", "route_to",
                    "stop_processing", "updated_at")
    list_display_links = ("name",)
    list_editable = ("enabled",)
    list_filter = ("enabled", "set_priority")
    search_fields = ("name", "keywords", "note")
    filter_horizontal = ("categories",)
    readonly_fields = ("created_at", "updated_at", "updated_by")


@admin.register(CategoryRoute)
class CategoryRouteAdmin(admin.ModelAdmin):
    list_display = ("category", "department")
    list_select_related = ("category", "category__parent", "department")


@admin.register(DepartmentRouting)
class DepartmentRoutingAdmin(admin.ModelAdmin):
    list_display = ("department", "auto_assign")
    list_editable = ("auto_assign",)


@admin.register(AgentAvailability)
class AgentAvailabilityAdmin(admin.ModelAdmin):
    list_display = ("user", "available", "updated_at", "updated_by")
    list_editable = ("available",)
    readonly_fields = ("updated_at", "updated_by")


# Audit records below: written by the services only.


@admin.register(ComplaintClassification)
class ComplaintClassificationAdmin(AppendOnlyAdmin):
    list_display = ("complaint", "classified_at", "category_source", "department",
                    "assigned_agent", "model_version")
    list_select_related = ("complaint", "department", "assigned_agent")
    list_filter = ("category_source",)
    search_fields = ("complaint__reference",)


@admin.register(ClassificationOverride)
class ClassificationOverrideAdmin(AppendOnlyAdmin):
    list_display = ("complaint", "actor", "old_category", "new_category", "old_priority",
                    "new_priority", "created_at")
    list_select_related = ("complaint", "actor", "old_category", "new_category")
    search_fields = ("complaint__reference", "reason")


@admin.register(ClassifierModel)
class ClassifierModelAdmin(AppendOnlyAdmin):
    list_display = ("version", "created_at", "accuracy", "top3_accuracy", "training_size",
                    "holdout_size", "library_version", "trained_by")
    exclude = ("artifact",)


@admin.register(InboundMessage)
class InboundMessageAdmin(AppendOnlyAdmin):
    """Every message a channel delivered, and what became of it (created, appended, skipped)."""

    list_display = ("created_at", "channel", "external_id", "outcome", "complaint", "reason")
    list_filter = ("channel", "outcome", "created_at")
    search_fields = ("external_id", "complaint__reference", "reason")
    list_select_related = ("complaint",)


@admin.register(RegulatorImport)
class RegulatorImportAdmin(AppendOnlyAdmin):
    """Uploaded through /intake/regulator-imports/; the rows are processed by a task."""

    list_display = ("original_name", "status", "total_rows", "created_count", "skipped_count",
                    "refused_count", "uploaded_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("uploaded_by",)
    search_fields = ("original_name", "uploaded_by__username")
    exclude = ("report",)
