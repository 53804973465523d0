from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from complaints import events
        from complaints.models import Category
        from kernel import memo

        from .models import CategoryRoute, DepartmentRouting, Rule
        from .batch_plan import plan_created, write_created
        from .receivers import on_complaint_changed

        events.subscribe("intake", on_complaint_changed)
        events.subscribe_created_stage("intake", write_created, plan=plan_created)
        # Settings read once per memo scope (kernel/memo.py) are read again after a change.
        memo.invalidated_by(Rule, Category, CategoryRoute, DepartmentRouting)
