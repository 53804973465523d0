from django.urls import path

from . import views

app_name = "sla"
urlpatterns = [
    path("escalations/", views.escalation_queue, name="escalations"),
    path("escalations/<str:reference>/<str:action>/", views.escalation_action,
         name="escalation-action"),
]
