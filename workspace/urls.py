"""A complaint's page, its actions and reply composer; canned responses, red lines, approvals.

Included at the root BEFORE complaints.urls_api, so the API paths here win over its catch-all
`api/v1/complaints/<reference>/<action>/`.
"""

from django.urls import path

from workspace import api, views

urlpatterns = [
    # API
    path("api/v1/complaints/<str:reference>/dispatches/", api.DispatchListCreateApi.as_view(),
         name="api-complaint-dispatches"),
    path("api/v1/complaints/<str:reference>/dispatches/<int:task_id>/result/",
         api.DispatchResultApi.as_view(), name="api-complaint-dispatch-result"),
    path("api/v1/complaints/<str:reference>/replies/", api.ReplyApi.as_view(),
         name="api-complaint-replies"),
    path("api/v1/complaints/<str:reference>/investigation/", api.InvestigationApi.as_view(),
         name="api-complaint-investigation"),
    path("api/v1/complaints/<str:reference>/compensation/", api.CompensationApi.as_view(),
         name="api-complaint-compensation"),
    path("api/v1/complaints/<str:reference>/compensation/approve/",
         api.CompensationApproveApi.as_view(), name="api-complaint-compensation-approve"),
    path("api/v1/complaints/<str:reference>/resolution/", api.ResolutionApi.as_view(),
         name="api-complaint-resolution"),
    path("api/v1/canned-responses/", api.CannedResponseListApi.as_view(),
         name="api-canned-responses"),
    path("api/v1/redline/check/", api.RedLineCheckApi.as_view(), name="api-redline-check"),
    # Pages
    path("complaints/<str:reference>/", views.complaint_detail, name="complaint-detail"),
    path("complaints/<str:reference>/act/<slug:name>/", views.complaint_act,
         name="complaint-act"),
    path("complaints/<str:reference>/reveal/", views.complaint_reveal,
         name="complaint-reveal"),
    path("complaints/<str:reference>/canned/", views.canned_fill, name="complaint-canned"),
    path("workspace/red-line-check/", views.redline_check, name="workspace-redline-check"),
    path("approvals/", views.approvals, name="workspace-approvals"),
    path("settings/canned-responses/", views.canned_settings, name="workspace-canned"),
    path("settings/canned-responses/<int:item_id>/", views.canned_settings,
         name="workspace-canned-edit"),
    path("settings/red-lines/", views.redline_settings, name="workspace-redlines"),
    path("settings/red-lines/<int:item_id>/", views.redline_settings,
         name="workspace-redline-edit"),
]
