"""Admin for closing the loop (issue 7): read-mostly views of answers, surveys and callbacks.
The work itself happens at /callbacks/ and on the tracking page."""

from django.contrib import admin

from followup.models import (
    CallbackAttempt,
    CallbackTask,
    FollowUpTask,
    ResultConfirmation,
    SatisfactionSurvey,
)
from kernel.admin import NoAddMixin, ReadOnlyAdmin


@admin.register(ResultConfirmation)
class ResultConfirmationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "complaint", "cycle", "answer", "channel")
    list_filter = ("answer", "channel", "created_at")
    search_fields = ("complaint__reference",)
    list_select_related = ("complaint",)


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyAdmin):
    list_display = ("answered_at", "complaint", "stars", "channel")
    list_filter = ("stars", "channel", "answered_at")
    search_fields = ("complaint__reference", "comment")
    list_select_related = ("complaint",)


class CallbackAttemptInline(NoAddMixin, admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("attempted_at", "result", "note", "actor")


@admin.register(CallbackTask)
class CallbackTaskAdmin(NoAddMixin, admin.ModelAdmin):
    list_display = ("complaint", "reason", "assignee", "due_at", "status", "outcome")
    list_filter = ("status", "outcome", "reason")
    search_fields = ("complaint__reference", "assignee__username")
    list_select_related = ("complaint", "assignee")
    raw_id_fields = ("complaint", "assignee", "handler")
    readonly_fields = ("complaint", "cycle", "reason", "handler", "status", "outcome",
                       "created_at", "completed_at")
    fields = ("complaint", "cycle", "reason", "handler", "assignee", "scheduled_at", "due_at",
              "status", "outcome", "created_at", "completed_at")
    inlines = [CallbackAttemptInline]


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    list_display = ("attempted_at", "task", "result", "actor")
    list_filter = ("result",)
    list_select_related = ("task", "actor")


@admin.register(FollowUpTask)
class FollowUpTaskAdmin(admin.ModelAdmin):
    list_display = ("created_at", "complaint", "kind", "assignee", "status")
    list_filter = ("kind", "status")
    search_fields = ("complaint__reference",)
    list_select_related = ("complaint", "assignee")
    raw_id_fields = ("complaint", "assignee")
    readonly_fields = ("complaint", "kind", "created_at", "completed_at")
