"""Calendars and deadline policies replace their settings token on every change
(kernel/settings_cache.py)."""

from django.db import migrations

from kernel import settings_triggers

TABLES = ["sla_calendarday", "sla_calendaryear", "sla_businesscalendar", "sla_slapolicy",
          "sla_slatarget"]


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_warning_label"), ("complaints", "0010_settings_version")]

    operations = [settings_triggers.operation(TABLES)]
