"""Staff pages: classification rules with a "try it" box, routing, classifier versions (all for
supervisors), and one complaint's classification with the override form (for agents).

Views parse the form, call one service or selector, and show a refusal next to the input it
concerns.
"""

import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import selectors as complaint_selectors
from complaints.models import Channel, CustomerTier, Priority
from kernel.errors import InvalidInput, StaleVersion
from kernel.permissions import staff_permission
from kernel.queue import send_task

from . import explain, rules, selectors, services
from .explain import choice_label
from .forms import OverrideForm, RuleForm, TryForm
from .models import Flag, Rule
from .tasks import classifier_retrain

logger = logging.getLogger(__name__)


def rule_row(rule: Rule) -> dict:
    """What the list shows of a rule: its conditions and actions in words."""
    conditions, actions = [], []
    keywords = rules.parse_keywords(rule.keywords)
    if keywords:
        conditions.append((_("Text contains"), ["+".join(w) for w in keywords]))
    excluded = rules.parse_keywords(rule.exclude_keywords)
    if excluded:
        conditions.append((_("Unless"), ["+".join(w) for w in excluded]))
    if rule.channels:
        conditions.append((_("Channel"), [choice_label(Channel, c) for c in rule.channels]))
    if rule.customer_tiers:
        conditions.append((_("Customer tier"),
                           [choice_label(CustomerTier, t) for t in rule.customer_tiers]))
    categories = list(rule.categories.all())
    if categories:
        conditions.append((_("Category"), [c.full_label for c in categories]))
    if rule.min_recent_complaints:
        conditions.append((_("Recent complaints"), [
            _("≥ %(count)s in %(days)s days") % {"count": rule.min_recent_complaints,
                                                   "days": rule.recent_days}]))
    if rule.set_category_id:
        actions.append((_("Category"), rule.set_category.full_label))
    if rule.set_priority:
        actions.append((_("Priority at least"), choice_label(Priority, rule.set_priority)))
    for flag in rule.add_flags or ():
        actions.append((_("Flag"), choice_label(Flag, flag)))
    if rule.route_to_id:
        actions.append((_("Route to"), rule.route_to.name))
    return {"rule": rule, "conditions": conditions, "actions": actions}


# --- rules ----------------------------------------------------------------------------------


@staff_permission("intake.change_rule")
def rule_list(request):
    """The ordered rules and the "try it" box (POST runs the rules on the sample)."""
    preview = None
    try_form = TryForm(request.POST or None)
    if request.method == "POST" and try_form.is_valid():
        preview = selectors.classification_preview(**try_form.cleaned_data)
        result = preview["result"]
        result["priority_label"] = choice_label(Priority, result["priority"])
        result["flag_labels"] = [choice_label(Flag, f) for f in result["flags"]]
    fired = {f["id"]: f for f in preview["fired"]} if preview else {}
    rows = [rule_row(r) for r in selectors.rule_list()]
    for row in rows:
        row["fired"] = fired.get(row["rule"].id)
        row["decisions"] = [d for d in preview["decisions"] if d["rule_id"] == row["rule"].id] \
            if preview else []
    return render(request, "intake/rules.html", {
        "rows": rows, "try_form": try_form, "preview": preview, "tab": "rules",
        "live": selectors.live_accuracy(days=30)})


@staff_permission("intake.change_rule")
def rule_edit(request, rule_id: int | None = None):
    rule = get_object_or_404(Rule, pk=rule_id) if rule_id else None
    if rule is None and not request.user.has_perm("intake.add_rule"):
        raise PermissionDenied
    initial = RuleForm.initial_for(rule) if rule else None
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        categories = values.pop("categories")
        try:
            saved = services.rule_save(actor=request.user, values=values, categories=categories,
                                       rule_id=rule.id if rule else None)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("intake-rules")
    return render(request, "intake/rule_form.html", {
        "form": form, "rule": rule, "tab": "rules",
        "condition_fields": [form[f] for f in RuleForm.CONDITION_FIELDS],
        "action_fields": [form[f] for f in RuleForm.ACTION_FIELDS]})


