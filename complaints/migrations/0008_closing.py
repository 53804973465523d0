"""Closing the loop: surveys, callbacks, retention (issue 7)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("complaints", "0007_workspace")]

    operations = []
