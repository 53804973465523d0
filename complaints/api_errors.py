"""Domain errors to HTTP answers, in one place for the whole API (settings.REST_FRAMEWORK).
A stale version answers 409 with the complaint as it is now, so it lives with the record."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kernel.errors import DomainError, StaleVersion

from .api import ActivityOutput, ComplaintOutput


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        if isinstance(exc, StaleVersion):
            request = context.get("request")
            body["current"] = ComplaintOutput(exc.complaint, context={"request": request}).data
            body["changes"] = ActivityOutput(exc.changes, many=True).data
        return Response(body, status=exc.status_code)
    return drf_exception_handler(exc, context)
