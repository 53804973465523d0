"""The desk: queues, search, bulk actions, team workload. Included at /desk/ (before sla.urls,
which serves /desk/escalations/)."""

from django.urls import path

from desk import views

app_name = "desk"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("availability/", views.availability, name="availability"),
    path("team/", views.team, name="team"),
]
