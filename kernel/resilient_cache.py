"""The Redis cache, degrading to "nothing cached" while Redis cannot be reached (issue 16).

What the project keeps in the cache can all be lost: DRF's throttle history, the public form's
rate counters and one-time codes, the worker's heartbeat. So a request must never fail because
Redis is down: a read is a miss, a write is dropped, `incr` answers as for a missing key
(ValueError, which the callers already handle), and the throttles and rate limits fail open for
as long as the outage lasts. After a failure the cache is not tried again for
`RETRY_AFTER_SECONDS`, so a Redis that hangs costs one socket timeout per process, not one per
call. Errors other than an unreachable server (a wrong command, a bad value) still raise.

`cache_reachable()` is what /healthz reports for the cache (config/health.py).
"""

from __future__ import annotations

import logging
import time
from functools import wraps

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER_SECONDS = 5.0


def _degrading(fallback):
    """The method, answering `fallback(*args, **kwargs)` while Redis cannot be reached."""
    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return fallback(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except OUTAGE_ERRORS as error:
                self._outage(error)
                return fallback(*args, **kwargs)
        return wrapper
    return decorate


def _incr_missing(key, *args, **kwargs):
    raise ValueError(f"Key '{key}' not found (the cache is unreachable)")


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def _outage(self, error: BaseException) -> None:
        if not self._down_until:
            logger.warning("the Redis cache is unreachable (%s); going on without it",
                           type(error).__name__)
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS

    def _recovered(self) -> None:
        if self._down_until:
            logger.warning("the Redis cache is reachable again")
        self._down_until = 0.0

    def reachable(self) -> bool:
        """Ask Redis now (for /healthz), whatever the last call found."""
        try:
            self._cache.get_client(write=True).ping()
        except OUTAGE_ERRORS as error:
            self._outage(error)
            return False
        self._recovered()
        return True

    @_degrading(lambda key, value, timeout=DEFAULT_TIMEOUT, version=None: False)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: D102
        return self._succeeded(super().add(key, value, timeout, version=version))

    @_degrading(lambda key, default=None, version=None: default)
    def get(self, key, default=None, version=None):  # noqa: D102
        return self._succeeded(super().get(key, default, version=version))

    @_degrading(lambda key, value, timeout=DEFAULT_TIMEOUT, version=None: None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: D102
        return self._succeeded(super().set(key, value, timeout, version=version))

    @_degrading(lambda key, timeout=DEFAULT_TIMEOUT, version=None: False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: D102
        return self._succeeded(super().touch(key, timeout, version=version))

    @_degrading(lambda key, version=None: False)
    def delete(self, key, version=None):  # noqa: D102
        return self._succeeded(super().delete(key, version=version))

    @_degrading(lambda keys, version=None: {})
    def get_many(self, keys, version=None):  # noqa: D102
        return self._succeeded(super().get_many(keys, version=version))

    @_degrading(lambda key, version=None: False)
    def has_key(self, key, version=None):  # noqa: D102
        return self._succeeded(super().has_key(key, version=version))

    @_degrading(_incr_missing)
    def incr(self, key, delta=1, version=None):  # noqa: D102
        return self._succeeded(super().incr(key, delta, version=version))

    @_degrading(lambda data, timeout=DEFAULT_TIMEOUT, version=None: list(data))
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: D102
        return self._succeeded(super().set_many(data, timeout, version=version))

    @_degrading(lambda keys, version=None: None)
    def delete_many(self, keys, version=None):  # noqa: D102
        return self._succeeded(super().delete_many(keys, version=version))

    @_degrading(lambda: False)
    def clear(self):  # noqa: D102
        return self._succeeded(super().clear())

    def _succeeded(self, result):
        if self._down_until:
            self._recovered()
        return result

