"""What each figure means, as pure functions (no ORM): the dashboard page prints these
docstrings' definitions, and tests assert exact values against them.

Every measure counts complaints *received* in the chosen range (Asia/Shanghai days), after the
department / channel / category filters, except the backlog, which is the open complaints now.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from complaints.lifecycle import OPEN_STATUSES, Action
from sla.calendar import WorkCalendar, working_time_between

REGULATOR_CHANNEL = "regulator"
OPEN = frozenset(s.value for s in OPEN_STATUSES)

# Age of an open complaint in calendar days since the day it was received (Beijing time):
# (key, label, lower bound inclusive, upper bound exclusive or None). 0 = received today.
AGE_BUCKETS = [
    ("lt1", _("received today"), 0, 1),
    ("1to3", _("1–2 days"), 1, 3),
    ("3to7", _("3–6 days"), 3, 7),
    ("7to15", _("7–14 days"), 7, 15),
    ("ge15", _("15 days or more"), 15, None),
]

DEFINITIONS = {
    "received": _("Complaints received in the range, by the day they were received "
                  "(Beijing time)."),
    "backlog": _("Open complaints now (new, acknowledged, in progress, waiting, reopened) by "
                 "status and by age in calendar days since the day received (Beijing time); "
                 "the date range does not apply."),
    "compliance": _("Per deadline: complaints with a clock of that deadline met in time, and "
                    "complaints with one breached (breached, finished late, or still running "
                    "past due). Share = met ÷ (met + breached); clocks still running in time or "
                    "stopped are not counted."),
    "durations": _("Working hours (standard calendar 08:30–17:30 on working days, official "
                   "holidays and make-up days included) from receipt to acknowledgement, and "
                   "from receipt to the current resolution; mean, median and 90th percentile "
                   "(linear interpolation)."),
    "escalations": _("Complaints that reached each escalation level (automatic or by hand, "
                     "from the timeline); one raised to level 2 counts at levels 1 and 2."),
    "reopen_rate": _("Complaints reopened at least once ÷ complaints resolved at least once."),
    "repeat_rate": _("Complaints flagged as repeat complaints ÷ complaints received."),
    "first_contact": _("Resolved complaints never dispatched to another department, never "
                       "transferred between departments and never reopened ÷ complaints "
                       "resolved."),
    "external_rate": _("越级投诉率: complaints that came by regulator transfer or carry the "
                       "regulator or escalation-risk (media, lawyer) flag ÷ complaints received."),
    "per_million": _("百万用户申诉率: regulator transfers ÷ subscribers in millions, with the "
                     "subscriber count valid at the end of the range (set by administrators). "
                     "The regulator publishes it per quarter: choose a quarter."),
    "satisfaction": _("Surveys answered for complaints in the range: average stars, and "
                      "satisfied share (4 or 5 stars ÷ answered)."),
    "callbacks": _("Callback tasks of complaints in the range: completed ÷ all, and the "
                   "completed ones reached and satisfied."),
    "top": _("Complaints received per category and per responsible department (the assigned "
             "department when none is responsible)."),
    "performance": _("Per agent (assigned) and per department (responsible, else assigned): "
                     "complaints received and resolved, mean resolution time in working hours, "
                     "resolution deadlines met ÷ decided, average satisfaction."),
}


@dataclass(frozen=True)
class FactInput:
    """What one complaint contributes, read from the complaint and its timeline."""

    received_at: datetime
    channel: str
    status: str
    is_repeat: bool
    is_regulator: bool
    escalation_risk: bool
    regulator_case_no: str
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    reopen_count: int
    dispatched: bool
    transferred: bool
    escalation_max: int = 0


def fact_values(item: FactInput, cal: WorkCalendar) -> dict:
    """The derived fields of ComplaintFact for one complaint."""
    resolved = item.resolved_at is not None
    return {
        "open_status": item.status if item.status in OPEN else "",
        "is_repeat": item.is_repeat,
        "is_external": item.channel == REGULATOR_CHANNEL or item.is_regulator
        or item.escalation_risk,
        "is_regulator_transfer": item.channel == REGULATOR_CHANNEL or bool(item.regulator_case_no),
        "ever_resolved": resolved or item.reopen_count > 0,
        "reopened": item.reopen_count > 0,
        "resolved": resolved,
        "first_contact": resolved and item.reopen_count == 0 and not item.dispatched
        and not item.transferred,
        "escalation_max": item.escalation_max,
        "ack_seconds": _working_seconds(item.received_at, item.acknowledged_at, cal),
        "resolution_seconds": _working_seconds(item.received_at, item.resolved_at, cal),
    }


def _working_seconds(start: datetime, end: datetime | None, cal: WorkCalendar) -> int | None:
    if end is None:
        return None
    if end <= start:
        return 0
    return int(working_time_between(start, end, cal).total_seconds())


def timeline_flags(entries: Iterable[tuple[str, dict]]) -> tuple[bool, bool, int]:
    """(dispatched, transferred, highest escalation level) from (kind, data) timeline entries."""
    dispatched = transferred = False
    level = 0
    for kind, data in entries:
        data = data or {}
        if kind == "status_change" and data.get("action") == Action.DISPATCH:
            dispatched = True
        elif kind == "assignment":
            old = (data.get("old") or {}).get("department")
            new = (data.get("new") or {}).get("department")
            if old is not None and new is not None and old != new:
                transferred = True
        elif kind == "escalation":
            change = ((data.get("changed") or {}).get("escalation_level")) or [0, 0]
            if isinstance(change, list) and len(change) == 2 and isinstance(change[1], int):
                level = max(level, change[1])
    return dispatched, transferred, level


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not sorted_values:
        return None
    low, high, weight = percentile_ranks(len(sorted_values), fraction)
    return interpolate(sorted_values[low], sorted_values[high], weight)


def percentile_ranks(count: int, fraction: float) -> tuple[int, int, float]:
    """The 0-based ranks percentile_cont reads among `count` sorted values, and the weight of
    the higher one (its own arithmetic: floor and ceil of fraction × (count − 1))."""
    position = fraction * (count - 1)
    low = math.floor(position)
    return low, math.ceil(position), position - low


def interpolate(low_value: float, high_value: float, weight: float) -> float:
    return low_value + (high_value - low_value) * weight


# Working seconds (9 h = one working day). The daily figures keep, per measured duration, how
# many complaints fall in each bucket: bucket i holds EDGES[i] <= seconds < EDGES[i + 1], the
# last one everything from 30 working days. A percentile then needs only the complaints of the
# bucket holding its rank. Stored figures depend on these edges: changing them needs a
# migration that marks every day dirty (as reports/migrations/0003 does).
DURATION_EDGES = (
    0, 1, 60, 300, 600, 900, 1200, 1800, 2700,  # exactly 0, under a minute, minutes
    3600, 5400, 7200, 10800, 14400, 18000, 21600, 25200, 28800,  # hours
    32400, 40500, 48600, 56700, 64800, 81000, 97200, 129600, 162000,  # 1–5 working days
    226800, 324000, 486000, 648000, 972000,  # 7, 10, 15, 20, 30 working days
)


# The deadlines (sla.models.Metric values) whose outcome each complaint's figures keep, and the
# short name of their columns (ComplaintFact.dl_<short>, DailyFigure.met_<short>, …).
DEADLINE_METRICS = {
    "acknowledge": "ack", "first_response": "first", "progress_update": "progress",
    "resolution": "res", "multi_department_notice": "multi", "regulator_exposure": "reg",
}
MET, BREACHED = "met", "breached"


def duration_bucket(seconds: int) -> int:
    return bisect_right(DURATION_EDGES, seconds) - 1


def bucket_is_one_value(bucket: int) -> bool:
    """Whole seconds: a bucket one second wide holds a single value (0, for example)."""
    return bucket + 1 < len(DURATION_EDGES) and \
        DURATION_EDGES[bucket + 1] - DURATION_EDGES[bucket] == 1


def rank_bucket(histogram: Sequence[int], rank: int) -> tuple[int, int]:
    """The bucket holding the `rank`-th smallest value (0-based) and how many values lie in the
    buckets below it."""
    below = 0
    for bucket, count in enumerate(histogram):
        if rank < below + count:
            return bucket, below
        below += count
    raise ValueError(f"rank {rank} is beyond the {below} values of the histogram")


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 2)


def age_bucket(age_days: float) -> str:
    for key, _label, low, high in AGE_BUCKETS:
        if age_days >= low and (high is None or age_days < high):
            return key
    return AGE_BUCKETS[-1][0]


def per_million(count: int, subscribers: int | None) -> float | None:
    if not subscribers:
        return None
    return round(count / (subscribers / 1_000_000), 2)
