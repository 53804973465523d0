"""/healthz reports each outage while it lasts: database, broker, cache, worker, beat (issue 16).

The caller here is on loopback (the test client's address), so it gets the details.
"""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from config.celery import heartbeat
from config.health import BEAT_HEARTBEAT_KEY, HEARTBEAT_KEY

pytestmark = pytest.mark.django_db(transaction=True)


def _fresh_heartbeats():
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now)
    cache.set(BEAT_HEARTBEAT_KEY, now)


def test_redis_down_is_reported_while_it_lasts_and_clears_when_it_is_back(redis_down, client):
    body = client.get("/healthz")
    assert body.status_code == 200  # intake still answers: a load balancer keeps the node
    body = body.json()
    assert body["status"] == "degraded" and body["database"]["ok"] is True
    assert body["broker"]["ok"] is False and body["cache"] == {"ok": False, "backend": "redis"}
    # The heartbeats live in Redis: unknown while it is down, not "never ran".
    assert body["worker"] == {"ok": False, "error": "cache unreachable"}
    assert body["beat"] == {"ok": False, "error": "cache unreachable"}

    redis_down.start()
    assert client.get("/healthz").json()["cache"]["ok"] is True  # back at once
    _fresh_heartbeats()
    body = client.get("/healthz").json()
    assert body["status"] == "ok", body
    assert body["broker"]["ok"] and body["cache"]["ok"] and body["worker"]["ok"]


@pytest.mark.postgres
def test_database_down_is_reported_while_it_lasts(own_cluster, client, agent):
    staff = client.__class__()
    staff.force_login(agent)  # a staff session, which cannot be read while the database is down
    _fresh_heartbeats()
    assert client.get("/healthz").json()["database"]["ok"] is True
    own_cluster.stop()
    for caller in (client, staff):
        response = caller.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "down" and body["database"]["ok"] is False, body
        assert body["broker"]["ok"] is True
    own_cluster.start()
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"]["ok"] is True, body


def test_beat_not_sending_the_heartbeat_is_reported(client):
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat())
    cache.delete(BEAT_HEARTBEAT_KEY)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and body["beat"] == {"ok": False,
                                                             "last_heartbeat": None}
    stale = (timezone.now() - timedelta(minutes=10)).isoformat()
    cache.set(BEAT_HEARTBEAT_KEY, stale)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded" and body["beat"]["ok"] is False
    assert body["beat"]["last_heartbeat"] == stale


def test_sending_the_heartbeat_is_what_marks_beat_alive(client):
    """Beat's only trace is the heartbeat task it publishes; publishing it records the time."""
    cache.delete(BEAT_HEARTBEAT_KEY)
    heartbeat.apply_async(queue="health-beat-test-unconsumed")
    assert client.get("/healthz").json()["beat"]["ok"] is True
