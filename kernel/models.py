"""Tables every app relies on. `SettingsVersion` kept its table name when it moved here from
`complaints` (the move changed the migration state only, see kernel/migrations/0001)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SettingsVersion(models.Model):
    """A random token per settings table, replaced by a database trigger on every change to
    that table (kernel/settings_cache.py): how a process knows the settings it keeps are
    still current. Rolled back with the change that set it."""

    table = models.CharField(max_length=63, primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        db_table = "complaints_settingsversion"
        verbose_name = _("settings version")
        verbose_name_plural = _("settings versions")
