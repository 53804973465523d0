"""PostgreSQL unreachable: a clear 503 with Retry-After, never a 500 traceback (issue 16).

While the database is down (restarting, failing over, out of connections) every request that
needs it fails with a connection error. The caller can do nothing about it but try again later, so
it gets a 503 with `Retry-After`: JSON under /api/ (integrators retry on 5xx with the same keys),
the readable page elsewhere. What was being written is rolled back with the transaction that
wrote it, so nothing is left half written.

Only connection failures are turned into 503: any other database error (a constraint, a deadlock,
a bad query) is a bug or a conflict and stays what it was.

`DatabaseUnavailableMiddleware` catches the views' errors; config/views.server_error uses
`unavailable_response` for those raised elsewhere (another middleware, a session save).
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# SQLSTATE classes and codes that mean "no usable connection": connection exceptions (08...),
# the server shutting down or starting up (57P01-57P03), too many connections (53300).
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_connection_failure(error: BaseException | None) -> bool:
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    state = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    if state is None:
        # psycopg raises connection failures (refused, closed, terminated) without a SQLSTATE;
        # SQLite's "database is locked" and the like have none either, and are not outages.
        return cause is not None and type(cause).__module__.startswith("psycopg")
    return state.startswith(_CONNECTION_STATES)


def retry_after_seconds() -> int:
    return int(getattr(settings, "DATABASE_UNAVAILABLE_RETRY_AFTER", 30))


def unavailable_response(request) -> HttpResponse:
    seconds = retry_after_seconds()
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _("The service is temporarily unavailable; please try "
                                             "again in %(seconds)d seconds.") % {
                                     "seconds": seconds}}, status=503)
    else:
        # Rendered without the request: its context processors could need the database.
        response = HttpResponse(render_to_string("503.html", {"seconds": seconds}), status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_connection_failure(exception):
            return unavailable_response(request)
        return None
