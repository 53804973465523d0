from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from complaints import events

        from .receivers import on_complaint_changed, on_complaints_created

        events.subscribe("reports", on_complaint_changed)
        events.subscribe_created_stage("reports", on_complaints_created)
