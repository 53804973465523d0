"""Permission checks shared by the apps' staff pages and HTTP APIs."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from .errors import NotAllowed


def staff_permission(*perms: str) -> Callable[[Callable], Callable]:
    """View decorator: anonymous users go to the login page; logged-in users without all of
    `perms` get 403, and so does a view whose service refuses with NotAllowed."""

    def decorate(view):
        @wraps(view)
        def check(request, *args, **kwargs):
            if not request.user.has_perms(perms):
                raise PermissionDenied
            try:
                return view(request, *args, **kwargs)
            except NotAllowed as exc:
                raise PermissionDenied(exc.message) from exc

        return login_required(check)

    return decorate


def require_perm(perm: str) -> type[BasePermission]:
    """DRF permission class: an authenticated user who holds `perm`."""

    class HasPermission(BasePermission):
        message = "You do not have permission to do this."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated
                        and request.user.has_perm(perm))

    HasPermission.__name__ = f"Has_{perm.replace('.', '_')}"
    return HasPermission


def actor_must_have(actor, *perms: str, message: str | None = None) -> None:
    """In a service: refuse (NotAllowed, a 403 on pages and the API) unless `actor` holds every
    one of `perms`; a missing actor (a system caller) holds none."""
    if actor is None or not actor.has_perms(perms):
        raise NotAllowed(message or _("Your role may not do this."))
