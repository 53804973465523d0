"""Reads for classification, grading and routing: database rows into the plain values the pure
modules (rules, grading, classifier) work on."""

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from complaints.lifecycle import OPEN_STATUSES, Status
from complaints.models import Category, Complaint, Department
from kernel import memo
from kernel.db import select_objects
from kernel.roles import AGENT
from kernel.settings_cache import cached

from . import classifier, explain, rules
from .models import (
    AgentAvailability,
    CategoryRoute,
    ClassificationOverride,
    ClassifierModel,
    ComplaintClassification,
    DepartmentRouting,
    Rule,
)

logger = logging.getLogger(__name__)

# --- rules ----------------------------------------------------------------------------------


RULE_TABLES = ("intake_rule", "intake_rule_categories", "complaints_category",
               "complaints_department")


def rule_list() -> QuerySet[Rule]:
    """All rules in evaluation order, with what the list page shows joined in."""
    return Rule.objects.select_related("set_category", "set_category__parent", "route_to",
                                       "updated_by").prefetch_related(
        Prefetch("categories", queryset=Category.objects.select_related("parent")))


def category_parents() -> dict[str, str]:
    return cached(("complaints_category",), "intake.category_parents", lambda: dict(
        Category.objects.filter(parent__isnull=False).values_list("code", "parent__code")))


def rule_spec(rule: Rule) -> rules.RuleSpec:
    """A rule row as the pure evaluator's plain value (its related rows prefetched)."""
    return rules.RuleSpec(
        id=rule.id, name=rule.name, position=rule.position,
        keywords=rules.parse_keywords(rule.keywords),
        exclude_keywords=rules.parse_keywords(rule.exclude_keywords),
        channels=frozenset(rule.channels or ()),
        customer_tiers=frozenset(rule.customer_tiers or ()),
        categories=frozenset(c.code for c in rule.categories.all()),
        min_recent_complaints=rule.min_recent_complaints, recent_days=rule.recent_days,
        set_category=rule.set_category.code if rule.set_category_id else None,
        set_priority=rule.set_priority or None, add_flags=tuple(rule.add_flags or ()),
        route_to=rule.route_to.code if rule.route_to_id else None,
        stop_processing=rule.stop_processing)


def enabled_rule_specs() -> list[rules.RuleSpec]:
    """The enabled rules in evaluation order (kept until a rule, category or department
    changes)."""
    return cached(RULE_TABLES, "intake.enabled_rule_specs",
                  lambda: [rule_spec(r) for r in rule_list().filter(enabled=True)])


def repeat_window_days(specs: list[rules.RuleSpec]) -> int:
    """The longest look-back any rule needs for the customer's recent complaints."""
    return max((s.recent_days for s in specs if s.min_recent_complaints), default=0)


def complaint_text(complaint: Complaint) -> str:
    if complaint.description.startswith(complaint.subject):
        return complaint.description
    return f"{complaint.subject}\n{complaint.description}"


def complaint_facts(*, complaint: Complaint, window_days: int, recent: tuple | None = None,
                    exclude_ids: frozenset = frozenset()) -> rules.ComplaintFacts:
    """The rules' facts of `complaint`; `recent`: when its customer's complaints within the
    window (this one included) were received, if the caller knows, else read."""
    received = (complaint.received_at,) if recent is None else recent
    if window_days and recent is None:
        recent = Complaint.objects.filter(
            customer_id=complaint.customer_id,
            received_at__gte=complaint.received_at - timedelta(days=window_days),
            received_at__lte=complaint.received_at).exclude(status=Status.CANCELLED)
        if exclude_ids:  # complaints of an import's batch recorded after this one
            recent = recent.exclude(id__in=exclude_ids)
        received = tuple(recent.values_list("received_at", flat=True))
    return rules.ComplaintFacts(
        text=complaint_text(complaint), channel=complaint.channel,
        customer_tier=complaint.customer.tier, received_at=complaint.received_at,
        category=complaint.category.code if complaint.category_id else None,
        priority=complaint.priority, flags=frozenset(complaint.flags),
        recent_complaints=received, category_parents=category_parents())


# --- routing --------------------------------------------------------------------------------


