"""Customer pages, no login: /submit/ (a complaint) and /track/ (status, public timeline, add
information). Views parse the form and call one function of intake/public.py."""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from complaints.lifecycle import Status
from kernel.attachments import download_response
from kernel.errors import DomainError, InvalidInput
from kernel.http import client_address
from kernel.personal_data import mask_email, mask_phone
from notifications.models import OutboundChannel, OutboundMessage

from . import public
from .public_forms import (
    AddInformationForm,
    PublicComplaintForm,
    TrackCodeForm,
    TrackCodeRequestForm,
    TrackPhoneForm,
)

logger = logging.getLogger(__name__)
SUBMITTED_KEY = "public_submitted"

# The customer's view of the lifecycle: four steps.
STEPS = [
    ("received", pgettext_lazy("tracking step", "Received"), {Status.NEW}),
    ("acknowledged", pgettext_lazy("tracking step", "Accepted"), {Status.ACKNOWLEDGED}),
    ("in_progress", pgettext_lazy("tracking step", "Being handled"),
     {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_DEPARTMENT, Status.REOPENED}),
    ("resolved", pgettext_lazy("tracking step", "Resolved"), {Status.RESOLVED, Status.CLOSED}),
]


def _refuse(form, error: InvalidInput) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


@never_cache
@require_http_methods(["GET", "POST"])
def submit(request):
    status = 200
    if request.method == "POST":
        form = PublicComplaintForm(request.POST, request.FILES)
        ip = client_address(request)
        if form.is_valid():
            try:
                complaint = public.public_complaint_submit(submission=form.submission(), ip=ip)
            except public.RateLimited as error:
                form.add_error(None, str(error.message))
                status = 429
            except InvalidInput as error:
                _refuse(form, error)
                status = 400
            else:
                request.session[SUBMITTED_KEY] = complaint.reference
                return redirect("public:submit-done")
        else:
            if form.honeypot_filled:
                public.honeypot_tripped(ip=ip, value=request.POST.get("website", ""))
            status = 400
    else:
        form = PublicComplaintForm()
    return render(request, "public/submit.html", {"form": form}, status=status)


@never_cache
def submit_done(request):
    reference = request.session.get(SUBMITTED_KEY)
    if not reference:
        return redirect("public:submit")
    acknowledgement = (OutboundMessage.objects.filter(complaint__reference=reference,
                                                      purpose="acknowledgement")
                       .order_by("id").first())
    sent_to = ""
    if acknowledgement is not None:
        sent_to = (mask_phone(acknowledgement.recipient)
                   if acknowledgement.channel == OutboundChannel.SMS
                   else mask_email(acknowledgement.recipient))
    return render(request, "public/submit_done.html", {
        "reference": reference, "tracking_url": public.tracking_url(reference, request=request),
        "acknowledgement": acknowledgement, "sent_to": sent_to})


def _track_forms(reference: str = "", **bound) -> dict:
    initial = {"reference": reference}
    return {"phone_form": bound.get("phone_form") or TrackPhoneForm(initial=initial),
            "code_request_form": bound.get("code_request_form")
            or TrackCodeRequestForm(initial=initial),
            "code_form": bound.get("code_form") or TrackCodeForm(initial=initial),
            "code_minutes": settings.INTAKE_TRACK_CODE_MINUTES}


