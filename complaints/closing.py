"""Closing the loop (闭环): the customer's answer to the result, the satisfaction survey,
callbacks (回访), auto-close and the retention policy.

Flow: resolving a complaint (any path) publishes an event; `on_resolved` (a receiver, after
commit) queues the result notice to the customer and, for regulator, major, reopened and a
sample of the other complaints, a callback task for someone other than the handler. The customer
answers "solved" (the complaint closes, or waits for its callback) or "not solved" (it reopens;
the SLA receivers restart the clocks; a second reopen escalates to the supervisor). Resolved
complaints nobody answers close after CLOSING_AUTO_CLOSE_WORKING_DAYS working days. Closed
complaints are archived: read-only except notes. Customers' personal data is anonymised
RETENTION_YEARS after their last complaint closed.

Every status change goes through complaints.services.complaint_transition.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sla.contact_hours import is_contact_time, next_contact_time

from . import memo, services
from .errors import DomainError, InvalidInput, NotAllowed
from .lifecycle import FINAL_STATUSES, Action, InvalidTransition, Status
from .models import (
    Activity,
    ActivityKind,
    ActorType,
    CallbackAttempt,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    CallbackTask,
    Complaint,
    Customer,
    FeedbackChannel,
    FollowUpKind,
    FollowUpTask,
    Notification,
    OutboundMessage,
    Priority,
    ResultAnswer,
    ResultConfirmation,
    SatisfactionSurvey,
    SurveyReason,
    Visibility,
)
from .outbound import contact_window, customer_message_queue

logger = logging.getLogger(__name__)

CALLBACK_PERMISSION = "complaints.perform_callback"
# Supervisors see and work every callback task, not only their own.
CALLBACK_ALL_PERMISSION = "complaints.change_callbacktask"
UNREACHABLE_DAYS = 3  # unreachable on three different days closes the callback
SURVEY_SALT = "closing.survey"
COMMENT_MAX = 2000


class AlreadyAnswered(DomainError):
    status_code = 409
    code = "already_answered"


# --- small pure helpers ----------------------------------------------------------------------


def in_sample(reference: str, rate: float) -> bool:
    """Whether a complaint is in the callback sample: a stable hash of its reference, so the
    same complaint is always in or out (testable, and a redelivered event decides the same)."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(reference.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64 < rate


def callback_reason(complaint: Complaint) -> str | None:
    """Why this complaint is called back after resolution, or None."""
    if complaint.is_regulator:
        return CallbackReason.REGULATOR
    if complaint.priority == Priority.MAJOR:
        return CallbackReason.MAJOR
    if complaint.reopen_count > 0:
        return CallbackReason.REOPENED
    if in_sample(complaint.reference, settings.CALLBACK_SAMPLE_RATE):
        return CallbackReason.SAMPLE
    return None


def _calendar():
    """The standard working calendar (official holidays and make-up days included)."""
    from sla.selectors import standard_calendar

    return standard_calendar()


def add_working_days(start: datetime, days: int) -> datetime:
    from sla.calendar import add_working_days as add

    return add(start, days, _calendar())


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _local_day(moment: datetime):
    return timezone.localtime(moment).date()


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


# --- after resolution ------------------------------------------------------------------------


def on_resolved(*, complaint_id: int, actor_id: int | None = None,
                now: datetime | None = None) -> CallbackTask | None:
    """Tell the customer the result and schedule the callback if one is due. Idempotent: the
    notice has a de-duplication key and the task a unique (complaint, cycle)."""
    now = now or timezone.now()
    complaint = Complaint.objects.select_related("customer", "assigned_agent").get(
        pk=complaint_id)
    if complaint.status != Status.RESOLVED:
        return None
    result_notice_queue(complaint=complaint, now=now)
    return callback_schedule(complaint=complaint, handler_id=actor_id, now=now)


