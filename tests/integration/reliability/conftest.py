"""Real servers a test can stop: its own Redis (cache and broker) and its own PostgreSQL."""

import subprocess

import pytest
from django.core.cache import cache
from django.db import connection

from config.celery import app

from tests.servers import PG_BIN, postgres_cluster, redis_server


def _new_broker_pool():
    """Celery keeps its broker connections (and producers) in a pool made for the old URL."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings):
    """The cache and the broker on a real Redis of this test's own, which is then killed."""
    with redis_server() as server:
        settings.CACHES = {"default": {
            **settings.CACHES["default"],
            "BACKEND": "kernel.resilient_cache.ResilientRedisCache", "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
        original = app.conf.broker_url, app.conf.broker_write_url
        app.conf.broker_url = app.conf.broker_write_url = server.url
        _new_broker_pool()
        try:
            cache.set("reliability:probe", 1)  # it was up, and in use
            assert cache.get("reliability:probe") == 1
            server.kill()
            yield server
        finally:
            app.conf.broker_url, app.conf.broker_write_url = original
            _new_broker_pool()


@pytest.fixture
def own_cluster(is_postgres):
    """The connection on a copy of the test database in a cluster the test can stop."""
    name = connection.settings_dict["NAME"]
    with postgres_cluster() as cluster:
        source = ["-h", "127.0.0.1", "-p", str(connection.settings_dict.get("PORT") or 5432),
                  "-U", "postgres"]
        target = ["-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
        subprocess.run([str(PG_BIN / "createdb"), *target, name], check=True)
        dump = subprocess.run([str(PG_BIN / "pg_dump"), *source, "--no-owner", name],
                              check=True, capture_output=True).stdout
        subprocess.run([str(PG_BIN / "psql"), *target, "-q", "-v", "ON_ERROR_STOP=1", name],
                       input=dump, check=True, capture_output=True)
        saved = dict(connection.settings_dict)
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(cluster.port))
        try:
            yield cluster
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
