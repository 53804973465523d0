"""Classification: the staff pages (rules, routing, a complaint's classification) and the API
under /api/v1/. Included at the root by config/urls.py."""

from django.urls import path

from . import api, api_create, api_webhooks, views

urlpatterns = [
    path("api/v1/complaints/", api_create.ComplaintListCreateApi.as_view(),
         name="api-complaints"),
    # API. "classification" and "suggestions" are not lifecycle action names, so these do not
    # collide with complaints' /complaints/<reference>/<action>/ route.
    path("api/v1/complaints/<str:reference>/classification/",
         api.ComplaintClassificationApi.as_view(), name="api-complaint-classification"),
    path("api/v1/complaints/<str:reference>/suggestions/",
         api.ComplaintSuggestionsApi.as_view(), name="api-complaint-suggestions"),
    path("api/v1/classification/try/", api.ClassificationTryApi.as_view(),
         name="api-classification-try"),
    path("api/v1/intake/webhooks/<str:channel>/", api_webhooks.IntakeWebhookApi.as_view(),
         name="api-intake-webhook"),
    # Staff pages.
    path("rules/", views.rule_list, name="intake-rules"),
    path("rules/new/", views.rule_edit, name="intake-rule-new"),
    path("rules/<int:rule_id>/", views.rule_edit, name="intake-rule-edit"),
    path("rules/<int:rule_id>/enabled/", views.rule_enabled, name="intake-rule-enabled"),
    path("rules/<int:rule_id>/move/", views.rule_move, name="intake-rule-move"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="intake-rule-delete"),
    path("routing/", views.routing, name="intake-routing"),
    path("classifier/", views.classifier_versions, name="intake-classifier"),
    path("complaints/<str:reference>/classification/", views.complaint_classification,
         name="intake-complaint-classification"),
    path("complaints/<str:reference>/classification/pick/", views.suggestion_pick,
         name="intake-suggestion-pick"),
]