def result_notice_queue(*, complaint: Complaint, now: datetime | None = None):
    """The result, how to answer it by SMS, and the link to confirm and rate it."""
    keywords = settings.CLOSING_CONFIRM_KEYWORDS
    solved = next((k for k, v in keywords.items() if v == ResultAnswer.SOLVED), "")
    not_solved = next((k for k, v in keywords.items() if v == ResultAnswer.NOT_SOLVED), "")
    with translation.override(settings.LANGUAGE_CODE):  # customers are written to in Chinese
        body = _("Your complaint %(reference)s has been handled: %(summary)s Reply %(solved)s "
                 "if it is solved or %(not_solved)s if it is not, or confirm and rate our "
                 "handling at %(link)s") % {
            "reference": complaint.reference, "summary": complaint.resolution_summary,
            "solved": solved, "not_solved": not_solved, "link": survey_url(complaint)}
        subject = _("The result of your complaint %(reference)s") % {
            "reference": complaint.reference}
    try:
        return customer_message_queue(
            complaint=complaint, body=body, subject=subject, purpose="result_notice", now=now,
            dedupe_key=f"result:{complaint.reference}:{complaint.reopen_count}")
    except InvalidInput:
        services.timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
            message=_("No result notice sent: the customer has no mobile number or email "
                      "address on file."), data={"result_notice": "no_contact"})
        return None


def _callback_candidates(exclude_ids: set[int]):
    """Active users who may call customers back, fewest open callbacks first."""
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(content_type__app_label="complaints",
                                     codename="perform_callback")
    return (get_user_model().objects.filter(is_active=True)
            .filter(Q(groups__permissions__in=perm) | Q(user_permissions__in=perm))
            .exclude(pk__in=exclude_ids).distinct()
            .annotate(open_callbacks=Count("callback_tasks", distinct=True,
                                           filter=Q(callback_tasks__status=CallbackStatus.OPEN)))
            .order_by("open_callbacks", "username"))


def callback_schedule(*, complaint: Complaint, handler_id: int | None = None,
                      now: datetime | None = None) -> CallbackTask | None:
    """A callback task for this resolution if the complaint is selected; the existing one if
    it was scheduled before."""
    now = now or timezone.now()
    reason = callback_reason(complaint)
    if reason is None:
        return None
    existing = CallbackTask.objects.filter(complaint=complaint,
                                           cycle=complaint.reopen_count).first()
    if existing is not None:
        return existing
    handlers = {i for i in (handler_id, complaint.assigned_agent_id) if i}
    assignee = _callback_candidates(handlers).first()
    window = contact_window()
    due = add_working_days(now, settings.CALLBACK_DUE_WORKING_DAYS)
    if not is_contact_time(due, window):
        due = next_contact_time(due, window)
    try:
        with transaction.atomic():
            task = CallbackTask.objects.create(
                complaint=complaint, cycle=complaint.reopen_count, reason=reason,
                assignee=assignee, handler_id=handler_id or complaint.assigned_agent_id,
                scheduled_at=next_contact_time(now, window), due_at=due, created_at=now)
            services.timeline_append(
                complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
                message=_("Callback scheduled (%(reason)s) for %(who)s, due %(due)s.") % {
                    "reason": CallbackReason(reason).label,
                    "who": assignee.get_username() if assignee else _("the supervisors"),
                    "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")},
                data={"callback_task": task.id, "reason": reason})
            if assignee is not None:
                Notification.objects.create(
                    recipient=assignee, complaint=complaint, kind="callback",
                    message=_("%(reference)s: call the customer back by %(due)s.") % {
                        "reference": complaint.reference,
                        "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M")})
    except IntegrityError:  # scheduled at the same moment by a redelivered event
        return CallbackTask.objects.get(complaint=complaint, cycle=complaint.reopen_count)
    return task


