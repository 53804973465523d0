"""Report tables: derived figures only. Reports never write to complaints.

`ComplaintFact` holds, per complaint, what the measures need that SQL alone cannot compute
(working-time durations on the Chinese calendar, first-contact resolution from the timeline).
`DailyFigure` sums facts per received day × department × channel × category (with complaints
per band of acknowledgement and resolution time, for exact percentiles); a day is summed from it
only when no change touched it since it was built (`DirtyDay`), otherwise live from the facts,
so the dashboard is never wrong.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint, Department

from .measures import DEADLINE_METRICS, DURATION_EDGES

User = settings.AUTH_USER_MODEL


def _deadline_fields() -> dict:
    """Per measured deadline: its outcome for the complaint (`met`, `breached`, or empty while
    undecided) and, while a clock of it runs, the earliest due time, past which it counts as
    breached (reports.selectors adds those at read time)."""
    fields = {"deadline_next_due": models.DateTimeField(
        _("earliest running deadline"), null=True, blank=True)}
    for metric, short in DEADLINE_METRICS.items():
        fields[f"dl_{short}"] = models.CharField(
            format_lazy("{}: {}", _("deadline outcome"), metric), max_length=8, blank=True,
            default="")
        fields[f"dl_{short}_due"] = models.DateTimeField(
            format_lazy("{}: {}", _("running deadline due"), metric), null=True, blank=True)
    return fields


# The deadline columns of ComplaintFact, generated from the metrics like the duration buckets.
DeadlineOutcomes = type("DeadlineOutcomes", (models.Model,), {
    "__module__": __name__, "Meta": type("Meta", (), {"abstract": True}), **_deadline_fields()})


class ComplaintFact(DeadlineOutcomes):
    complaint = models.OneToOneField(Complaint, verbose_name=_("complaint"), primary_key=True,
                                     on_delete=models.CASCADE, related_name="report_fact")
    day = models.DateField(_("received on (Shanghai)"))
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True,
                                   blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="+")
    agent = models.ForeignKey(User, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    channel = models.CharField(_("channel"), max_length=16)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    is_external = models.BooleanField(_("escalated to regulator or media"), default=False)
    is_regulator_transfer = models.BooleanField(_("regulator transfer"), default=False)
    ever_resolved = models.BooleanField(_("resolved at least once"), default=False)
    reopened = models.BooleanField(_("reopened"), default=False)
    resolved = models.BooleanField(_("resolved"), default=False)
    first_contact = models.BooleanField(_("first-contact resolution"), default=False)
    escalation_max = models.PositiveSmallIntegerField(_("highest escalation level reached"),
                                                      default=0)
    ack_seconds = models.PositiveIntegerField(_("acknowledgement time (working seconds)"),
                                              null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(_("resolution time (working seconds)"),
                                                     null=True, blank=True)
    open_status = models.CharField(_("open status"), max_length=24, blank=True,
                                   help_text=_("The status while open; empty once finished."))
    refreshed_at = models.DateTimeField(_("refreshed at"), default=timezone.now)

    class Meta:
        verbose_name = _("complaint figure")
        verbose_name_plural = _("complaint figures")
        permissions = [("view_reports", _("Can view reports"))]
        indexes = [models.Index(fields=["day", "department"], name="reports_fact_day_dept"),
                   models.Index(fields=["agent", "day"], name="reports_fact_agent_day"),
                   # Percentiles read a few complaints in duration order from a bucket's
                   # lower edge on, filtered like the dashboard, from the index alone.
                   *(models.Index(fields=[column, "day", "department", "channel", "category"],
                                  condition=Q(**{f"{column}__isnull": False}),
                                  name=f"reports_fact_{short}_rank")
                     for column, short in (("ack_seconds", "ack"),
                                           ("resolution_seconds", "res"))),
                   # Deadlines passed while their clock still runs: counted breached at read
                   # time; few (reports.catch_up refreshes those the sweep marked).
                   models.Index(fields=["deadline_next_due"], name="reports_fact_next_due",
                                condition=Q(deadline_next_due__isnull=False))]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.day}"

    @property
    def resolution_hours(self) -> float | None:
        if self.resolution_seconds is None:
            return None
        return round(self.resolution_seconds / 3600, 2)


OPEN_COUNTERS = ["open_new", "open_acknowledged", "open_in_progress", "open_waiting_customer",
                 "open_waiting_department", "open_reopened"]
# Complaints per duration bucket (measures.DURATION_EDGES), per day like every counter.
ACK_BUCKETS = [f"ack_b{i:02}" for i in range(len(DURATION_EDGES))]
RES_BUCKETS = [f"res_b{i:02}" for i in range(len(DURATION_EDGES))]
# Complaints per deadline met and breached (as decided when the day was built).
DEADLINE_COUNTERS = [f"{outcome}_{short}" for short in DEADLINE_METRICS.values()
                     for outcome in ("met", "breached")]
COUNTERS = ["received", "repeat", "external", "regulator_transfer", "ever_resolved",
            "reopened", "resolved", "first_contact", "esc_1", "esc_2", "esc_3", "ack_n",
            "ack_sum", "res_n", "res_sum", *OPEN_COUNTERS, *ACK_BUCKETS, *RES_BUCKETS,
            *DEADLINE_COUNTERS]


def _bucket_fields() -> dict:
    fields = {}
    for names, label in ((ACK_BUCKETS, _("acknowledgement time (working seconds)")),
                         (RES_BUCKETS, _("resolution time (working seconds)"))):
        for name, edge in zip(names, DURATION_EDGES):
            fields[name] = models.PositiveIntegerField(format_lazy("{} ≥ {}", label, edge),
                                                       default=0)
    for metric, short in DEADLINE_METRICS.items():
        fields[f"met_{short}"] = models.PositiveIntegerField(
            format_lazy("{}: {}", _("deadline met"), metric), default=0)
        fields[f"breached_{short}"] = models.PositiveIntegerField(
            format_lazy("{}: {}", _("deadline breached"), metric), default=0)
    return fields


# The bucket counters of DailyFigure, one per edge and duration: generated from the edges (an
# abstract base) rather than typed out 64 times.
DurationBuckets = type("DurationBuckets", (models.Model,), {
    "__module__": __name__, "Meta": type("Meta", (), {"abstract": True}), **_bucket_fields()})


class DailyFigure(DurationBuckets):
    day = models.DateField(_("day"))
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True,
                                   blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="+")
    channel = models.CharField(_("channel"), max_length=16)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    received = models.PositiveIntegerField(_("received"), default=0)
    repeat = models.PositiveIntegerField(_("repeat"), default=0)
    external = models.PositiveIntegerField(_("escalated to regulator or media"), default=0)
    regulator_transfer = models.PositiveIntegerField(_("regulator transfers"), default=0)
    ever_resolved = models.PositiveIntegerField(_("resolved at least once"), default=0)
    reopened = models.PositiveIntegerField(_("reopened"), default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    first_contact = models.PositiveIntegerField(_("first-contact resolutions"), default=0)
    esc_1 = models.PositiveIntegerField(_("escalated to level 1 or above"), default=0)
    esc_2 = models.PositiveIntegerField(_("escalated to level 2 or above"), default=0)
    esc_3 = models.PositiveIntegerField(_("escalated to level 3"), default=0)
    ack_n = models.PositiveIntegerField(_("acknowledged"), default=0)
    ack_sum = models.BigIntegerField(_("acknowledgement seconds"), default=0)
    res_n = models.PositiveIntegerField(_("with resolution time"), default=0)
    res_sum = models.BigIntegerField(_("resolution seconds"), default=0)
    # Open complaints received that day, by status now: the backlog, counted by received day.
    open_new = models.PositiveIntegerField(_("open: new"), default=0)
    open_acknowledged = models.PositiveIntegerField(_("open: acknowledged"), default=0)
    open_in_progress = models.PositiveIntegerField(_("open: in progress"), default=0)
    open_waiting_customer = models.PositiveIntegerField(_("open: waiting for customer"),
                                                        default=0)
    open_waiting_department = models.PositiveIntegerField(_("open: waiting for department"),
                                                          default=0)
    open_reopened = models.PositiveIntegerField(_("open: reopened"), default=0)

    class Meta:
        verbose_name = _("daily figure")
        verbose_name_plural = _("daily figures")
        indexes = [models.Index(fields=["day"], name="reports_daily_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}"


class DirtyDay(models.Model):
    """A received day whose facts changed after its daily figures were built."""

    day = models.DateField(_("day"), primary_key=True)
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)

    class Meta:
        verbose_name = _("day to rebuild")
        verbose_name_plural = _("days to rebuild")

    def __str__(self) -> str:
        return str(self.day)


class SubscriberCount(models.Model):
    """Subscribers in a period, for appeals per million subscribers (百万用户申诉率)."""

    period_start = models.DateField(_("valid from"), unique=True,
                                    help_text=_("The count applies from this day until the next "
                                                "entry's day."))
    subscribers = models.PositiveBigIntegerField(_("subscribers"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("subscriber count")
        verbose_name_plural = _("subscriber counts")
        ordering = ["-period_start"]

    def __str__(self) -> str:
        return f"{self.period_start}: {self.subscribers}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportJob(models.Model):
    """A large complaint-list export written by a Celery task; only its owner downloads it."""

    owner = models.ForeignKey(User, verbose_name=_("owner"), on_delete=models.CASCADE,
                              related_name="+")
    params = models.JSONField(_("filters"), default=dict, blank=True)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    status = models.CharField(_("status"), max_length=8, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", blank=True, max_length=255)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.pk} {self.format} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", _("Weekly summary")
    MONTHLY = "monthly", _("Monthly summary")


class ReportRun(models.Model):
    """One scheduled summary: its period, the XLSX file and who it was mailed to."""

    kind = models.CharField(_("kind"), max_length=8, choices=ReportKind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    file = models.FileField(_("file"), upload_to="reports/%Y/", blank=True, max_length=255)
    recipients = models.JSONField(_("sent to"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        ordering = ["-period_start", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "period_start"],
                                               name="reports_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period_start}–{self.period_end}"
