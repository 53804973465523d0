"""Closing the loop: result confirmation, surveys, callbacks (included at the site root)."""

from django.urls import path

from followup import api as api_closing
from followup import views as closing_views

urlpatterns = [
    # The customer, on the tracking page (session grant) and by the SMS survey link.
    path("track/<str:reference>/confirm/", closing_views.track_confirm,
         name="closing-track-confirm"),
    path("track/<str:reference>/survey/", closing_views.track_survey,
         name="closing-track-survey"),
    path("survey/<str:token>/", closing_views.survey_link, name="closing-survey-link"),
    # Staff.
    path("callbacks/", closing_views.callbacks, name="closing-callbacks"),
    path("callbacks/<int:task_id>/attempt/", closing_views.callback_attempt,
         name="closing-callback-attempt"),
    path("callbacks/<int:task_id>/phone/", closing_views.callback_phone,
         name="closing-callback-phone"),
    path("callbacks/reviews/<int:task_id>/done/", closing_views.review_done,
         name="closing-review-done"),
    # API (before complaints.urls_api, which is included after this module).
    path("api/v1/complaints/<str:reference>/confirmation/",
         api_closing.ComplaintConfirmationApi.as_view(), name="api-complaint-confirmation"),
    path("api/v1/complaints/<str:reference>/survey/", api_closing.ComplaintSurveyApi.as_view(),
         name="api-complaint-survey"),
    path("api/v1/reviews/", api_closing.ReviewListApi.as_view(), name="api-reviews"),
    path("api/v1/reviews/<int:task_id>/done/", api_closing.ReviewDoneApi.as_view(),
         name="api-review-done"),
    path("api/v1/callbacks/", api_closing.CallbackListApi.as_view(), name="api-callbacks"),
    path("api/v1/callbacks/<int:task_id>/", api_closing.CallbackDetailApi.as_view(),
         name="api-callback"),
    path("api/v1/callbacks/<int:task_id>/attempts/", api_closing.CallbackAttemptApi.as_view(),
         name="api-callback-attempts"),
]