def on_reopened(*, complaint_id: int) -> None:
    """A second reopen escalates to the supervisor (level 1), once."""
    from sla.services import escalation_raise_manually

    complaint = Complaint.objects.get(pk=complaint_id)
    if complaint.reopen_count < 2 or complaint.escalation_level >= 1:
        return
    escalation_raise_manually(
        complaint_id=complaint_id, actor=None, level=1, automatic=True,
        reason=_("Reopened %(n)s times: the supervisor takes over.") % {
            "n": complaint.reopen_count})


# --- the customer's answer ----------------------------------------------------------------------


def result_answer(*, complaint_id: int, answer: str, channel: str, comment: str = "",
                  actor=None) -> ResultConfirmation:
    """The customer says the result solved the problem or not (on the tracking page, by SMS
    reply, or told to staff). Solved closes the complaint unless its callback is still open;
    not solved reopens it. One answer per resolution."""
    if answer not in ResultAnswer.values:
        raise InvalidInput(_("Say whether the problem is solved."), field="solved")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(_("The comment may be at most %(n)s characters.") % {
            "n": COMMENT_MAX}, field="comment")
    actor_type = ActorType.STAFF if actor is not None else ActorType.CUSTOMER
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        if complaint.status != Status.RESOLVED:
            raise InvalidInput(_("Complaint %(reference)s is not waiting for an answer to its "
                                 "result (it is “%(status)s”).") % {
                "reference": complaint.reference, "status": Status(complaint.status).label})
        try:
            with transaction.atomic():
                confirmation = ResultConfirmation.objects.create(
                    complaint=complaint, cycle=complaint.reopen_count, answer=answer,
                    channel=channel, comment=comment, recorded_by=actor)
        except IntegrityError:
            raise AlreadyAnswered(_("The result of %(reference)s has already been answered.")
                                  % {"reference": complaint.reference}) from None
        label = ResultAnswer(answer).label
        services.timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.CUSTOMER_ACTION, actor=actor,
            actor_type=actor_type, visibility=Visibility.PUBLIC,
            message=_("Answer to the result: %(answer)s (%(channel)s).") % {
                "answer": label, "channel": FeedbackChannel(channel).label}
            + (f"\n{comment}" if comment else ""),
            data={"result_answer": answer, "channel": channel, "cycle": confirmation.cycle})
        if answer == ResultAnswer.NOT_SOLVED:
            services.complaint_transition(
                complaint_id=complaint.id, action=Action.REOPEN, actor=actor,
                actor_type=actor_type, expected_version=None,
                reason=_("The customer says it is not solved.") + (
                    f" {comment}" if comment else ""))
        elif not _callback_open(complaint.id):
            services.complaint_transition(
                complaint_id=complaint.id, action=Action.CLOSE, actor=actor,
                actor_type=actor_type, expected_version=None,
                reason=_("The customer confirmed the result."))
    return confirmation


def _callback_open(complaint_id: int) -> bool:
    return CallbackTask.objects.filter(complaint_id=complaint_id,
                                       status=CallbackStatus.OPEN).exists()


def sms_reply_receive(*, phone: str | None, text: str,
                      reference: str | None = None) -> Complaint | None:
    """An SMS that is just a reply keyword ("1", "2 没解决") from the customer of a resolved
    complaint answers that complaint's result. None: not such a reply (intake goes on as usual).

    The complaint is the one the text names, else the sender's most recently resolved one.
    """
    from intake.parsers.webhook import parse_sms_reply_keyword

    if not phone:
        return None
    answer = parse_sms_reply_keyword(text, settings.CLOSING_CONFIRM_KEYWORDS)
    if answer is None:
        return None
    resolved = Complaint.objects.filter(customer__phone=phone, status=Status.RESOLVED)
    if reference:
        resolved = resolved.filter(reference=reference.upper())
    complaint = resolved.order_by("-resolved_at", "-id").first()
    if complaint is None:
        return None
    answered = ResultConfirmation.objects.filter(complaint=complaint,
                                                 cycle=complaint.reopen_count).exists()
    if answered:  # a second reply to the same notice: kept for the agent, changes nothing
        services.timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.CUSTOMER_ACTION,
            actor_type=ActorType.CUSTOMER, visibility=Visibility.PUBLIC,
            message=_("The customer replied again by SMS: %(text)s") % {"text": text.strip()},
            data={"channel": "sms", "ignored_answer": answer})
        return complaint
    result_answer(complaint_id=complaint.id, answer=answer, channel=FeedbackChannel.SMS_REPLY,
                  comment=text.strip() if text.strip() not in settings.CLOSING_CONFIRM_KEYWORDS
                  else "")
    _sms_reply_acknowledge(complaint, answer)
    return complaint


