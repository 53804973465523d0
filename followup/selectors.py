"""Reads for closing the loop: what the customer may still answer, the callback queue."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from complaints.lifecycle import Status
from complaints.models import Complaint
from followup.models import (
    CallbackAttempt,
    CallbackStatus,
    CallbackTask,
    FollowUpTask,
    ResultConfirmation,
    SatisfactionSurvey,
    SurveyReason,
)

CALLBACK_PERMISSION = "followup.perform_callback"
CALLBACK_ALL_PERMISSION = "followup.change_callbacktask"


@dataclass(frozen=True)
class FeedbackState:
    """What the tracking page offers the customer about the result."""

    complaint: Complaint
    answer: ResultConfirmation | None  # the answer to the current resolution, if any
    survey: SatisfactionSurvey | None

    @property
    def can_confirm(self) -> bool:
        return self.complaint.status == Status.RESOLVED and self.answer is None

    @property
    def can_rate(self) -> bool:
        return (self.complaint.status in {Status.RESOLVED, Status.CLOSED}
                and self.survey is None)

    @property
    def shown(self) -> bool:
        return self.can_confirm or self.can_rate or self.survey is not None or \
            self.answer is not None

    @property
    def reasons(self):
        return SurveyReason.choices

    @property
    def star_choices(self) -> list[int]:
        return [5, 4, 3, 2, 1]


def feedback_state(complaint: Complaint) -> FeedbackState:
    answer = (ResultConfirmation.objects.filter(complaint=complaint,
                                                cycle=complaint.reopen_count).first()
              if complaint.status in {Status.RESOLVED, Status.CLOSED} else None)
    survey = SatisfactionSurvey.objects.filter(complaint=complaint).first()
    return FeedbackState(complaint=complaint, answer=answer, survey=survey)


def callback_list(*, user, status: str = CallbackStatus.OPEN,
                  everyone: bool = False) -> QuerySet[CallbackTask]:
    """Callback tasks: the user's own; with `everyone`, all of them (supervisors only)."""
    if not user.has_perm(CALLBACK_PERMISSION):
        return CallbackTask.objects.none()
    queryset = (CallbackTask.objects
                .select_related("complaint", "complaint__customer", "complaint__category",
                                "complaint__category__parent", "assignee", "handler")
                .prefetch_related(Prefetch("attempts",
                                           queryset=CallbackAttempt.objects.select_related(
                                               "actor")))
                .order_by("due_at", "id"))
    if status:
        queryset = queryset.filter(status=status)
    if not (everyone and user.has_perm(CALLBACK_ALL_PERMISSION)):
        queryset = queryset.filter(assignee=user)
    return queryset


def callback_get_for_user(*, user, task_id: int) -> CallbackTask:
    """One callback task the user may see; 404 otherwise."""
    task = callback_list(user=user, status="", everyone=True).filter(pk=task_id).first()
    if task is None:
        raise Http404(_("No callback task %(id)s.") % {"id": task_id})
    return task


def follow_up_list(*, user) -> QuerySet[FollowUpTask]:
    """Open follow-up tasks (low-score reviews) for a supervisor."""
    if not user.has_perm(CALLBACK_ALL_PERMISSION):
        return FollowUpTask.objects.none()
    return (FollowUpTask.objects.filter(status=CallbackStatus.OPEN)
            .select_related("complaint", "assignee", "complaint__satisfaction_survey")
            .order_by("-created_at", "-id"))
