"""In-app notifications to staff (escalations, dispatches, approvals, callbacks). Messages to
customers are the outbox's (notifications/outbound.py)."""

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from kernel.db import insert_rows

from .models import Notification

MESSAGE_MAX = 500


def staff_notify(*, recipients: Iterable, kind: str, message: str,
                 complaint_id: int | None = None, created_at: datetime | None = None) -> int:
    """One notification per recipient (users or user ids; None skipped), in one statement."""
    created_at = created_at or timezone.now()
    rows = [Notification(recipient_id=getattr(r, "pk", r), complaint_id=complaint_id, kind=kind,
                         message=str(message)[:MESSAGE_MAX], created_at=created_at)
            for r in recipients if r is not None]
    Notification.objects.bulk_create(rows)
    return len(rows)


def staff_notify_many(*, rows: list[dict]) -> None:
    """Notifications that differ per row (the SLA sweep's), in one statement: dicts of
    recipient_id, complaint_id, kind, message, created_at."""
    insert_rows(Notification, [row | {"message": str(row["message"])[:MESSAGE_MAX]}
                               for row in rows])
