"""Workspace: canned responses, red-line phrases, dispatches, approvals (issue 6)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("complaints", "0006_search")]

    operations = []
