"""The rows data migrations seed (categories, calendars, deadline policies, rules). Emptying
the tables (a transactional test, `flush`) removes them and migrations do not run again:
`restore()` puts them back when they are missing."""

import importlib

MIGRATION_SEEDS = ["complaints.migrations.0002_seed_categories", "sla.migrations.0002_defaults",
                   "intake.migrations.0002_default_rules"]


def restore() -> None:
    from django.apps import apps

    from complaints.models import Category

    if not Category.objects.exists():
        for module in MIGRATION_SEEDS:
            importlib.import_module(module).seed(apps, None)
