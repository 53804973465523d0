"""HTML forms of the deadline settings pages. They parse input; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import Channel, CustomerTier, Priority

from .calendar_services import format_day_hours, parse_day_hours
from .models import BusinessCalendar, DurationUnit, Metric
from .policy_services import PolicyInput, TargetInput, format_amount

ANY = [("", _("Any"))]
WEEKDAY_NAMES = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
                 _("Saturday"), _("Sunday")]


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=ANY + list(Priority.choices))
    category = forms.TypedChoiceField(
        label=_("Category"), required=False, coerce=int, empty_value=None,
        help_text=_("A top-level category also matches its subcategories."))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=ANY + list(Channel.choices))
    customer_tier = forms.ChoiceField(label=_("Customer tier"), required=False,
                                      choices=ANY + list(CustomerTier.choices))
    calendar = forms.ModelChoiceField(label=_("Working-time calendar"),
                                      queryset=BusinessCalendar.objects.all(), empty_label=None)
    warning_percent = forms.IntegerField(
        label=_("Warn at"), widget=forms.NumberInput(attrs={"min": 1, "max": 99}),
        help_text=_("Percent of the allowed time; the assignee is warned then."))
    breach_level = forms.TypedChoiceField(
        label=_("Escalation level on breach"), coerce=int,
        choices=[(1, _("Level 1: department supervisor")),
                 (2, _("Level 2: head of the department above")),
                 (3, _("Level 3: regulator-risk desk"))])
    escalation_step_hours = forms.DecimalField(
        label=_("Next level every"), decimal_places=2, max_digits=6,
        widget=forms.NumberInput(attrs={"min": "0.25", "step": "0.25"}),
        help_text=_("Working hours past due before the next escalation level."))
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, category_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Any"))] + list(category_choices)


METRIC_HELP = {
    Metric.ACKNOWLEDGE: _("Registered, classified and dispatched."),
    Metric.FIRST_RESPONSE: _("The first reply the customer receives."),
    Metric.PROGRESS_UPDATE: _("Repeats while the complaint is open."),
    Metric.RESOLUTION: _("The result is told to the customer."),
    Metric.MULTI_DEPARTMENT_NOTICE: _(
        "Dispatched to several departments: tell the customer the situation and an expected "
        "date."),
    Metric.REGULATOR_EXPOSURE: _("Without an answer by then, the customer may appeal to the "
                                 "regulator."),
}


class TargetForm(forms.Form):
    """One row per metric: blank "time allowed" means this policy leaves the metric to the
    less specific policies."""

    metric = forms.ChoiceField(choices=Metric.choices, widget=forms.HiddenInput)
    amount = forms.DecimalField(label=_("Time allowed"), required=False,
                                widget=forms.NumberInput(attrs={"step": "any", "min": "0"}))
    unit = forms.ChoiceField(label=_("Unit"), choices=DurationUnit.choices)

    @property
    def metric_label(self) -> str:
        return Metric(self["metric"].value()).label

    @property
    def metric_help(self) -> str:
        return METRIC_HELP.get(self["metric"].value(), "")


TargetFormSet = forms.formset_factory(TargetForm, extra=0, max_num=20, validate_max=True)


def target_initial(targets: dict[str, tuple[Decimal, str]] | None = None) -> list[dict]:
    targets = targets or {}
    rows = []
    for metric in Metric.values:
        amount, unit = targets.get(metric, (None, DurationUnit.WORKING_DAYS))
        rows.append({"metric": metric, "unit": unit,
                     "amount": None if amount is None else format_amount(amount)})
    return rows


def policy_input(form: PolicyForm, formset) -> PolicyInput:
    data = form.cleaned_data
    return PolicyInput(
        name=data["name"], priority=data["priority"], category_id=data["category"],
        channel=data["channel"], customer_tier=data["customer_tier"],
        calendar_id=data["calendar"].pk, warning_percent=data["warning_percent"],
        breach_level=data["breach_level"], escalation_step_hours=data["escalation_step_hours"],
        is_active=data["is_active"],
        targets=tuple(TargetInput(row["metric"], row["amount"], row["unit"])
                      for row in formset.cleaned_data if row.get("amount") is not None))


class WorkingHoursForm(forms.Form):
    """Hours per weekday as text: "08:30-17:30", several ranges separated by commas."""

    makeup_weekday = forms.TypedChoiceField(
        label=_("Make-up working days (调休) work like"), coerce=int,
        choices=list(enumerate(WEEKDAY_NAMES)))

    def __init__(self, *args, calendar: BusinessCalendar, **kwargs):
        initial = {f"day{d}": format_day_hours(calendar.hours.get(str(d), []))
                   for d in range(7)}
        initial["makeup_weekday"] = calendar.makeup_weekday
        super().__init__(*args, initial=initial, **kwargs)
        for d, name in enumerate(WEEKDAY_NAMES):
            self.fields[f"day{d}"] = forms.CharField(
                label=name, required=False, max_length=200,
                widget=forms.TextInput(attrs={"placeholder": _("closed"),
                                              "class": "mono", "spellcheck": "false"}))
        self.order_fields([f"day{d}" for d in range(7)] + ["makeup_weekday"])

    def day_fields(self):
        return [self[f"day{d}"] for d in range(7)]

    def clean(self):
        data = super().clean()
        hours = {}
        for d in range(7):
            try:
                hours[str(d)] = parse_day_hours(data.get(f"day{d}", ""))
            except ValueError as exc:
                self.add_error(f"day{d}", str(exc))
        data["hours"] = hours
        return data


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"},
                                                                     format="%Y-%m-%d"))
    is_workday = forms.TypedChoiceField(
        label=_("Kind"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
        choices=[("0", _("Day off (statutory holiday)")),
                 ("1", _("Make-up working day (调休上班)"))])
    name = forms.CharField(label=_("Name"), max_length=60,
                           widget=forms.TextInput(attrs={"placeholder": "春节 / 国庆节调休上班"}))
