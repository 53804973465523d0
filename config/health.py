"""/healthz: database, broker and worker status, for load balancers and people."""

import ipaddress

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from kernel.http import client_address

HEARTBEAT_KEY = "health:worker-heartbeat"


def record_worker_heartbeat() -> str:
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure is "down", with its reason
        return {"ok": False, "error": exc.__class__.__name__}


def check_broker() -> dict:
    app = current_app  # the project's app (config/celery.py), without importing it back
    transport = app.conf.broker_url.split("://", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": transport}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": transport, "error": exc.__class__.__name__}


def check_worker() -> dict:
    try:
        last = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001 - the cache is Redis in production
        return {"ok": False, "error": exc.__class__.__name__}
    if not last:
        return {"ok": False, "last_heartbeat": None}
    age = (timezone.now() - timezone.datetime.fromisoformat(last)).total_seconds()
    return {"ok": age <= settings.WORKER_HEARTBEAT_MAX_AGE, "last_heartbeat": last,
            "age_seconds": round(age)}


@never_cache
def healthz(request):
    checks = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    if not (checks["database"]["ok"] and checks["broker"]["ok"]):
        state, code = "down", 503
    elif not checks["worker"]["ok"]:
        state, code = "degraded", 200  # the web still serves; timers wait for the worker
    else:
        state, code = "ok", 200
    if not may_see_details(request):
        # Anonymous callers from outside (a load balancer, anyone) learn up or down, not which
        # database or broker runs behind the site.
        return JsonResponse({"status": state}, status=code)
    return JsonResponse({"status": state, **checks}, status=code)


def may_see_details(request) -> bool:
    """Logged-in staff, or a caller on this machine (monitoring, an operator's curl)."""
    if request.user.is_authenticated:
        return True
    try:
        return ipaddress.ip_address(client_address(request)).is_loopback
    except ValueError:
        return False
