"""The supervisors' escalation queue: raise by hand, acknowledge, set an expected date,
de-escalate."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import services as complaint_services
from complaints.models import ActivityKind, Complaint
from kernel.display import local_minute
from kernel.errors import InvalidInput, NotAllowed
from notifications.outbound import customer_message_queue
from notifications.services import staff_notify

from . import policy as sla_policy
from .models import Escalation
from .sweep import EscalationDirectory, escalation_queue_upsert

logger = logging.getLogger(__name__)


# --- people working the escalation queue ------------------------------------------------------


def escalation_raise_manually(*, complaint_id: int, actor, reason: str, level: int = 1,
                              automatic: bool = False):
    """An agent escalates by hand, with a reason; the same queue and notices as a breach.
    `automatic`: a rule escalates (a second reopen), not a person; the timeline says so."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why you escalate this complaint."), field="reason")
    if not 1 <= level <= sla_policy.MAX_LEVEL:
        raise InvalidInput(_("The level must be 1, 2 or 3."), field="level")
    now = timezone.now()
    directory = EscalationDirectory.load()
    message = (_("Escalated automatically to level %(level)s: %(reason)s") if automatic else
               _("Escalated by hand to level %(level)s: %(reason)s")) % {"level": level,
                                                                          "reason": reason}
    with transaction.atomic():
        complaint = Complaint.objects.select_related("assigned_department").get(pk=complaint_id)
        if level <= complaint.escalation_level:
            raise InvalidInput(_("The complaint is already at level %(level)s.") % {
                "level": complaint.escalation_level}, field="level")
        complaint_services.complaints_raise_escalation(levels={complaint_id: (level, message)},
                                                       actor=actor, now=now)
        escalation_queue_upsert({complaint_id: (level, message)}, now)
        staff_notify(recipients=[user for user in directory.recipients(complaint, level)
                                 if user != actor],
                     complaint_id=complaint.id, kind="escalation",
                     message=f"{complaint.reference}: {message}")
    return Escalation.objects.get(complaint_id=complaint_id)


def _open_escalation(complaint_id: int, actor) -> Escalation:
    if not actor.has_perm("sla.change_escalation"):
        raise NotAllowed(_("Only supervisors work the escalation queue."))
    escalation = Escalation.objects.select_for_update().filter(complaint_id=complaint_id,
                                                               is_open=True).first()
    if escalation is None:
        raise InvalidInput(_("This complaint is not in the escalation queue."))
    return escalation


def escalation_acknowledge(*, complaint_id: int, actor) -> Escalation:
    with transaction.atomic():
        escalation = _open_escalation(complaint_id, actor)
        escalation.acknowledged_at, escalation.acknowledged_by = timezone.now(), actor
        escalation.save(update_fields=["acknowledged_at", "acknowledged_by"])
        complaint_services.timeline_append(
            complaint_id=complaint_id, kind=ActivityKind.ESCALATION, actor=actor,
            message=_("Escalation acknowledged."), data={"action": "acknowledge"})
    return escalation


def escalation_set_expected(*, complaint_id: int, actor, expected_at: datetime,
                            reason: str) -> Escalation:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for the new expected date."), field="reason")
    if timezone.is_naive(expected_at) or expected_at <= timezone.now():
        raise InvalidInput(_("The expected date must be in the future."), field="expected_at")
    with transaction.atomic():
        escalation = _open_escalation(complaint_id, actor)
        escalation.expected_at = expected_at
        escalation.save(update_fields=["expected_at"])
        _notify_expected_date(complaint_id, expected_at)
        complaint_services.timeline_append(
            complaint_id=complaint_id, kind=ActivityKind.ESCALATION, actor=actor,
            message=_("New expected date %(date)s: %(reason)s") % {
                "date": local_minute(expected_at), "reason": reason},
            data={"action": "expected_date", "expected_at": expected_at.isoformat(),
                  "reason": reason})
    return escalation


def _notify_expected_date(complaint_id: int, expected_at: datetime) -> None:
    complaint = Complaint.objects.select_related("customer").get(pk=complaint_id)
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Your complaint %(reference)s needs more time; we expect to finish by "
                 "%(date)s. We apologise for the wait.") % {
            "reference": complaint.reference, "date": local_minute(expected_at)}
    try:
        customer_message_queue(complaint=complaint, body=body, purpose="expected_date")
    except InvalidInput:
        logger.info("no contact address for %s", complaint.reference)


def escalation_deescalate(*, complaint_id: int, actor, reason: str) -> Escalation:
    """Back out of the queue, with a reason. Further lateness escalates again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give a reason for de-escalating."), field="reason")
    now = timezone.now()
    with transaction.atomic():
        escalation = _open_escalation(complaint_id, actor)
        escalation.is_open, escalation.closed_at = False, now
        escalation.save(update_fields=["is_open", "closed_at"])
        complaint_services.complaint_update_fields(
            complaint_id=complaint_id, actor=actor, changes={"escalation_level": 0},
            kind=ActivityKind.ESCALATION, reason=reason,
            message=_("De-escalated: %(reason)s") % {"reason": reason})
    return escalation