def categories_by_code() -> dict[str, Category]:
    """Every category (its parent loaded) by code, kept until a category changes."""
    return cached(("complaints_category",), "intake.categories_by_code", lambda: {
        c.code: c for c in Category.objects.select_related("parent")})


def departments_by_code() -> dict[str, Department]:
    """Every department (its parent loaded) by code, kept until a department changes."""
    return cached(("complaints_department",), "intake.departments_by_code", lambda: {
        d.code: d for d in Department.objects.select_related("parent")})


def active_department(code: str | None) -> Department | None:
    found = departments_by_code().get(code) if code else None
    return found if found is not None and found.is_active else None


def _category_routes() -> dict[int, Department]:
    return cached(("intake_categoryroute", "complaints_department"), "intake.category_routes",
                  lambda: {r.category_id: r.department for r in CategoryRoute.objects.filter(
                      department__is_active=True).select_related("department__parent")})


def customers_recent_complaints(*, customer_ids, since) -> list[Complaint]:
    """The customers' complaints received since `since`, cancelled ones left out, oldest
    first: what the rules count as their recent complaints and where a possible duplicate's
    original is found (id, customer, received, status, category, reference, version only)."""
    if not customer_ids:
        return []
    ids = sorted(set(customer_ids))
    return select_objects(  # the ORM's query, written once (kernel.db.select_objects)
        Complaint, f"customer_id IN ({', '.join(['%s'] * len(ids))}) AND received_at >= %s "
        "AND NOT (status = %s)", [*ids, since, Status.CANCELLED.value],
        only=("id", "customer_id", "received_at", "status", "category_id", "reference",
              "version"), order_by="received_at, id")


def department_for_category(category: Category | None) -> Department | None:
    """The department responsible for a category: its own route, else its parent's."""
    if category is None:
        return None
    routes = _category_routes()
    return routes.get(category.id) or routes.get(category.parent_id)


def department_auto_assigns(department: Department) -> bool:
    return department.pk in cached(
        ("intake_departmentrouting",), "intake.auto_assigning", lambda: frozenset(
            DepartmentRouting.objects.filter(auto_assign=True)
            .values_list("department_id", flat=True)))


@dataclass(frozen=True)
class AgentLoad:
    user: object
    open_complaints: int
    available: bool


def department_agents(*, department: Department) -> list[AgentLoad]:
    """The department's agents (active members in the agent role) with their open complaints
    (in any department) and availability, least loaded first."""
    users = (get_user_model().objects
             .filter(departments=department, is_active=True, groups__name=AGENT)
             .annotate(open_count=Count("assigned_complaints", distinct=True,
                                        filter=Q(assigned_complaints__status__in=OPEN_STATUSES)))
             .order_by("open_count", "username").distinct())
    unavailable = set(AgentAvailability.objects.filter(user__in=users, available=False)
                      .values_list("user_id", flat=True))
    return [AgentLoad(u, u.open_count, u.id not in unavailable) for u in users]


def agent_pick(*, department: Department) -> AgentLoad | None:
    """The available agent with the fewest open complaints; ties go by username."""
    return next((a for a in department_agents(department=department) if a.available), None)


def agent_is_available(user) -> bool:
    return not AgentAvailability.objects.filter(user=user, available=False).exists()


def routing_overview() -> dict:
    """Everything the routing page shows."""
    routes = {r.category_id: r.department_id for r in CategoryRoute.objects.all()}
    auto = set(DepartmentRouting.objects.filter(auto_assign=True)
               .values_list("department_id", flat=True))
    departments = list(Department.objects.filter(is_active=True).select_related("parent"))
    categories = list(Category.objects.filter(is_active=True).select_related("parent")
                      .order_by("parent__sort_order", "sort_order", "code"))
    unavailable = set(AgentAvailability.objects.filter(available=False)
                      .values_list("user_id", flat=True))
    agents = list(get_user_model().objects.filter(is_active=True, groups__name=AGENT)
                  .prefetch_related("departments").order_by("username").distinct())
    return {"routes": routes, "auto_assign": auto, "departments": departments,
            "categories": categories, "unavailable": unavailable, "agents": agents}


# --- classifier -----------------------------------------------------------------------------

_loaded: dict = {"version": None, "pipeline": None}
_load_lock = threading.Lock()


def classifier_latest() -> ClassifierModel | None:
    return ClassifierModel.objects.defer("artifact").order_by("-version").first()


