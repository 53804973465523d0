"""Writes for classification, grading and routing.

Complaint fields change only through complaints.services (`complaint_update_fields`,
`complaint_assign`), so every automatic decision and every override is an audited timeline
entry with old and new values and its reason. Timeline text is written in the site language
(Chinese), the structured decisions go into the entry's data.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import events
from complaints import services as complaint_services
from complaints.lifecycle import OPEN_STATUSES, Status
from complaints.models import (
    Category,
    Channel,
    Complaint,
    CustomerTier,
    Department,
    Priority,
)
from kernel import memo
from kernel.errors import InvalidInput, NotAllowed
from kernel.permissions import actor_must_have

from . import classifier, decide, duplicates, explain, rules, selectors
from .models import (
    FLAG_FIELDS,
    AgentAvailability,
    CategoryRoute,
    ClassificationOverride,
    ClassifierModel,
    ComplaintClassification,
    DepartmentRouting,
    Flag,
    Rule,
)

logger = logging.getLogger(__name__)
FIELD_ORDER = {"category": 0, "priority": 1, "flag": 2, "department": 3}


# --- automatic classification ---------------------------------------------------------------


def complaint_classify(*, complaint_id: int, actor=None,
                       link_duplicate: bool = False) -> ComplaintClassification | None:
    """Run the rules (and, when no rule decides the category, the classifier) over a complaint,
    write the category, priority and flags they decide, and route it.

    Runs once per complaint: a second call (a redelivered event, the sweep) returns the first
    result and changes nothing, so it never undoes an agent's later correction. A complaint
    closed before its classification ran (archived: read-only) is left as it is: None.

    `link_duplicate` (after creation, and the sweep) then links a possible duplicate
    (intake/duplicates.py), whatever the classification returned, in the same transaction on
    the same row lock instead of a transaction and lock of its own. The link keeps its
    savepoint: if it fails, the classification still commits (and its events go out) and the
    link's error is raised after that, as when the link ran after the classification.
    """
    link_error = None
    with memo.scope(), transaction.atomic():
        # category__parent: routing names the category (full_label) from this same object.
        complaint = (Complaint.objects.select_for_update(of=("self",))
                     .select_related("customer", "category__parent").get(pk=complaint_id))
        classification = _classify(complaint, actor)
        if link_duplicate:
            try:
                duplicates.complaint_link_possible_duplicate(complaint_id=complaint_id,
                                                             locked=complaint)
            except Exception as error:  # rolled back to the link's savepoint
                link_error = error
    if link_error is not None:
        raise link_error
    return classification


def complaints_classify_created(complaints: list[Complaint]) -> None:
    """Batch intake (intake/pipeline.py), inside its transaction: what complaint_classify with
    the duplicate link does after each creation, for new complaints in batch order. Each is
    classified as if the batch's later complaints did not exist yet (they are left out of its
    customer's recent complaints), as when the messages arrive one by one (the classifier runs
    once for the batch's texts); routing counts the
    earlier ones' assignments. The rows are the batch's own (no other transaction sees them),
    so they are not locked again. An error fails the whole batch, except in the duplicate
    link, which is recorded as the intake receiver's failure (retried: the classification is
    kept, the link made) as it was after commit."""
    later = {c.id for c in complaints}
    batch_suggestions = _BatchSuggestions(complaints)
    for index, complaint in enumerate(complaints):
        later.discard(complaint.id)
        _classify(complaint, None, new=True, not_yet=frozenset(later),
                  suggest=lambda index=index: batch_suggestions.of(index))
        try:  # in its savepoint: a failed link leaves the classification, as after commit
            duplicates.complaint_link_possible_duplicate(complaint_id=complaint.id,
                                                         locked=complaint)
        except Exception as error:  # noqa: BLE001 - recorded; the retry links it
            events.stage_failed("intake", events.ComplaintEvent(
                complaint.id, events.EventKind.CREATED), error)


class _BatchSuggestions:
    """The classifier's suggestions for a batch's texts, run for all of them the first time
    one is needed (a rule's category may make them unnecessary)."""

    def __init__(self, complaints: list[Complaint]):
        self.complaints, self.found = complaints, None

    def of(self, index: int):
        if self.found is None:
            texts = [selectors.complaint_text(c) for c in self.complaints]
            try:
                self.found = selectors.suggestions_for_texts(texts)
            except Exception:
                logger.exception("classifier suggestions failed for a batch of %d",
                                 len(texts))
                self.found = [(None, []) for _text in texts]
        return self.found[index]


def _classify(complaint: Complaint, actor, *, new: bool = False,
              not_yet: frozenset = frozenset(),
              suggest=None) -> ComplaintClassification | None:
    """complaint_classify's work on the complaint it locked. `new`: created in this
    transaction, so not classified before; `not_yet`: ids of complaints to leave out of the
    customer's recent complaints."""
    if not new:
        existing = ComplaintClassification.objects.filter(complaint_id=complaint.id).first()
        if existing is not None:
            return existing
    if complaint.status == Status.CLOSED:
        return None
    specs = selectors.enabled_rule_specs()
    facts = selectors.complaint_facts(complaint=complaint,
                                      window_days=selectors.repeat_window_days(specs),
                                      exclude_ids=not_yet)
    evaluation = rules.evaluate(specs, facts)
    decisions = [d.as_dict() for d in evaluation.decisions]

    # A keyword rule's category stands unless the classifier is very sure of another one
    # (intake/decide.py); without a rule's category the classifier fills one in when sure.
    category_code, source, version, suggestions = evaluation.category, "", None, []
    picked = None
    if complaint.category_id:
        source = "intake"
    else:
        over_rule = selectors.classifier_over_rule_confidence()
        rule_code = evaluation.category if evaluation.category_rule is not None else None
        if rule_code is None or over_rule is not None:
            version, suggestions = suggest() if suggest is not None else \
                _suggestions(complaint)
        code, source = decide.pick_category(
            rule_code, [(s.category.code, s.confidence) for s in suggestions
                        if s.category.parent_id],
            threshold=selectors.suggestion_min_confidence(), override_rule_at=over_rule,
            text_chars=len(rules.normalize(selectors.complaint_text(complaint))),
            min_chars=selectors.suggestion_min_text_chars())
        if source == "classifier":
            picked = next(s for s in suggestions if s.category.code == code)
            category_code = code
            for decision in decisions:  # the rule's category is reported, not applied
                if decision["field"] == "category":
                    decision["applied"] = False
            decisions.append(_classifier_decision(picked, version))

    changes, names = {}, None
    if category_code and not complaint.category_id:
        if picked is not None:
            changes["category"] = picked.category
        else:  # a rule's: among the names the timeline text needs, so read once for both
            names = explain.Names(decisions)
            changes["category"] = names.categories.get(category_code) or \
                Category.objects.select_related("parent").get(code=category_code)
    if evaluation.priority != complaint.priority:
        changes["priority"] = evaluation.priority
    for flag in sorted(evaluation.flags):
        if not getattr(complaint, FLAG_FIELDS[flag]):
            changes[FLAG_FIELDS[flag]] = True
    applied = sorted((d for d in decisions if d["applied"] and d["field"] != "department"),
                     key=lambda d: FIELD_ORDER[d["field"]])
    if changes:
        with translation.override(settings.LANGUAGE_CODE):
            names = names if names is not None else explain.Names(decisions)
            message = "\n".join([_("Automatic classification and grading:")] +
                                [explain.decision_text(d, names) for d in applied])
            fired = list(dict.fromkeys(d["rule"] for d in applied if d["rule"]))
            reason = _("Rules fired: %(rules)s") % {"rules": _(", ").join(fired)} \
                if fired else _("Classifier suggestion")
        # `locked`: the row is ours until commit; `complaint` is brought up to date in place.
        complaint_services.complaint_update_fields(
            complaint_id=complaint.id, changes=changes, actor=actor, reason=reason,
            message=message, extra={"classification": {"decisions": applied}},
            locked=complaint)

    routed = None
    department = _department(evaluation.department)
    if complaint.assigned_department_id is None and complaint.assigned_agent_id is None:
        routed = complaint_route(complaint_id=complaint.id, actor=actor,
                                 department=department,
                                 rule_name=_route_rule(evaluation), locked=complaint)
    return ComplaintClassification.objects.create(
        complaint=complaint, classified_at=timezone.now(),
        rules_fired=[{"id": f.rule.id, "name": f.rule.name, "position": f.rule.position,
                      "reasons": [r.as_dict() for r in f.reasons]}
                     for f in evaluation.fired],
        decisions=decisions,
        suggestions=[{"code": s.category.code, "confidence": s.confidence}
                     for s in suggestions],
        model_version=version, category_source=source,
        department=routed.department if routed else None,
        assigned_agent=routed.agent if routed else None)


def _suggestions(complaint: Complaint):
    """The classifier's suggestions; a broken model must not stop rules and routing."""
    try:
        return selectors.suggestions_for_text(selectors.complaint_text(complaint))
    except Exception:
        logger.exception("classifier suggestions failed for complaint %s", complaint.id)
        return None, []


def _classifier_decision(suggestion, version) -> dict:
    return {"field": "category", "value": suggestion.category.code, "previous": None,
            "applied": True, "rule_id": None, "rule": "", "source": "classifier",
            "reasons": [{"kind": "classifier", "values": [], "version": version,
                         "confidence": suggestion.confidence}]}


def _department(code: str | None) -> Department | None:
    if not code:
        return None
    return Department.objects.filter(code=code, is_active=True).first()


def _route_rule(evaluation: rules.Evaluation) -> str:
    return next((d.rule_name for d in evaluation.decisions
                 if d.field == "department" and d.applied), "")


def complaints_classify_pending(*, limit: int = 200) -> int:
    """Classify new complaints whose classification after creation did not happen."""
    ids = selectors.unclassified_complaint_ids(older_than=timedelta(minutes=2),
                                               newer_than=timedelta(days=7), limit=limit)
    done = 0
    with memo.scope():  # their report figures refreshed once, at the end
        for complaint_id in ids:
            try:
                # As on creation: with the possible-duplicate link.
                complaint_classify(complaint_id=complaint_id, link_duplicate=True)
                done += 1
            except Exception:
                logger.exception("classifying complaint %s failed", complaint_id)
    return done


# --- routing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Routed:
    department: Department
    agent: object | None
    note: str


def complaint_route(*, complaint_id: int, actor=None, department: Department | None = None,
                    rule_name: str = "", locked: Complaint | None = None) -> Routed | None:
    """Send an open complaint to its department: the one given (a rule's), else the one
    responsible for its category. There it goes to the available agent with the fewest open
    complaints if the department assigns automatically, else it waits in the queue.

    `locked`: the complaint as complaint_classify locked it (category and its parent loaded),
    used instead of reading it again and handed on to complaint_assign; inside that
    transaction no savepoint is taken (an error fails the classification as a whole)."""
    complaint = locked if locked is not None else \
        Complaint.objects.select_related("category", "category__parent").get(pk=complaint_id)
    if complaint.status not in OPEN_STATUSES:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        if department is not None:
            why = _("Routed by rule “%(rule)s”.") % {"rule": rule_name} if rule_name else \
                _("Routed as requested.")
        else:
            department = selectors.department_for_category(complaint.category)
            if department is None:
                return None
            why = _("Category “%(category)s” is handled by %(department)s.") % {
                "category": complaint.category.full_label, "department": department.name}
        with transaction.atomic(savepoint=locked is None):
            agent = None
            if selectors.department_auto_assigns(department):
                # One pick at a time per department: a second complaint arriving at the same
                # instant waits here and then sees the first one's assignment in the counts.
                Department.objects.select_for_update().filter(pk=department.pk).first()
                pick = selectors.agent_pick(department=department)
                if pick is None:
                    note = _("No agent of the department is available; it waits in the queue.")
                else:
                    agent = pick.user
                    note = _("Assigned automatically to the available agent with the fewest "
                             "open complaints (%(count)s).") % {"count": pick.open_complaints}
            else:
                note = _("The department takes complaints from its queue.")
            complaint_services.complaint_assign(
                complaint_id=complaint.id, actor=actor, expected_version=None,
                department=department, agent=agent, locked=locked,
                reason=_("%(routing)s %(assignment)s") % {"routing": why, "assignment": note})
    return Routed(department, agent, note)


def category_routes_set(*, actor, routes: dict[int, Department | None]) -> int:
    """Set the responsible department of categories ({category id: department or None})."""
    actor_must_have(actor, "intake.change_categoryroute",
                    message=_("Only supervisors may change routing."))
    changed = 0
    with transaction.atomic():
        current = {r.category_id: r for r in CategoryRoute.objects.select_for_update()}
        for category_id, department in routes.items():
            route = current.get(category_id)
            if department is None:
                if route is not None:
                    route.delete()
                    changed += 1
            elif route is None:
                CategoryRoute.objects.create(category_id=category_id, department=department)
                changed += 1
            elif route.department_id != department.id:
                route.department = department
                route.save(update_fields=["department"])
                changed += 1
    return changed


def department_routing_set(*, actor, department: Department, auto_assign: bool) -> None:
    actor_must_have(actor, "intake.change_departmentrouting",
                    message=_("Only supervisors may change routing."))
    DepartmentRouting.objects.update_or_create(department=department,
                                               defaults={"auto_assign": auto_assign})


def agent_availability_set(*, actor, user, available: bool) -> AgentAvailability:
    """Mark an agent available or not; unavailable agents are never assigned automatically.
    Agents may change their own availability."""
    if actor is None or (actor.pk != user.pk and
                         not actor.has_perm("intake.change_agentavailability")):
        raise NotAllowed(_("You may not change another agent's availability."))
    row, _created = AgentAvailability.objects.update_or_create(
        user=user, defaults={"available": available, "updated_at": timezone.now(),
                             "updated_by": actor})
    return row


# --- overrides ------------------------------------------------------------------------------


def classification_override(*, complaint_id: int, actor, expected_version: int | None,
                            category: Category | str | None = None, priority: str | None = None,
                            reason: str) -> Complaint:
    """An agent corrects category and/or priority, saying why. The timeline entry and an
    override record keep old value, new value, reason and who. Overrides may lower a grade."""
    actor_must_have(actor, "intake.override_classification",
                    message=_("You do not have permission to change the classification."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why you are changing the classification."), field="reason")
    if category is None and not priority:
        raise InvalidInput(_("Choose a category or a priority."), field="category")
    category = _leaf_category(category)
    if priority and priority not in Priority.values:
        raise InvalidInput(_("Unknown priority “%(value)s”.") % {"value": priority},
                           field="priority")
    with transaction.atomic():
        current = Complaint.objects.select_for_update(of=("self",)).select_related("category") \
            .get(pk=complaint_id)
        changes = {}
        if category is not None and category.id != current.category_id:
            changes["category"] = category
        if priority and priority != current.priority:
            changes["priority"] = priority
        if not changes:
            # A stale version is the better answer when there is one.
            complaint_services.complaint_update_fields(
                complaint_id=complaint_id, changes={}, expected_version=expected_version)
            raise InvalidInput(_("The complaint already has this category and priority."),
                               field="category")
        with translation.override(settings.LANGUAGE_CODE):
            parts = []
            if "category" in changes:
                parts.append(_("category %(old)s → %(new)s") % {
                    "old": current.category.full_label if current.category else _("none"),
                    "new": category.full_label})
            if "priority" in changes:
                parts.append(_("priority %(old)s → %(new)s") % {
                    "old": Priority(current.priority).label, "new": Priority(priority).label})
            message = _("Classification changed: %(changes)s. Reason: %(reason)s") % {
                "changes": _("; ").join(parts), "reason": reason}
        updated = complaint_services.complaint_update_fields(
            complaint_id=complaint_id, changes=changes, actor=actor,
            expected_version=expected_version, reason=reason, message=message,
            extra={"override": True})
        ClassificationOverride.objects.create(
            complaint=updated, actor=actor, old_category=current.category,
            new_category=changes.get("category", current.category),
            old_priority=current.priority, new_priority=changes.get("priority", current.priority),
            reason=reason)
    return updated


def _leaf_category(category: Category | str | None) -> Category | None:
    if category is None or category == "":
        return None
    if isinstance(category, str):
        found = Category.objects.filter(code=category).first()
        if found is None:
            raise InvalidInput(_("Unknown category “%(value)s”.") % {"value": category},
                               field="category")
        category = found
    if not category.is_active:
        raise InvalidInput(_("Category “%(value)s” is no longer used.") % {
            "value": category.full_label}, field="category")
    if category.parent_id is None:
        raise InvalidInput(_("Choose a sub-category of “%(value)s”.") % {
            "value": category.label}, field="category")
    return category


# --- rules ----------------------------------------------------------------------------------

RULE_FIELDS = ("name", "note", "enabled", "stop_processing", "keywords", "exclude_keywords",
               "channels", "customer_tiers", "min_recent_complaints", "recent_days",
               "set_category", "set_priority", "add_flags", "route_to")


def _check_rule(values: dict, categories) -> None:
    if not (values.get("name") or "").strip():
        raise InvalidInput(_("Give the rule a name."), field="name")
    for field, allowed in (("channels", Channel.values), ("customer_tiers", CustomerTier.values),
                           ("add_flags", Flag.values)):
        unknown = set(values.get(field) or ()) - set(allowed)
        if unknown:
            raise InvalidInput(_("Unknown value: %(values)s.") % {
                "values": ", ".join(sorted(unknown))}, field=field)
    if values.get("set_priority") and values["set_priority"] not in Priority.values:
        raise InvalidInput(_("Unknown priority “%(value)s”.") % {
            "value": values["set_priority"]}, field="set_priority")
    if not 1 <= (values.get("recent_days") or 30) <= 365:
        raise InvalidInput(_("Count complaints over 1 to 365 days."), field="recent_days")
    if values.get("set_category") is not None and values["set_category"].parent_id is None:
        raise InvalidInput(_("Choose a sub-category to set."), field="set_category")
    spec = rules.RuleSpec(
        id=None, name=values["name"], keywords=rules.parse_keywords(values.get("keywords", "")),
        channels=frozenset(values.get("channels") or ()),
        customer_tiers=frozenset(values.get("customer_tiers") or ()),
        categories=frozenset(c.code for c in categories),
        min_recent_complaints=values.get("min_recent_complaints"),
        set_category=getattr(values.get("set_category"), "code", None),
        set_priority=values.get("set_priority") or None,
        add_flags=tuple(values.get("add_flags") or ()),
        route_to=getattr(values.get("route_to"), "code", None))
    if not spec.has_condition:
        raise InvalidInput(_("Add at least one condition: keywords, channel, customer tier, "
                             "category or the customer's recent complaints."), field="keywords")
    if not spec.has_action:
        raise InvalidInput(_("Add at least one action: set a category, raise the priority, "
                             "add a flag or route to a department."), field="set_category")


def rule_save(*, actor, values: dict, categories=(), rule_id: int | None = None) -> Rule:
    """Create a rule (at the end of the list) or update one."""
    actor_must_have(actor, "intake.change_rule", message=_("Only supervisors may edit rules."))
    values = {k: v for k, v in values.items() if k in RULE_FIELDS}
    values["name"] = (values.get("name") or "").strip()
    values["keywords"] = rules.format_keywords(rules.parse_keywords(values.get("keywords", "")))
    values["exclude_keywords"] = rules.format_keywords(
        rules.parse_keywords(values.get("exclude_keywords", "")))
    values["set_priority"] = values.get("set_priority") or ""
    categories = list(categories)
    _check_rule(values, categories)
    with transaction.atomic():
        if rule_id is None:
            last = Rule.objects.aggregate(m=Max("position"))["m"] or 0
            rule = Rule(position=last + 10)
        else:
            rule = Rule.objects.select_for_update().get(pk=rule_id)
        for key, value in values.items():
            setattr(rule, key, value)
        rule.updated_at, rule.updated_by = timezone.now(), actor
        rule.save()
        rule.categories.set(categories)
    return rule


def rule_set_enabled(*, actor, rule_id: int, enabled: bool) -> Rule:
    actor_must_have(actor, "intake.change_rule", message=_("Only supervisors may edit rules."))
    rule = Rule.objects.get(pk=rule_id)
    rule.enabled, rule.updated_at, rule.updated_by = enabled, timezone.now(), actor
    rule.save(update_fields=["enabled", "updated_at", "updated_by"])
    return rule


def rule_move(*, actor, rule_id: int, offset: int) -> list[int]:
    """Move a rule up (offset -1) or down (+1); positions are renumbered 10, 20, 30…"""
    actor_must_have(actor, "intake.change_rule", message=_("Only supervisors may edit rules."))
    with transaction.atomic():
        ordered = list(Rule.objects.select_for_update().order_by("position", "id"))
        ids = [r.id for r in ordered]
        index = ids.index(rule_id)
        target = min(max(index + offset, 0), len(ids) - 1)
        ids.insert(target, ids.pop(index))
        by_id = {r.id: r for r in ordered}
        for number, rid in enumerate(ids, start=1):
            rule = by_id[rid]
            if rule.position != number * 10:
                rule.position = number * 10
                rule.save(update_fields=["position"])
    return ids


def rule_delete(*, actor, rule_id: int) -> None:
    actor_must_have(actor, "intake.delete_rule", message=_("Only supervisors may delete rules."))
    Rule.objects.filter(pk=rule_id).delete()


# --- classifier -----------------------------------------------------------------------------

KEEP_ARTIFACTS = 5


@dataclass(frozen=True)
class TrainResult:
    model: ClassifierModel | None
    skipped: bool
    metrics: classifier.Metrics | None
    labelled: int
    confirmed: int


def memory_settings() -> dict:
    """How the classifier's memory of agent-confirmed texts weighs in (classifier.remember)."""
    return {"min_similarity": getattr(settings, "INTAKE_MEMORY_MIN_SIMILARITY", 0.55),
            "weight": float(getattr(settings, "INTAKE_MEMORY_WEIGHT", 0.6))}


def classifier_train(*, actor=None, force: bool = False, include_confirmed: bool = True,
                     labelled_path=None, holdout_path=None) -> TrainResult:
    """Train a new version on selectors.training_pairs (the shipped corpus plus complaints
    whose category agents set or confirmed, weighted); measure it on the held-out set (never
    trained on). Unchanged training data (same fingerprint as the newest version) trains
    nothing unless forced. `labelled_path`: one file instead of the shipped corpus (tests)."""
    holdout_path = holdout_path or classifier.HOLDOUT_SET
    leaves = set(Category.objects.filter(is_active=True, parent__isnull=False)
                 .values_list("code", flat=True))
    holdout = [(t, c) for t, c in classifier.read_labelled(holdout_path) if c in leaves]
    data = selectors.training_pairs(
        include_confirmed=include_confirmed,
        labelled_paths=[labelled_path] if labelled_path else None,
        exclude_texts=frozenset(t for t, _c in holdout))
    pairs, labelled, confirmed = data.pairs, data.labelled, data.confirmed
    memory = memory_settings()
    fingerprint = classifier.fingerprint(
        pairs, data.weights, {**memory, "memory": len(data.memory)} if data.memory else None)
    latest = selectors.classifier_latest()
    if latest is not None and latest.fingerprint == fingerprint and not force:
        return TrainResult(latest, True, None, labelled, confirmed)
    pipeline = classifier.train([t for t, _c in pairs], [c for _t, c in pairs], data.weights)
    # Agents' texts are remembered as well as trained on: a close text gets their category.
    pipeline = classifier.remember(pipeline, data.memory, **memory)
    metrics = classifier.evaluate(pipeline, [t for t, _c in holdout], [c for _t, c in holdout])
    artifact = classifier.dump(pipeline)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                last = ClassifierModel.objects.aggregate(m=Max("version"))["m"] or 0
                model = ClassifierModel.objects.create(
                    version=last + 1, accuracy=metrics.accuracy,
                    top3_accuracy=metrics.top3_accuracy, training_size=len(pairs),
                    labelled_size=labelled, confirmed_size=confirmed,
                    holdout_size=metrics.size, classes=[str(c) for c in pipeline.classes_],
                    fingerprint=fingerprint, library_version=classifier.library_version(),
                    artifact=artifact, artifact_sha256=hashlib.sha256(artifact).hexdigest(),
                    trained_by=actor)
                old = ClassifierModel.objects.order_by("-version") \
                    .values_list("id", flat=True)[KEEP_ARTIFACTS:]
                ClassifierModel.objects.filter(id__in=list(old)).update(artifact=b"")
            break
        except IntegrityError:  # another process took the same version number
            continue
    else:
        raise RuntimeError("could not store the classifier version")
    return TrainResult(model, False, metrics, labelled, confirmed)