def _sms_reply_acknowledge(complaint: Complaint, answer: str) -> None:
    """Tell the customer the reply arrived and what happens now."""
    with translation.override(settings.LANGUAGE_CODE):
        if answer == ResultAnswer.SOLVED:
            body = _("Thank you for confirming that complaint %(reference)s is solved.")
        else:
            body = _("We are sorry complaint %(reference)s is not solved. It has been reopened "
                     "and we will contact you again soon.")
        body = body % {"reference": complaint.reference}
    customer_message_queue(complaint=complaint, body=body, purpose="result_reply",
                           dedupe_key=f"result-reply:{complaint.reference}:"
                                      f"{complaint.reopen_count}")


# --- satisfaction survey ------------------------------------------------------------------------


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
        Notification.objects.create(
            recipient=supervisor, complaint=complaint, kind="low_score",
            message=_("%(reference)s: the customer gave %(stars)s; please review.") % {
                "reference": complaint.reference, "stars": _stars(survey.stars)})
    return task


# --- callbacks ----------------------------------------------------------------------------------


def callback_can_work(user, task: CallbackTask) -> bool:
    if not user.has_perm(CALLBACK_PERMISSION):
        return False
    return task.assignee_id == user.pk or user.has_perm(CALLBACK_ALL_PERMISSION)


@dataclass(frozen=True)
class AttemptResult:
    attempt: CallbackAttempt
    task: CallbackTask
    complaint: Complaint


def callback_attempt_record(*, task_id: int, actor, result: str, note: str = "",
                            at: datetime | None = None) -> AttemptResult:
    """Record one call. Reached and satisfied closes the complaint; reached and not satisfied
    reopens it; unreachable on three different days closes it as unreachable. Calls are made
    in contact hours only, by someone other than the handler."""
    at = at or timezone.now()
    if result not in CallbackOutcome.values:
        raise InvalidInput(_("Choose what happened on the call."), field="result")
    note = (note or "").strip()
    if not is_contact_time(at, contact_window()):
        raise InvalidInput(_("Customers are called between %(opens)s and %(closes)s only.") % {
            "opens": settings.CUSTOMER_CONTACT_OPENS.strftime("%H:%M"),
            "closes": settings.CUSTOMER_CONTACT_CLOSES.strftime("%H:%M")}, field="result")
    if result == CallbackOutcome.REACHED_UNSATISFIED and not note:
        raise InvalidInput(_("Note what the customer is not satisfied with."), field="note")
    with transaction.atomic():
        task = (CallbackTask.objects.select_for_update(of=("self",))
                .select_related("complaint").get(pk=task_id))
        if not callback_can_work(actor, task):
            raise NotAllowed(_("This callback is assigned to someone else."))
        if actor.pk in {task.handler_id, task.complaint.assigned_agent_id}:
            raise NotAllowed(_("The callback must be made by someone other than the person "
                               "who handled the complaint."))
        if task.status != CallbackStatus.OPEN:
            raise InvalidInput(_("This callback is already done."))
        attempt = CallbackAttempt.objects.create(task=task, result=result, note=note,
                                                 actor=actor, attempted_at=at)
        days = {_local_day(t) for t in task.attempts.filter(
            result=CallbackOutcome.UNREACHABLE).values_list("attempted_at", flat=True)}
        finished = result != CallbackOutcome.UNREACHABLE or len(days) >= UNREACHABLE_DAYS
        complaint = task.complaint
        if not finished:
            # Not again today: the next try is on another day, at the next opening.
            tomorrow = timezone.localtime(at).replace(hour=23, minute=59, second=59)
            task.scheduled_at = next_contact_time(tomorrow + timedelta(seconds=1),
                                                  contact_window())
            task.save(update_fields=["scheduled_at"])
            services.timeline_append(
                complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE, actor=actor,
                message=_("Callback attempt: the customer could not be reached "
                          "(%(n)s of %(max)s days).") % {"n": len(days), "max": UNREACHABLE_DAYS}
                + (f"\n{note}" if note else ""),
                data={"callback_task": task.id, "attempt": attempt.id, "result": result})
            return AttemptResult(attempt, task, complaint)
        task.status, task.outcome, task.completed_at = CallbackStatus.DONE, result, at
        task.save(update_fields=["status", "outcome", "completed_at"])
        Customer.objects.filter(pk=complaint.customer_id).update(
            last_callback_outcome=result, last_callback_at=at)
        services.timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE, actor=actor,
            message=_("Callback done: %(outcome)s.") % {
                "outcome": CallbackOutcome(result).label} + (f"\n{note}" if note else ""),
            data={"callback_task": task.id, "attempt": attempt.id, "outcome": result})
        complaint = _after_callback(task, result, actor, note)
    return AttemptResult(attempt, task, complaint)


