"""POST /api/v1/public/complaints/: the public web form as an API (apps, partner sites).

No login and no session: nothing here can ride on a browser's cookies, so CSRF does not apply.
Validated by the same form as /submit/ (intake/public_forms.py); recorded by the same service.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.errors import InvalidInput
from kernel.http import client_address
from kernel.json_input import BoundedJSONParser

from . import public
from .public_forms import PublicComplaintForm


class PublicComplaintInput(serializers.Serializer):
    """For the schema only: the form validates (one set of rules for page and API)."""

    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=30, help_text="Chinese mobile or landline number "
                                                           "with area code.")
    email = serializers.EmailField(required=False, allow_blank=True)
    service_number = serializers.CharField(max_length=40,
                                           help_text="The service number concerned.")
    category = serializers.CharField(required=False, allow_blank=True,
                                     help_text="An active leaf category's code.")
    description = serializers.CharField(help_text="At most INTAKE_PUBLIC_MAX_DESCRIPTION "
                                                  "characters (default 5000).")
    location = serializers.CharField(max_length=200)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False,
        help_text="Multipart only: up to 5 images, PDF or text files, 10 MB each; the type is "
                  "judged from the content.")
    accept_privacy = serializers.BooleanField(help_text="Must be true: the customer accepts "
                                                        "the personal information notice.")
    submission_id = serializers.UUIDField(
        required=False, help_text="A UUID the client makes once per complaint: sending it "
                                  "again returns the complaint already recorded.")
    website = serializers.CharField(required=False, allow_blank=True,
                                    help_text="Leave empty (a trap for bots).")


class PublicComplaintOutput(serializers.Serializer):
    reference = serializers.CharField(help_text="The complaint's reference (TS…).")
    tracking_url = serializers.CharField(help_text="Where the customer follows the complaint.")


class PublicRateLimitedOutput(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    retry_after = serializers.IntegerField(help_text="Seconds; also in Retry-After.")


class PublicComplaintApi(APIView):
    authentication_classes = []  # no session: CSRF-free by construction
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]

    @extend_schema(
        operation_id="public_complaint_create",
        summary="Submit a complaint as a customer (no login)",
        auth=[],
        request={"multipart/form-data": PublicComplaintInput,
                 "application/json": PublicComplaintInput},
        responses={
            201: PublicComplaintOutput,
            400: OpenApiResponse(description="Field errors: {field: [messages]}; "
                                             "non_field_errors for the whole submission."),
            429: OpenApiResponse(PublicRateLimitedOutput,
                                 description="Too many complaints from this IP address or "
                                             "phone number; see Retry-After."),
        },
    )
    def post(self, request):
        data = request.data
        form = PublicComplaintForm(_form_data(data), request.FILES)
        ip = client_address(request)
        if not form.is_valid():
            if form.honeypot_filled:
                public.honeypot_tripped(ip=ip, value=str(data.get("website", "")))
            return Response(_errors(form), status=400)
        try:
            complaint = public.public_complaint_submit(submission=form.submission(), ip=ip)
        except public.RateLimited as error:
            return Response({"detail": str(error.message), "code": error.code,
                             "retry_after": error.retry_after}, status=429,
                            headers={"Retry-After": str(error.retry_after)})
        except InvalidInput as error:
            return Response({error.field or "non_field_errors": [str(error.message)]},
                            status=400)
        return Response({"reference": complaint.reference,
                         "tracking_url": public.tracking_url(complaint.reference,
                                                             request=request)}, status=201)


def _form_data(data):
    """JSON bodies arrive as a dict: make them look like form data (booleans stay booleans)."""
    if hasattr(data, "getlist"):
        return data
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if key != "attachments"}


def _errors(form) -> dict:
    errors = {}
    for field, messages in form.errors.items():
        errors["non_field_errors" if field == "__all__" else field] = list(messages)
    return errors or {"non_field_errors": [_("The complaint was not accepted.")]}
