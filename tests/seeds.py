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


class _ModelsNamedAtTheTime:
    """A data migration names its models by the app that held them when it was written; these
    moved since (complaints → workspace), so look them up where they are now."""

    def __init__(self, moved_to: str):
        self.moved_to = moved_to

    def get_model(self, app_label: str, model_name: str):
        from django.apps import apps

        return apps.get_model(self.moved_to, model_name)


def workspace_phrases() -> None:
    """The canned responses and red-line phrases migration 0007 seeds."""
    importlib.import_module("complaints.migrations.0007_workspace").seed(
        _ModelsNamedAtTheTime("workspace"), None)
