"""Which category a new complaint gets: a rule's or the classifier's. Pure: no ORM.

The first keyword rule that sets a category decides it, unless the classifier is at least
`override_rule_at` sure of another category (None: rules always win). With no rule's category,
the classifier's first suggestion fills it in when at least `threshold` sure and the text has
at least `min_chars` characters (a few words rarely say enough: “我要投诉”, “网不好”); otherwise
the complaint stays without a category and its suggestions are offered to the agent.
"""

from collections.abc import Sequence


def pick_category(rule_code: str | None, suggestions: Sequence[tuple[str, float]], *,
                  threshold: float | None, override_rule_at: float | None = None,
                  text_chars: int = 0, min_chars: int = 0) -> tuple[str | None, str]:
    """(category code or None, source: "rule", "classifier" or "")."""
    best = suggestions[0] if suggestions else None
    if rule_code is not None:
        if (best is not None and override_rule_at is not None and best[0] != rule_code
                and best[1] >= override_rule_at):
            return best[0], "classifier"
        return rule_code, "rule"
    if best is not None and threshold is not None and best[1] >= threshold \
            and text_chars >= min_chars:
        return best[0], "classifier"
    return None, ""