def _after_callback(task: CallbackTask, outcome: str, actor, note: str) -> Complaint:
    complaint = Complaint.objects.get(pk=task.complaint_id)
    if complaint.status != Status.RESOLVED:
        return complaint  # already closed (or reopened) another way: the outcome is recorded
    if outcome == CallbackOutcome.REACHED_UNSATISFIED:
        return services.complaint_transition(
            complaint_id=complaint.id, action=Action.REOPEN, actor=actor, expected_version=None,
            reason=_("Callback: the customer is not satisfied. %(note)s") % {"note": note})
    answer = ResultConfirmation.objects.filter(complaint=complaint,
                                               cycle=complaint.reopen_count).first()
    if answer is not None and answer.answer == ResultAnswer.NOT_SOLVED:
        return complaint
    reason = (_("Callback: the customer is satisfied.")
              if outcome == CallbackOutcome.REACHED_SATISFIED else
              _("Callback: the customer could not be reached on %(n)s different days; closed "
                "as unreachable.") % {"n": UNREACHABLE_DAYS})
    return services.complaint_transition(complaint_id=complaint.id, action=Action.CLOSE,
                                         actor=actor, expected_version=None, reason=reason)


# --- periodic sweeps ----------------------------------------------------------------------------


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
    cal = _calendar()
    from sla.calendar import add_working_days as add

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
                if add(complaint.resolved_at, days, cal) > now:
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


PLACEHOLDER_NAME = "（已匿名）"
MOBILE_TEXT_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
ID_TEXT_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
EMAIL_TEXT_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _scrub(text: str, customer: Customer) -> str:
    text = MOBILE_TEXT_RE.sub("***", text)
    text = ID_TEXT_RE.sub("***", text)
    text = EMAIL_TEXT_RE.sub("***", text)
    for value in (customer.name, customer.phone, customer.service_number, customer.id_number):
        if value and len(value) >= 2 and value != PLACEHOLDER_NAME:
            text = text.replace(value, "***")
    return text


