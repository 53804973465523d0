"""The agents' and supervisors' workspace: a complaint's page and its actions (HTML).

Each action is a POST to /complaints/<reference>/act/<name>/ handled by one small function that
calls one service. Success redirects back to the page; an invalid form comes back with its
errors (400), a stale version with who changed what and the user's input kept (409).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import selectors, services
from complaints.lifecycle import REASON_REQUIRED, Action
from intake import selectors as intake_selectors
from kernel.errors import DomainError, InvalidInput, StaleVersion
from kernel.idempotency import request_digest
from notifications.models import OutboundChannel
from sla.escalations import escalation_raise_manually
from workspace import forms
from workspace import selectors as ws_selectors
from workspace import services as ws
from workspace.models import CannedResponse, RedLinePhrase

# --- the page -------------------------------------------------------------------------------


def _initial_forms(complaint) -> dict:
    v = {"version": complaint.version}
    default_channel = (OutboundChannel.SMS if complaint.customer.phone.startswith("1")
                       else OutboundChannel.EMAIL)
    return {
        "assign": forms.AssignForm(initial={**v, "department": complaint.assigned_department_id,
                                            "agent": complaint.assigned_agent_id}),
        "info": forms.InfoRequestForm(initial=v),
        "dispatch": forms.DispatchForm(initial=v),
        "investigation": forms.InvestigationForm(initial={
            **v, "responsible_department": complaint.responsible_department_id,
            "responsibility_type": complaint.responsibility_type}),
        "compensation": forms.CompensationForm(initial={
            **v, "compensation_type": complaint.compensation_type,
            "amount": complaint.compensation_amount}),
        "resolve": forms.ResolveForm(initial={**v, "summary": complaint.resolution_summary}),
        "escalate": forms.EscalateForm(initial={"level": min(complaint.escalation_level + 1, 3)}),
        "reply": forms.ReplyForm(initial={**v, "channel": default_channel}),
        "note": forms.NoteForm(initial=v),
        "attach": forms.AttachForm(),
        "reveal": forms.RevealForm(),
    }


def _render_page(request, reference: str, *, bound: dict | None = None, status: int = 200,
                 conflict: StaleVersion | None = None, red_lines=None, revealed=None,
                 open_panel: str = ""):
    workspace = ws_selectors.complaint_workspace(user=request.user, reference=reference)
    complaint = workspace.complaint
    page_forms = _initial_forms(complaint)
    page_forms.update(bound or {})
    for key, form in page_forms.items():  # one page, many forms: keep their ids apart
        form.auto_id = f"{key}_%s"
    return render(request, "complaints/detail.html", {
        "w": workspace, "complaint": complaint, "forms": page_forms,
        "conflict": conflict, "red_lines": red_lines,
        "conflict_changes": ws_selectors.conflict_changes(conflict.changes) if conflict else [],
        "revealed": revealed,
        "open_panel": open_panel, "compensation_limit": ws.compensation_limit(),
        "reason_required": [a.value for a in REASON_REQUIRED],
        "can_reveal": request.user.has_perm("complaints.reveal_personal_data"),
        "can_change": request.user.has_perm("complaints.change_complaint"),
        "can_escalate": request.user.has_perm("sla.add_escalation"),
        "can_approve": request.user.has_perm("complaints.approve_compensation"),
        "is_open": ws_selectors.complaint_is_open(complaint),
        "picks": intake_selectors.category_picks(complaint)
        if request.user.has_perm("intake.override_classification") else [],
    }, status=status)


@login_required
def complaint_detail(request, reference: str):
    return _render_page(request, reference)


# --- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handler:
    form: type
    perm: str
    run: Callable  # (request, complaint, cleaned_data) -> success message


def _transition(request, complaint, data):
    action = Action(data["action"])
    if not request.user.has_perm(selectors.action_permission(action)):
        raise PermissionDenied
    services.complaint_transition(
        complaint_id=complaint.id, action=action, actor=request.user,
        expected_version=data["version"], reason=data["reason"],
        merged_into_reference=data["merged_into"])
    return _("“%(action)s” done.") % {"action": action.label}


def _assign(request, complaint, data):
    transfer = bool(complaint.assigned_agent_id or complaint.assigned_department_id)
    if transfer and not data["reason"].strip():
        raise InvalidInput(_("Say why the complaint is transferred."), field="reason")
    services.complaint_assign(complaint_id=complaint.id, actor=request.user,
                              expected_version=data["version"], department=data["department"],
                              agent=data["agent"], reason=data["reason"])
    return _("Assignment saved.")


def _info(request, complaint, data):
    ws.info_request(complaint_id=complaint.id, actor=request.user,
                    expected_version=data["version"], question=data["question"],
                    send_to_customer=data["send_to_customer"])
    return _("Waiting for the customer; the deadlines are paused.")


def _dispatch(request, complaint, data):
    tasks = ws.dispatch_create(complaint_id=complaint.id, actor=request.user,
                               expected_version=data["version"],
                               departments=list(data["departments"]),
                               instructions=data["instructions"], due_at=data["due_at"])
    return _("Dispatched to %(departments)s.") % {
        "departments": "、".join(t.department.name for t in tasks)}


def _dispatch_result(request, complaint, data):
    task = ws.dispatch_return(complaint_id=complaint.id, task_id=data["task"],
                              actor=request.user, result=data["result"],
                              expected_version=data["version"])
    return _("Result from %(department)s recorded.") % {"department": task.department.name}


def _investigation(request, complaint, data):
    ws.investigation_record(complaint_id=complaint.id, actor=request.user,
                            expected_version=data["version"],
                            responsible_department=data["responsible_department"],
                            responsibility_type=data["responsibility_type"],
                            findings=data["findings"])
    return _("Investigation recorded.")


def _compensation(request, complaint, data):
    updated = ws.compensation_propose(
        complaint_id=complaint.id, actor=request.user, expected_version=data["version"],
        compensation_type=data["compensation_type"], amount=data["amount"],
        reason=data["reason"])
    if updated.compensation_status == "pending":
        return _("The compensation is above ¥%(limit)s: a supervisor must approve it before "
                 "the customer is told.") % {"limit": ws.compensation_limit()}
    return _("Compensation recorded.")


def _approve(request, complaint, data):
    approve = data["decision"] == "approve"
    ws.compensation_decide(complaint_id=complaint.id, actor=request.user,
                           expected_version=data["version"], approve=approve,
                           reason=data["reason"])
    return (_("Compensation for %(reference)s approved.") if approve
            else _("Compensation for %(reference)s rejected.")) % {
        "reference": complaint.reference}


def _resolve(request, complaint, data):
    ws.complaint_resolve(complaint_id=complaint.id, actor=request.user,
                         expected_version=data["version"], summary=data["summary"],
                         notify_customer=data["notify_customer"])
    return _("Resolved.")


def _escalate(request, complaint, data):
    escalation_raise_manually(complaint_id=complaint.id, actor=request.user,
                                           reason=data["reason"], level=data["level"])
    return _("Escalated to level %(level)s.") % {"level": data["level"]}


def _reply(request, complaint, data):
    result = ws.reply_send(complaint_id=complaint.id, actor=request.user, body=data["body"],
                           channel=data["channel"], expected_version=data["version"],
                           send_anyway=data["send_anyway"], canned_id=data["canned"],
                           **_form_key(data, "reply", data["body"], data["channel"]))
    send_after = timezone.localtime(result.message.send_after)
    if result.message.send_after > timezone.now() + timezone.timedelta(minutes=1):
        return _("Reply saved; it goes to the customer at %(time)s (no messages between 18:00 "
                 "and 08:00).") % {"time": send_after.strftime("%Y-%m-%d %H:%M")}
    return _("Reply queued to the customer by %(channel)s.") % {
        "channel": OutboundChannel(data["channel"]).label}


def _attach(request, complaint, data):
    entry = services.complaint_attach_files(
        complaint_id=complaint.id, files=request.FILES.getlist("files"), actor=request.user,
        note=data["note"], public=data["public"])
    return _("%(n)s file(s) attached.") % {"n": len(entry.data.get("attachments", []))}


def _note(request, complaint, data):
    services.complaint_add_note(complaint_id=complaint.id, actor=request.user,
                                body=data["body"], expected_version=data["version"],
                                **_form_key(data, "note", data["body"]))
    return _("Note added.")


def _form_key(data, *content) -> dict:
    """The idempotency key of a form's one-time token: a double submit of the page writes
    once (the version is left out: a resubmit after a stale-version refusal is the same)."""
    token = (data.get("form_token") or "").strip()
    if not token:
        return {}
    return {"request_key": f"form:{token}", "request_digest": request_digest(*content)}


CHANGE = "complaints.change_complaint"
HANDLERS = {
    "transition": Handler(forms.TransitionForm, "complaints.view_complaint", _transition),
    "assign": Handler(forms.AssignForm, CHANGE, _assign),
    "info": Handler(forms.InfoRequestForm, CHANGE, _info),
    "dispatch": Handler(forms.DispatchForm, CHANGE, _dispatch),
    "dispatch-result": Handler(forms.DispatchResultForm, CHANGE, _dispatch_result),
    "investigation": Handler(forms.InvestigationForm, CHANGE, _investigation),
    "compensation": Handler(forms.CompensationForm, CHANGE, _compensation),
    "approve": Handler(forms.ApprovalForm, "complaints.approve_compensation", _approve),
    "resolve": Handler(forms.ResolveForm, CHANGE, _resolve),
    "escalate": Handler(forms.EscalateForm, "sla.add_escalation", _escalate),
    "reply": Handler(forms.ReplyForm, CHANGE, _reply),
    "note": Handler(forms.NoteForm, CHANGE, _note),
    "attach": Handler(forms.AttachForm, "complaints.add_attachment", _attach),
}
# Forms whose name on the page differs from the handler's.
FORM_KEYS = {"transition": "transition", "dispatch-result": "dispatch_result"}


def _back(request, reference: str):
    if request.POST.get("next") == "approvals":
        return redirect("workspace-approvals")
    return redirect("complaint-detail", reference=reference)


@login_required
@require_POST
def complaint_act(request, reference: str, name: str):
    handler = HANDLERS.get(name)
    if handler is None:
        raise Http404
    if not request.user.has_perm(handler.perm):
        raise PermissionDenied
    complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
    form = handler.form(request.POST, request.FILES)
    key = FORM_KEYS.get(name, name)
    if not form.is_valid():
        return _render_page(request, reference, bound={key: form}, status=400, open_panel=key)
    try:
        message = handler.run(request, complaint, form.cleaned_data)
    except StaleVersion as exc:
        # Keep what the user typed, now against the current version: after reading the other
        # person's changes above, sending again is a deliberate decision.
        data = request.POST.copy()
        data["version"] = str(exc.complaint.version)
        return _render_page(request, reference, bound={key: handler.form(data, request.FILES)},
                            status=409, conflict=exc, open_panel=key)
    except ws.RedLineWarning as exc:
        return _render_page(request, reference, bound={key: form}, red_lines=exc.matches,
                            open_panel=key)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render_page(request, reference, bound={key: form}, status=exc.status_code,
                            open_panel=key)
    messages.success(request, message)
    if not selectors.complaint_visible(user=request.user, reference=reference):
        # Handed to a department outside the user's scope: back to the desk, not to a 404.
        return redirect("desk:queue")
    return _back(request, reference)


@login_required
@require_POST
@permission_required("complaints.reveal_personal_data", raise_exception=True)
def complaint_reveal(request, reference: str):
    """Full personal data, shown once on this response and logged; never stored in the page's
    URL or session."""
    complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
    form = forms.RevealForm(request.POST)
    if not form.is_valid():
        return _render_page(request, reference, bound={"reveal": form}, status=400,
                            open_panel="reveal")
    revealed = services.personal_data_reveal(user=request.user, complaint=complaint,
                                             reason=form.cleaned_data["reason"],
                                             ip_address=request.META.get("REMOTE_ADDR"))
    response = _render_page(request, reference, revealed=revealed)
    response["Cache-Control"] = "no-store"
    return response


# --- composer helpers (htmx) ----------------------------------------------------------------


@login_required
@require_POST
@permission_required("workspace.view_redlinephrase", raise_exception=True)
def redline_check(request):
    """The composer's live check: warnings for the text typed so far."""
    matches = ws.redline_check(request.POST.get("body", ""), ws.active_red_lines())
    return render(request, "complaints/_red_lines.html", {"red_lines": matches})


