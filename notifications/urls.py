"""The staff outbox of messages to customers (mounted at /outbox/)."""

from django.urls import path

from notifications import views as outbox_views

urlpatterns = [
    path("", outbox_views.outbox, name="outbox"),
    path("<int:message_id>/retry/", outbox_views.outbox_retry, name="outbox-retry"),
]
