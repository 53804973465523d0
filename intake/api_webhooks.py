"""Signed webhooks from the SMS gateway, WeChat and the app: POST
/api/v1/intake/webhooks/{channel}/.

Machine to machine: no session or token; the HMAC-SHA256 signature over the timestamp, the
Idempotency-Key and the body (intake/parsers/webhook.py) is the authentication, with a secret per
channel (INTAKE_WEBHOOK_SECRET_*). The required `Idempotency-Key` header is the message's id at
the source: a retry with the same key and body answers 200 with the complaint the first call
created (201); the same key with another body answers 409 and records nothing.
"""

import dataclasses

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from kernel.json_input import BoundedJSONParser, InvalidJson, json_loads_bounded

from .channels import IdempotencyConflict
from .pipeline import intake_receive
from .parsers.webhook import (
    MAX_ID_LENGTH,
    WEBHOOK_CHANNELS,
    InvalidPayload,
    WebhookRejected,
    parse_webhook,
    payload_digest,
    verify_signature,
)


class WebhookReceiptOutput(serializers.Serializer):
    reference = serializers.CharField(help_text="The complaint's reference (TS…).")
    status = serializers.CharField()
    created = serializers.BooleanField(help_text="false: a retry (same Idempotency-Key) or an "
                                                 "answer added to an existing complaint.")
    appended = serializers.BooleanField(help_text="The message answered an existing complaint "
                                                  "and was added to its timeline.")
    tracking = serializers.CharField(help_text="Where the customer can follow the complaint.")


class WebhookErrorOutput(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    field = serializers.CharField(required=False, help_text="The payload field at fault "
                                                            "(dotted when nested).")


def _error(status: int, detail: str, code: str, field: str | None = None) -> Response:
    body = {"detail": detail, "code": code}
    if field is not None:
        body["field"] = field
    return Response(body, status=status)


class IntakeWebhookApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [BoundedJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "intake_webhook"

    @extend_schema(
        operation_id="intake_webhook",
        summary="Receive a message from the SMS gateway, WeChat or the app",
        auth=[],
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("channel", str, OpenApiParameter.PATH, enum=list(WEBHOOK_CHANNELS)),
            OpenApiParameter("X-Signature", str, OpenApiParameter.HEADER, required=True,
                             description="sha256=<hex HMAC-SHA256 of \"{timestamp}."
                                         "{Idempotency-Key}.\" + body>"),
            OpenApiParameter("X-Timestamp", str, OpenApiParameter.HEADER, required=True,
                             description="Unix time in seconds; at most 5 minutes old."),
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
                             description="The message's id at the source, covered by the "
                                         "signature; a retry sends the same key and body."),
        ],
        responses={
            201: WebhookReceiptOutput,
            200: OpenApiResponse(WebhookReceiptOutput,
                                 description="A retry, or an answer to an existing complaint."),
            400: OpenApiResponse(WebhookErrorOutput, description="Bad payload or headers."),
            401: OpenApiResponse(WebhookErrorOutput, description="Bad, outdated or expired "
                                                                 "signature."),
            404: OpenApiResponse(WebhookErrorOutput, description="Unknown channel."),
            409: OpenApiResponse(WebhookErrorOutput, description="The Idempotency-Key was used "
                                                                 "before with another body."),
            429: OpenApiResponse(WebhookErrorOutput, description="Too many requests."),
        },
    )
    def post(self, request, channel: str):
        if channel not in WEBHOOK_CHANNELS:
            return _error(404, _("Unknown webhook channel “%(channel)s”.") % {"channel": channel},
                          "unknown_channel")
        body = request.body  # the exact bytes signed; request.data is never read
        key = request.headers.get("Idempotency-Key", "").strip()
        try:
            verify_signature(
                body, request.headers.get("X-Signature", ""),
                settings.INTAKE_WEBHOOK_SECRETS.get(channel, ""),
                request.headers.get("X-Timestamp", ""), now=timezone.now(),
                max_age=settings.INTAKE_WEBHOOK_MAX_AGE, key=key)
        except WebhookRejected as error:
            return _error(401, str(error), error.code)
        if not key or len(key) > MAX_ID_LENGTH:
            return _error(400, _("The Idempotency-Key header is required (at most %(max)d "
                                 "characters): send the message's id, the same on every "
                                 "retry.") % {"max": MAX_ID_LENGTH},
                          "missing_idempotency_key", "Idempotency-Key")
        try:
            payload = json_loads_bounded(body)
        except InvalidJson as error:
            return _error(400, str(error.message), "invalid_json", error.field)
        try:
            message = parse_webhook(channel, payload, now=timezone.now())
        except InvalidPayload as error:
            return _error(400, str(error), "invalid_payload", error.field)
        message = dataclasses.replace(
            message, external_id=key,
            metadata=message.metadata | {"source_id": message.external_id})
        try:  # InvalidInput: 400 by the exception handler
            result = intake_receive(message=message, payload_digest=payload_digest(body, key))
        except IdempotencyConflict as error:
            return _error(409, str(error.message), error.code, error.field)
        complaint = result.complaint
        complaint.refresh_from_db(fields=["status"])
        return Response({"reference": complaint.reference, "status": complaint.status,
                         "created": result.created, "appended": result.appended,
                         "tracking": settings.INTAKE_TRACKING_URL},
                        status=201 if result.created else 200)
