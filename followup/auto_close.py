"""Auto-close: resolved complaints nobody answers close after CLOSING_AUTO_CLOSE_WORKING_DAYS
working days (once their callback, if any, is done)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services
from complaints.lifecycle import Action, InvalidTransition, Status
from complaints.models import Complaint
from followup.common import working_calendar
from followup.models import CallbackStatus, CallbackTask, ResultConfirmation
from kernel import memo
from kernel.errors import DomainError
from sla.calendar import add_working_days


def _locked_batch(queryset, batch_size: int):
    if connection.vendor == "postgresql":
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset[:batch_size])


def auto_close_sweep(*, now: datetime | None = None, batch_size: int = 200,
                     max_batches: int = 50) -> int:
    """Close resolved complaints the customer has not answered within the configured working
    days (and whose callback, if any, is done). Safe to run twice at once (SKIP LOCKED; a
    complaint closed meanwhile is skipped). One memo scope: the report figures of every
    complaint it closes are refreshed once at the end."""
    with memo.scope():
        return _auto_close(now or timezone.now(), batch_size, max_batches)


def _auto_close(now: datetime, batch_size: int, max_batches: int) -> int:
    days = settings.CLOSING_AUTO_CLOSE_WORKING_DAYS
    cal = working_calendar()

    # N working days are at least N calendar days: a cheap filter before the exact maths.
    candidates = (Complaint.objects.filter(status=Status.RESOLVED,
                                           resolved_at__lte=now - timedelta(days=days))
                  .exclude(Exists(CallbackTask.objects.filter(complaint=OuterRef("pk"),
                                                              status=CallbackStatus.OPEN)))
                  .exclude(Exists(ResultConfirmation.objects.filter(
                      complaint=OuterRef("pk"), cycle=OuterRef("reopen_count"))))
                  .order_by("resolved_at", "id").only("id", "version", "resolved_at"))
    closed, seen = 0, set()
    for _batch in range(max_batches):
        with transaction.atomic():
            batch = _locked_batch(candidates.exclude(pk__in=seen), batch_size)
            for complaint in batch:
                seen.add(complaint.id)
                if add_working_days(complaint.resolved_at, days, cal) > now:
                    continue
                try:
                    services.complaint_transition(
                        complaint_id=complaint.id, action=Action.CLOSE, actor=None,
                        expected_version=complaint.version,
                        reason=_("Closed automatically: the customer did not answer the result "
                                 "within %(n)s working days.") % {"n": days})
                    closed += 1
                except (InvalidTransition, DomainError):
                    continue  # changed meanwhile; the next sweep looks again
        if len(batch) < batch_size:
            break
    return closed
