"""Periodic tasks, registered idempotently in django-celery-beat's tables after migrate.

Apps add their schedules to SCHEDULES; `register_periodic_tasks` creates or updates each by name,
so running it again never duplicates a task, and an admin's enable/disable choice is kept.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    every_seconds: int


SCHEDULES = [
    Schedule("system heartbeat", "system.heartbeat", 30),
    Schedule("SLA sweep", "sla.sweep", 60),
    Schedule("SLA: start clocks a lost event missed", "sla.start_missing_clocks", 300),
    Schedule("send customer messages", "complaints.send_outbound", 60),
    Schedule("complaints: retry failed event receivers", "complaints.retry_failed_receivers",
             300),
    Schedule("SLA calendar: next year loaded?", "sla.check_calendar_next_year", 86400),
    Schedule("intake: classify missed complaints", "intake.classify_pending", 300),
    Schedule("intake: retrain classifier (weekly)", "intake.classifier_retrain", 7 * 24 * 3600),
    Schedule("intake: poll the complaints mailbox", "intake.poll_mailbox", 60),
    Schedule("intake: resume regulator imports a lost task left", "intake.regulator_imports_resume",
             300),
    Schedule("reports: refresh figures", "reports.refresh", 60),
    Schedule("reports: figures of complaints changed without an event", "reports.catch_up", 600),
    Schedule("reports: send exports queued while the broker was down",
             "reports.send_waiting_exports", 300),
    Schedule("reports: weekly and monthly summaries", "reports.send_scheduled", 3600),
    Schedule("closing: auto-close unanswered resolved complaints", "closing.auto_close", 900),
    Schedule("closing: anonymise customers past retention", "closing.anonymise", 86400),
]


def register_periodic_tasks(**kwargs) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for item in SCHEDULES:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=item.every_seconds, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.update_or_create(
            name=item.name, defaults={"task": item.task, "interval": interval})