def classifier_versions() -> QuerySet[ClassifierModel]:
    return ClassifierModel.objects.defer("artifact").select_related("trained_by")


def classifier_pipeline() -> tuple[int, object] | None:
    """(version, pipeline) of the newest trained model, loaded once per process and version."""
    version = cached(("intake_classifiermodel",), "intake.classifier_version", lambda: (
        ClassifierModel.objects.exclude(artifact=b"").order_by("-version")
        .values_list("version", flat=True).first()))
    if version is None:
        return None
    with _load_lock:
        if _loaded["version"] != version:
            row = ClassifierModel.objects.get(version=version)
            if row.library_version != classifier.library_version():
                logger.warning("classifier v%s was trained with scikit-learn %s, running %s; "
                               "retrain with manage.py train_classifier", version,
                               row.library_version, classifier.library_version())
            _loaded.update(version=version, pipeline=classifier.load(row.artifact))
        return version, _loaded["pipeline"]


def _active_categories() -> dict[str, Category]:
    return {code: c for code, c in categories_by_code().items() if c.is_active}


@dataclass(frozen=True)
class CategorySuggestion:
    category: Category
    confidence: float


def suggestions_for_text(text: str, k: int = 3) -> tuple[int | None, list[CategorySuggestion]]:
    """(model version, up to k active categories with the classifier's confidence)."""
    loaded = classifier_pipeline()
    if loaded is None or not (text or "").strip():
        return (loaded[0] if loaded else None), []
    version, pipeline = loaded
    found = classifier.suggest(pipeline, text, k=k)
    categories = _active_categories()
    return version, [CategorySuggestion(categories[s.code], s.confidence)
                     for s in found if s.code in categories]


def suggestions_for_texts(texts: list[str], k: int = 3
                          ) -> list[tuple[int | None, list[CategorySuggestion]]]:
    """suggestions_for_text for many texts: one model run, one read of the categories."""
    loaded = classifier_pipeline()
    if loaded is None:
        return [(None, []) for _text in texts]
    version, pipeline = loaded
    asked = [i for i, text in enumerate(texts) if (text or "").strip()]
    found = classifier.suggest_many(pipeline, [texts[i] for i in asked], k=k)
    categories = _active_categories()
    results = [(version, []) for _text in texts]
    for index, suggestions in zip(asked, found):
        results[index] = (version, [CategorySuggestion(categories[s.code], s.confidence)
                                    for s in suggestions if s.code in categories])
    return results


def stored_suggestions(complaint_ids) -> dict[int, list[CategorySuggestion]]:
    """The top suggestions recorded when each complaint was classified (no model run), active
    categories only."""
    rows = dict(ComplaintClassification.objects.filter(complaint_id__in=list(complaint_ids))
                .exclude(suggestions=[]).values_list("complaint_id", "suggestions"))
    codes = {s["code"] for found in rows.values() for s in found}
    categories = Category.objects.filter(code__in=codes, is_active=True) \
        .select_related("parent").in_bulk(field_name="code")
    return {cid: worth_offering([CategorySuggestion(categories[s["code"]], s["confidence"])
                                 for s in found if s["code"] in categories])
            for cid, found in rows.items()}


def worth_offering(found: list[CategorySuggestion]) -> list[CategorySuggestion]:
    """The suggestions worth a button: the first always, the others only from
    INTAKE_PICK_MIN_CONFIDENCE (a 1 % guess is noise an agent has to read past)."""
    floor = settings.INTAKE_PICK_MIN_CONFIDENCE
    return found[:1] + [s for s in found[1:] if s.confidence >= floor]


def category_picks(complaint: Complaint) -> list[CategorySuggestion]:
    """The suggestions an agent may pick from on the complaint page: those recorded at
    classification, else the classifier's now; never the complaint's current category."""
    found = stored_suggestions([complaint.id]).get(complaint.id)
    if not found:
        try:
            found = worth_offering(suggestions_for_text(complaint_text(complaint))[1])
        except Exception:  # a broken model must not hide the page
            logger.exception("classifier suggestions failed for %s", complaint.reference)
            found = []
    return [s for s in found if s.category.id != complaint.category_id]


