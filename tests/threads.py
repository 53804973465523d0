"""Helpers for race tests: each thread works on its own database connection."""

from django.db import connection


def in_thread(fn):
    """fn wrapped for a thread: it runs on that thread's own database connection, closed
    afterwards (an open one would keep the test database from being dropped)."""

    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run
