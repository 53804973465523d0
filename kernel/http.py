"""Small helpers for the staff pages' requests: query strings and the way back after a form."""

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def query_without(params: QueryDict, *names: str) -> str:
    """The query string of `params` without `names`: links that keep the filters but, say, not
    the page number."""
    kept = params.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


def redirect_to_next(request: HttpRequest, fallback: str, *args, **kwargs) -> HttpResponseRedirect:
    """Back to the page the form came from (its POST `next`), never to another site; otherwise
    to `fallback` (a URL name with its arguments, or a path)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback, *args, **kwargs)


def client_address(request: HttpRequest) -> str:
    """The caller's address; behind INTAKE_PUBLIC_NUM_PROXIES trusted proxies (the same proxies
    front every page), from X-Forwarded-For counted from the right, so a forged left part is
    ignored."""
    proxies = settings.INTAKE_PUBLIC_NUM_PROXIES
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
