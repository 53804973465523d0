"""Possible duplicates: a new complaint from a customer who already has an open one in the same
category, received within the last days, is linked to it so an agent can merge it (the
lifecycle's MERGE action) or leave it.

Runs after classification (intake/receivers.py), when the category is known, in its
transaction: the link is a field change through complaints.services (version, timeline entry
with the reason, event), plus a note on the original's timeline.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints.lifecycle import OPEN_STATUSES
from complaints.models import ActivityKind, ActorType, Complaint
from complaints.services import complaint_update_fields, timeline_append


def duplicate_window() -> timedelta:
    return timedelta(days=settings.INTAKE_DUPLICATE_WINDOW_DAYS)


def possible_duplicate_candidate(complaint: Complaint) -> Complaint | None:
    """The earliest other open complaint of the same customer and category received in the
    window before `complaint` (created before it, so two complaints never point at each
    other)."""
    if complaint.category_id is None or complaint.status not in OPEN_STATUSES:
        return None
    return (Complaint.objects
            .filter(customer_id=complaint.customer_id, category_id=complaint.category_id,
                    status__in=[s.value for s in OPEN_STATUSES], id__lt=complaint.id,
                    received_at__gte=complaint.received_at - duplicate_window())
            .order_by("received_at", "id").first())


def duplicate_texts(complaint: Complaint, original: Complaint) -> tuple[str, str, str]:
    """(reason, the duplicate's timeline text, the original's note) of the link, in the site
    language (the complaint's category and its parent loaded)."""
    days = settings.INTAKE_DUPLICATE_WINDOW_DAYS
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Same customer and category (%(category)s), and %(original)s is still "
                   "open and was received within %(days)s days.") % {
            "category": complaint.category.full_label, "original": original.reference,
            "days": days}
        new_text = _("Possible duplicate of %(original)s. %(reason)s Merge it into "
                     "%(original)s if it is the same matter.") % {
            "original": original.reference, "reason": reason}
        original_text = _("%(duplicate)s may duplicate this complaint: %(reason)s") % {
            "duplicate": complaint.reference, "reason": reason}
    return reason, new_text, original_text


def complaint_link_possible_duplicate(*, complaint_id: int,
                                      locked: Complaint | None = None) -> Complaint | None:
    """Link the complaint to the open complaint it may duplicate; returns that one, or None.

    Idempotent: a complaint already linked keeps its link and nothing is written again.
    `locked`: the complaint as classification locked it in the enclosing transaction (its
    category and the category's parent loaded), used instead of reading and locking it again;
    the savepoint stays, so a failed link leaves that transaction usable.
    """
    with transaction.atomic():
        complaint = locked if locked is not None else (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("category").get(pk=complaint_id))
        if complaint.possible_duplicate_of_id is not None:
            return None
        original = possible_duplicate_candidate(complaint)
        if original is None:
            return None
        reason, new_text, original_text = duplicate_texts(complaint, original)
        data = {"possible_duplicate_of": original.reference, "reason": reason,
                "linked_at": timezone.now().isoformat()}
        # The field, the version and the timeline entry (with the reason) in one write.
        complaint_update_fields(complaint_id=complaint.id, locked=complaint,
                                changes={"possible_duplicate_of": original},
                                actor_type=ActorType.SYSTEM, message=new_text, extra=data)
        timeline_append(complaint_id=original.id, kind=ActivityKind.INTERNAL_NOTE,
                        message=original_text, version=original.version,
                        data={"possible_duplicate": complaint.reference, "reason": reason})
        return original
