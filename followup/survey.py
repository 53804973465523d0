"""The satisfaction survey: the signed link sent with the result notice, the customer's rating
(once per complaint) and the supervisor's review of a low score."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services
from complaints.lifecycle import Status
from complaints.models import ActivityKind, ActorType, Complaint, Visibility
from followup.common import COMMENT_MAX, AlreadyAnswered
from followup.models import (
    CallbackStatus,
    FollowUpKind,
    FollowUpTask,
    SatisfactionSurvey,
    SurveyReason,
)
from kernel.errors import InvalidInput, NotAllowed
from notifications.services import staff_notify

SURVEY_SALT = "closing.survey"



def _stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


# --- survey links ----------------------------------------------------------------------------


def survey_token(complaint: Complaint) -> str:
    return signing.dumps({"c": complaint.id, "r": complaint.reference}, salt=SURVEY_SALT)


def survey_complaint_from_token(token: str) -> Complaint:
    """The complaint a survey link was made for; InvalidInput if forged or expired."""
    try:
        data = signing.loads(token, salt=SURVEY_SALT,
                             max_age=timedelta(days=settings.SURVEY_LINK_VALID_DAYS))
    except signing.SignatureExpired:
        raise InvalidInput(_("This survey link has expired.")) from None
    except signing.BadSignature:
        raise InvalidInput(_("This survey link is not valid.")) from None
    complaint = (Complaint.objects.select_related("customer")
                 .filter(pk=data.get("c"), reference=data.get("r")).first())
    if complaint is None:
        raise InvalidInput(_("This survey link is not valid."))
    return complaint


def survey_url(complaint: Complaint) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("closing-survey-link",
                                                          args=[survey_token(complaint)])


# --- the rating ----------------------------------------------------------------------------------


def survey_submit(*, complaint_id: int, stars: int, reasons: list[str] | None = None,
                  comment: str = "", channel: str, actor=None) -> SatisfactionSurvey:
    """The customer's rating, once per complaint; a low score gets a supervisor's review."""
    try:
        stars = int(stars)
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise InvalidInput(_("Give 1 to 5 stars."), field="stars")
    reasons = list(dict.fromkeys(reasons or []))
    unknown = [r for r in reasons if r not in SurveyReason.values]
    if unknown:
        raise InvalidInput(_("Unknown reason: %(reasons)s.") % {"reasons": ", ".join(unknown)},
                           field="reasons")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(_("The comment may be at most %(n)s characters.") % {
            "n": COMMENT_MAX}, field="comment")
    actor_type = ActorType.STAFF if actor is not None else ActorType.CUSTOMER
    with transaction.atomic():
        complaint = (Complaint.objects.select_for_update(of=("self",))
                     .select_related("assigned_department__supervisor").get(pk=complaint_id))
        if complaint.status not in {Status.RESOLVED, Status.CLOSED}:
            raise InvalidInput(_("Complaint %(reference)s can be rated once it is resolved.") % {
                "reference": complaint.reference})
        try:
            with transaction.atomic():
                survey = SatisfactionSurvey.objects.create(
                    complaint=complaint, stars=stars, reasons=reasons, comment=comment,
                    channel=channel, recorded_by=actor)
        except IntegrityError:
            raise AlreadyAnswered(_("Complaint %(reference)s has already been rated; thank "
                                    "you.") % {"reference": complaint.reference}) from None
        labels = ", ".join(str(SurveyReason(r).label) for r in reasons)
        services.timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.CUSTOMER_ACTION, actor=actor,
            actor_type=actor_type, visibility=Visibility.PUBLIC,
            message=_("Satisfaction survey: %(stars)s") % {"stars": _stars(stars)}
            + (f" ({labels})" if labels else "") + (f"\n{comment}" if comment else ""),
            data={"survey": survey.id, "stars": stars, "reasons": reasons,
                  "channel": channel})
        if stars <= settings.SURVEY_LOW_SCORE:
            _low_score_review(complaint, survey)
    return survey


def _supervisor_for(complaint: Complaint):
    department = complaint.assigned_department
    if department is not None and department.supervisor_id:
        return department.supervisor
    return (get_user_model().objects.filter(groups__name="supervisor", is_active=True)
            .order_by("username").first())


def _low_score_review(complaint: Complaint, survey: SatisfactionSurvey) -> FollowUpTask:
    supervisor = _supervisor_for(complaint)
    task = FollowUpTask.objects.create(
        complaint=complaint, kind=FollowUpKind.LOW_SCORE_REVIEW, assignee=supervisor,
        note=_("The customer gave %(stars)s.") % {"stars": _stars(survey.stars)})
    services.timeline_append(
        complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
        message=_("Low satisfaction score: review by %(who)s.") % {
            "who": supervisor.get_username() if supervisor else _("a supervisor")},
        data={"follow_up_task": task.id})
    if supervisor is not None:
        staff_notify(
            recipients=[supervisor], complaint_id=complaint.id, kind="low_score",
            message=_("%(reference)s: the customer gave %(stars)s; please review.") % {
                "reference": complaint.reference, "stars": _stars(survey.stars)})
    return task


def follow_up_complete(*, task_id: int, actor, note: str = "") -> FollowUpTask:
    """A supervisor has reviewed the low score; what was done goes on the timeline."""
    if not actor.has_perm("followup.change_followuptask"):
        raise NotAllowed(_("Only supervisors review low scores."))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Note what the review found or did."), field="note")
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().get(pk=task_id)
        if task.status != CallbackStatus.OPEN:
            raise InvalidInput(_("This review is already done."))
        task.status, task.completed_at = CallbackStatus.DONE, timezone.now()
        task.note = f"{task.note}\n{note}".strip()
        task.save(update_fields=["status", "completed_at", "note"])
        services.timeline_append(
            complaint_id=task.complaint_id, kind=ActivityKind.INTERNAL_NOTE, actor=actor,
            message=_("Low score reviewed: %(note)s") % {"note": note},
            data={"follow_up_task": task.id})
    return task
