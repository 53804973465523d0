"""Human-readable reasons for rule decisions, in the active language.

Decisions are stored as plain dicts (rules.Decision.as_dict) in the timeline's data and in
ComplaintClassification; these functions turn them into the sentences shown on the timeline,
the try-it box and the classification page.
"""

from django.utils.translation import gettext as _

from complaints.models import Category, Channel, CustomerTier, Department, Priority

from .models import Flag


def choice_label(choices, value) -> str:
    """The label of `value` in `choices`, or the value itself if it is not one of them."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class Names:
    """Category and department names for a set of decisions, fetched once."""

    def __init__(self, decisions: list[dict] = (), categories=(), departments=()):
        category_codes = set(categories)
        department_codes = set(departments)
        for d in decisions:
            for r in d.get("reasons", ()):
                if r["kind"] == "category":
                    category_codes.update(r["values"])
            if d["field"] == "category":
                category_codes.update(v for v in (d["value"], d.get("previous")) if v)
            if d["field"] == "department":
                department_codes.update(v for v in (d["value"], d.get("previous")) if v)
        self.categories = Category.objects.filter(code__in=category_codes) \
            .select_related("parent").in_bulk(field_name="code") if category_codes else {}
        self.departments = Department.objects.filter(code__in=department_codes) \
            .in_bulk(field_name="code") if department_codes else {}

    @classmethod
    def known(cls, categories: dict[str, Category], departments: dict[str, Department]
              ) -> "Names":
        """Names from every category and department already at hand (by code)."""
        names = cls()
        names.categories, names.departments = categories, departments
        return names

    def category(self, code: str | None) -> str:
        if not code:
            return _("none")
        found = self.categories.get(code)
        return found.full_label if found else code

    def department(self, code: str | None) -> str:
        found = self.departments.get(code)
        return found.name if found else (code or "—")


def percent(value) -> str:
    return f"{round((value or 0) * 100)}%"


def quoted(words) -> str:
    return "+".join(_("“%(word)s”") % {"word": w} for w in words)


def reason_text(reason: dict, names: Names) -> str:
    kind = reason["kind"]
    if kind == "keyword":
        return _("text contains %(words)s") % {"words": quoted(reason["values"])}
    if kind == "channel":
        return _("channel is %(channel)s") % {
            "channel": choice_label(Channel, reason["values"][0])}
    if kind == "tier":
        return _("customer tier is %(tier)s") % {
            "tier": choice_label(CustomerTier, reason["values"][0])}
    if kind == "category":
        return _("category is %(category)s") % {"category": names.category(reason["values"][0])}
    if kind == "classifier":
        return _("classifier v%(version)s, confidence %(confidence)s") % {
            "version": reason.get("version"), "confidence": percent(reason.get("confidence"))}
    if kind == "repeat":
        return _("%(count)s complaints from this customer in %(days)s days, this one included "
                 "(threshold %(threshold)s)") % reason
    return kind


def reasons_text(reasons: list[dict], names: Names) -> str:
    return _("; ").join(reason_text(r, names) for r in reasons)


def value_text(decision: dict, names: Names) -> str:
    field, value = decision["field"], decision["value"]
    if field == "category":
        return names.category(value)
    if field == "priority":
        return choice_label(Priority, value)
    if field == "flag":
        return choice_label(Flag, value)
    if field == "department":
        return names.department(value)
    return value


FIELD_LABELS = {"category": lambda: _("Category"), "priority": lambda: _("Priority"),
                "flag": lambda: _("Flag"), "department": lambda: _("Route to")}


def decision_text(decision: dict, names: Names) -> str:
    """E.g. 类别：网络质量 / 信号覆盖弱/无信号（规则「信号覆盖」：文本包含“信号”）."""
    what = _("%(field)s: %(value)s") % {"field": FIELD_LABELS[decision["field"]](),
                                         "value": value_text(decision, names)}
    if decision["field"] == "priority" and decision.get("previous") and decision["applied"]:
        what = _("%(field)s: %(old)s → %(new)s") % {
            "field": FIELD_LABELS["priority"](),
            "old": choice_label(Priority, decision["previous"]),
            "new": choice_label(Priority, decision["value"])}
    if decision.get("source") == "classifier":
        return _("%(what)s (%(why)s)") % {"what": what,
                                          "why": reasons_text(decision["reasons"], names)}
    return _("%(what)s (rule “%(rule)s”: %(why)s)") % {
        "what": what, "rule": decision["rule"], "why": reasons_text(decision["reasons"], names)}


def not_applied_text(decision: dict, names: Names) -> str:
    """Why a fired rule's action changed nothing."""
    field = decision["field"]
    if field == "category":
        return _("category already decided: %(category)s") % {
            "category": names.category(decision.get("previous"))}
    if field == "priority":
        return _("priority is already %(priority)s") % {
            "priority": choice_label(Priority, decision["previous"])}
    if field == "flag":
        return _("flag already set")
    if field == "department":
        return _("route already decided: %(department)s") % {
            "department": names.department(decision.get("previous"))}
    return ""


def decisions_with_text(decisions: list[dict], names: Names) -> list[dict]:
    """Each decision with a "text": what it decided and why, or why it changed nothing."""
    result = []
    for d in decisions:
        text = decision_text(d, names)
        if not d["applied"]:
            text = _("%(decision)s — not applied: %(why)s") % {
                "decision": text, "why": not_applied_text(d, names)}
        result.append({**d, "text": text})
    return result


def fired_with_text(fired: list[dict], names: Names) -> list[dict]:
    return [{**f, "reasons": [reason_text(r, names) for r in f["reasons"]]} for f in fired]
