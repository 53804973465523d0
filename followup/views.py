"""Closing the loop in HTML: the customer's answer and rating (tracking page and SMS survey
link) and the staff callback queue (/callbacks/)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from followup import selectors as closing_selectors
from followup.callbacks import callback_attempt_record, callback_can_work, callback_phone_reveal
from followup.common import COMMENT_MAX
from followup.models import (
    CallbackOutcome,
    CallbackStatus,
    FeedbackChannel,
    FollowUpTask,
    ResultAnswer,
    SurveyReason,
)
from followup.result_notice import result_answer
from followup.survey import follow_up_complete, survey_complaint_from_token, survey_submit
from intake.public import tracked_complaint
from kernel.errors import DomainError

# --- forms (the same fields as the API) --------------------------------------------------------


class ConfirmForm(forms.Form):
    answer = forms.ChoiceField(label=gettext_lazy("Is the problem solved?"),
                               choices=ResultAnswer.choices)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False,
                              max_length=COMMENT_MAX)


class SurveyForm(forms.Form):
    stars = forms.TypedChoiceField(label=gettext_lazy("Stars"), coerce=int,
                                   choices=[(n, str(n)) for n in range(1, 6)],
                                   error_messages={"required": gettext_lazy(
                                       "Choose 1 to 5 stars.")})
    reasons = forms.MultipleChoiceField(label=gettext_lazy("Reasons"), required=False,
                                        choices=SurveyReason.choices)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False,
                              max_length=COMMENT_MAX)


class AttemptForm(forms.Form):
    result = forms.ChoiceField(label=gettext_lazy("Result of the call"),
                               choices=CallbackOutcome.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000)


class ReviewForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("What the review found or did"), max_length=2000)


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _submit_confirm(request, complaint, channel) -> bool:
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return False
    try:
        result_answer(complaint_id=complaint.id, answer=form.cleaned_data["answer"],
                              comment=form.cleaned_data["comment"], channel=channel)
    except DomainError as error:
        messages.error(request, str(error.message))
        return False
    if form.cleaned_data["answer"] == ResultAnswer.SOLVED:
        messages.success(request, _("Thank you for confirming the result."))
    else:
        messages.success(request, _("We are sorry the problem is not solved. Your complaint "
                                    "has been reopened and we will handle it again."))
    return True


def _submit_survey(request, complaint, channel) -> bool:
    form = SurveyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return False
    try:
        survey_submit(complaint_id=complaint.id, channel=channel, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, str(error.message))
        return False
    messages.success(request, _("Thank you for rating our handling."))
    return True


# --- the customer: tracking page (session grant) -------------------------------------------------


def _tracked(request, reference: str):
    return tracked_complaint(request, reference)


def _to_tracking(reference: str):
    return redirect("public:track-detail", reference=reference)


@never_cache
@require_POST
def track_confirm(request, reference: str):
    complaint = _tracked(request, reference)
    if complaint is None:
        return redirect(f"{reverse('public:track')}?ref={reference[:30]}")
    _submit_confirm(request, complaint, FeedbackChannel.TRACKING_PAGE)
    return _to_tracking(complaint.reference)


@never_cache
@require_POST
def track_survey(request, reference: str):
    complaint = _tracked(request, reference)
    if complaint is None:
        return redirect(f"{reverse('public:track')}?ref={reference[:30]}")
    _submit_survey(request, complaint, FeedbackChannel.TRACKING_PAGE)
    return _to_tracking(complaint.reference)


# --- the customer: the survey link sent by SMS (signed token) -----------------------------------


@never_cache
def survey_link(request, token: str):
    try:
        complaint = survey_complaint_from_token(token)
    except DomainError as error:
        return render(request, "closing/survey_link.html", {"error": error.message},
                      status=404)
    if request.method == "POST":
        if request.POST.get("form") == "confirm":
            _submit_confirm(request, complaint, FeedbackChannel.SMS_LINK)
        else:
            _submit_survey(request, complaint, FeedbackChannel.SMS_LINK)
        return redirect("closing-survey-link", token=token)
    here = reverse("closing-survey-link", args=[token])
    return render(request, "closing/survey_link.html", {
        "complaint": complaint, "confirm_url": here, "survey_url": here})


# --- staff: callbacks and low-score reviews ----------------------------------------------


@login_required
@permission_required(closing_selectors.CALLBACK_PERMISSION, raise_exception=True)
def callbacks(request):
    status = request.GET.get("status", CallbackStatus.OPEN)
    if status not in CallbackStatus.values:
        status = CallbackStatus.OPEN
    can_see_all = request.user.has_perm(closing_selectors.CALLBACK_ALL_PERMISSION)
    everyone = can_see_all and request.GET.get("mine") != "1"
    tasks = closing_selectors.callback_list(user=request.user, status=status, everyone=everyone)
    page = Paginator(tasks, 50).get_page(request.GET.get("page"))
    return render(request, "closing/callbacks.html", {
        "page": page, "status": status, "everyone": everyone, "can_see_all": can_see_all,
        "outcomes": CallbackOutcome.choices, "now": timezone.now(),
        "reviews": closing_selectors.follow_up_list(user=request.user)[:50],
    })


def _task_for(request, task_id: int):
    task = closing_selectors.callback_get_for_user(user=request.user, task_id=task_id)
    if not callback_can_work(request.user, task):
        raise PermissionDenied(_("This callback is assigned to someone else."))
    return task


@login_required
@require_POST
@permission_required(closing_selectors.CALLBACK_PERMISSION, raise_exception=True)
def callback_attempt(request, task_id: int):
    task = _task_for(request, task_id)
    form = AttemptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            result = callback_attempt_record(task_id=task.id, actor=request.user,
                                                     **form.cleaned_data)
        except DomainError as error:
            messages.error(request, format_html("{}: {}", task.complaint.reference,
                                                error.message))
        else:
            if result.task.status == CallbackStatus.DONE:
                messages.success(request, _("%(reference)s: callback done (%(outcome)s).") % {
                    "reference": task.complaint.reference,
                    "outcome": CallbackOutcome(result.task.outcome).label})
            else:
                messages.info(request, _("%(reference)s: not reached; try again on another "
                                         "day.") % {"reference": task.complaint.reference})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("closing-callbacks")
    return redirect(target)


@login_required
@require_POST
@permission_required(closing_selectors.CALLBACK_PERMISSION, raise_exception=True)
def callback_phone(request, task_id: int):
    task = _task_for(request, task_id)
    phone = callback_phone_reveal(task=task, user=request.user,
                                          ip_address=request.META.get("REMOTE_ADDR"))
    return HttpResponse(format_html('<a class="closing-phone" href="tel:{0}">{0}</a>', phone))


@login_required
@require_POST
@permission_required("followup.change_followuptask", raise_exception=True)
def review_done(request, task_id: int):
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("closing-callbacks")
    try:
        follow_up_complete(task_id=task_id, actor=request.user,
                                   note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, str(error.message))
    except FollowUpTask.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("Review recorded."))
    return redirect("closing-callbacks")
