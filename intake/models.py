"""Classification, grading and routing: the rules supervisors edit, routing settings, the
record of each complaint's automatic decisions and overrides, and the classifier's versions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint, Department, Priority

User = settings.AUTH_USER_MODEL


class Flag(models.TextChoices):
    """Flags a rule may add; each is a boolean field on the complaint."""

    REPEAT = "repeat", _("Repeat complaint")
    VIP = "vip", _("VIP")
    REGULATOR = "regulator", _("Regulator")
    ESCALATION_RISK = "escalation_risk", _("Escalation risk")


FLAG_FIELDS = {Flag.REPEAT: "is_repeat", Flag.VIP: "is_vip", Flag.REGULATOR: "is_regulator",
               Flag.ESCALATION_RISK: "escalation_risk"}


class Rule(models.Model):
    """One ordered rule: all its conditions must hold; then its actions apply.

    Empty conditions are not checked. Keywords: alternatives separated by new lines or commas;
    words joined by “+” must all appear. Matching is on normalised text (full-width to
    half-width, spaces removed, case-folded).
    """

    name = models.CharField(_("name"), max_length=100)
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    stop_processing = models.BooleanField(
        _("stop after this rule"), default=False,
        help_text=_("When this rule fires, later rules are not evaluated."))

    keywords = models.TextField(_("text contains any of"), blank=True)
    exclude_keywords = models.TextField(_("unless the text contains"), blank=True)
    channels = models.JSONField(_("channel is one of"), default=list, blank=True)
    customer_tiers = models.JSONField(_("customer tier is one of"), default=list, blank=True)
    categories = models.ManyToManyField(
        Category, verbose_name=_("current category is one of"), blank=True, related_name="+",
        help_text=_("A top-level category includes its sub-categories."))
    min_recent_complaints = models.PositiveSmallIntegerField(
        _("customer's complaints at least"), null=True, blank=True,
        help_text=_("Counting this one, within the number of days below."))
    recent_days = models.PositiveSmallIntegerField(_("within days"), default=30)

    set_category = models.ForeignKey(Category, verbose_name=_("set category"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    set_priority = models.CharField(_("raise priority to"), max_length=16, blank=True,
                                    choices=Priority.choices)
    add_flags = models.JSONField(_("add flags"), default=list, blank=True)
    route_to = models.ForeignKey(Department, verbose_name=_("route to department"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(User, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("classification rule")
        verbose_name_plural = _("classification rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(recent_days__gte=1, recent_days__lte=365),
                                   name="rule_recent_days_range"),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryRoute(models.Model):
    """The department responsible for complaints of a category (a sub-category's own route
    wins over its parent's)."""

    category = models.OneToOneField(Category, verbose_name=_("category"),
                                    on_delete=models.CASCADE, related_name="route")
    department = models.ForeignKey(Department, verbose_name=_("department"),
                                   on_delete=models.CASCADE, related_name="category_routes")

    class Meta:
        verbose_name = _("category route")
        verbose_name_plural = _("category routes")
        ordering = ["category__sort_order", "category__code"]

    def __str__(self) -> str:
        return f"{self.category} → {self.department}"


class DepartmentRouting(models.Model):
    """Whether a department's new complaints go to an agent at once or wait in its queue."""

    department = models.OneToOneField(Department, verbose_name=_("department"),
                                      on_delete=models.CASCADE, related_name="routing")
    auto_assign = models.BooleanField(
        _("assign automatically"), default=False,
        help_text=_("To the available member with the fewest open complaints; otherwise new "
                    "complaints wait unassigned in the department queue."))

    class Meta:
        verbose_name = _("department routing")
        verbose_name_plural = _("department routing")

    def __str__(self) -> str:
        return str(self.department)


class AgentAvailability(models.Model):
    """Agents without a row are available."""

    user = models.OneToOneField(User, verbose_name=_("agent"), on_delete=models.CASCADE,
                                related_name="availability")
    available = models.BooleanField(_("available"), default=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(User, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self) -> str:
        return f"{self.user} {'✓' if self.available else '✗'}"


class ComplaintClassification(models.Model):
    """The automatic classification of one complaint: written once, so running it again (a
    redelivered event, the sweep) changes nothing."""

    complaint = models.OneToOneField(Complaint, verbose_name=_("complaint"),
                                     on_delete=models.CASCADE, related_name="classification")
    classified_at = models.DateTimeField(_("classified at"), default=timezone.now)
    rules_fired = models.JSONField(_("rules fired"), default=list, blank=True)
    decisions = models.JSONField(_("decisions"), default=list, blank=True)
    suggestions = models.JSONField(_("classifier suggestions"), default=list, blank=True)
    model_version = models.PositiveIntegerField(_("classifier version"), null=True, blank=True)
    category_source = models.CharField(_("category decided by"), max_length=16, blank=True)
    department = models.ForeignKey(Department, verbose_name=_("routed to"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_agent = models.ForeignKey(User, verbose_name=_("assigned to"), null=True,
                                       blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("automatic classification")
        verbose_name_plural = _("automatic classifications")
        permissions = [("override_classification",
                        _("Can override a complaint's category and priority"))]

    def __str__(self) -> str:
        return str(self.complaint)


class ClassificationOverride(models.Model):
    """An agent's correction of category or priority, with the reason."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="classification_overrides")
    actor = models.ForeignKey(User, verbose_name=_("by"), on_delete=models.PROTECT,
                              related_name="+")
    old_category = models.ForeignKey(Category, verbose_name=_("old category"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    new_category = models.ForeignKey(Category, verbose_name=_("new category"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    old_priority = models.CharField(_("old priority"), max_length=16, choices=Priority.choices)
    new_priority = models.CharField(_("new priority"), max_length=16, choices=Priority.choices)
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("classification override")
        verbose_name_plural = _("classification overrides")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["complaint", "-created_at"], name="override_complaint")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.created_at:%Y-%m-%d %H:%M}"


class ClassifierModel(models.Model):
    """One trained version of the text classifier. The artifact (a joblib dump) lives in the
    database, so web and worker processes on any host read the same model."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    accuracy = models.FloatField(_("accuracy (held-out)"), null=True, blank=True)
    top3_accuracy = models.FloatField(_("top-3 accuracy (held-out)"), null=True, blank=True)
    training_size = models.PositiveIntegerField(_("training texts"))
    labelled_size = models.PositiveIntegerField(_("from the labelled set"), default=0)
    confirmed_size = models.PositiveIntegerField(_("from confirmed complaints"), default=0)
    holdout_size = models.PositiveIntegerField(_("held-out texts"), default=0)
    classes = models.JSONField(_("categories"), default=list)
    fingerprint = models.CharField(_("training data fingerprint"), max_length=64, db_index=True)
    library_version = models.CharField(_("scikit-learn version"), max_length=20)
    artifact = models.BinaryField(_("model"), editable=False)
    artifact_sha256 = models.CharField(_("model SHA-256"), max_length=64)
    trained_by = models.ForeignKey(User, verbose_name=_("trained by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("classifier version")
        verbose_name_plural = _("classifier versions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"


class InboundOutcome(models.TextChoices):
    CREATED = "created", _("Complaint created")
    APPENDED = "appended", _("Added to an existing complaint")
    SKIPPED = "skipped", _("Not a complaint")


class InboundMessage(models.Model):
    """One message received on an intake channel, recorded once. The unique (channel,
    external_id) pair is what makes redelivered mail and retried webhooks harmless: the second
    delivery finds the first one's row and its complaint."""

    channel = models.CharField(_("channel"), max_length=16)
    external_id = models.CharField(_("id at the source"), max_length=255)
    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="inbound_messages")
    outcome = models.CharField(_("outcome"), max_length=16, choices=InboundOutcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    # SHA-256 of what the sender signed (webhooks: key and body): the same key arriving again
    # with other content is refused rather than taken for a retry. Empty: not recorded.
    payload_digest = models.CharField(_("payload digest"), max_length=64, blank=True,
                                      default="")
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"],
                                    name="inbound_message_once"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id} {self.outcome}"


class RegulatorImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def regulator_import_path(instance: "RegulatorImport", filename: str) -> str:
    # A random folder: the file holds customers' personal data and MEDIA may be served.
    import uuid

    return f"regulator-imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/{filename}"


class RegulatorImport(models.Model):
    """One uploaded regulator transfer batch (工信部 / 12300) and its per-row report.

    `report` holds one entry per data row: {row, case_no, outcome (created | skipped | refused),
    reference, errors}. Rows go through the intake service with the case number as the external
    id, so importing the same file again creates nothing twice.
    """

    file = models.FileField(_("file"), upload_to=regulator_import_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_by = models.ForeignKey(User, verbose_name=_("uploaded by"),
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RegulatorImportStatus.choices,
                              default=RegulatorImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("complaints created"), default=0)
    skipped_count = models.PositiveIntegerField(_("already imported"), default=0)
    refused_count = models.PositiveIntegerField(_("rows refused"), default=0)
    report = models.JSONField(_("report"), default=list, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("regulator import")
        verbose_name_plural = _("regulator imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_finished(self) -> bool:
        return self.status in (RegulatorImportStatus.DONE, RegulatorImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == RegulatorImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)
