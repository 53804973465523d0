import sys

from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from complaints import selectors
from kernel.db_down import is_connection_failure, unavailable_response


@login_required
def home(request):
    """Landing page for staff until the full workspace exists: recent complaints and links."""
    complaints = selectors.complaint_list(user=request.user)[:20]
    return render(request, "home.html", {"complaints": complaints})


# Models that moved out of `complaints` when the apps were split (issue 13): their admin pages
# moved with them; old bookmarks are sent on.
MOVED_ADMIN_MODELS = {
    "settingsversion": "kernel", "notification": "notifications",
    "outboundmessage": "notifications", "cannedresponse": "workspace",
    "redlinephrase": "workspace", "departmenttask": "workspace",
    "resultconfirmation": "followup", "satisfactionsurvey": "followup",
    "callbacktask": "followup", "callbackattempt": "followup", "followuptask": "followup",
}


def moved_admin(request, model: str, rest: str):
    query = request.META.get("QUERY_STRING", "")
    target = f"/admin/{MOVED_ADMIN_MODELS[model]}/{model}/{rest}" + (f"?{query}" if query else "")
    return HttpResponsePermanentRedirect(target)


# Errors Django itself answers (no view or DRF handler involved): JSON under /api/, as the API's
# schema documents them (kernel/openapi.py); the readable pages everywhere else.
def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": _("The request could not be read.")}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": _("You do not have permission to perform this action.")},
                            status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Called while the error is being handled: a lost database is a 503, not a 500.
    if is_connection_failure(sys.exc_info()[1]):
        return unavailable_response(request)
    if _is_api(request):
        return JsonResponse({"detail": _("Server error; please try again later.")}, status=500)
    return defaults.server_error(request)
