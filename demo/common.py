"""What both ways of seeding demo complaints report."""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Stats:
    method: str
    complaints: int = 0
    activities: int = 0
    customers: int = 0
    by_status: Counter = field(default_factory=Counter)
