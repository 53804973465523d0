from django.contrib import admin

from kernel.admin import NoAddMixin

from .models import Notification, OutboundMessage


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "complaint", "message", "read_at")
    list_filter = ("kind", "read_at", "created_at")
    search_fields = ("message", "recipient__username", "complaint__reference")
    list_select_related = ("recipient", "complaint")
    raw_id_fields = ("complaint", "recipient")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(NoAddMixin, admin.ModelAdmin):
    list_display = ("created_at", "complaint", "channel", "purpose", "status", "send_after",
                    "sent_at", "attempts")
    list_filter = ("status", "channel", "purpose", "created_at")
    search_fields = ("complaint__reference", "masked_body")
    list_select_related = ("complaint",)
    readonly_fields = ("complaint", "channel", "subject", "masked_body", "purpose",
                       "dedupe_key", "attempts", "last_error", "sent_at", "created_at")
    # A phone number or email address: personal data; the text as sent: one-time codes and
    # survey links, with which staff could act as the customer (they see masked_body).
    exclude = ("recipient", "body")
