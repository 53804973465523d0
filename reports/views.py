"""Report pages (/reports/): the dashboard, the complaints behind each figure, agent and
department performance, exports and the scheduled summaries."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.lifecycle import STATUS_LABELS, Status
from desk.selectors import desk_filterset
from desk.services import phone_search_record
from kernel.http import query_without
from sla.models import Metric

from . import drilldown, exports, selectors
from .forms import report_filter_from
from .measures import DEFINITIONS
from .models import ExportFormat, ExportJob, ReportRun

PAGE_SIZE = 50
VIEW = "reports.view_reports"


def _format(request) -> str | None:
    fmt = request.GET.get("format", "")
    return fmt if fmt in ExportFormat.values else None


def _bad_filter(request, form):
    return render(request, "reports/bad_filter.html", {"form": form}, status=400)


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request):
    report_filter, form = report_filter_from(request.GET)
    if report_filter is None:
        return _bad_filter(request, form)
    figures = selectors.dashboard(report_filter)
    table = request.GET.get("table", "")
    fmt = _format(request)
    if table and fmt:
        tables = exports.report_tables(figures)
        if table not in tables:
            raise Http404(_("No such table."))
        title, header, rows = tables[table]
        return exports.response(fmt, f"report-{table}-{report_filter.received_after}-"
                                     f"{report_filter.received_before}", header, rows,
                                title=title)
    return render(request, "reports/dashboard.html", {
        "form": form, "f": figures, "definitions": DEFINITIONS,
        "query": request.GET.urlencode(), "filter_params": report_filter.params(),
    })


@login_required
@permission_required(VIEW, raise_exception=True)
def performance(request):
    report_filter, form = report_filter_from(request.GET)
    if report_filter is None:
        return _bad_filter(request, form)
    agents = selectors.performance(report_filter, by="agent")
    departments = selectors.performance(report_filter, by="department")
    fmt, table = _format(request), request.GET.get("table", "")
    if fmt and table in ("agents", "departments"):
        title, header, rows = exports.report_tables(
            selectors.dashboard(report_filter), agents, departments)[table]
        return exports.response(fmt, f"report-{table}-{report_filter.received_after}-"
                                     f"{report_filter.received_before}", header, rows,
                                title=title)
    return render(request, "reports/performance.html", {
        "form": form, "agents": agents, "departments": departments,
        "definition": DEFINITIONS["performance"], "query": request.GET.urlencode(),
    })


@login_required
@permission_required(VIEW, raise_exception=True)
def complaints(request):
    """The complaints behind one figure, with CSV/XLSX export of exactly these."""
    report_filter, form = report_filter_from(request.GET)
    if report_filter is None:
        return _bad_filter(request, form)
    try:
        queryset = drilldown.drill_down(user=request.user, report_filter=report_filter,
                                        params=request.GET)
    except drilldown.DrillDownError as exc:
        return HttpResponseBadRequest(str(exc))
    fmt = _format(request)
    if fmt:
        return _export(request, queryset, fmt, kind="report")
    page = Paginator(queryset.select_related("responsible_department", "report_fact")
                     .order_by("-received_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "reports/complaints.html", {
        "form": form, "page": page, "figure": _figure_label(request.GET),
        "query": query_without(request.GET, "page", "format"),
        "dashboard_query": query_without(request.GET, "page", "format", "measure", "metric",
                                         "outcome", "level", "backlog", "status", "age",
                                         "department_id", "agent_id"),
    })


FIGURE_LABELS = {
    "repeat": gettext_lazy("Repeat complaints"),
    "external": gettext_lazy("Escalated to regulators or media"),
    "regulator_transfer": gettext_lazy("Regulator transfers"),
    "reopened": gettext_lazy("Reopened"), "ever_resolved": gettext_lazy("Resolved at least once"),
    "resolved": gettext_lazy("Resolved"), "first_contact": gettext_lazy("First-contact resolution"),
    "acknowledged": gettext_lazy("Acknowledged"), "surveyed": gettext_lazy("Surveys answered"),
    "satisfied": gettext_lazy("Satisfied"), "callback": gettext_lazy("Callback tasks"),
    "callback_done": gettext_lazy("Callbacks completed"),
}


def _figure_label(params) -> str:
    """What the list shows, in words, for the heading."""

    parts = []
    if params.get("measure") in FIGURE_LABELS:
        parts.append(str(FIGURE_LABELS[params["measure"]]))
    if params.get("backlog"):
        parts.append(_("Open now"))
        if params.get("status") in Status.__members__.values():
            parts.append(str(STATUS_LABELS[Status(params["status"])]))
    if params.get("metric") in Metric.values:
        outcome = _("met") if params.get("outcome") == "met" else _("breached")
        parts.append(f"{Metric(params['metric']).label}: {outcome}")
    if params.get("level"):
        parts.append(_("Escalated to level %(level)s") % {"level": params["level"]})
    return " · ".join(parts)


def _export(request, queryset, fmt: str, *, kind: str):
    if not request.user.has_perm("reports.add_exportjob"):
        raise PermissionDenied
    count = queryset.count()
    if exports.export_is_large(count):
        query = {k: request.GET.getlist(k) for k in request.GET if k not in ("format", "page")}
        job = exports.export_job_create(owner=request.user, params=query, fmt=fmt, kind=kind)
        return redirect("reports:export-job", pk=job.pk)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.response(fmt, f"complaints-{stamp}", exports.complaint_header(),
                            exports.complaint_rows(queryset), title=_("Complaints"))


@login_required
@permission_required(VIEW, raise_exception=True)
def desk_export(request):
    """Any desk list (the desk's tab and filter names) as CSV or XLSX: what the desk shows."""

    fmt = _format(request) or ExportFormat.CSV
    params = request.GET.copy()
    params.setdefault("tab", "all")  # without a tab: every complaint the filters match
    _tab, filterset = desk_filterset(params, user=request.user, now=timezone.now())
    if not filterset.is_valid():
        return HttpResponseBadRequest(filterset.errors.as_text())
    phone_search_record(user=request.user, query=params.get("q", ""), results=filterset.qs,
                        reason=_("Desk export filtered by full phone number"),
                        ip_address=request.META.get("REMOTE_ADDR"))
    return _export(request, filterset.qs, fmt, kind="desk")


def _own_job(request, pk) -> ExportJob:
    return get_object_or_404(ExportJob, pk=pk, owner=request.user)


@login_required
@permission_required("reports.add_exportjob", raise_exception=True)
def export_job(request, pk: int):
    job = _own_job(request, pk)
    template = "reports/_export_progress.html" if request.headers.get("HX-Request") else \
        "reports/export_job.html"
    return render(request, template, {"job": job})


@login_required
@permission_required("reports.add_exportjob", raise_exception=True)
def export_download(request, pk: int):
    job = _own_job(request, pk)
    if not job.file:
        raise Http404(_("The file is not ready."))
    return FileResponse(job.file.open("rb"), as_attachment=True,
                        filename=job.file.name.rsplit("/", 1)[-1])


@login_required
@permission_required("reports.view_reportrun", raise_exception=True)
def scheduled(request):
    runs = Paginator(ReportRun.objects.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reports/scheduled.html", {"page": runs})


@login_required
@permission_required("reports.view_reportrun", raise_exception=True)
def scheduled_download(request, pk: int):
    run = get_object_or_404(ReportRun, pk=pk)
    if not run.file:
        raise Http404(_("The file is not ready."))
    return FileResponse(run.file.open("rb"), as_attachment=True,
                        filename=run.file.name.rsplit("/", 1)[-1])
