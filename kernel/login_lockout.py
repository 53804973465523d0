"""Brute-force protection of every password entry (django-axes): the login form, the admin's
login and the API token endpoint. docs/security.md, "Login lockout"."""

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kernel.http import client_address


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out account or address before the password is checked.

    A login without a request never comes from the network (the test client's login(), a
    management command), so there is nothing to count and nobody to lock out."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_client_ip(request) -> str | None:
    # None (not "unknown") for a request made up in code, such as the test client's
    # force_login(): the access log stores addresses in an inet column.
    address = client_address(request)
    return None if address == "unknown" else address


def lockout_message(request) -> str:
    cool_off = get_cool_off(request)
    if not cool_off:
        return _("Too many failed login attempts. This account or address is locked; "
                 "ask an administrator to unlock it.")
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    return ngettext(
        "Too many failed login attempts. Try again in %(n)d minute, or ask an administrator "
        "to unlock the account.",
        "Too many failed login attempts. Try again in %(n)d minutes, or ask an administrator "
        "to unlock the account.", minutes) % {"n": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """429 for a locked-out attempt: JSON with a `detail` on the API, the login form with the
    message on pages (the admin's login included)."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": "login_locked"}, status=429)
    else:
        form = AuthenticationForm(request)
        response = render(request, "registration/login.html",
                          {"form": form, "lockout_message": message,
                           "next": request.GET.get("next", "")}, status=429)
    cool_off = get_cool_off(request)
    if cool_off:
        response["Retry-After"] = str(math.ceil(cool_off.total_seconds()))
    return response
