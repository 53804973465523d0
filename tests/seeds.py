"""The rows data migrations seed (categories, calendars, deadline policies, rules). Emptying
the tables (a transactional test, `flush`) removes them and migrations do not run again:
`restore()` puts back whichever are missing."""

import importlib

# Each data migration's seed function, and the model whose emptiness says it is missing.
MIGRATION_SEEDS = [("complaints.migrations.0002_seed_categories", "complaints.Category"),
                   ("sla.migrations.0002_defaults", "sla.SlaPolicy"),
                   ("intake.migrations.0002_default_rules", "intake.Rule")]


def restore() -> None:
    from django.apps import apps

    for module, model in MIGRATION_SEEDS:
        if not apps.get_model(model).objects.exists():
            importlib.import_module(module).seed(apps, None)
