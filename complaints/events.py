"""Complaint events, published after the transaction that caused them commits.

Other apps (SLA, notifications, reports) connect receivers to `complaint_changed` in their
AppConfig.ready(). Receivers run after commit, so they never see a change that was rolled back,
and a failing receiver cannot undo the change: its error is logged.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

complaint_changed = Signal()


@dataclass(frozen=True)
class ComplaintEvent:
    complaint_id: int
    kind: str  # created, transitioned, assigned, noted, ...
    actor_id: int | None = None
    data: dict = field(default_factory=dict)


def publish(event: ComplaintEvent) -> None:
    transaction.on_commit(lambda: _send(event))


def _send(event: ComplaintEvent) -> None:
    for receiver, result in complaint_changed.send_robust(sender=ComplaintEvent, event=event):
        if isinstance(result, Exception):
            logger.error("complaint event receiver %r failed on %r", receiver, event,
                         exc_info=result)