def customer_anonymise(*, customer_id: int, now: datetime | None = None) -> bool:
    """Replace a customer's personal data with placeholders, in the customer record, the texts
    of their complaints and the messages sent to them. Categories, dates and counts stay, so
    statistics do not change. An audit entry goes on each complaint's timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        # Another sweep working on this customer right now: leave it to that one.
        customer = (Customer.objects.select_for_update(skip_locked=True)
                    .filter(pk=customer_id).first())
        if customer is None or customer.anonymised_at is not None:
            return False
        complaints = list(Complaint.objects.filter(customer=customer)
                          .only("id", "subject", "description", "location"))
        for complaint in complaints:
            complaint.subject = _scrub(complaint.subject, customer)
            complaint.description = _scrub(complaint.description, customer)
            complaint.location = _scrub(complaint.location, customer)
        Complaint.objects.bulk_update(complaints, ["subject", "description", "location"])
        # The timeline is append-only for people; the retention policy is the one exception.
        for entry in Activity.objects.filter(complaint__customer=customer).only("id", "message"):
            scrubbed = _scrub(entry.message, customer)
            if scrubbed != entry.message:
                Activity.objects.filter(pk=entry.pk).update(message=scrubbed)
        OutboundMessage.objects.filter(complaint__customer=customer).update(
            recipient="***", body="***")
        customer.name, customer.phone = PLACEHOLDER_NAME, f"anon{customer.id}"[:20]
        customer.email = customer.id_number = customer.service_number = ""
        customer.anonymised_at = now
        customer.save(update_fields=["name", "phone", "email", "id_number", "service_number",
                                     "anonymised_at"])
        for complaint in complaints:
            services.timeline_append(
                complaint_id=complaint.id, kind=ActivityKind.FIELD_CHANGE,
                message=_("The customer's personal data was anonymised under the retention "
                          "policy (%(years)s years).") % {"years": settings.RETENTION_YEARS},
                data={"anonymised": ["name", "phone", "email", "id_number", "service_number"],
                      "retention_years": settings.RETENTION_YEARS})
    return True


def anonymise_candidates(*, now: datetime):
    """Customers, not yet anonymised, whose complaints are all finished, the last of them
    longer ago than the retention period."""
    cutoff = _years_before(now, settings.RETENTION_YEARS)
    unfinished = Complaint.objects.filter(customer=OuterRef("pk")).exclude(
        status__in=[s.value for s in FINAL_STATUSES])
    return (Customer.objects.filter(anonymised_at__isnull=True)
            .exclude(Exists(unfinished))
            .annotate(last_finished=Max(Coalesce("complaints__closed_at",
                                                 "complaints__updated_at")))
            .filter(last_finished__lte=cutoff).order_by("id"))


def anonymise_sweep(*, now: datetime | None = None, batch_size: int = 200,
                    max_batches: int = 50) -> int:
    """Anonymise every customer past the retention period, in batches. Idempotent."""
    now = now or timezone.now()
    done, seen = 0, set()
    for _batch in range(max_batches):
        ids = list(anonymise_candidates(now=now).exclude(pk__in=seen)
                   .values_list("id", flat=True)[:batch_size])
        seen.update(ids)
        for customer_id in ids:
            done += customer_anonymise(customer_id=customer_id, now=now)
        if len(ids) < batch_size:
            break
    return done


def on_complaint_changed(event) -> None:
    """Receiver of complaints.events.complaint_changed (after commit)."""
    if event.kind != "transitioned":
        return
    action = event.data.get("action")
    if action == Action.RESOLVE:
        on_resolved(complaint_id=event.complaint_id, actor_id=event.actor_id)
    elif action == Action.REOPEN:
        on_reopened(complaint_id=event.complaint_id)


def follow_up_complete(*, task_id: int, actor, note: str = "") -> FollowUpTask:
    """A supervisor has reviewed the low score; what was done goes on the timeline."""
    if not actor.has_perm("complaints.change_followuptask"):
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


def callback_phone_reveal(*, task: CallbackTask, user, ip_address: str | None = None) -> str:
    """The number to dial, for the person doing the callback; logged like every reveal."""
    from .models import PersonalDataAccess

    if not callback_can_work(user, task):
        raise NotAllowed(_("This callback is assigned to someone else."))
    customer = task.complaint.customer
    PersonalDataAccess.objects.create(user=user, customer=customer, complaint=task.complaint,
                                      fields=["phone"], reason=_("Callback"),
                                      ip_address=ip_address)
    return customer.phone