def suggestion_min_confidence() -> float | None:
    """Above this confidence the classifier fills in a category no rule decided; None turns
    that off (suggestions are then only shown)."""
    return getattr(settings, "INTAKE_SUGGESTION_MIN_CONFIDENCE", 0.6)


def suggestion_min_text_chars() -> int:
    """Shorter texts (normalised characters) are left to agents, however sure the model."""
    return getattr(settings, "INTAKE_SUGGESTION_MIN_TEXT_CHARS", 0)


def classifier_over_rule_confidence() -> float | None:
    """From this confidence the classifier's category wins over a keyword rule's; None: rules
    always win."""
    return getattr(settings, "INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE", None)


# Confirmed category: what agents settled on. A complaint's category counts once it was
# resolved or closed (the agent who resolved it stood by the category) or an agent overrode it.
CONFIRMED_STATUSES = (Status.RESOLVED, Status.CLOSED)


def confirmed_training_pairs() -> list[tuple[str, str]]:
    """(text, second-level category code) of complaints whose category agents confirmed."""
    overridden = ClassificationOverride.objects.filter(new_category__isnull=False) \
        .values("complaint_id")
    complaints = (Complaint.objects
                  .filter(Q(status__in=CONFIRMED_STATUSES) | Q(id__in=overridden),
                          category__isnull=False, category__parent__isnull=False)
                  .values_list("subject", "description", "category__code"))
    pairs = []
    for subject, description, code in complaints.iterator(chunk_size=2000):
        text = description if description.startswith(subject) else f"{subject}\n{description}"
        pairs.append((text, code))
    return pairs


@dataclass(frozen=True)
class TrainingData:
    pairs: list[tuple[str, str]]  # (text, second-level category code), each text once
    weights: list[float]  # one per pair: agent-confirmed texts count more
    labelled: int  # from the shipped corpus
    confirmed: int  # from complaints whose category agents set or confirmed
    # The newest agent-confirmed (text, code), each text once: the model's memory
    # (classifier.WithMemory, INTAKE_MEMORY_*).
    memory: list[tuple[str, str]] = field(default_factory=list)


def training_pairs(*, include_confirmed: bool = True, labelled_paths=None,
                   exclude_texts=frozenset()) -> TrainingData:
    """What the classifier learns from: the shipped corpus (classifier.corpus_pairs; never
    the evaluation files) plus, newest last, complaints whose category agents set or confirmed,
    weighted `INTAKE_CONFIRMED_WEIGHT`. An agent's category for a text the corpus also holds
    replaces the corpus's. Inactive categories and `exclude_texts` (held-out texts) are left
    out."""
    leaves = set(Category.objects.filter(is_active=True, parent__isnull=False)
                 .values_list("code", flat=True))
    labelled = [(t, c) for t, c in classifier.corpus_pairs(labelled_paths)
                if c in leaves and t not in exclude_texts]
    by_text = {t: (c, 1.0) for t, c in labelled}
    confirmed = []
    if include_confirmed:
        limit = getattr(settings, "INTAKE_TRAINING_MAX_CONFIRMED", 50_000)
        weight = float(getattr(settings, "INTAKE_CONFIRMED_WEIGHT", 3.0))
        confirmed = [(t, c) for t, c in confirmed_training_pairs()[-limit:]
                     if c in leaves and t not in exclude_texts]
        for text, code in confirmed:
            by_text.pop(text, None)  # the latest agent's word wins, placed last
            by_text[text] = (code, weight)
    pairs = [(t, c) for t, (c, _w) in by_text.items()]
    latest = {}
    for text, code in confirmed:
        latest.pop(text, None)
        latest[text] = code
    memory_max = getattr(settings, "INTAKE_MEMORY_MAX_TEXTS", 5000)
    memory = list(latest.items())[-memory_max:] if memory_max > 0 else []
    return TrainingData(pairs, [w for _c, w in by_text.values()], len(labelled),
                        len(confirmed), memory)


@dataclass(frozen=True)
class LiveAccuracy:
    confirmed: int  # agent-confirmed complaints classified in the window
    right: int  # … whose automatic category (rule or classifier) was the agent's final one
    unclassified: int  # … left without an automatic category
    days: int

    @property
    def share(self) -> float | None:
        return self.right / self.confirmed if self.confirmed else None


