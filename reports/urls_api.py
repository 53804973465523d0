"""Reports through the API. Included at /api/v1/reports/."""

from django.urls import path

from . import api

urlpatterns = [
    path("dashboard/", api.DashboardApi.as_view(), name="api-reports-dashboard"),
    path("performance/", api.PerformanceApi.as_view(), name="api-reports-performance"),
    path("scheduled/", api.ScheduledListApi.as_view(), name="api-reports-scheduled"),
]
