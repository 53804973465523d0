"""Public pages for customers (no login): /submit/, /track/, and the public API."""

from django.urls import path

from . import api_public, public_views

app_name = "public"

urlpatterns = [
    path("submit/", public_views.submit, name="submit"),
    path("submit/done/", public_views.submit_done, name="submit-done"),
    path("track/", public_views.track, name="track"),
    path("track/leave/", public_views.track_leave, name="track-leave"),
    path("track/<str:reference>/", public_views.track_detail, name="track-detail"),
    path("track/<str:reference>/add/", public_views.track_add, name="track-add"),
    path("track/<str:reference>/files/<int:attachment_id>/", public_views.track_attachment,
         name="track-attachment"),
    path("api/v1/public/complaints/", api_public.PublicComplaintApi.as_view(),
         name="api-complaints"),
]