def live_accuracy(*, days: int = 30) -> LiveAccuracy:
    """How often the system's own category (a rule's or the classifier's, not one given at
    intake) equalled the category agents settled on, over the complaints classified in the
    last `days` days whose category agents confirmed (as confirmed_training_pairs)."""
    overridden = ClassificationOverride.objects.filter(new_category__isnull=False) \
        .values("complaint_id")
    rows = (ComplaintClassification.objects
            .filter(classified_at__gte=timezone.now() - timedelta(days=days),
                    complaint__category__parent__isnull=False)
            .exclude(category_source="intake")
            .filter(Q(complaint__status__in=CONFIRMED_STATUSES) | Q(complaint_id__in=overridden))
            .values_list("decisions", "complaint__category__code"))
    confirmed = right = unclassified = 0
    for decisions, final in rows:
        automatic = next((d["value"] for d in decisions
                          if d.get("field") == "category" and d.get("applied")), None)
        confirmed += 1
        right += automatic == final
        unclassified += automatic is None
    return LiveAccuracy(confirmed, right, unclassified, days)


# --- per complaint --------------------------------------------------------------------------


def complaint_classification(*, complaint: Complaint) -> ComplaintClassification | None:
    return ComplaintClassification.objects.filter(complaint=complaint) \
        .select_related("department", "assigned_agent").first()


def complaint_overrides(*, complaint: Complaint) -> QuerySet[ClassificationOverride]:
    return ClassificationOverride.objects.filter(complaint=complaint).select_related(
        "actor", "old_category", "old_category__parent", "new_category", "new_category__parent")


def unclassified_complaint_ids(*, older_than: timedelta, newer_than: timedelta,
                               limit: int) -> list[int]:
    """New complaints that missed their classification (a failed receiver, a crash)."""
    from django.utils import timezone

    now = timezone.now()
    return list(Complaint.objects.filter(
        status=Status.NEW, classification__isnull=True,
        created_at__lte=now - older_than, created_at__gte=now - newer_than)
        .order_by("created_at", "id").values_list("id", flat=True)[:limit])


def category_source(*, complaint: Complaint, record: ComplaintClassification | None) -> str:
    """Who decided the current category: agent (an override), rule, classifier, intake (given
    when the complaint was created) or "" (nobody yet)."""
    if ClassificationOverride.objects.filter(complaint=complaint,
                                             new_category__isnull=False).exists():
        return "agent"
    return record.category_source if record else ""


# --- try it ---------------------------------------------------------------------------------


def classification_preview(*, text: str, channel: str, tier: str,
                           category: Category | None = None,
                           recent_complaints: int = 1) -> dict:
    """Which enabled rules fire on a sample and what they decide, with the classifier's
    suggestions; nothing is saved."""
    from django.utils import timezone

    now = timezone.now()
    with memo.scope():  # the settings tokens read once
        parents, specs = category_parents(), enabled_rule_specs()
    facts = rules.ComplaintFacts(
        text=text, channel=channel, customer_tier=tier, received_at=now,
        category=category.code if category else None,
        flags=frozenset(flag for flag, on in (("vip", tier == "vip"),
                                              ("regulator", channel == "regulator")) if on),
        recent_complaints=(now,) * recent_complaints, category_parents=parents)
    evaluation = rules.evaluate(specs, facts)
    decisions = [d.as_dict() for d in evaluation.decisions]
    names = explain.Names(decisions, categories=[evaluation.category] if evaluation.category
                          else [], departments=[evaluation.department] if evaluation.department
                          else [])
    try:
        version, found = suggestions_for_text(text)
    except Exception:  # a broken model must not break the rules' preview
        logger.exception("classifier suggestions failed in the preview")
        version, found = None, []
    return {
        "fired": explain.fired_with_text(
            [{"id": f.rule.id, "name": f.rule.name, "position": f.rule.position,
              "reasons": [r.as_dict() for r in f.reasons]} for f in evaluation.fired], names),
        "decisions": explain.decisions_with_text(decisions, names),
        "result": {"category": names.categories.get(evaluation.category),
                   "priority": evaluation.priority, "flags": sorted(evaluation.flags),
                   "department": names.departments.get(evaluation.department)},
        "model_version": version,
        "suggestions": [{"category": s.category, "confidence": s.confidence} for s in found],
    }
