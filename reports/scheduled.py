"""Scheduled summaries: weekly (Monday 08:00 Shanghai, the week before) and monthly (the 1st at
08:00, the month before). Each period is built and mailed once (a unique constraint and a row
lock); the workbook stays downloadable at /reports/scheduled/.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kernel.roles import SUPERVISOR

from . import exports, selectors
from .filters import ReportFilter
from .models import ReportKind, ReportRun

logger = logging.getLogger(__name__)


def _send_time(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(settings.REPORTS_SCHEDULE_HOUR)),
                               timezone.get_default_timezone())


def latest_period(kind: str, now: datetime) -> tuple[date, date]:
    """The last period whose summary is due at `now`."""
    today = timezone.localtime(now).date()
    if kind == ReportKind.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        if now < _send_time(monday):
            monday -= timedelta(days=7)
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first = today.replace(day=1)
    if now < _send_time(first):
        first = (first - timedelta(days=1)).replace(day=1)
    end = first - timedelta(days=1)
    return end.replace(day=1), end


def supervisors_to_mail() -> list[str]:
    users = get_user_model().objects.filter(groups__name=SUPERVISOR, is_active=True) \
        .exclude(email="").order_by("email")
    return sorted({u.email for u in users})


def summary_workbook(report_filter: ReportFilter) -> tuple[dict, bytes]:
    figures = selectors.dashboard(report_filter)
    agents = selectors.performance(report_filter, by="agent")
    departments = selectors.performance(report_filter, by="department")
    tables = exports.report_tables(figures, agents, departments)
    return figures, exports.xlsx_bytes(list(tables.values()))


def scheduled_report_send(*, kind: str, period_start: date, period_end: date) -> ReportRun:
    """Build and mail one period's summary, unless it was sent already."""
    try:
        with transaction.atomic():
            ReportRun.objects.get_or_create(kind=kind, period_start=period_start,
                                            defaults={"period_end": period_end})
    except IntegrityError:  # created concurrently; the lock below serialises us
        pass
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        run = ReportRun.objects.select_for_update().get(kind=kind, period_start=period_start)
        if run.sent_at:
            return run
        report_filter = ReportFilter(period_start, period_end)
        figures, workbook = summary_workbook(report_filter)
        name = f"{kind}-{period_start:%Y%m%d}-{period_end:%Y%m%d}.xlsx"
        run.file.save(name, ContentFile(workbook), save=False)
        recipients = supervisors_to_mail()
        title = _("%(kind)s %(start)s – %(end)s") % {
            "kind": ReportKind(kind).label, "start": period_start, "end": period_end}
        context = {"f": figures, "title": title, "run": run,
                   "base_url": settings.PUBLIC_BASE_URL.rstrip("/")}
        if recipients:
            message = EmailMultiAlternatives(
                subject=title, body=render_to_string("reports/email_summary.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL, to=recipients)
            message.attach_alternative(render_to_string("reports/email_summary.html", context),
                                       "text/html")
            message.attach(name, workbook, exports.XLSX_TYPE)
            message.send()
        run.recipients, run.sent_at = recipients, timezone.now()
        run.save(update_fields=["file", "recipients", "sent_at"])
    return run


def scheduled_reports_due_send(*, now: datetime | None = None) -> list[int]:
    """Send every summary that is due and not sent yet (the hourly task calls this)."""
    now = now or timezone.now()
    sent = []
    for kind in ReportKind.values:
        start, end = latest_period(kind, now)
        if ReportRun.objects.filter(kind=kind, period_start=start, sent_at__isnull=False).exists():
            continue
        sent.append(scheduled_report_send(kind=kind, period_start=start, period_end=end).pk)
    return sent
