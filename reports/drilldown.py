"""The complaints behind one report figure: the same filter plus that figure's predicate."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Complaint
from complaints.selectors import complaint_list
from followup.models import CallbackTask, SatisfactionSurvey
from sla.models import Clock, Metric

from .filters import OPEN, ReportFilter, clock_breached, clock_met
from .measures import AGE_BUCKETS

FLAG_MEASURES = {
    "repeat": Q(is_repeat=True), "external": Q(is_external=True),
    "regulator_transfer": Q(is_regulator_transfer=True), "reopened": Q(reopened=True),
    "ever_resolved": Q(ever_resolved=True), "resolved": Q(resolved=True),
    "first_contact": Q(first_contact=True), "acknowledged": Q(ack_seconds__isnull=False),
}



class DrillDownError(ValueError):
    pass


def drill_down(*, user, report_filter: ReportFilter, params: dict) -> QuerySet[Complaint]:
    """The complaints behind one figure: the same filter plus that figure's predicate."""
    f = report_filter.resolved()
    now = timezone.now()
    qs = complaint_list(user=user)
    if params.get("backlog"):
        qs = qs.filter(f.dims_q("report_fact__"), report_fact__open_status__in=OPEN)
        if params.get("status"):
            qs = qs.filter(report_fact__open_status=params["status"])
        if params.get("age"):
            bucket = {key: (low, high) for key, _l, low, high in AGE_BUCKETS}.get(params["age"])
            if bucket is None:
                raise DrillDownError(_("Unknown age bucket."))
            qs = qs.filter(_age_days_q(timezone.localdate(), *bucket, prefix="report_fact__"))
        return qs
    qs = qs.filter(f.fact_q("report_fact__"))
    for name, column in (("department_id", "report_fact__department_id"),
                         ("agent_id", "report_fact__agent_id")):
        value = params.get(name)
        if value == "none":
            qs = qs.filter(**{f"{column}__isnull": True})
        elif value:
            if not str(value).isdigit():
                raise DrillDownError(_("Unknown department or agent."))
            qs = qs.filter(**{column: int(value)})
    measure = params.get("measure") or ""
    if measure in FLAG_MEASURES:
        qs = qs.filter(_prefixed(FLAG_MEASURES[measure], "report_fact__"))
    elif measure in ("surveyed", "satisfied", "callback", "callback_done"):
        qs = _closing_measure(qs, measure)
    elif measure:
        raise DrillDownError(_("Unknown measure “%(measure)s”.") % {"measure": measure})
    if params.get("level"):
        if params["level"] not in ("1", "2", "3"):
            raise DrillDownError(_("The level must be 1, 2 or 3."))
        qs = qs.filter(report_fact__escalation_max__gte=int(params["level"]))
    if params.get("metric"):
        qs = _deadline_outcome(qs, params["metric"], params.get("outcome", ""), now)
    return qs


def _age_days_q(today: date, low: int, high: int | None, prefix: str = "") -> Q:
    """Received between `high` (exclusive) and `low` (inclusive) calendar days ago."""
    q = Q(**{f"{prefix}day__lte": today - timedelta(days=low)})
    if high is not None:
        q &= Q(**{f"{prefix}day__gt": today - timedelta(days=high)})
    return q


def _prefixed(q: Q, prefix: str) -> Q:
    children = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_prefixed(child, prefix))
        else:
            children.append((prefix + child[0], child[1]))
    out = Q(*children, _connector=q.connector, _negated=q.negated)
    return out


def _deadline_outcome(qs, metric: str, outcome: str, now):
    if metric not in Metric.values or outcome not in ("met", "breached"):
        raise DrillDownError(_("Unknown deadline or outcome."))
    clocks = Clock.objects.filter(complaint=OuterRef("pk"), metric=metric)
    breached = Exists(clocks.filter(clock_breached(now)))
    if outcome == "breached":
        return qs.filter(breached)
    return qs.filter(Exists(clocks.filter(clock_met()))).exclude(breached)


def _closing_measure(qs, measure: str):
    if measure in ("surveyed", "satisfied"):
        surveys = SatisfactionSurvey.objects.filter(complaint=OuterRef("pk"),
                                                    answered_at__isnull=False)
        if measure == "satisfied":
            surveys = surveys.filter(stars__gte=4)
        return qs.filter(Exists(surveys))
    tasks = CallbackTask.objects.filter(complaint=OuterRef("pk"))
    if measure == "callback_done":
        tasks = tasks.filter(completed_at__isnull=False)
    return qs.filter(Exists(tasks))
