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

from . import classifier, duplicates, explain, intake_decide, rules, selectors
from .models import (
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


# --- automatic classification ---------------------------------------------------------------


def complaint_classify(*, complaint_id: int, actor=None, link_duplicate: bool = False,
                       not_yet: frozenset = frozenset()) -> ComplaintClassification | None:
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
        classification = _classify(complaint, actor, not_yet)
        if link_duplicate:
            try:
                duplicates.complaint_link_possible_duplicate(complaint_id=complaint_id,
                                                             locked=complaint)
            except Exception as error:  # rolled back to the link's savepoint
                link_error = error
    if link_error is not None:
        raise link_error
    return classification


def _classify(complaint: Complaint, actor,
              not_yet: frozenset = frozenset()) -> ComplaintClassification | None:
    """complaint_classify's work on the complaint it locked; `not_yet`: ids of complaints
    recorded after it in an import's batch, left out of its customer's recent complaints."""
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
    decided = intake_decide.classification_decide(
        complaint, evaluation, suggest=lambda: _suggestions(complaint),
        names_for=explain.Names,
        category_named=lambda code: Category.objects.select_related("parent").get(code=code))
    if decided.changes:
        # `locked`: the row is ours until commit; `complaint` is brought up to date in place.
        complaint_services.complaint_update_fields(
            complaint_id=complaint.id, changes=decided.changes, actor=actor,
            reason=decided.reason, message=decided.message, extra=decided.extra,
            locked=complaint)

    routed = None
    department = selectors.active_department(evaluation.department)
    if complaint.assigned_department_id is None and complaint.assigned_agent_id is None:
        routed = complaint_route(complaint_id=complaint.id, actor=actor,
                                 department=department,
                                 rule_name=intake_decide.route_rule(evaluation),
                                 locked=complaint)
    record = intake_decide.classification_record(
        complaint, decided, classified_at=timezone.now(),
        department=routed.department if routed else None,
        agent=routed.agent if routed else None)
    record.save(force_insert=True)
    return record


def _suggestions(complaint: Complaint):
    """The classifier's suggestions; a broken model must not stop rules and routing."""
    try:
        return selectors.suggestions_for_text(selectors.complaint_text(complaint))
    except Exception:
        logger.exception("classifier suggestions failed for complaint %s", complaint.id)
        return None, []


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
    department, why = intake_decide.routing_reason(department=department, rule_name=rule_name,
                                                   category=complaint.category)
    if department is None:
        return None
    with transaction.atomic(savepoint=locked is None):
        pick, auto = None, selectors.department_auto_assigns(department)
        if auto:
            # One pick at a time per department: a second complaint arriving at the same
            # instant waits here and then sees the first one's assignment in the counts.
            Department.objects.select_for_update().filter(pk=department.pk).first()
            pick = selectors.agent_pick(department=department)
        agent = pick.user if pick is not None else None
        note = intake_decide.assignment_note(auto_assigns=auto, pick=pick)
        complaint_services.complaint_assign(
            complaint_id=complaint.id, actor=actor, expected_version=None,
            department=department, agent=agent, locked=locked,
            reason=intake_decide.assignment_reason(why, note))
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
