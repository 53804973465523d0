"""Rule evaluation. Pure: no ORM, no I/O.

`evaluate(rules, facts)` runs the enabled rules top to bottom over one complaint's facts and
returns what they decide and, for every decision, which rule fired and why:

- all of a rule's conditions must hold (an empty condition is not checked);
- the first rule that sets a category decides it, and only when the complaint has none yet
  (a category chosen by staff at intake is kept); later category actions are reported, not
  applied;
- priority only goes up (`grading.raise_priority`): a rule never lowers a grade;
- flags accumulate;
- the first rule that routes decides the department;
- a rule marked "stop" ends the evaluation after its own actions.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from . import grading

# Separators between keyword alternatives: new lines and Chinese or Latin commas/semicolons.
_ALTERNATIVES = re.compile(r"[\n\r,，、;；]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_ASCII_WORD = re.compile(r"[0-9a-z]")


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), case-folded, whitespace and zero-width characters
    removed: “ＶＩＰ　客户” and “vip客户” read the same."""
    text = unicodedata.normalize("NFKC", text or "").casefold().translate(_INVISIBLE)
    return "".join(text.split())


Keywords = tuple[tuple[str, ...], ...]


def parse_keywords(text: str) -> Keywords:
    """Alternatives separated by new lines or commas; words joined by “+” must all appear.

    >>> parse_keywords("信号，宽带+掉线")
    (('信号',), ('宽带', '掉线'))
    """
    alternatives = []
    for item in _ALTERNATIVES.split(text or ""):
        words = tuple(w for w in (normalize(part) for part in item.split("+")) if w)
        if words and words not in alternatives:
            alternatives.append(words)
    return tuple(alternatives)


def format_keywords(keywords: Keywords) -> str:
    return "\n".join("+".join(words) for words in keywords)


@lru_cache(maxsize=4096)
def _word_pattern(word: str) -> re.Pattern:
    """A keyword that starts or ends with a Latin letter or digit must not run into another
    one: “110” matches “打110报警” but not the phone number “13811012345”, and “315” not
    “3150元”."""
    left = r"(?<![0-9a-z])" if _ASCII_WORD.match(word[0]) else ""
    right = r"(?![0-9a-z])" if _ASCII_WORD.match(word[-1]) else ""
    return re.compile(left + re.escape(word) + right)


def find_keywords(keywords: Keywords, normalized_text: str) -> tuple[str, ...] | None:
    """The words of the first alternative found in the text, or None."""
    for words in keywords:
        if all(_word_pattern(w).search(normalized_text) for w in words):
            return words
    return None


@dataclass(frozen=True)
class ComplaintFacts:
    """What rules may look at, as plain values."""

    text: str
    channel: str
    customer_tier: str
    received_at: datetime
    category: str | None = None  # code
    priority: str = grading.ORDINARY
    flags: frozenset[str] = frozenset()
    # When the customer's complaints (this one included) were received, any order.
    recent_complaints: tuple[datetime, ...] = ()
    # Category code → parent code, so a rule on a top-level category matches its children.
    category_parents: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def normalized_text(self) -> str:
        return normalize(self.text)


@dataclass(frozen=True)
class RuleSpec:
    """One rule as plain values (built from the database row by the selector)."""

    id: int | None
    name: str
    position: int = 0
    keywords: Keywords = ()
    exclude_keywords: Keywords = ()
    channels: frozenset[str] = frozenset()
    customer_tiers: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    min_recent_complaints: int | None = None
    recent_days: int = 30
    set_category: str | None = None
    set_priority: str | None = None
    add_flags: tuple[str, ...] = ()
    route_to: str | None = None  # department code
    stop_processing: bool = False

    @property
    def has_condition(self) -> bool:
        return bool(self.keywords or self.channels or self.customer_tiers or self.categories
                    or self.min_recent_complaints)

    @property
    def has_action(self) -> bool:
        return bool(self.set_category or self.set_priority or self.add_flags or self.route_to)


@dataclass(frozen=True)
class Reason:
    """Why a condition held: kind is keyword, channel, tier, category or repeat."""

    kind: str
    values: tuple[str, ...] = ()
    count: int | None = None
    days: int | None = None
    threshold: int | None = None

    def as_dict(self) -> dict:
        data = {"kind": self.kind, "values": list(self.values)}
        if self.kind == "repeat":
            data.update(count=self.count, days=self.days, threshold=self.threshold)
        return data


