"""The reports dashboard and exports. Included at /reports/."""

from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("complaints/", views.complaints, name="complaints"),
    path("performance/", views.performance, name="performance"),
    path("export/desk/", views.desk_export, name="desk-export"),
    path("exports/<int:pk>/", views.export_job, name="export-job"),
    path("exports/<int:pk>/download/", views.export_download, name="export-download"),
    path("scheduled/", views.scheduled, name="scheduled"),
    path("scheduled/<int:pk>/download/", views.scheduled_download, name="scheduled-download"),
]
