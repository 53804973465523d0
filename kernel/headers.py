"""What every request and answer goes through (docs/security.md): caching headers, the size
of a request's body."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _


class NoStoreMiddleware:
    """`Cache-Control: no-store` on everything Django answers: staff pages, the API, the public
    form and the tracking page (personal data, CSRF tokens). Static files never reach it
    (WhiteNoise answers them first, with their own long caching). A view that set its own
    Cache-Control keeps it, except on the API and for logged-in staff, who always get no-store."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        elif "no-store" not in response["Cache-Control"] and (
                request.path.startswith("/api/") or _is_staff(request)):
            patch_cache_control(response, no_store=True, private=True)
        return response


def _is_staff(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)


class RequestSizeLimitMiddleware:
    """413 for a body announced larger than REQUEST_MAX_BYTES, before anything reads it (the
    CSRF check, the upload handlers that would spool 50 MB to disk first). A body without a
    Content-Length is read as empty by Django, so the header is the whole story."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length <= limit:
            return self.get_response(request)
        message = _("The request is %(size)s; at most %(limit)s can be sent at once (all files "
                    "together). Nothing was saved.") % {
            "size": filesizeformat(length), "limit": filesizeformat(limit)}
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message, "code": "request_too_large"}, status=413)
        else:
            response = render(request, "413.html", {"message": message}, status=413)
        response["Connection"] = "close"  # the unread body is not worth reading
        add_never_cache_headers(response)
        return response
