"""Rules replace their settings token on every change (complaints/settings_cache.py)."""

from django.db import migrations

from complaints import settings_triggers

TABLES = ["intake_rule", "intake_rule_categories"]


class Migration(migrations.Migration):
    dependencies = [("intake", "0004_regulator_import"), ("complaints", "0010_settings_version")]

    operations = [settings_triggers.operation(TABLES)]