@login_required
@permission_required("workspace.view_cannedresponse", raise_exception=True)
def canned_fill(request, reference: str):
    """The composer's text area filled with a canned response for this complaint."""
    complaint = selectors.complaint_get_for_user(user=request.user, reference=reference)
    canned = None
    if request.GET.get("canned", "").isdigit():
        canned = CannedResponse.objects.filter(pk=int(request.GET["canned"]),
                                               is_active=True).first()
    body = request.GET.get("body", "")
    if canned:
        body = ws.canned_render(canned.body, ws.canned_values(
            complaint=complaint, expected_at=ws_selectors.expected_at_for(complaint)))
    return render(request, "complaints/_reply_body.html", {
        "complaint": complaint, "body": body, "canned": canned})


# --- supervisors ----------------------------------------------------------------------------


@login_required
@permission_required("complaints.approve_compensation", raise_exception=True)
def approvals(request):
    complaints = list(ws_selectors.approval_queue(user=request.user)[:200])
    proposals = ws_selectors.approval_proposals(complaints)
    rows = [(c, proposals.get(c.id)) for c in complaints]
    return render(request, "complaints/approvals.html", {
        "rows": rows, "limit": ws.compensation_limit()})


def _settings_page(request, *, item_id, model, form_class, save, perm_view, perm_change,
                   template, list_url, items):
    if not request.user.has_perm(perm_view):
        raise PermissionDenied
    item = get_object_or_404(model, pk=item_id) if item_id else None
    form = form_class(request.POST or None, instance=item)
    if request.method == "POST":
        if not request.user.has_perm(perm_change):
            raise PermissionDenied
        if form.is_valid():
            try:
                save(item, form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect(list_url)
    return render(request, template, {
        "form": form, "item": item, "items": items,
        "can_change": request.user.has_perm(perm_change)},
        status=400 if form.errors else 200)


@login_required
def canned_settings(request, item_id: int | None = None):
    return _settings_page(
        request, item_id=item_id, model=CannedResponse, form_class=forms.CannedResponseForm,
        save=lambda item, d: ws.canned_save(actor=request.user, canned=item, **d),
        perm_view="workspace.view_cannedresponse",
        perm_change="workspace.change_cannedresponse",
        template="complaints/settings_canned.html", list_url="workspace-canned",
        items=ws_selectors.canned_list())


@login_required
def redline_settings(request, item_id: int | None = None):
    return _settings_page(
        request, item_id=item_id, model=RedLinePhrase, form_class=forms.RedLinePhraseForm,
        save=lambda item, d: ws.redline_save(actor=request.user, item=item, **d),
        perm_view="workspace.view_redlinephrase",
        perm_change="workspace.change_redlinephrase",
        template="complaints/settings_redlines.html", list_url="workspace-redlines",
        items=ws_selectors.redline_list())
