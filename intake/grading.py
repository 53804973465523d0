"""Grading arithmetic. Pure: no ORM, no I/O.

Priorities are ordered 一般 ordinary < 紧急 urgent < 重大 major. Automatic grading only raises:
VIP customers, repeat complainants, regulator transfers and risk phrases each raise the grade
through a rule (seeded in intake/migrations/0002_default_rules.py, edited in the staff UI).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

ORDINARY, URGENT, MAJOR = "ordinary", "urgent", "major"
PRIORITY_ORDER = (ORDINARY, URGENT, MAJOR)


def rank(priority: str) -> int:
    """0, 1, 2 for ordinary, urgent, major; ValueError for anything else."""
    return PRIORITY_ORDER.index(priority)


def raise_priority(current: str, proposed: str) -> str:
    """The higher of the two: a grade already raised is never lowered."""
    return proposed if rank(proposed) > rank(current) else current


def highest(priorities: Iterable[str], start: str = ORDINARY) -> str:
    result = start
    for priority in priorities:
        result = raise_priority(result, priority)
    return result


def complaints_within(received: Iterable[datetime], at: datetime, days: int) -> int:
    """How many of the times fall within `days` days up to and including `at`.

    The customer's complaints counted for repeat detection: the complaint being classified is
    one of them, so “two or more complaints in 30 days” means this is at least the second.
    """
    since = at - timedelta(days=days)
    return sum(1 for t in received if since <= t <= at)