@dataclass(frozen=True)
class Decision:
    """One action of a fired rule: field is category, priority, flag or department."""

    field: str
    value: str
    rule_id: int | None
    rule_name: str
    reasons: tuple[Reason, ...]
    applied: bool
    previous: str | None = None

    def as_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "previous": self.previous,
                "applied": self.applied, "rule_id": self.rule_id, "rule": self.rule_name,
                "reasons": [r.as_dict() for r in self.reasons]}


@dataclass(frozen=True)
class Fired:
    rule: RuleSpec
    reasons: tuple[Reason, ...]
    decisions: tuple[Decision, ...]


@dataclass(frozen=True)
class Evaluation:
    category: str | None
    category_rule: RuleSpec | None
    priority: str
    flags: frozenset[str]
    department: str | None
    fired: tuple[Fired, ...]

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return tuple(d for f in self.fired for d in f.decisions)

    @property
    def applied(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.applied)


def recent_count(facts: ComplaintFacts, days: int) -> int:
    return grading.complaints_within(facts.recent_complaints, facts.received_at, days)


def match(rule: RuleSpec, facts: ComplaintFacts, *, category: str | None = None,
          text: str | None = None) -> tuple[Reason, ...] | None:
    """The reasons every condition of the rule holds, or None if one does not.

    `category` is the category as decided so far (earlier rules may have set it).
    """
    if not rule.has_condition:
        return None  # a rule without conditions would fire on everything
    text = facts.normalized_text if text is None else text
    category = facts.category if category is None else category
    reasons = []
    if rule.keywords:
        words = find_keywords(rule.keywords, text)
        if words is None:
            return None
        reasons.append(Reason("keyword", words))
    if rule.exclude_keywords and find_keywords(rule.exclude_keywords, text) is not None:
        return None
    if rule.channels:
        if facts.channel not in rule.channels:
            return None
        reasons.append(Reason("channel", (facts.channel,)))
    if rule.customer_tiers:
        if facts.customer_tier not in rule.customer_tiers:
            return None
        reasons.append(Reason("tier", (facts.customer_tier,)))
    if rule.categories:
        if category is None or not ({category, facts.category_parents.get(category)}
                                    & rule.categories):
            return None
        reasons.append(Reason("category", (category,)))
    if rule.min_recent_complaints:
        count = recent_count(facts, rule.recent_days)
        if count < rule.min_recent_complaints:
            return None
        reasons.append(Reason("repeat", count=count, days=rule.recent_days,
                              threshold=rule.min_recent_complaints))
    return tuple(reasons)


def evaluate(rules: list[RuleSpec], facts: ComplaintFacts) -> Evaluation:
    """Run the rules in order (the caller passes only enabled ones, sorted by position)."""
    text = facts.normalized_text
    category, category_rule = facts.category, None
    priority, flags, department = facts.priority, set(facts.flags), None
    fired = []
    for rule in rules:
        reasons = match(rule, facts, category=category, text=text)
        if reasons is None:
            continue
        decide = _decider(rule, reasons)
        decisions = []
        if rule.set_category:
            applied = category is None
            decisions.append(decide("category", rule.set_category, applied, category))
            if applied:
                category, category_rule = rule.set_category, rule
        if rule.set_priority:
            raised = grading.raise_priority(priority, rule.set_priority)
            decisions.append(decide("priority", rule.set_priority, raised != priority, priority))
            priority = raised
        for flag in rule.add_flags:
            decisions.append(decide("flag", flag, flag not in flags))
            flags.add(flag)
        if rule.route_to:
            decisions.append(decide("department", rule.route_to, department is None,
                                    department))
            department = department or rule.route_to
        fired.append(Fired(rule, reasons, tuple(decisions)))
        if rule.stop_processing:
            break
    return Evaluation(category=category, category_rule=category_rule, priority=priority,
                      flags=frozenset(flags), department=department, fired=tuple(fired))


def _decider(rule: RuleSpec, reasons: tuple[Reason, ...]):
    def decide(field_name, value, applied, previous=None) -> Decision:
        return Decision(field=field_name, value=value, rule_id=rule.id, rule_name=rule.name,
                        reasons=reasons, applied=applied, previous=previous)

    return decide
