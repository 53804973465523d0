"""Complaint events, published after the transaction that caused them commits.

`complaints.services` publishes one `ComplaintEvent` per change; apps built on the record react
to them. Each such app subscribes one receiver in its AppConfig.ready(), and the receivers run
in the order of `RECEIVER_ORDER` below, whatever the order of INSTALLED_APPS. Receivers run
after commit, so they never see a change that was rolled back, and a failing receiver cannot
undo the change or stop the next one: its error is logged (the periodic sweeps catch up).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

logger = logging.getLogger(__name__)


class EventKind(StrEnum):
    CREATED = "created"
    TRANSITIONED = "transitioned"  # data: action, from, to (and departments for a dispatch)
    FIELDS_CHANGED = "fields_changed"  # data: changed {field: [old, new]}
    ASSIGNED = "assigned"
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"
    ATTACHMENTS_ADDED = "attachments_added"
    ESCALATED = "escalated"


# Who reacts to a complaint's events, in the order they run. The one place that says it; a test
# pins it (tests/integration/complaints/test_events.py).
RECEIVER_ORDER = (
    # On resolution: the result notice to the customer and the callback task.
    "followup",
    # On creation: classification, grading, routing and assignment. Before the clocks, whose
    # deadlines depend on the category and the priority it sets.
    "intake",
    # Deadlines: clocks start, pause, resume, are met or recomputed.
    "sla",
    # Report figures last, so they count what the receivers before them did.
    "reports",
)


@dataclass(frozen=True)
class ComplaintEvent:
    complaint_id: int
    kind: EventKind
    actor_id: int | None = None
    data: dict = field(default_factory=dict)


Receiver = Callable[[ComplaintEvent], None]
_receivers: dict[str, Receiver] = {}
_listeners: list[Receiver] = []


def subscribe(app_label: str, receiver: Receiver) -> None:
    """Called once by an app in its AppConfig.ready(); again replaces its receiver."""
    if app_label not in RECEIVER_ORDER:
        raise ImproperlyConfigured(
            f"{app_label!r} receives complaint events but is not in "
            f"complaints.events.RECEIVER_ORDER: add it there, where it must run.")
    _receivers[app_label] = receiver


def receivers() -> list[tuple[str, Receiver]]:
    """The subscribed receivers, in the order they run."""
    return [(label, _receivers[label]) for label in RECEIVER_ORDER if label in _receivers]


@contextmanager
def unsubscribed(app_label: str) -> Iterator[None]:
    """Tests: one app's receiver switched off, then put back in its place."""
    saved = _receivers.pop(app_label, None)
    try:
        yield
    finally:
        if saved is not None:
            _receivers[app_label] = saved


@contextmanager
def listening(listener: Receiver) -> Iterator[None]:
    """Tests and tools: `listener` also sees every event, after the apps' receivers."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def publish(event: ComplaintEvent) -> None:
    transaction.on_commit(lambda: _send(event))


def publish_change(complaint_id: int, kind: EventKind, actor=None,
                   data: dict | None = None) -> None:
    publish(ComplaintEvent(complaint_id, kind, getattr(actor, "id", None), data or {}))


def _send(event: ComplaintEvent) -> None:
    for label, receiver in [*receivers(), *(("listener", fn) for fn in list(_listeners))]:
        try:
            receiver(event)
        except Exception:
            logger.exception("complaint event receiver of %s failed on %r", label, event)
