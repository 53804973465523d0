from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Channel, Complaint, CustomerTier, Priority


class BusinessCalendar(models.Model):
    """Working hours per weekday; statutory days off and make-up days come from CalendarDay."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    always_open = models.BooleanField(_("24×7"), default=False)
    # {"0": [["08:30", "17:30"]], ..., "6": []} — Monday is 0.
    hours = models.JSONField(_("working hours per weekday"), default=dict, blank=True)
    makeup_weekday = models.PositiveSmallIntegerField(
        _("make-up days work like"), default=0,
        help_text=_("Weekday (0 = Monday) whose hours apply on make-up working days (调休)."))

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An exception to the ordinary week: a weekday off (holiday) or a weekend day worked (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(
        _("working day"), help_text=_("Off: a statutory holiday. On: a make-up working day."))
    name = models.CharField(_("name"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class CalendarYear(models.Model):
    """A year whose official arrangement is loaded; deadlines in other years are unverified."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=60)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class Metric(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    FIRST_RESPONSE = "first_response", _("First response")
    PROGRESS_UPDATE = "progress_update", _("Progress update")
    RESOLUTION = "resolution", _("Resolution")
    MULTI_DEPARTMENT_NOTICE = "multi_department_notice", _("Multi-department notice")
    REGULATOR_EXPOSURE = "regulator_exposure", _("Regulator exposure (15 days)")


class DurationUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    WORKING_HOURS = "working_hours", _("working hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    CALENDAR_HOURS = "calendar_hours", _("calendar hours")


class SlaPolicy(models.Model):
    """Matches complaints by priority, category, channel and tier; blank matches any.

    For each metric the most specific active policy with a target for it wins.
    """

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices,
                                blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 help_text=_("A top-level category also matches its children."))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=16,
                                     choices=CustomerTier.choices, blank=True)
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"),
                                 on_delete=models.PROTECT, related_name="policies")
    warning_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the time used)"), default=75)
    breach_level = models.PositiveSmallIntegerField(_("escalation level on breach"), default=1)
    escalation_step_hours = models.DecimalField(
        _("next level every (working hours past due)"), max_digits=6, decimal_places=2,
        default=9)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(warning_percent__gt=0, warning_percent__lt=100),
                                   name="sla_policy_warning_percent_range"),
            models.CheckConstraint(condition=Q(breach_level__gte=1, breach_level__lte=3),
                                   name="sla_policy_breach_level_range"),
        ]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("policy"), on_delete=models.CASCADE,
                               related_name="targets")
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    amount = models.DecimalField(_("amount"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=16, choices=DurationUnit.choices)

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["policy", "metric"], name="sla_target_one_per_metric"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="sla_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()}: {self.amount} {self.get_unit_display()}"


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    STOPPED = "stopped", _("Stopped")


class Clock(models.Model):
    """One deadline of one complaint. `next_check_at` is when the sweep must next look at it."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="clocks")
    metric = models.CharField(_("metric"), max_length=30, choices=Metric.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("policy"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices,
                             default=ClockState.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    due_verified = models.BooleanField(
        _("deadline verified"), default=True,
        help_text=_("False when the deadline falls in a year without official calendar data."))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    remaining_when_paused = models.DurationField(_("remaining when paused"), null=True,
                                                 blank=True)
    paused_total = models.DurationField(_("time paused (working)"),
                                        default=timezone.timedelta)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "metric", "cycle"],
                                    name="sla_clock_one_per_cycle"),
        ]
        indexes = [
            # The sweep's range query: only clocks that still need attention are indexed.
            models.Index(fields=["next_check_at"], name="sla_clock_next_check",
                         condition=Q(next_check_at__isnull=False)),
            models.Index(fields=["state", "due_at"], name="sla_clock_state_due"),
            models.Index(fields=["complaint", "state"], name="sla_clock_complaint_state"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.metric} #{self.cycle}"


class SlaEventKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    ESCALATION = "escalation", _("Escalation")


class SlaEvent(models.Model):
    """A warning or an escalation that happened. Unique per clock, kind and level, so a retried
    or doubled sweep can never warn or escalate twice."""

    clock = models.ForeignKey(Clock, verbose_name=_("clock"), on_delete=models.CASCADE,
                              related_name="events")
    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="sla_events")
    kind = models.CharField(_("kind"), max_length=12, choices=SlaEventKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), default=0)
    automatic = models.BooleanField(_("automatic"), default=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind", "level"],
                                    name="sla_event_once_per_clock_kind_level"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} L{self.level} {self.complaint_id}"


class Escalation(models.Model):
    """A complaint in the supervisors' escalation queue, until de-escalated or closed."""

    complaint = models.OneToOneField(Complaint, verbose_name=_("complaint"),
                                     on_delete=models.CASCADE, related_name="escalation")
    level = models.PositiveSmallIntegerField(_("level"))
    reason = models.CharField(_("reason"), max_length=500)
    escalated_at = models.DateTimeField(_("escalated at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("acknowledged by"),
                                        null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    expected_at = models.DateTimeField(_("new expected date"), null=True, blank=True)
    is_open = models.BooleanField(_("open"), default=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        indexes = [models.Index(fields=["is_open", "level"], name="sla_escalation_open_level")]

    def __str__(self) -> str:
        return f"{self.complaint_id} L{self.level}"
