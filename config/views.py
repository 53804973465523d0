from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from complaints import selectors


@login_required
def home(request):
    """Landing page for staff until the full workspace exists: recent complaints and links."""
    complaints = selectors.complaint_list(user=request.user)[:20]
    return render(request, "home.html", {"complaints": complaints})
