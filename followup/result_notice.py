"""The result notice to the customer and the customer's answer to it: "solved" closes the
complaint (or leaves it to its open callback), "not solved" reopens it; by the tracking page,
told to staff, or as an SMS reply keyword (`sms_reply_receive`). One answer per resolution."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from complaints import services
from complaints.lifecycle import Action, Status
from complaints.models import ActivityKind, ActorType, Complaint, Visibility
from followup.common import COMMENT_MAX, AlreadyAnswered
from followup.models import (
    CallbackStatus,
    CallbackTask,
    FeedbackChannel,
    ResultAnswer,
    ResultConfirmation,
)
from followup.survey import survey_token, survey_url
from intake.parsers.webhook import parse_sms_reply_keyword
from kernel.errors import InvalidInput
from notifications.outbound import customer_message_queue


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
            dedupe_key=f"result:{complaint.reference}:{complaint.reopen_count}",
            secrets=[survey_token(complaint)])
    except InvalidInput:
        services.timeline_append(
            complaint_id=complaint.id, kind=ActivityKind.INTERNAL_NOTE,
            message=_("No result notice sent: the customer has no mobile number or email "
                      "address on file."), data={"result_notice": "no_contact"})
        return None


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
