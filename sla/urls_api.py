from django.urls import path

from . import api

urlpatterns = [
    path("escalations/", api.EscalationListApi.as_view(), name="api-escalations"),
    path("escalations/<str:reference>/acknowledge/", api.EscalationAcknowledgeApi.as_view(),
         name="api-escalation-acknowledge"),
    path("escalations/<str:reference>/expected-date/", api.EscalationExpectedDateApi.as_view(),
         name="api-escalation-expected-date"),
    path("escalations/<str:reference>/deescalate/", api.EscalationDeescalateApi.as_view(),
         name="api-escalation-deescalate"),
    path("complaints/<str:reference>/escalate/", api.ComplaintEscalateApi.as_view(),
         name="api-complaint-escalate"),
    path("complaints/<str:reference>/clocks/", api.ComplaintClocksApi.as_view(),
         name="api-complaint-clocks"),
]
