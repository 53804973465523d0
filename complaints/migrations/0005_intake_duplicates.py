"""Possible-duplicate links between complaints (intake, issue 3)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("complaints", "0004_outbound_messages")]

    operations = []
