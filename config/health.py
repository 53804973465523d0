"""/healthz: database, broker, cache, worker and beat status, for load balancers and people.

Each part is reported while it is out (issue 16): the database and the broker by asking them
now, the cache (Redis) by a ping, the worker by the time it last ran the heartbeat task, beat by
the time it last sent it (both kept in the cache, so they read as unknown while Redis is down).
"""

import ipaddress

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from kernel.http import client_address

HEARTBEAT_KEY = "health:worker-heartbeat"
BEAT_HEARTBEAT_KEY = "health:beat-heartbeat"


def record_worker_heartbeat() -> str:
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now


def record_beat_heartbeat() -> str:
    """Beat sent the heartbeat task (config/celery.py, after it was published)."""
    now = timezone.now().isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure is "down", with its reason
        # A connection the server dropped is let go, so the next check connects afresh.
        connection.close_if_unusable_or_obsolete()
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


def check_cache() -> dict:
    reachable = getattr(cache, "reachable", None)  # kernel/resilient_cache.py (Redis)
    if reachable is None:
        # A local cache (file, memory: development and tests) has no server to lose.
        return {"ok": True, "backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}
    return {"ok": reachable(), "backend": "redis"}


def check_worker(cache_state: dict | None = None) -> dict:
    return _heartbeat(HEARTBEAT_KEY, settings.WORKER_HEARTBEAT_MAX_AGE, cache_state)


def check_beat(cache_state: dict | None = None) -> dict:
    return _heartbeat(BEAT_HEARTBEAT_KEY, settings.BEAT_HEARTBEAT_MAX_AGE, cache_state)


def _heartbeat(key: str, max_age: int, cache_state: dict | None) -> dict:
    if cache_state is not None and not cache_state["ok"]:
        return {"ok": False, "error": "cache unreachable"}
    try:
        last = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - the cache is Redis in production
        return {"ok": False, "error": exc.__class__.__name__}
    if not last:
        return {"ok": False, "last_heartbeat": None}
    age = (timezone.now() - timezone.datetime.fromisoformat(last)).total_seconds()
    return {"ok": age <= max_age, "last_heartbeat": last, "age_seconds": round(age)}


@never_cache
def healthz(request):
    cache_state = check_cache()
    checks = {"database": check_database(), "broker": check_broker(), "cache": cache_state,
              "worker": check_worker(cache_state), "beat": check_beat(cache_state)}
    if not checks["database"]["ok"]:
        state, code = "down", 503
    elif not all(checks[part]["ok"] for part in ("broker", "cache", "worker", "beat")):
        # The web still serves and intake still accepts (the database holds the work; sweeps
        # hand it on when Redis or the worker is back): a load balancer must keep this node.
        state, code = "degraded", 200
    else:
        state, code = "ok", 200
    if not may_see_details(request):
        # Anonymous callers from outside (a load balancer, anyone) learn up or down, not which
        # database or broker runs behind the site.
        return JsonResponse({"status": state}, status=code)
    return JsonResponse({"status": state, **checks}, status=code)


def may_see_details(request) -> bool:
    """Logged-in staff, or a caller on this machine (monitoring, an operator's curl)."""
    try:
        if ipaddress.ip_address(client_address(request)).is_loopback:
            return True
    except ValueError:
        pass
    try:
        return request.user.is_authenticated
    except DatabaseError:  # the session cannot be read while the database is down
        return False
