from django.urls import path, re_path
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.throttling import ScopedRateThrottle

from kernel.json_input import BoundedJSONParser

from . import api
from .lifecycle import Action


class TokenApi(ObtainAuthToken):
    """POST username and password, get the API token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    parser_classes = [FormParser, MultiPartParser, BoundedJSONParser]  # DRF's own lists JSONParser

    def get_serializer_context(self):
        # The login lockout (kernel/login_lockout.py) marks the Django request, which its
        # middleware turns into the 429 answer; DRF's wrapper would keep the mark to itself.
        return {**super().get_serializer_context(), "request": self.request._request}


ACTIONS = "|".join(a.value for a in Action)

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("complaints/<str:reference>/", api.ComplaintDetailApi.as_view(),
         name="api-complaint"),
    path("complaints/<str:reference>/assign/", api.ComplaintAssignApi.as_view(),
         name="api-complaint-assign"),
    path("complaints/<str:reference>/notes/", api.ComplaintNoteApi.as_view(),
         name="api-complaint-notes"),
    path("complaints/<str:reference>/reveal/", api.ComplaintRevealApi.as_view(),
         name="api-complaint-reveal"),
    path("complaints/<str:reference>/attachments/", api.ComplaintAttachmentsApi.as_view(),
         name="api-complaint-attachments"),
    path("complaints/<str:reference>/attachments/<int:attachment_id>/",
         api.ComplaintAttachmentDownloadApi.as_view(), name="api-complaint-attachment"),
    path("categories/", api.CategoryListApi.as_view(), name="api-categories"),
    path("departments/", api.DepartmentListApi.as_view(), name="api-departments"),
]
urlpatterns.append(
    # A regex so an unknown action is a 404, not a 500.
    re_path(rf"^complaints/(?P<reference>[^/]+)/(?P<action>{ACTIONS})/$",
            api.ComplaintTransitionApi.as_view(), name="api-complaint-action"))
