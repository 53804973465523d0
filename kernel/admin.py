"""Admin bases shared by the apps, and the admin for SettingsVersion.

- NoAddMixin: rows are created by the services only (works on ModelAdmin and inlines).
- ReadOnlyAdmin: no add, no change; an administrator may still delete (derived or working rows).
- AppendOnlyAdmin: no add, change or delete (audit rows, written by the services only).
"""

from django.contrib import admin

from .models import SettingsVersion


class NoAddMixin:
    def has_add_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoAddMixin, admin.ModelAdmin):
    def has_change_permission(self, request, obj=None):
        return False


class AppendOnlyAdmin(ReadOnlyAdmin):
    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SettingsVersion)
class SettingsVersionAdmin(AppendOnlyAdmin):
    """The tokens are written by database triggers (kernel/settings_cache.py)."""

    list_display = ("table", "token")
    search_fields = ("table",)
