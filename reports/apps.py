from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from complaints.events import complaint_changed

        from .receivers import on_complaint_changed

        complaint_changed.connect(on_complaint_changed, dispatch_uid="reports.facts")
