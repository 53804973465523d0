"""Category routes, department routing and classifier versions replace their settings token
on every change too, so a process keeps them until they change (kernel/settings_cache.py)."""

from django.db import migrations

from kernel import settings_triggers

TABLES = ["intake_categoryroute", "intake_departmentrouting", "intake_classifiermodel"]


class Migration(migrations.Migration):
    dependencies = [("intake", "0006_inbound_payload_digest")]

    operations = [settings_triggers.operation(TABLES)]
