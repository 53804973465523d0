"""The supervisors' escalation queue (/desk/escalations/)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from complaints import selectors as complaint_selectors
from complaints import services as complaint_services
from complaints.models import Category, Department
from kernel.errors import DomainError
from kernel.http import redirect_to_next

from . import escalations, selectors


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class ExpectedDateForm(ReasonForm):
    expected_at = forms.DateTimeField(
        label=gettext_lazy("New expected date"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M"])


class ReassignForm(ReasonForm):
    department = forms.ModelChoiceField(label=gettext_lazy("Department"),
                                        queryset=Department.objects.filter(is_active=True))
    agent = forms.ModelChoiceField(label=gettext_lazy("Agent"), required=False,
                                   queryset=get_user_model().objects.filter(is_active=True))


@login_required
@permission_required("sla.view_escalation", raise_exception=True)
def escalation_queue(request):
    params = request.GET
    level = params.get("level", "")
    rows = selectors.escalation_queue(
        user=request.user, level=int(level) if level.isdigit() else None,
        department=params.get("department", ""), category=params.get("category", ""))
    page = Paginator(rows, 50).get_page(params.get("page"))
    return render(request, "sla/escalations.html", {
        "page": page, "level": level, "department": params.get("department", ""),
        "category": params.get("category", ""),
        "departments": list(Department.objects.filter(is_active=True)),
        "agents": list(get_user_model().objects.filter(
            is_active=True, groups__name__in=["agent", "supervisor"]).distinct()
            .order_by("username")),
        "categories": Category.objects.filter(parent__isnull=True, is_active=True),
        "can_work": request.user.has_perm("sla.change_escalation"),
    })


# The queue's row actions and the form each one needs (acknowledging needs none).
ACTION_FORMS = {"acknowledge": None, "expected-date": ExpectedDateForm,
                "deescalate": ReasonForm, "reassign": ReassignForm}


@require_POST
@login_required
@permission_required("sla.change_escalation", raise_exception=True)
def escalation_action(request, reference: str, action: str):
    complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                           reference=reference)
    if action not in ACTION_FORMS:
        return redirect("sla:escalations")
    form_class = ACTION_FORMS[action]
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}"
                               for f, e in form.errors.items())
            messages.error(request, _("%(reference)s: %(errors)s") % {
                "reference": reference, "errors": errors})
            return redirect_to_next(request, "sla:escalations")
        data = form.cleaned_data
    try:
        if action == "acknowledge":
            escalations.escalation_acknowledge(complaint_id=complaint.id, actor=request.user)
        elif action == "expected-date":
            escalations.escalation_set_expected(complaint_id=complaint.id, actor=request.user,
                                             **data)
        elif action == "deescalate":
            escalations.escalation_deescalate(complaint_id=complaint.id, actor=request.user,
                                           **data)
        else:
            complaint_services.complaint_assign(
                complaint_id=complaint.id, actor=request.user, expected_version=None,
                department=data["department"], agent=data["agent"], reason=data["reason"])
    except DomainError as exc:
        messages.error(request, f"{reference}: {exc.message}")
    else:
        messages.success(request, _("%(reference)s updated.") % {"reference": reference})
    return redirect_to_next(request, "sla:escalations")
