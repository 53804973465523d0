from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    name = "kernel"
    verbose_name = _("System")

    def ready(self) -> None:
        from . import periodic, roles

        # After the last app migrates, so every permission and beat table exists.
        post_migrate.connect(_after_migrate, dispatch_uid="kernel.after_migrate")
        self._hooks = (roles.ensure_roles, periodic.register_periodic_tasks)


def _after_migrate(sender, app_config=None, **kwargs):
    from django.apps import apps

    # Once, after the last installed app, so every app's permissions exist by then.
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if app_config is None or app_config.label != with_models[-1].label:
        return
    for hook in apps.get_app_config("kernel")._hooks:
        hook()
