from django.contrib import admin

from kernel.admin import ReadOnlyAdmin

from .models import ComplaintFact, DailyFigure, DirtyDay, ExportJob, ReportRun, SubscriberCount


@admin.register(SubscriberCount)
class SubscriberCountAdmin(admin.ModelAdmin):
    list_display = ["period_start", "subscribers", "note"]
    search_fields = ["note"]


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["kind", "period_start", "period_end", "sent_at"]
    list_filter = ["kind"]
    search_fields = ["kind"]
    readonly_fields = ["recipients", "created_at", "sent_at"]


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "owner", "format", "status", "total", "done", "created_at"]
    list_filter = ["status", "format"]
    search_fields = ["owner__username"]
    readonly_fields = ["params", "total", "done", "created_at", "finished_at"]


# Derived rows below: rebuilt by tasks, never edited by hand.


@admin.register(ComplaintFact)
class ComplaintFactAdmin(ReadOnlyAdmin):
    list_display = ["complaint", "day", "channel", "resolved", "first_contact", "refreshed_at"]
    list_filter = ["channel", "resolved"]
    search_fields = ["complaint__reference"]
    raw_id_fields = ["complaint"]
    list_select_related = ["complaint"]


@admin.register(DailyFigure)
class DailyFigureAdmin(ReadOnlyAdmin):
    list_display = ["day", "department_id", "channel", "category_id", "received"]
    list_filter = ["channel"]
    search_fields = ["channel"]


@admin.register(DirtyDay)
class DirtyDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "marked_at"]
    search_fields = ["day"]