@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    if request.method == "GET":
        reference = public.normalize_reference(request.GET.get("ref", ""))[:30]
        context = _track_forms(reference)
        context.update(reference=reference,
                       active="code" if request.GET.get("mode") == "code" else "phone")
        return render(request, "public/track_login.html", context)
    action = request.POST.get("action", "phone")
    ip = client_address(request)
    context, status = {}, 400
    try:
        if action == "send_code":
            form = TrackCodeRequestForm(request.POST)
            context = _track_forms(request.POST.get("reference", ""), code_request_form=form)
            if form.is_valid():
                public.tracking_code_send(reference=form.cleaned_data["reference"], ip=ip)
                context["code_sent"] = True
                context["code_form"] = TrackCodeForm(
                    initial={"reference": form.cleaned_data["reference"]})
                status = 200
        elif action == "code":
            form = TrackCodeForm(request.POST)
            context = _track_forms(request.POST.get("reference", ""), code_form=form)
            context["code_sent"] = True
            if form.is_valid():
                complaint = public.tracking_open_with_code(
                    session=request.session, reference=form.cleaned_data["reference"],
                    code=form.cleaned_data["code"], ip=ip)
                return redirect("public:track-detail", reference=complaint.reference)
        else:
            form = TrackPhoneForm(request.POST)
            context = _track_forms(request.POST.get("reference", ""), phone_form=form)
            if form.is_valid():
                complaint = public.tracking_open_with_phone(
                    session=request.session, reference=form.cleaned_data["reference"],
                    phone=form.cleaned_data["phone"], ip=ip)
                return redirect("public:track-detail", reference=complaint.reference)
    except public.RateLimited as error:
        form.add_error(None, str(error.message))
        status = 429
    except public.TrackingDenied as error:
        form.add_error(None, str(error.message))
    context["active"] = "code" if action in ("send_code", "code") else "phone"
    context["reference"] = public.normalize_reference(request.POST.get("reference", ""))[:30]
    return render(request, "public/track_login.html", context, status=status)


def _detail_context(complaint, form=None) -> dict:
    current = Status(complaint.status)
    reached = next((i for i, (_k, _l, statuses) in enumerate(STEPS) if current in statuses), -1)
    return {
        "complaint": complaint,
        "status_label": current.label,
        "steps": [{"label": label, "done": i <= reached, "current": i == reached}
                  for i, (_key, label, _s) in enumerate(STEPS)],
        "cancelled": current == Status.CANCELLED,
        "can_add": current not in (Status.CLOSED, Status.CANCELLED),
        "show_resolution": bool(complaint.resolution_summary)
        and current in (Status.RESOLVED, Status.CLOSED),
        "waiting_for_customer": current == Status.WAITING_CUSTOMER,
        "timeline": public.public_timeline(complaint),
        "masked_phone": mask_phone(complaint.customer.phone),
        "form": form or AddInformationForm(),
    }


def _granted(request, reference: str):
    complaint = public.tracked_complaint(request, reference)
    if complaint is None:
        return None, redirect(f"{reverse('public:track')}?{urlencode({'ref': reference[:30]})}")
    if complaint.reference != public.normalize_reference(reference):
        messages.info(request, _("Complaint %(merged)s was merged into %(survivor)s, which is "
                                 "shown here.") % {"merged": public.normalize_reference(
                                     reference), "survivor": complaint.reference})
        return None, redirect("public:track-detail", reference=complaint.reference)
    return complaint, None


@never_cache
def track_detail(request, reference: str):
    complaint, elsewhere = _granted(request, reference)
    if elsewhere:
        return elsewhere
    return render(request, "public/track_detail.html", _detail_context(complaint))


@never_cache
@require_POST
def track_add(request, reference: str):
    complaint, elsewhere = _granted(request, reference)
    if elsewhere:
        return elsewhere
    form = AddInformationForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            submission = form.cleaned_data.get("submission_id")
            public.tracking_add_information(
                complaint=complaint, text=form.cleaned_data["text"],
                attachments=form.cleaned_data["attachments"], ip=client_address(request),
                submission_id=submission.hex if submission else "")
        except public.RateLimited as error:
            form.add_error(None, str(error.message))
            status = 429
        except InvalidInput as error:
            _refuse(form, error)
        except DomainError as error:  # the form sent before with other words: 409
            form.add_error(None, str(error.message))
            status = error.status_code
        else:
            messages.success(request, _("Thank you. Your information has been added to the "
                                        "complaint."))
            return redirect("public:track-detail", reference=complaint.reference)
    return render(request, "public/track_detail.html", _detail_context(complaint, form),
                  status=status)


@never_cache
def track_attachment(request, reference: str, attachment_id: int):
    complaint, elsewhere = _granted(request, reference)
    if elsewhere:
        raise Http404
    attachment = public.public_attachment(complaint, attachment_id)
    if attachment is None:
        raise Http404
    return download_response(attachment.file.open("rb"), attachment.original_name,
                             attachment.content_type)


@require_POST
def track_leave(request):
    public.tracking_forget(request.session)
    messages.info(request, _("You have left the complaint pages on this device."))
    return redirect("public:track")
