"""Admin for the workspace's models (imported by complaints/admin.py). Supervisors edit canned
responses and red lines in the app (/settings/…); the admin is for administrators."""

from django.contrib import admin

from workspace.models import CannedResponse, DepartmentTask, RedLinePhrase


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "channel", "sort_order", "is_active", "updated_by", "updated_at")
    list_filter = ("is_active", "channel")
    search_fields = ("title", "body")
    list_select_related = ("updated_by",)
    readonly_fields = ("updated_by", "updated_at")


@admin.register(RedLinePhrase)
class RedLinePhraseAdmin(admin.ModelAdmin):
    list_display = ("phrase", "suggestion", "is_active", "updated_by", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("phrase", "suggestion")
    list_select_related = ("updated_by",)
    readonly_fields = ("updated_by", "updated_at")


@admin.register(DepartmentTask)
class DepartmentTaskAdmin(admin.ModelAdmin):
    list_display = ("complaint", "department", "status", "due_at", "created_at", "returned_at")
    list_filter = ("status", "department")
    search_fields = ("complaint__reference", "instructions", "result")
    list_select_related = ("complaint", "department")
    raw_id_fields = ("complaint", "returned_by", "created_by")
