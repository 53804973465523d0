"""CSV and XLSX exports of complaint lists and report tables.

Small exports stream straight to the browser; a complaint list of REPORTS_ASYNC_EXPORT_ROWS or
more becomes an ExportJob that a Celery task writes under MEDIA_ROOT, with progress, and only its
owner may download. Personal data stays masked in every export.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from complaints.selectors import complaint_list
from desk.filters import ComplaintFilter
from kernel.display import formula_safe, local_minute
from kernel.queue import send_task

from . import tasks
from .drilldown import drill_down
from .forms import report_filter_from
from .models import ExportFormat, ExportJob, ExportStatus

logger = logging.getLogger(__name__)
CHUNK = 2000
PROGRESS_EVERY = 1000


def complaint_header() -> list[str]:
    return [_("Reference"), _("Received at"), _("Channel"), _("Category"), _("Priority"),
            _("Status"), _("Department"), _("Agent"), _("Customer phone"), _("Subject"),
            _("Acknowledged at"), _("Resolved at"), _("Acknowledgement (working hours)"),
            _("Resolution (working hours)"), _("Flags")]


def _hours(seconds) -> float | str:
    return round(seconds / 3600, 2) if seconds is not None else ""


def complaint_rows(queryset) -> Iterator[list]:
    """One row per complaint, in chunks, with what the row shows joined in."""
    queryset = queryset.select_related(
        "customer", "category", "category__parent", "assigned_department", "assigned_agent",
        "responsible_department", "report_fact").order_by("-received_at", "-id")
    for c in queryset.iterator(chunk_size=CHUNK):
        fact = getattr(c, "report_fact", None)
        department = c.responsible_department or c.assigned_department
        agent = c.assigned_agent
        yield [c.reference, local_minute(c.received_at), c.get_channel_display(),
               c.category.full_label if c.category else "", c.get_priority_display(),
               c.get_status_display(), department.name if department else "",
               (agent.get_full_name() or agent.get_username()) if agent else "",
               c.customer.masked_phone, c.subject, local_minute(c.acknowledged_at),
               local_minute(c.resolved_at), _hours(fact.ack_seconds if fact else None),
               _hours(fact.resolution_seconds if fact else None), " ".join(c.flags)]


class _Echo:
    def write(self, value):
        return value


def csv_stream(header: list, rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel opens UTF-8 Chinese correctly only with a BOM
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([formula_safe(c) for c in row])


def xlsx_bytes(sheets: list[tuple[str, list, Iterable[list]]]) -> bytes:
    """A write-only workbook: constant memory whatever the row count."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(header)
        for row in rows:
            sheet.append([formula_safe(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def response(fmt: str, filename: str, header: list, rows: Iterable[list], *,
             title: str = "") -> HttpResponse:
    if fmt == ExportFormat.CSV:
        resp = StreamingHttpResponse(csv_stream(header, rows), content_type="text/csv; "
                                     "charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return resp
    resp = HttpResponse(xlsx_bytes([(title or filename, header, rows)]), content_type=XLSX_TYPE)
    resp["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return resp


# --- report tables --------------------------------------------------------------------------


def _blank(value):
    return "" if value is None else value


def report_tables(figures: dict, agents: list[dict] | None = None,
                  departments: list[dict] | None = None) -> dict[str, tuple[str, list, list]]:
    """Every table on the dashboard as (title, header, rows), by table key."""
    received = figures["received"]
    tables = {
        "received": (_("Received per day"),
                     [_("Day")] + [c["label"] for c in received["by_channel"]] + [_("Total")],
                     [[day] + [c["per_day"][i]["count"] for c in received["by_channel"]]
                      + [received["per_day"][i]["count"]]
                      for i, day in enumerate(received["days"])]),
        "categories": (_("Received per category"), [_("Category"), _("Complaints")],
                       [[c["label"], c["count"]] for c in received["by_category"]]),
        "backlog": (_("Backlog"), [_("Status")] + [a["label"] for a in figures["backlog"]["by_age"]]
                    + [_("Total")],
                    [[s["label"]] + [cell["count"] for cell in s["cells"]] + [s["count"]]
                     for s in figures["backlog"]["by_status"]]),
        "compliance": (_("Deadline compliance"),
                       [_("Deadline"), _("Met"), _("Breached"), _("Met (%)")],
                       [[c["label"], c["met"], c["breached"], _blank(c["percent"])]
                        for c in figures["compliance"]]),
        "durations": (_("Working hours"),
                      [_("Measure"), _("Complaints"), _("Mean"), _("Median"),
                       _("90th percentile")],
                      [[label, d["count"], _blank(d["mean_hours"]), _blank(d["median_hours"]),
                        _blank(d["p90_hours"])]
                       for label, d in ((_("Acknowledgement"), figures["durations"]["acknowledgement"]),
                                        (_("Resolution"), figures["durations"]["resolution"]))]),
        "escalations": (_("Escalations"), [_("Level"), _("Complaints")],
                        [[e["level"], e["count"]] for e in figures["escalations"]]),
        "rates": (_("Rates"), [_("Measure"), _("Count"), _("Of"), _("Percent")],
                  [[label, r["count"], r["of"], _blank(r["percent"])]
                   for label, r in ((_("Reopen rate"), figures["rates"]["reopen"]),
                                    (_("Repeat-complaint rate"), figures["rates"]["repeat"]),
                                    (_("First-contact resolution"),
                                     figures["rates"]["first_contact"]),
                                    (_("Escalation to regulators or media"),
                                     figures["rates"]["external"]))]
                  + [[_("Regulator transfers per million subscribers"),
                      figures["per_million"]["transfers"],
                      _blank(figures["per_million"]["subscribers"]),
                      _blank(figures["per_million"]["value"])]]),
        "top_categories": (_("Top categories"), [_("Category"), _("Complaints")],
                           [[c["label"], c["count"]] for c in figures["top_categories"]]),
        "top_departments": (_("Top departments"), [_("Department"), _("Complaints")],
                            [[d["label"], d["count"]] for d in figures["top_departments"]]),
    }
    if "satisfaction" in figures:
        s = figures["satisfaction"]
        tables["satisfaction"] = (_("Satisfaction"),
                                  [_("Answered"), _("Average stars"), _("Satisfied"),
                                   _("Satisfied (%)")],
                                  [[s["answered"], _blank(s["average_stars"]), s["satisfied"],
                                    _blank(s["percent"])]])
    if "callbacks" in figures:
        c = figures["callbacks"]
        tables["callbacks"] = (_("Callbacks"), [_("Tasks"), _("Completed"), _("Completed (%)"),
                                               _("Reached and satisfied")],
                               [[c["tasks"], c["completed"], _blank(c["percent"]),
                                 c["reached_satisfied"]]])
    for key, rows in (("agents", agents), ("departments", departments)):
        if rows is not None:
            tables[key] = (_("Agents") if key == "agents" else _("Departments"),
                           [_("Name"), _("Complaints received"), _("Resolved"),
                            _("Mean resolution (working hours)"), _("Deadlines met"),
                            _("Deadlines decided"), _("Met (%)"), _("Average stars")],
                           [[str(r["name"]), r["received"], r["resolved"],
                             _blank(r["mean_resolution_hours"]), r["deadlines_met"],
                             r["deadlines_decided"], _blank(r["compliance_percent"]),
                             _blank(r["average_stars"])] for r in rows])
    return tables


# --- large exports as jobs ------------------------------------------------------------------


def export_is_large(count: int) -> bool:
    return count >= settings.REPORTS_ASYNC_EXPORT_ROWS


def export_job_create(*, owner, params: dict, fmt: str, kind: str = "report") -> ExportJob:
    """Queue a large export; the task runs after this transaction commits."""

    if fmt not in ExportFormat.values:
        raise ValueError(fmt)
    with transaction.atomic():
        job = ExportJob.objects.create(owner=owner, params={"kind": kind, "query": params},
                                       format=fmt)
        transaction.on_commit(lambda: send_task(tasks.export, job.pk))
    return job


# A queued export whose task has not started after this long never reached the worker: the
# broker was down when it was queued, or lost the message when Redis restarted.
EXPORT_WAIT_BEFORE_RESEND = timedelta(minutes=5)


def exports_send_waiting(*, now=None) -> list[int]:
    """Send again the task of each export still queued after EXPORT_WAIT_BEFORE_RESEND (beat,
    every five minutes; issue 16). Running a job twice only rewrites its file."""
    since = (now or timezone.now()) - EXPORT_WAIT_BEFORE_RESEND
    waiting = ExportJob.objects.filter(status=ExportStatus.QUEUED, created_at__lt=since)
    return [pk for pk in waiting.values_list("pk", flat=True) if send_task(tasks.export, pk)]


def _job_queryset(job: ExportJob):

    query = QueryDict(mutable=True)
    for key, values in job.params.get("query", {}).items():
        query.setlist(key, values if isinstance(values, list) else [values])
    if job.params.get("kind") == "desk":
        return ComplaintFilter(query, queryset=complaint_list(user=job.owner)).qs
    report_filter, form = report_filter_from(query)
    if report_filter is None:
        raise ValueError(form.errors.as_text())
    return drill_down(user=job.owner, report_filter=report_filter, params=query)


def export_job_run(*, job_id: int) -> str:
    """Write the job's file, counting rows as it goes. Running it again rewrites the file."""
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    if job.status == ExportStatus.DONE:
        return job.status
    try:
        queryset = _job_queryset(job)
        job.total, job.done, job.status = queryset.count(), 0, ExportStatus.RUNNING
        job.save(update_fields=["total", "done", "status"])

        def counted(rows):
            for n, row in enumerate(rows, start=1):
                if n % PROGRESS_EVERY == 0:
                    ExportJob.objects.filter(pk=job.pk).update(done=n)
                yield row

        rows = counted(complaint_rows(queryset))
        name = f"complaints-{timezone.localtime():%Y%m%d-%H%M}-{job.pk}.{job.format}"
        # Through a temporary file: a million rows never sit in memory at once.
        with tempfile.TemporaryFile() as spool:
            if job.format == ExportFormat.CSV:
                for line in csv_stream(complaint_header(), rows):
                    spool.write(line.encode("utf-8"))
            else:
                book = Workbook(write_only=True)
                sheet = book.create_sheet(title=_("Complaints"))
                sheet.append(complaint_header())
                for row in rows:
                    sheet.append([formula_safe(c) for c in row])
                book.save(spool)
            spool.seek(0)
            job.file.save(name, File(spool), save=False)
        job.done, job.status, job.finished_at = job.total, ExportStatus.DONE, timezone.now()
        job.save(update_fields=["file", "done", "status", "finished_at"])
    except Exception as exc:  # the job must not stay "running" for ever
        logger.exception("export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id).update(status=ExportStatus.FAILED,
                                                   error=str(exc)[:500],
                                                   finished_at=timezone.now())
        raise
    return job.status
