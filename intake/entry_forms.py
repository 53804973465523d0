"""Forms of the agents' entry page and the regulator imports: parse and check the input; the
services (intake/entry.py, intake/regulator_import.py) decide and write."""

import uuid

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel, Department, DepartmentLevel
from kernel.personal_data import InvalidPhone, normalize_phone

from .entry import ENTRY_CHANNELS, EntryInput
from .forms import CategoryChoiceField, all_categories
from .parsers.message import FUTURE_TOLERANCE

LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def new_form_token() -> str:
    return uuid.uuid4().hex


def store_names() -> list[str]:
    return list(Department.objects.filter(level=DepartmentLevel.STORE, is_active=True)
                .order_by("name").values_list("name", flat=True))


class EntryForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), widget=forms.RadioSelect,
        choices=[(c.value, c.label) for c in ENTRY_CHANNELS], initial=Channel.PHONE)
    phone = forms.CharField(
        label=_("Caller's phone number"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off",
                                      "placeholder": "138 0013 8000"}),
        help_text=_("Previous complaints of this number appear as you type."))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    service_number = forms.CharField(label=_("Service number"), max_length=40, required=False,
                                     help_text=_("The account or number complained about, if "
                                                 "not the caller's phone."))
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False,
                              help_text=_("Optional; the first line of the description "
                                          "otherwise."))
    description = forms.CharField(label=_("What the customer says"),
                                  max_length=settings.INPUT_MAX_DESCRIPTION,
                                  widget=forms.Textarea(attrs={"rows": 6}))
    category = CategoryChoiceField(label=_("Category"), queryset=all_categories(),
                                   required=False, empty_label=_("— let the rules decide —"))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    store = forms.CharField(label=_("Store or outlet"), max_length=200, required=False,
                            widget=forms.TextInput(attrs={"list": "entry-stores",
                                                          "autocomplete": "off"}),
                            help_text=_("Required for a store visit."))
    received_at = forms.DateTimeField(
        label=_("Call start time"), input_formats=[LOCAL_INPUT_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                   format=LOCAL_INPUT_FORMAT),
        help_text=_("Beijing time. For a visit or a letter: when it was received."))
    call_id = forms.CharField(label=_("Call id"), max_length=255, required=False,
                              help_text=_("From the telephony system, if shown; saving the same "
                                          "call twice records one complaint."))
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, channel: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("received_at", timezone.localtime().replace(second=0,
                                                                                microsecond=0))
            self.initial.setdefault("form_token", new_form_token())
            if channel in {c.value for c in ENTRY_CHANNELS}:
                self.initial["channel"] = channel
        self.fields["phone"].widget.attrs["aria-describedby"] = "caller-history"

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone:
            try:
                return normalize_phone(phone)
            except InvalidPhone as problem:
                raise forms.ValidationError(str(problem)) from problem
        return phone

    def clean_received_at(self):
        value = self.cleaned_data["received_at"]
        if value > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(_("The call start time cannot be in the future."))
        return value

    def clean(self):
        data = super().clean()
        channel = data.get("channel")
        if channel == Channel.STORE and not data.get("store", "").strip():
            self.add_error("store", _("Name the store or outlet the customer came to."))
        if "phone" in data and not data["phone"]:
            if channel in (Channel.PHONE, Channel.STORE):
                self.add_error("phone", _("Enter the customer's phone number."))
            elif channel == Channel.LETTER and not data.get("name", "").strip():
                self.add_error("name", _("A letter without a phone number needs the "
                                         "sender's name."))
        return data

    def entry(self) -> EntryInput:
        data = self.cleaned_data
        return EntryInput(
            channel=data["channel"], phone=data["phone"], description=data["description"],
            received_at=data["received_at"], form_token=data["form_token"],
            name=data["name"], email=data["email"], service_number=data["service_number"],
            subject=data["subject"], category=data["category"], location=data["location"],
            store=data["store"] if data["channel"] == Channel.STORE else "",
            call_id=data["call_id"] if data["channel"] == Channel.PHONE else "")


class RegulatorUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Batch file (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/"
                                               "vnd.openxmlformats-officedocument."
                                               "spreadsheetml.sheet"}),
        help_text=_("Columns: 申诉编号, 联系电话, 申诉时间, 申诉内容 (required), and optionally "
                    "申诉人, 业务号码, 申诉类别, 办结时限, 所在地区, 电子邮箱, 标题."))
