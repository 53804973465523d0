"""Response headers every page needs (docs/security.md, "Headers")."""

from django.utils.cache import add_never_cache_headers, patch_cache_control


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
