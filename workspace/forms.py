"""Forms of the complaint workspace. Every form that changes the complaint carries the
`version` the user read, so a second save over someone else's change is refused."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from complaints.lifecycle import Action
from complaints.models import CompensationType, Department, ResponsibilityType
from kernel.idempotency import form_token_field
from kernel.roles import AGENT, SUPERVISOR
from notifications.models import OutboundChannel
from workspace.models import CannedResponse, RedLinePhrase

LOCAL_DATETIME = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class VersionedForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TransitionForm(VersionedForm):
    action = forms.ChoiceField(choices=[(a.value, a.label) for a in Action],
                               widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    merged_into = forms.CharField(label=_("Original complaint (reference)"), required=False,
                                  max_length=24)


class AssignForm(VersionedForm):
    department = forms.ModelChoiceField(label=_("Department"), required=False,
                                        queryset=Department.objects.filter(is_active=True))
    agent = forms.ModelChoiceField(label=_("Agent"), required=False,
                                   queryset=get_user_model().objects.filter(
                                       is_active=True, groups__name__in=[AGENT, SUPERVISOR])
                                   .distinct().order_by("username"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class InfoRequestForm(VersionedForm):
    question = forms.CharField(label=_("What do you need from the customer?"), max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 2}))
    send_to_customer = forms.BooleanField(label=_("Send this question to the customer"),
                                          required=False, initial=True)


class DispatchForm(VersionedForm):
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"), queryset=Department.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple)
    instructions = forms.CharField(label=_("Instructions"), max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    due_at = forms.DateTimeField(label=_("Result due (optional)"), required=False,
                                 input_formats=LOCAL_DATETIME,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class DispatchResultForm(VersionedForm):
    task = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.CharField(label=_("Department's result"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class InvestigationForm(VersionedForm):
    responsible_department = forms.ModelChoiceField(
        label=_("Responsible department"), required=False,
        queryset=Department.objects.filter(is_active=True))
    responsibility_type = forms.ChoiceField(label=_("Responsibility"),
                                            choices=ResponsibilityType.choices)
    findings = forms.CharField(label=_("Findings"), max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 3}))


class CompensationForm(VersionedForm):
    compensation_type = forms.ChoiceField(label=_("Compensation type"),
                                          choices=CompensationType.choices)
    amount = forms.DecimalField(label=_("Amount (CNY)"), min_value=0, max_digits=10,
                                decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class ApprovalForm(VersionedForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=[
        ("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class ResolveForm(VersionedForm):
    summary = forms.CharField(label=_("Resolution summary"), max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    notify_customer = forms.BooleanField(label=_("Tell the customer the result"),
                                         required=False, initial=True)


class EscalateForm(forms.Form):
    level = forms.TypedChoiceField(label=_("Level"), coerce=int, initial=1,
                                   choices=[(1, "1"), (2, "2"), (3, "3")])
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ReplyForm(VersionedForm):
    form_token = form_token_field()  # a double submit sends one reply
    channel = forms.ChoiceField(label=_("Send by"), choices=OutboundChannel.choices)
    canned = forms.IntegerField(required=False, widget=forms.HiddenInput)
    body = forms.CharField(label=_("Reply to the customer"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 5}))
    send_anyway = forms.BooleanField(label=_("I have read the red-line warning; send anyway"),
                                     required=False)


class NoteForm(VersionedForm):
    form_token = form_token_field()  # a double submit adds one note
    body = forms.CharField(label=_("Internal note"), max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AttachForm(forms.Form):
    """The files themselves are read from request.FILES ("files", up to 5)."""

    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    public = forms.BooleanField(label=_("Visible to the customer"), required=False)


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Why do you need the full data?"), max_length=200)


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["title", "body", "channel", "sort_order", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class RedLinePhraseForm(forms.ModelForm):
    class Meta:
        model = RedLinePhrase
        fields = ["phrase", "suggestion", "is_active"]
