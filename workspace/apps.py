from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = _("Complaint workspace")

    def ready(self) -> None:
        from complaints.api import register_action_handler
        from complaints.lifecycle import Action

        from .api import dispatch_action

        # The API's dispatch action does what the page does: one task per department.
        register_action_handler(Action.DISPATCH, dispatch_action)
