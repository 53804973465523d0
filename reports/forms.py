from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, Department

from .filters import DEFAULT_DAYS, NONE, ReportFilter

MAX_DAYS = 400


def _department_choices():
    return [("", _("All departments"))] + [
        (d.code, d.name) for d in Department.objects.filter(is_active=True).order_by("code")]


def _category_choices():
    choices = [("", _("All categories")), (NONE, _("No category"))]
    for c in Category.objects.select_related("parent").order_by("sort_order", "code"):
        choices.append((c.code, c.full_label))
    return choices


class ReportFilterForm(forms.Form):
    received_after = forms.DateField(label=_("Received from"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    received_before = forms.DateField(label=_("Received until"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ChoiceField(label=_("Department"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All channels"))] + list(Channel.choices))
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _department_choices()
        self.fields["category"].choices = _category_choices()

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        before = data.get("received_before") or today
        after = data.get("received_after") or before - timedelta(days=DEFAULT_DAYS - 1)
        if after > before:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (before - after).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        data["received_after"], data["received_before"] = after, before
        return data

    def report_filter(self) -> ReportFilter:
        d = self.cleaned_data
        return ReportFilter(d["received_after"], d["received_before"], d.get("department", ""),
                            d.get("channel", ""), d.get("category", ""))


def report_filter_from(params) -> tuple[ReportFilter | None, ReportFilterForm]:
    form = ReportFilterForm(params or None)
    if not params:
        form = ReportFilterForm({})
    if form.is_valid():
        return form.report_filter(), form
    return None, form
