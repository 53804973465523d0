"""Closing the loop (issue 7): the customer's answer to the result, the satisfaction survey,
callbacks (回访) and follow-up tasks. The tables kept their names when the models moved here
from `complaints` (the move changed the migration state only, see followup/migrations/0001).

The logic lives in the job modules beside this one (result_notice, survey, callbacks,
auto_close, retention); these are fields and constraints only.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ResultAnswer", "FeedbackChannel", "ResultConfirmation", "SurveyReason",
    "SatisfactionSurvey", "CallbackStatus", "CallbackOutcome", "CallbackReason", "CallbackTask",
    "CallbackAttempt", "FollowUpKind", "FollowUpTask",
]


class ResultAnswer(models.TextChoices):
    SOLVED = "solved", _("Solved")
    NOT_SOLVED = "not_solved", _("Not solved")


class FeedbackChannel(models.TextChoices):
    TRACKING_PAGE = "tracking_page", _("Tracking page")
    SMS_REPLY = "sms_reply", _("SMS reply")
    SMS_LINK = "sms_link", _("SMS survey link")
    STAFF = "staff", _("Recorded by staff")
    CALLBACK = "callback", _("Callback")


class ResultConfirmation(models.Model):
    """The customer's answer to one resolution: solved or not. One per resolution (cycle)."""

    complaint = models.ForeignKey("complaints.Complaint", verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="result_confirmations")
    cycle = models.PositiveSmallIntegerField(
        _("resolution cycle"), help_text=_("The complaint's reopen count when it was answered."))
    answer = models.CharField(_("answer"), max_length=12, choices=ResultAnswer.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=FeedbackChannel.choices)
    comment = models.TextField(_("comment"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        db_table = "complaints_resultconfirmation"
        verbose_name = _("result confirmation")
        verbose_name_plural = _("result confirmations")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["complaint", "cycle"],
                                               name="closing_confirmation_once_per_cycle")]

    def __str__(self) -> str:
        return f"{self.complaint_id}/{self.cycle} {self.answer}"


class SurveyReason(models.TextChoices):
    SPEED = "speed", _("Speed")
    ATTITUDE = "attitude", _("Staff attitude")
    RESULT = "result", _("Result")
    COMPENSATION = "compensation", _("Compensation")
    COMMUNICATION = "communication", _("Keeping me informed")
    OTHER = "other", _("Other")


class SatisfactionSurvey(models.Model):
    """The customer's rating of the handling: one answer per complaint."""

    complaint = models.OneToOneField("complaints.Complaint", verbose_name=_("complaint"),
                                     on_delete=models.CASCADE, related_name="satisfaction_survey")
    stars = models.PositiveSmallIntegerField(
        _("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    reasons = models.JSONField(_("reasons"), default=list, blank=True,
                               help_text=_("Codes of the reasons the customer picked."))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=FeedbackChannel.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)

    class Meta:
        db_table = "complaints_satisfactionsurvey"
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-answered_at"]
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1) & Q(stars__lte=5),
                                              name="closing_survey_stars_1_to_5")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.stars}★"

    @property
    def stars_text(self) -> str:
        return "★" * self.stars + "☆" * (5 - self.stars)

    @property
    def reason_labels(self) -> list[str]:
        return [str(SurveyReason(r).label) for r in self.reasons if r in SurveyReason.values]


class CallbackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class CallbackOutcome(models.TextChoices):
    REACHED_SATISFIED = "reached_satisfied", _("Reached, satisfied")
    REACHED_UNSATISFIED = "reached_unsatisfied", _("Reached, not satisfied")
    UNREACHABLE = "unreachable", _("Unreachable")


class CallbackReason(models.TextChoices):
    REGULATOR = "regulator", _("Regulator complaint")
    MAJOR = "major", _("Major complaint")
    REOPENED = "reopened", _("Reopened complaint")
    SAMPLE = "sample", _("Random sample")


class CallbackTask(models.Model):
    """A call to the customer after resolution (回访), by someone other than the handler."""

    complaint = models.ForeignKey("complaints.Complaint", verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="callback_tasks")
    cycle = models.PositiveSmallIntegerField(
        _("resolution cycle"), help_text=_("The complaint's reopen count at resolution."))
    reason = models.CharField(_("why called back"), max_length=12,
                              choices=CallbackReason.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="callback_tasks")
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("handled by"),
                                null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+",
                                help_text=_("Who resolved the complaint; never the assignee."))
    scheduled_at = models.DateTimeField(
        _("call from"), help_text=_("Always inside the customers' contact hours."))
    due_at = models.DateTimeField(_("due"), db_index=True)
    status = models.CharField(_("status"), max_length=8, choices=CallbackStatus.choices,
                              default=CallbackStatus.OPEN)
    outcome = models.CharField(_("outcome"), max_length=24, choices=CallbackOutcome.choices,
                               blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        db_table = "complaints_callbacktask"
        verbose_name = _("callback task")
        verbose_name_plural = _("callback tasks")
        ordering = ["due_at", "id"]
        permissions = [("perform_callback", _("Can call customers back after resolution"))]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "cycle"],
                                    name="closing_callback_once_per_cycle"),
            models.CheckConstraint(condition=Q(status="open", outcome="") |
                                   (Q(status="done") & ~Q(outcome="")),
                                   name="closing_callback_outcome_when_done"),
        ]
        indexes = [models.Index(fields=["assignee", "status", "due_at"],
                                name="callback_assignee_queue")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.status}"


class CallbackAttempt(models.Model):
    """One call: reached (satisfied or not) or unreachable."""

    task = models.ForeignKey(CallbackTask, verbose_name=_("callback task"),
                             on_delete=models.CASCADE, related_name="attempts")
    result = models.CharField(_("result"), max_length=24, choices=CallbackOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("called by"),
                              null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attempted_at = models.DateTimeField(_("called at"), default=timezone.now)

    class Meta:
        db_table = "complaints_callbackattempt"
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.result}"


class FollowUpKind(models.TextChoices):
    LOW_SCORE_REVIEW = "low_score_review", _("Review of a low satisfaction score")


class FollowUpTask(models.Model):
    """Work for a supervisor that closing the loop brings up (a low score to review)."""

    complaint = models.ForeignKey("complaints.Complaint", verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="follow_up_tasks")
    kind = models.CharField(_("kind"), max_length=24, choices=FollowUpKind.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"),
                                 null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="follow_up_tasks")
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(_("status"), max_length=8, choices=CallbackStatus.choices,
                              default=CallbackStatus.OPEN)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        db_table = "complaints_followuptask"
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["complaint", "kind"],
                                               name="closing_follow_up_once")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"
