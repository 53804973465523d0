"""Rules replace their settings token on every change (complaints/settings_cache.py)."""

from django.db import migrations

from complaints import settings_triggers

TABLES = ["intake_rule", "intake_rule_categories"]


def forwards(apps, schema_editor):
    settings_triggers.install(schema_editor, TABLES)


def backwards(apps, schema_editor):
    settings_triggers.remove(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [("intake", "0004_regulator_import"), ("complaints", "0010_settings_version")]

    operations = [migrations.RunPython(forwards, backwards)]