@require_POST
@staff_permission("intake.change_rule")
def rule_enabled(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    enabled = request.POST.get("enabled") == "1"
    services.rule_set_enabled(actor=request.user, rule_id=rule.id, enabled=enabled)
    messages.success(request, (_("Rule “%(name)s” enabled.") if enabled else
                               _("Rule “%(name)s” disabled.")) % {"name": rule.name})
    return redirect("intake-rules")


@require_POST
@staff_permission("intake.change_rule")
def rule_move(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.rule_move(actor=request.user, rule_id=rule.id, offset=offset)
    return redirect(f"{reverse('intake-rules')}#rule-{rule.id}")


@staff_permission("intake.delete_rule")
def rule_delete(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    if request.method == "POST":
        services.rule_delete(actor=request.user, rule_id=rule.id)
        messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
        return redirect("intake-rules")
    return render(request, "intake/rule_delete.html", {"rule": rule, "tab": "rules"})


# --- routing --------------------------------------------------------------------------------


@staff_permission("intake.change_categoryroute", "intake.change_departmentrouting")
def routing(request):
    data = selectors.routing_overview()
    departments = {d.id: d for d in data["departments"]}
    if request.method == "POST":
        section = request.POST.get("section")
        if section == "routes":
            routes = {}
            for category in data["categories"]:
                value = request.POST.get(f"route-{category.id}", "")
                if value and (not value.isdigit() or int(value) not in departments):
                    messages.error(request, _("Unknown department for “%(category)s”.") % {
                        "category": category.full_label})
                    return redirect("intake-routing")
                routes[category.id] = departments[int(value)] if value else None
            changed = services.category_routes_set(actor=request.user, routes=routes)
            messages.success(request, _("Category routing saved (%(n)s changed).") % {
                "n": changed})
        elif section == "departments":
            for department in data["departments"]:
                services.department_routing_set(
                    actor=request.user, department=department,
                    auto_assign=request.POST.get(f"auto-{department.id}") == "on")
            messages.success(request, _("Department settings saved."))
        elif section == "agent":
            user = get_object_or_404(get_user_model(), pk=request.POST.get("user") or 0)
            available = request.POST.get("available") == "1"
            services.agent_availability_set(actor=request.user, user=user, available=available)
            messages.success(request, (_("%(agent)s is available.") if available else
                                       _("%(agent)s is unavailable.")) % {
                "agent": user.get_full_name() or user.get_username()})
        return redirect("intake-routing")
    groups = {}
    for category in data["categories"]:
        parent = category.parent or category
        groups.setdefault(parent.id, {"parent": parent, "rows": []})
        groups[parent.id]["rows"].append({
            "category": category,
            "department_id": data["routes"].get(category.id),
            "inherited": departments.get(data["routes"].get(category.parent_id))
            if category.parent_id and category.id not in data["routes"] else None})
    agents = [{"user": a, "available": a.id not in data["unavailable"],
               "departments": ", ".join(d.name for d in a.departments.all())}
              for a in data["agents"]]
    return render(request, "intake/routing.html", {
        "groups": list(groups.values()), "departments": data["departments"],
        "auto_assign": data["auto_assign"], "agents": agents, "tab": "routing"})


# --- classifier -----------------------------------------------------------------------------


@staff_permission("intake.view_classifiermodel")
def classifier_versions(request):
    if request.method == "POST":
        if not request.user.has_perm("intake.add_classifiermodel"):
            raise PermissionDenied

        if send_task(classifier_retrain, force=True):
            messages.success(request, _("Training started in the background; the new version "
                                        "appears here when it is done."))
        else:
            messages.error(request, _("The training could not be started now (the task queue "
                                      "is unreachable); please try again in a few minutes."))
        return redirect("intake-classifier")
    threshold = selectors.suggestion_min_confidence()
    over_rule = selectors.classifier_over_rule_confidence()
    return render(request, "intake/classifier.html", {
        "versions": selectors.classifier_versions()[:20], "tab": "classifier",
        "live": selectors.live_accuracy(days=30),
        "threshold_pct": explain.percent(threshold) if threshold is not None else "—",
        "over_rule_pct": explain.percent(over_rule) if over_rule is not None else "—"})


# --- one complaint --------------------------------------------------------------------------


@staff_permission("intake.view_complaintclassification")
def complaint_classification(request, reference: str):
    complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                           reference=reference)
    form = OverrideForm(request.POST or None, initial={"version": complaint.version})
    if request.method == "POST":
        if not request.user.has_perm("intake.override_classification"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.classification_override(
                    complaint_id=complaint.id, actor=request.user,
                    expected_version=form.cleaned_data["version"],
                    category=form.cleaned_data["category"],
                    priority=form.cleaned_data["priority"] or None,
                    reason=form.cleaned_data["reason"])
            except StaleVersion as exc:
                messages.error(request, exc.message)
                return redirect("intake-complaint-classification", reference=reference)
            except InvalidInput as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Classification changed."))
                return redirect("intake-complaint-classification", reference=reference)
    record = selectors.complaint_classification(complaint=complaint)
    decisions = record.decisions if record else []
    names = explain.Names(decisions)
    try:
        version, suggestions = selectors.suggestions_for_text(
            selectors.complaint_text(complaint))
    except Exception:  # a broken model must not hide the page
        logger.exception("classifier suggestions failed for %s", reference)
        version, suggestions = None, []
    return render(request, "intake/complaint_classification.html", {
        "complaint": complaint, "record": record, "form": form,
        "decisions": explain.decisions_with_text(decisions, names),
        "fired": explain.fired_with_text(record.rules_fired if record else [], names),
        "suggestions": suggestions, "model_version": version,
        "source": selectors.category_source(complaint=complaint, record=record),
        "overrides": selectors.complaint_overrides(complaint=complaint)})



@require_POST
@staff_permission("intake.override_classification")
def suggestion_pick(request, reference: str):
    """One click on a suggestion: the category is set through classification_override, so it
    is an agent's confirmation the classifier learns from. Back to the page the click came
    from."""
    complaint = complaint_selectors.complaint_get_for_user(user=request.user,
                                                           reference=reference)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("intake-complaint-classification", args=[reference])
    version = request.POST.get("version", "")
    try:
        updated = services.classification_override(
            complaint_id=complaint.id, actor=request.user,
            expected_version=int(version) if version.isdigit() else None,
            category=request.POST.get("category", ""),
            reason=_("Picked from the classifier's suggestions"))
    except (StaleVersion, InvalidInput) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Category set to %(category)s.") % {
            "category": updated.category.full_label})
    return redirect(back)
