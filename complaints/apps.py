from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from config.periodic import register_periodic_tasks

        from .roles import ensure_roles

        # After the last app migrates, so every permission and beat table exists.
        post_migrate.connect(_after_migrate, dispatch_uid="complaints.after_migrate")
        self._hooks = (ensure_roles, register_periodic_tasks)


def _after_migrate(sender, app_config=None, **kwargs):
    from django.apps import apps

    # Once, after the last installed app, so every app's permissions exist by then.
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if app_config is None or app_config.label != with_models[-1].label:
        return
    for hook in apps.get_app_config("complaints")._hooks:
        hook()
