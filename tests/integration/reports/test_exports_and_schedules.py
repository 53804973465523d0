"""Large exports as background jobs; weekly and monthly summaries by email."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from reports.exports import export_job_run
from reports.models import ExportJob, ReportRun
from reports.scheduled import latest_period, scheduled_report_send, scheduled_reports_due_send
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
PARAMS = {"received_after": "2025-09-28", "received_before": "2025-10-10"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_large_export_runs_as_a_job_with_progress(client, supervisor, dataset, settings,
                                                  django_capture_on_commit_callbacks):
    settings.REPORTS_ASYNC_EXPORT_ROWS = 3
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(reverse("reports:complaints"), {**PARAMS, "format": "csv"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:export-job",
                                                                   args=[job.pk])
    assert len(callbacks) == 1  # the task is queued after commit
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'value="0"' in page  # polls while queued

    export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.percent) == ("done", 5, 5, 100)
    partial = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial  # polling stops
    assert reverse("reports:export-download", args=[job.pk]) in partial

    download = client.get(reverse("reports:export-download", args=[job.pk]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 6 and {r[0] for r in rows[1:]} >= {dataset.c1.reference}


def test_only_the_owner_downloads_an_export(client, supervisor, dataset, settings,
                                            django_capture_on_commit_callbacks):
    settings.REPORTS_ASYNC_EXPORT_ROWS = 1
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks():
        client.get(reverse("reports:complaints"), {**PARAMS, "format": "xlsx"})
    job = ExportJob.objects.get()
    export_job_run(job_id=job.pk)
    other = StaffFactory(role="supervisor", username="sup_other")
    client.force_login(other)
    assert client.get(reverse("reports:export-download", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export-job", args=[job.pk])).status_code == 404
    client.force_login(supervisor)
    response = client.get(reverse("reports:export-download", args=[job.pk]))
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.active.max_row == 6


def test_summary_periods():
    monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    monday_7 = datetime(2026, 11, 23, 7, 0, tzinfo=SHANGHAI)
    assert latest_period("weekly", monday_9) == (date(2026, 11, 16), date(2026, 11, 22))
    assert latest_period("weekly", monday_7) == (date(2026, 11, 9), date(2026, 11, 15))
    first_9 = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    assert latest_period("monthly", first_9) == (date(2026, 11, 1), date(2026, 11, 30))
    assert latest_period("monthly", datetime(2026, 12, 1, 7, 59, tzinfo=SHANGHAI)) == (
        date(2026, 10, 1), date(2026, 10, 31))


def test_weekly_summary_is_mailed_once_to_supervisors(client, supervisor, dataset):
    supervisor.email = "wang@example.com"
    supervisor.save()
    StaffFactory(role="supervisor", username="sup_noemail", email="")
    StaffFactory(role="agent", username="agent_mail", email="agent@example.com")
    run = scheduled_report_send(kind="weekly", period_start=date(2025, 9, 29),
                                period_end=date(2025, 10, 5))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang@example.com"]
    html = message.alternatives[0][0]
    assert "<table" in html and "2025-09-29" in message.subject
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".xlsx") and mimetype.startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(content))
    assert len(book.sheetnames) >= 10
    received = list(book.worksheets[0].values)
    assert sum(r[-1] for r in received[1:]) == 3  # C2, C1 and C4 (C3 came on 28 September)
    # Sent once, however often the task runs.
    scheduled_report_send(kind="weekly", period_start=date(2025, 9, 29),
                          period_end=date(2025, 10, 5))
    assert len(mail.outbox) == 1 and ReportRun.objects.count() == 1

    client.force_login(supervisor)
    page = client.get(reverse("reports:scheduled")).content.decode()
    assert reverse("reports:scheduled-download", args=[run.pk]) in page
    download = client.get(reverse("reports:scheduled-download", args=[run.pk]))
    assert download.status_code == 200


def test_due_summaries_are_sent_by_the_periodic_task(supervisor, dataset):
    supervisor.email = "wang@example.com"
    supervisor.save()
    now = datetime(2026, 12, 7, 8, 30, tzinfo=SHANGHAI)  # a Monday, after 08:00
    sent = scheduled_reports_due_send(now=now)
    assert len(sent) == 2  # last week and last month (November)
    kinds = set(ReportRun.objects.values_list("kind", "period_start"))
    assert kinds == {("weekly", date(2026, 11, 30)), ("monthly", date(2026, 11, 1))}
    assert scheduled_reports_due_send(now=now) == []


def test_agents_cannot_read_summaries(client, agent, dataset):
    client.force_login(agent)
    assert client.get(reverse("reports:scheduled")).status_code == 403
