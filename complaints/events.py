"""Complaint events, published after the transaction that caused them commits.

`complaints.services` publishes one `ComplaintEvent` per change; apps built on the record react
to them. Each such app subscribes one receiver in its AppConfig.ready(), and the receivers run
in the order of `RECEIVER_ORDER` below, whatever the order of INSTALLED_APPS. Receivers run
after commit, so they never see a change that was rolled back, and a failing receiver cannot
undo the change or stop the next one: its error is logged and recorded as a ReceiverFailure,
which `receivers_retry_failed` (the periodic task complaints.retry_failed_receivers) runs again
until it succeeds, and which administrators see in the admin (docs/security.md, "Receiver
failures"). A complaint is never silently left without its clocks or its category.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, transaction
from django.utils import timezone

from .models import Complaint, ReceiverFailure

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


# Batch intake (intake/pipeline.py) does inside its own transaction, for a whole batch, what the
# receivers would do after each new complaint's CREATED event. An app whose receiver does such
# work subscribes a stage for it, in two halves, both run in RECEIVER_ORDER with the batch
# (complaints/creation.py `CreatedBatch`): `plan(batch)` before anything of the complaints is
# written, deciding in memory (it may change the complaints and add timeline entries), and
# `stage(batch)` once the complaints and entries are written (its own rows). The events the
# batch publishes carry `{"pipeline": True}` (see `tagged`), so such a receiver skips what its
# stage has done; every other receiver and listener sees the events as always.
CreatedStage = Callable[[object], None]
_created_stages: dict[str, CreatedStage] = {}
_created_plans: dict[str, CreatedStage] = {}
_tags: ContextVar[dict | None] = ContextVar("complaint_event_tags", default=None)
PIPELINE = "pipeline"


def subscribe_created_stage(app_label: str, stage: CreatedStage,
                            plan: CreatedStage | None = None) -> None:
    """Called once by an app in its AppConfig.ready(), beside `subscribe`."""
    if app_label not in RECEIVER_ORDER:
        raise ImproperlyConfigured(f"{app_label!r} is not in complaints.events.RECEIVER_ORDER")
    _created_stages[app_label] = stage
    if plan is not None:
        _created_plans[app_label] = plan


def created_stages() -> list[tuple[str, CreatedStage]]:
    """The subscribed stages of batch intake (their second halves), in the order the
    receivers run."""
    return [(label, _created_stages[label]) for label in RECEIVER_ORDER
            if label in _created_stages]


def created_plans() -> list[tuple[str, CreatedStage]]:
    """The first halves of the stages, in the order the receivers run."""
    return [(label, _created_plans[label]) for label in RECEIVER_ORDER
            if label in _created_plans]


@contextmanager
def tagged(**data) -> Iterator[None]:
    """Every event published in the block carries `data` besides its own."""
    token = _tags.set({**(_tags.get() or {}), **data})
    try:
        yield
    finally:
        _tags.reset(token)


def tags() -> dict:
    """What `tagged` adds to the events published here: a stage reads the batch's kind
    (intake's history batches are tagged historical)."""
    return dict(_tags.get() or {})


def from_pipeline(event: ComplaintEvent) -> bool:
    """Published by batch intake, whose stages did this app's work on it already."""
    return bool(event.data.get(PIPELINE))


def publish(event: ComplaintEvent) -> None:
    tags = _tags.get()
    if tags:
        event = ComplaintEvent(event.complaint_id, event.kind, event.actor_id,
                               {**event.data, **tags})
    transaction.on_commit(lambda: _send(event))


def publish_change(complaint_id: int, kind: EventKind, actor=None,
                   data: dict | None = None) -> None:
    publish(ComplaintEvent(complaint_id, kind, getattr(actor, "id", None), data or {}))


def _send(event: ComplaintEvent) -> None:
    for label, receiver in receivers():
        try:
            receiver(event)
        except Exception as error:  # noqa: BLE001 - recorded and retried, see the docstring
            logger.exception("complaint event receiver of %s failed on %r", label, event)
            _record_failure(label, event, error)
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:
            logger.exception("complaint event listener failed on %r", event)


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _record_failure(label: str, event: ComplaintEvent, error: BaseException) -> None:
    try:
        if not Complaint.objects.filter(pk=event.complaint_id).exists():
            return  # deleted since (or a test's made-up event): nothing to retry
        with transaction.atomic():
            ReceiverFailure.objects.create(
                complaint_id=event.complaint_id, receiver=label, event_kind=str(event.kind),
                event_actor_id=event.actor_id, event_data=event.data, error=_error_text(error))
    except Exception:  # noqa: BLE001 - the database may be what failed; the log has it
        logger.exception("could not record the failure of receiver %s on %r", label, event)


@dataclass
class RetryResult:
    retried: int = 0
    cleared: int = 0
    failed: int = 0


def receivers_retry_failed(*, batch_size: int = 200) -> RetryResult:
    """Run each recorded failed receiver again on its event: cleared when it succeeds, else
    its attempts and error are updated. Oldest first; a receiver no longer subscribed waits."""
    result = RetryResult()
    subscribed = dict(receivers())
    for failure in ReceiverFailure.objects.filter(
            receiver__in=list(subscribed)).order_by("last_tried_at", "id")[:batch_size]:
        result.retried += 1
        event = ComplaintEvent(failure.complaint_id, EventKind(failure.event_kind),
                               failure.event_actor_id, dict(failure.event_data))
        try:
            subscribed[failure.receiver](event)
        except Exception as error:  # noqa: BLE001 - recorded again
            logger.warning("complaint event receiver of %s failed again on %r: %s",
                           failure.receiver, event, error)
            failure.attempts += 1
            failure.error, failure.last_tried_at = _error_text(error), timezone.now()
            try:
                failure.save(update_fields=["attempts", "error", "last_tried_at"])
            except DatabaseError:
                logger.exception("could not update %s", failure)
            result.failed += 1
        else:
            failure.delete()
            result.cleared += 1
    return result
