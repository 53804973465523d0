from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from complaints import memo
        from complaints.events import complaint_changed
        from complaints.models import Category

        from .models import Rule
        from .receivers import on_complaint_changed

        complaint_changed.connect(on_complaint_changed, dispatch_uid="intake.classify_on_create")
        # Settings read once per memo scope (complaints/memo.py) are read again after a change.
        memo.invalidated_by(Rule, Category)
