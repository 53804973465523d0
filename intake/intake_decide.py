"""What classification decides for one complaint, without writing anything: the category
(a rule's or the classifier's), the priority and flags the rules raise, the timeline text that
explains them, the routing texts and the classification record. complaint_classify (an
existing complaint, intake/services.py) writes the result through complaints.services at once;
batch intake (intake/batch_plan.py) applies it in memory to complaints not yet written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from complaints.models import Category, Complaint, Department

from . import decide, explain, rules, selectors
from .models import FLAG_FIELDS, ComplaintClassification

FIELD_ORDER = {"category": 0, "priority": 1, "flag": 2, "department": 3}


@dataclass
class Decided:
    """The rules' and the classifier's decisions on one complaint."""

    evaluation: rules.Evaluation
    decisions: list[dict]
    version: int | None = None
    suggestions: list = field(default_factory=list)
    source: str = ""
    changes: dict = field(default_factory=dict)  # field name: new value
    applied: list[dict] = field(default_factory=list)
    message: str = ""  # the timeline entry of the changes
    reason: str = ""

    @property
    def extra(self) -> dict:
        return {"classification": {"decisions": self.applied}}


def classification_decide(complaint: Complaint, evaluation: rules.Evaluation, *,
                          suggest: Callable[[], tuple], names_for: Callable[[list], object],
                          category_named: Callable[[str], Category]) -> Decided:
    """A keyword rule's category stands unless the classifier is very sure of another one
    (intake/decide.py); without a rule's category the classifier fills one in when sure.
    `suggest()`: (model version, suggestions) of the complaint's text; `names_for(decisions)`:
    the explain.Names of those decisions; `category_named(code)`: a category not among them."""
    decided = Decided(evaluation, [d.as_dict() for d in evaluation.decisions])
    decisions, category_code, picked = decided.decisions, evaluation.category, None
    if complaint.category_id:
        decided.source = "intake"
    else:
        over_rule = selectors.classifier_over_rule_confidence()
        rule_code = evaluation.category if evaluation.category_rule is not None else None
        if rule_code is None or over_rule is not None:
            decided.version, decided.suggestions = suggest()
        code, decided.source = decide.pick_category(
            rule_code, [(s.category.code, s.confidence) for s in decided.suggestions
                        if s.category.parent_id],
            threshold=selectors.suggestion_min_confidence(), override_rule_at=over_rule,
            text_chars=len(rules.normalize(selectors.complaint_text(complaint))),
            min_chars=selectors.suggestion_min_text_chars())
        if decided.source == "classifier":
            picked = next(s for s in decided.suggestions if s.category.code == code)
            category_code = code
            for decision in decisions:  # the rule's category is reported, not applied
                if decision["field"] == "category":
                    decision["applied"] = False
            decisions.append(_classifier_decision(picked, decided.version))

    changes, names = decided.changes, None
    if category_code and not complaint.category_id:
        if picked is not None:
            changes["category"] = picked.category
        else:  # a rule's: among the names the timeline text needs, so read once for both
            names = names_for(decisions)
            changes["category"] = names.categories.get(category_code) or \
                category_named(category_code)
    if evaluation.priority != complaint.priority:
        changes["priority"] = evaluation.priority
    for flag in sorted(evaluation.flags):
        if not getattr(complaint, FLAG_FIELDS[flag]):
            changes[FLAG_FIELDS[flag]] = True
    decided.applied = sorted((d for d in decisions if d["applied"] and d["field"] != "department"),
                             key=lambda d: FIELD_ORDER[d["field"]])
    if changes:
        with translation.override(settings.LANGUAGE_CODE):
            names = names if names is not None else names_for(decisions)
            decided.message = "\n".join([_("Automatic classification and grading:")] +
                                        [explain.decision_text(d, names) for d in decided.applied])
            fired = list(dict.fromkeys(d["rule"] for d in decided.applied if d["rule"]))
            decided.reason = _("Rules fired: %(rules)s") % {"rules": _(", ").join(fired)} \
                if fired else _("Classifier suggestion")
    return decided


def _classifier_decision(suggestion, version) -> dict:
    return {"field": "category", "value": suggestion.category.code, "previous": None,
            "applied": True, "rule_id": None, "rule": "", "source": "classifier",
            "reasons": [{"kind": "classifier", "values": [], "version": version,
                         "confidence": suggestion.confidence}]}


def route_rule(evaluation: rules.Evaluation) -> str:
    return next((d.rule_name for d in evaluation.decisions
                 if d.field == "department" and d.applied), "")


def routing_reason(*, department: Department | None, rule_name: str,
                   category: Category | None) -> tuple[Department | None, str]:
    """The department a complaint goes to (a rule's `department`, else its category's) and
    why, in the site language; (None, "") when none is responsible."""
    with translation.override(settings.LANGUAGE_CODE):
        if department is not None:
            return department, (_("Routed by rule “%(rule)s”.") % {"rule": rule_name}
                                if rule_name else _("Routed as requested."))
        department = selectors.department_for_category(category)
        if department is None:
            return None, ""
        return department, _("Category “%(category)s” is handled by %(department)s.") % {
            "category": category.full_label, "department": department.name}


def assignment_note(*, auto_assigns: bool, pick) -> str:
    """What the department did with it: `pick` (an AgentLoad or None) when it auto-assigns."""
    with translation.override(settings.LANGUAGE_CODE):
        if not auto_assigns:
            return _("The department takes complaints from its queue.")
        if pick is None:
            return _("No agent of the department is available; it waits in the queue.")
        return _("Assigned automatically to the available agent with the fewest open "
                 "complaints (%(count)s).") % {"count": pick.open_complaints}


def assignment_reason(why: str, note: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(routing)s %(assignment)s") % {"routing": why, "assignment": note}


def classification_record(complaint: Complaint, decided: Decided, *, classified_at,
                          department=None, agent=None) -> ComplaintClassification:
    """The classification record of `decided` (not saved)."""
    return ComplaintClassification(
        complaint=complaint, classified_at=classified_at,
        rules_fired=[{"id": f.rule.id, "name": f.rule.name, "position": f.rule.position,
                      "reasons": [r.as_dict() for r in f.reasons]}
                     for f in decided.evaluation.fired],
        decisions=decided.decisions,
        suggestions=[{"code": s.category.code, "confidence": s.confidence}
                     for s in decided.suggestions],
        model_version=decided.version, category_source=decided.source,
        department=department, assigned_agent=agent)
