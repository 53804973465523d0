"""Search index for the desk (issue 6)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("complaints", "0005_intake_duplicates")]

    operations = []
