"""Reads of settings tables, done once per unit of work instead of once per use.

One complaint's intake runs its classification, its deadlines and its report figures one
after another, and each of them used to read the same calendars, deadline policies and rules
again. Inside `with memo.scope():` (intake wraps each message in one) `memo.get(key, load)`
loads a value once and hands the same object to every later caller in that block. Outside a
scope nothing is kept: every call loads, exactly as before, so code and tests that change
settings and read them back straight away are unaffected.

A scope never outlives its block, and any save or delete of a model registered with
`invalidated_by` inside it empties it, so a block that changes settings reads the new ones.

`memo.batch(key, item, flush)` gathers work that several events of the block would each do
(the reports' figures of the complaint just created and then classified): inside a scope
`flush(items)` runs once when the block ends, outside one it runs at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
logger = logging.getLogger(__name__)
_store: ContextVar[dict | None] = ContextVar("complaints_memo", default=None)
_batches: ContextVar[dict | None] = ContextVar("complaints_memo_batches", default=None)


@contextmanager
def scope() -> Iterator[None]:
    """Keep loaded settings until the block ends; a nested scope shares the outer one."""
    if _store.get() is not None:
        yield
        return
    token, batches_token = _store.set({}), _batches.set({})
    try:
        yield
    finally:
        batches = _batches.get()
        _batches.reset(batches_token)  # a flush's own batch() calls run at once
        try:
            for key, (flush, items) in batches.items():
                try:  # what was committed stays committed: a failing flush is logged
                    flush(list(dict.fromkeys(items)))
                except Exception:
                    logger.exception("deferred %s failed for %r", key, items)
        finally:
            _store.reset(token)


def active() -> bool:
    return _store.get() is not None


def get(key: str, load: Callable[[], T]) -> T:
    """`load()`'s value, loaded once per scope (every time outside one)."""
    store = _store.get()
    if store is None:
        return load()
    if key not in store:
        store[key] = load()
    return store[key]


def put(key: str, value) -> None:
    """Hand `value` to later `get(key, …)` calls of this scope (nothing outside one): a value
    read along with something else, so that `get` need not load it."""
    store = _store.get()
    if store is not None:
        store[key] = value


def batch(key: str, item, flush: Callable[[list], object]) -> None:
    """Run `flush([item, ...])` once at the end of the scope (at once outside one)."""
    batches = _batches.get()
    if batches is None:
        flush([item])
        return
    batches.setdefault(key, (flush, []))[1].append(item)


def clear(**_ignored) -> None:
    store = _store.get()
    if store is not None:
        store.clear()


def invalidated_by(*models) -> None:
    """A save or delete of any of these models empties the current scope."""
    for model in models:
        uid = f"kernel.memo.{model._meta.label_lower}"
        post_save.connect(clear, sender=model, weak=False, dispatch_uid=f"{uid}.save")
        post_delete.connect(clear, sender=model, weak=False, dispatch_uid=f"{uid}.delete")
