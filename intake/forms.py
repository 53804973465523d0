"""Forms for the staff pages: parse and validate input; the services decide and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, CustomerTier, Department, Priority

from .models import Flag


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_label


class CategoryMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_label


def leaf_categories():
    return Category.objects.filter(is_active=True, parent__isnull=False) \
        .select_related("parent").order_by("parent__sort_order", "sort_order", "code")


def all_categories():
    return Category.objects.filter(is_active=True).select_related("parent") \
        .order_by("parent__sort_order", "sort_order", "code")


PRIORITY_CHOICES = [("", _("— unchanged —")), *Priority.choices]


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    stop_processing = forms.BooleanField(
        label=_("Stop after this rule"), required=False,
        help_text=_("When this rule fires, later rules are not evaluated."))

    keywords = forms.CharField(
        label=_("Text contains any of"), required=False,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "信号\n宽带+掉线"}),
        help_text=_("One keyword or phrase per line (or separated by commas). Join words with "
                    "“+” when all must appear, e.g. 宽带+掉线. Full-width characters, spaces "
                    "and letter case are ignored."))
    exclude_keywords = forms.CharField(
        label=_("Unless the text contains"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}))
    channels = forms.MultipleChoiceField(label=_("Channel is one of"), required=False,
                                         choices=Channel.choices,
                                         widget=forms.CheckboxSelectMultiple)
    customer_tiers = forms.MultipleChoiceField(label=_("Customer tier is one of"),
                                               required=False, choices=CustomerTier.choices,
                                               widget=forms.CheckboxSelectMultiple)
    categories = CategoryMultipleChoiceField(
        label=_("Current category is one of"), required=False, queryset=all_categories(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("A top-level category includes its sub-categories. The current category is "
                    "the one set at intake or by an earlier rule."))
    min_recent_complaints = forms.IntegerField(
        label=_("Customer's complaints at least"), required=False, min_value=1, max_value=999,
        help_text=_("Counting this one."))
    recent_days = forms.IntegerField(label=_("Within days"), min_value=1, max_value=365,
                                     initial=30)

    set_category = CategoryChoiceField(label=_("Set category"), required=False,
                                       queryset=leaf_categories(),
                                       empty_label=_("— unchanged —"),
                                       help_text=_("Only if no earlier rule set one."))
    set_priority = forms.ChoiceField(label=_("Raise priority to"), required=False,
                                     choices=PRIORITY_CHOICES,
                                     help_text=_("Rules never lower a priority."))
    add_flags = forms.MultipleChoiceField(label=_("Add flags"), required=False,
                                          choices=Flag.choices,
                                          widget=forms.CheckboxSelectMultiple)
    route_to = forms.ModelChoiceField(label=_("Route to department"), required=False,
                                      queryset=Department.objects.filter(is_active=True),
                                      empty_label=_("— by category —"))

    CONDITION_FIELDS = ("keywords", "exclude_keywords", "channels", "customer_tiers",
                        "categories", "min_recent_complaints", "recent_days")
    ACTION_FIELDS = ("set_category", "set_priority", "add_flags", "route_to")

    @classmethod
    def initial_for(cls, rule) -> dict:
        return {"name": rule.name, "note": rule.note, "enabled": rule.enabled,
                "stop_processing": rule.stop_processing, "keywords": rule.keywords,
                "exclude_keywords": rule.exclude_keywords, "channels": rule.channels,
                "customer_tiers": rule.customer_tiers,
                "categories": list(rule.categories.all()),
                "min_recent_complaints": rule.min_recent_complaints,
                "recent_days": rule.recent_days, "set_category": rule.set_category,
                "set_priority": rule.set_priority, "add_flags": rule.add_flags,
                "route_to": rule.route_to}


class TryForm(forms.Form):
    text = forms.CharField(label=_("Complaint text"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": _(
                               "e.g. 我家宽带天天掉线，再不解决我就去工信部投诉")}))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices,
                                initial=Channel.PHONE)
    tier = forms.ChoiceField(label=_("Customer tier"), choices=CustomerTier.choices,
                             initial=CustomerTier.ORDINARY)
    category = CategoryChoiceField(label=_("Category already set"), required=False,
                                   queryset=all_categories(), empty_label=_("— none —"))
    recent_complaints = forms.IntegerField(
        label=_("Customer's recent complaints (this one included)"), min_value=1,
        max_value=999, initial=1, widget=forms.NumberInput(attrs={"class": "intake-short"}))


class OverrideForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    category = CategoryChoiceField(label=_("Category"), required=False,
                                   queryset=leaf_categories(), empty_label=_("— unchanged —"))
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=PRIORITY_CHOICES)
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
