from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Deadlines")

    def ready(self) -> None:
        from complaints import memo
        from complaints.events import complaint_changed

        from .models import BusinessCalendar, CalendarDay, CalendarYear, SlaPolicy, SlaTarget
        from .receivers import on_complaint_changed

        complaint_changed.connect(on_complaint_changed, dispatch_uid="sla.on_complaint_changed")
        # Settings read once per memo scope (complaints/memo.py) are read again after a change.
        memo.invalidated_by(BusinessCalendar, CalendarDay, CalendarYear, SlaPolicy, SlaTarget)
