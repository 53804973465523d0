"""Handing work to Celery from a request without failing it when the broker is down (issue 16).

A request that starts background work (an export, a regulator import, a retraining) has already
stored that work in the database when it publishes the task. If Redis, the broker, cannot be
reached then, the request still answers as usual: the failure is logged and the work waits in
the database, visibly queued, until it is sent again.
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (BrokerError, RedisConnectionError, RedisTimeoutError, OSError)


def send_task(task, *args, **kwargs) -> bool:
    """`task.delay(*args, **kwargs)`; False (and logged) when the broker cannot be reached."""
    try:
        task.delay(*args, **kwargs)
    except BROKER_ERRORS as error:
        logger.warning("could not queue %s%r (%s: %s); the work waits in the database",
                       task.name, args, type(error).__name__, error)
        return False
    return True
