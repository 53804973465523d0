from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render

from complaints import selectors


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
