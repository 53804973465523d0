"""Possible-duplicate links between complaints (intake, issue 3)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("complaints", "0004_outbound_messages")]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="possible_duplicate_of",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="possible_duplicates", to="complaints.complaint",
                verbose_name="possible duplicate of",
                help_text="Another open complaint of the same customer and category, linked on "
                          "intake; an agent merges it or leaves it."),
        ),
    ]
