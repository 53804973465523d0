"""/healthz reports database, broker and worker; a real worker makes the worker "ok"."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from config.health import BEAT_HEARTBEAT_KEY, HEARTBEAT_KEY
from tests.worker import celery_worker, read_log, wait_for

pytestmark = pytest.mark.django_db


def test_without_a_worker_the_system_is_degraded_but_serving(client):
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert body["worker"] == {"ok": False, "last_heartbeat": None}


def test_unreachable_broker_is_reported_and_the_node_stays_in_service(client, settings):
    from config.celery import app

    original = app.conf.broker_url, app.conf.broker_write_url
    # nothing listens on port 1
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url, app.conf.broker_write_url = original
    assert response.status_code == 200  # intake still answers 201 with the broker down
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"]["ok"] is False


@pytest.mark.worker
def test_a_real_worker_runs_the_heartbeat_and_health_turns_ok(client):
    from config.celery import heartbeat

    cache.delete(HEARTBEAT_KEY)
    with celery_worker() as (queue, log):
        heartbeat.apply_async(queue=queue)
        assert wait_for(lambda: cache.get(HEARTBEAT_KEY)), read_log(log)
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["worker"]["ok"] is True


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_beat_schedules_the_heartbeat_from_the_database(client):
    """Beat reads the periodic task registered after migrate; nobody sends it by hand."""
    from django_celery_beat.models import PeriodicTask

    from kernel.periodic import register_periodic_tasks

    register_periodic_tasks()
    assert PeriodicTask.objects.filter(task="system.heartbeat").count() == 1
    PeriodicTask.objects.filter(task="system.heartbeat").update(
        last_run_at=timezone.now() - timedelta(minutes=5))
    cache.delete(HEARTBEAT_KEY)
    cache.delete(BEAT_HEARTBEAT_KEY)
    with celery_worker(beat=True) as (queue, log):
        assert wait_for(lambda: cache.get(HEARTBEAT_KEY), timeout=60), read_log(log)
    body = client.get("/healthz").json()
    assert body["worker"]["ok"] is True
    assert body["beat"]["ok"] is True  # beat's own heartbeat: it sent the task
