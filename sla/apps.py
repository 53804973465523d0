from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Deadlines")

    def ready(self) -> None:
        from complaints import events
        from kernel import memo

        from .models import BusinessCalendar, CalendarDay, CalendarYear, SlaPolicy, SlaTarget
        from .receivers import (
            on_complaint_changed,
            on_complaints_created,
            plan_complaints_created,
        )

        events.subscribe("sla", on_complaint_changed)
        events.subscribe_created_stage("sla", on_complaints_created, plan=plan_complaints_created)
        # Settings read once per memo scope (kernel/memo.py) are read again after a change.
        memo.invalidated_by(BusinessCalendar, CalendarDay, CalendarYear, SlaPolicy, SlaTarget)
