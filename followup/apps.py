from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from complaints import events
        from intake.channels import register_sms_reply_handler

        from .receivers import on_complaint_changed
        from .result_notice import sms_reply_receive

        events.subscribe("followup", on_complaint_changed)
        # "1" / "2" by SMS answers a result notice: intake asks us before recording a message.
        register_sms_reply_handler(sms_reply_receive)
