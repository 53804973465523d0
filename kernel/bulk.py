"""Helpers for long bulk runs (import_complaints, seed_demo's pipeline path)."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """The cycle collector would rescan a batch's many small objects again and again while it
    is built; reference counting frees each batch once it is done, and the caller collects once
    after each batch (`gc.collect()`) whatever cycles it left, so memory stays flat. What exists
    before the run (the code, the classifier's model) is frozen: those collections skip it."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()
