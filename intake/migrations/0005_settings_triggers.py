"""Rules replace their settings token on every change (kernel/settings_cache.py)."""

from django.db import migrations

from kernel import settings_triggers

TABLES = ["intake_rule", "intake_rule_categories"]


class Migration(migrations.Migration):
    dependencies = [("intake", "0004_regulator_import"), ("complaints", "0010_settings_version")]

    operations = [settings_triggers.operation(TABLES)]
