"""Forms of the public pages (and the public API, which validates with the same form): parse
and check what a customer typed; intake/public.py decides and records."""

import re
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from kernel.errors import InvalidInput
from kernel.personal_data import InvalidPhone, normalize_phone

from .forms import leaf_categories
from .public import WebComplaint, attachment_from_upload, is_reference, normalize_reference

SERVICE_NUMBER_RE = re.compile(r"^[0-9A-Za-z@._\-]+$")
HONEYPOT = "website"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; each is checked by attachment_from_upload."""

    def __init__(self, *args, max_files: int = 5, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={
            "accept": "image/*,application/pdf,text/plain,.pdf,.txt"}))
        kwargs.setdefault("required", False)
        self.max_files = max_files
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = [u for u in (data if isinstance(data, (list, tuple)) else [data]) if u]
        if len(uploads) > self.max_files:
            raise ValidationError(_("Attach at most %(n)d files.") % {"n": self.max_files},
                                  code="too_many")
        errors, attachments = [], []
        for upload in uploads:
            if not hasattr(upload, "size") or not hasattr(upload, "read"):
                errors.append(ValidationError(_("The upload is not a file."), code="invalid"))
                continue
            try:
                attachments.append(attachment_from_upload(upload))
            except InvalidInput as error:
                errors.append(ValidationError(str(error.message), code="invalid_file"))
        if errors:
            raise ValidationError(errors)
        if self.required and not attachments:
            raise ValidationError(self.error_messages["required"], code="required")
        return tuple(attachments)


def clean_phone_value(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidPhone as error:
        raise ValidationError(str(error), code="invalid_phone") from error


def _limit_length(field: forms.CharField, limit: int) -> None:
    """A length limit read from settings when the form is made (so tests can change it)."""
    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs["maxlength"] = str(limit)


def category_choices():
    """Active leaf categories, grouped by their parent, in the current language."""
    groups: dict[str, list] = {}
    for category in leaf_categories().filter(parent__is_active=True):
        groups.setdefault(category.parent.label, []).append((category.code, category.label))
    return [("", _("Not sure / other")), *groups.items()]


class PublicComplaintForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=100)
    phone = forms.CharField(
        label=_("Phone number"), max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("A Chinese mobile number, or a landline with its area code "
                    "(e.g. 010-12345678). We send the acknowledgement here."))
    email = forms.EmailField(label=_("Email (optional)"), required=False, max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    service_number = forms.CharField(
        label=_("Service number concerned"), max_length=40,
        help_text=_("The mobile number, broadband account or fixed-line number the "
                    "complaint is about."))
    category = forms.ChoiceField(label=_("Type of problem (optional)"), required=False)
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("Describe the problem: since when, how often, what you have already "
                    "tried."))
    location = forms.CharField(
        label=_("Where does it happen?"), max_length=200,
        help_text=_("An address or area (for billing questions: your city)."))
    attachments = MultipleFileField(
        label=_("Attachments (optional)"),
        help_text=_("Up to 5 files: photos or screenshots, PDF or text, at most 10 MB each."))
    accept_privacy = forms.BooleanField(
        label=_("I have read the personal information notice and agree that my personal "
                "information is used to handle this complaint."),
        error_messages={"required": _("Please read and accept the personal information "
                                      "notice; we cannot handle the complaint without it.")})
    # Made when the form is shown: sending the same form twice (a double tap, a retry on a
    # slow network) records one complaint.
    submission_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    # Hidden from people; bots fill it in.
    website = forms.CharField(required=False, label=_("Leave this field empty"),
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))

    honeypot_filled = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        if not self.is_bound:
            self.initial.setdefault("submission_id", uuid.uuid4())
        _limit_length(self.fields["description"], settings.INTAKE_PUBLIC_MAX_DESCRIPTION)
        self.fields["attachments"].max_files = settings.INTAKE_PUBLIC_MAX_ATTACHMENTS

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data["phone"])

    def clean_service_number(self):
        value = re.sub(r"[\s\u3000]", "", self.cleaned_data["service_number"])
        if not SERVICE_NUMBER_RE.match(value):
            raise ValidationError(_("Use only digits, letters and @ . _ - (e.g. 13812345678 "
                                    "or a broadband account)."), code="invalid")
        return value

    def clean(self):
        cleaned = super().clean()
        if str(self.data.get(HONEYPOT) or "").strip():
            self.honeypot_filled = True
            raise ValidationError(_("Your complaint could not be accepted. Please try again "
                                    "or call our service hotline."), code="rejected")
        return cleaned

    def submission(self) -> WebComplaint:
        data = self.cleaned_data
        return WebComplaint(
            name=data["name"], phone=data["phone"], email=data["email"],
            service_number=data["service_number"], category_code=data["category"] or "",
            description=data["description"], location=data["location"],
            attachments=data["attachments"],
            submission_id=data["submission_id"].hex if data.get("submission_id") else "")


class ReferenceField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Complaint reference"))
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "placeholder": "TS20261125000123", "autocapitalize": "characters",
            "autocomplete": "off", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def clean(self, value):
        value = normalize_reference(super().clean(value))
        if not is_reference(value):
            raise ValidationError(_("A reference is “TS” followed by 14 digits, e.g. "
                                    "TS20261125000123."), code="invalid_reference")
        return value


class TrackPhoneForm(forms.Form):
    reference = ReferenceField()
    phone = forms.CharField(label=_("Phone number given with the complaint"), max_length=30,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "tel"}))

    def clean_phone(self):
        return clean_phone_value(self.cleaned_data["phone"])


class TrackCodeRequestForm(forms.Form):
    reference = ReferenceField()


class TrackCodeForm(forms.Form):
    reference = ReferenceField()
    code = forms.RegexField(
        label=_("6-digit code"), regex=r"^\s*\d{6}\s*$", max_length=10,
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                      "pattern": "[0-9]{6}"}))


class AddInformationForm(forms.Form):
    # Made when the form is shown: sending it twice (a double tap, a retry on a slow network)
    # adds the information once.
    submission_id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=_("Your message"), required=False,
                           widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(
        label=_("Attachments (optional)"),
        help_text=_("Up to 5 files: photos or screenshots, PDF or text, at most 10 MB each."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_id", uuid.uuid4())
        _limit_length(self.fields["text"], settings.INTAKE_TRACK_MAX_TEXT)
        self.fields["attachments"].max_files = settings.INTAKE_PUBLIC_MAX_ATTACHMENTS

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("text") or "").strip() \
                and not cleaned.get("attachments"):
            raise ValidationError(_("Write something or attach a file."), code="empty")
        return cleaned
