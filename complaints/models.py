from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kernel import personal_data
from kernel.attachments import safe_file_name

from .lifecycle import OPEN_STATUSES, STATUS_LABELS, Status

User = settings.AUTH_USER_MODEL


class CustomerTier(models.TextChoices):
    ORDINARY = "ordinary", pgettext_lazy("customer tier", "Ordinary")
    VIP = "vip", pgettext_lazy("customer tier", "VIP")


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, db_index=True,
                             help_text=_("Normalised: digits only, landlines with area code."))
    email = models.EmailField(_("email"), blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    service_number = models.CharField(_("account or service number"), max_length=40, blank=True,
                                      db_index=True)
    tier = models.CharField(_("tier"), max_length=16, choices=CustomerTier.choices,
                            default=CustomerTier.ORDINARY)
    # The WeChat user (the official account's openid): a follower who writes again without a
    # phone number is the same customer.
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True,
                                     db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Closing the loop (issue 7): the latest callback's outcome, and the retention policy's mark.
    last_callback_outcome = models.CharField(_("last callback outcome"), max_length=24,
                                             blank=True)
    last_callback_at = models.DateTimeField(_("last callback"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("reveal_personal_data", _("Can reveal full personal data"))]

    def __str__(self) -> str:
        return f"{personal_data.mask_name(self.name)} {personal_data.mask_phone(self.phone)}"

    @property
    def masked_phone(self) -> str:
        return personal_data.mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return personal_data.mask_email(self.email)

    @property
    def masked_id_number(self) -> str:
        return personal_data.mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return personal_data.mask_name(self.name)


class DepartmentLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STORE = "store", _("Store")


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=DepartmentLevel.choices)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    supervisor = models.ForeignKey(User, verbose_name=_("supervisor"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="supervised_departments")
    members = models.ManyToManyField(User, verbose_name=_("members"), blank=True,
                                     related_name="departments")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """Two-level complaint taxonomy (phenomenon); the product line is a separate axis."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_strict_scenario = models.BooleanField(
        _("strictest-handling scenario"), default=False,
        help_text=_("市场最严工单: plan change, unsubscribe, account closure, number portability…"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.full_label

    @property
    def label(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name

    @property
    def full_label(self) -> str:
        if self.parent_id:
            return f"{self.parent.label} / {self.label}"
        return self.label

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.parent and self.parent.parent_id:
            raise ValidationError({"parent": _("Categories have two levels: the parent must be "
                                              "a top-level category.")})


class Channel(models.TextChoices):
    PHONE = "phone", _("Hotline")
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    APP = "app", _("App")
    STORE = "store", _("Store (walk-in)")
    LETTER = "letter", _("Letter")
    REGULATOR = "regulator", _("Regulator transfer")


class Priority(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    URGENT = "urgent", _("Urgent")
    MAJOR = "major", _("Major")


class ProductLine(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    BROADBAND = "broadband", _("Broadband")
    FIXED = "fixed", _("Fixed line")
    CONVERGED = "converged", _("Converged bundle")
    IPTV = "iptv", _("IPTV")
    ENTERPRISE = "enterprise", _("Enterprise line")


class ResponsibilityType(models.TextChoices):
    COMPANY = "company", pgettext_lazy("responsibility", "Company")
    CUSTOMER = "customer", pgettext_lazy("responsibility", "Customer")
    THIRD_PARTY = "third_party", pgettext_lazy("responsibility", "Third party")


class CompensationType(models.TextChoices):
    BILL_CREDIT = "bill_credit", _("Bill credit")
    REFUND = "refund", _("Refund")
    DATA_OR_MINUTES = "data_or_minutes", _("Data or minutes")
    GIFT = "gift", _("Gift or benefit")
    OTHER = "other", _("Other")


class CompensationStatus(models.TextChoices):
    NONE = "none", _("None")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


STATUS_CHOICES = [(s.value, STATUS_LABELS[s]) for s in Status]
OPEN_VALUES = sorted(s.value for s in OPEN_STATUSES)  # sorted: the same SQL in every process
DESK_INCLUDE = ["assigned_agent", "assigned_department"]


class Complaint(models.Model):
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"), db_index=True,
                                       help_text=_("When the customer complained."))
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="complaints")
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="complaints")
    product_line = models.CharField(_("product line"), max_length=16, choices=ProductLine.choices,
                                    blank=True)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices,
                                default=Priority.ORDINARY)
    status = models.CharField(_("status"), max_length=24, choices=STATUS_CHOICES,
                              default=Status.NEW)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"))
    location = models.CharField(_("location"), max_length=200, blank=True)

    is_repeat = models.BooleanField(_("repeat complaint"), default=False)
    is_vip = models.BooleanField(_("VIP"), default=False)
    is_regulator = models.BooleanField(_("regulator"), default=False)
    escalation_risk = models.BooleanField(_("escalation risk"), default=False)
    regulator_case_no = models.CharField(_("regulator case number"), max_length=64, blank=True)
    regulator_due_at = models.DateTimeField(_("regulator's deadline"), null=True, blank=True)
    # Denormalised for the desk: the earliest due time among running or breached clocks,
    # kept by sla.services whenever clocks change (None: no deadline is running).
    next_due_at = models.DateTimeField(_("nearest deadline"), null=True, blank=True,
                                       editable=False)

    assigned_department = models.ForeignKey(
        Department, verbose_name=_("assigned department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="assigned_complaints")
    assigned_agent = models.ForeignKey(User, verbose_name=_("assigned agent"), null=True,
                                       blank=True, on_delete=models.PROTECT,
                                       related_name="assigned_complaints")
    responsible_department = models.ForeignKey(
        Department, verbose_name=_("responsible department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="responsible_complaints")
    responsibility_type = models.CharField(_("responsibility"), max_length=16, blank=True,
                                           choices=ResponsibilityType.choices)
    resolution_summary = models.TextField(_("resolution summary"), blank=True)

    compensation_type = models.CharField(_("compensation type"), max_length=20, blank=True,
                                         choices=CompensationType.choices)
    compensation_amount = models.DecimalField(_("compensation amount (CNY)"), max_digits=10,
                                              decimal_places=2, null=True, blank=True)
    compensation_status = models.CharField(_("compensation approval"), max_length=16,
                                           choices=CompensationStatus.choices,
                                           default=CompensationStatus.NONE)
    compensation_approved_by = models.ForeignKey(
        User, verbose_name=_("compensation approved by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="approved_compensations")

    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopen count"), default=0)
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="duplicates")
    possible_duplicate_of = models.ForeignKey(
        "self", verbose_name=_("possible duplicate of"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="possible_duplicates",
        help_text=_("Another open complaint of the same customer and category, linked on "
                    "intake; an agent merges it or leaves it."))
    version = models.PositiveIntegerField(_("version"), default=1)

    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(User, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        permissions = [
            ("cancel_complaint", _("Can cancel a complaint")),
            ("approve_compensation", _("Can approve compensation")),
            ("view_all_departments", _("Can see and work complaints of every department")),
        ]
        indexes = [
            models.Index(fields=["status", "-received_at"], name="complaint_status_recv"),
            models.Index(fields=["assigned_agent", "status"], name="complaint_agent_status"),
            models.Index(fields=["assigned_department", "status"], name="complaint_dept_status"),
            models.Index(fields=["customer", "-received_at"], name="complaint_customer_recv"),
            # The desk's queues (migration 0006). The assignment is included so that an agent's
            # share of a queue is counted from the index alone.
            # Whole, not partial: "nearest deadline first" lists the rows without one last.
            models.Index(fields=["next_due_at", "id"], name="complaint_next_due",
                         include=DESK_INCLUDE),
            models.Index(fields=["resolved_at", "id"], name="complaint_resolved",
                         condition=Q(resolved_at__isnull=False), include=DESK_INCLUDE),
            models.Index(fields=["next_due_at", "id"], name="complaint_escalated",
                         condition=Q(escalation_level__gt=0, status__in=OPEN_VALUES),
                         include=DESK_INCLUDE),
            models.Index(fields=["next_due_at", "id"], name="complaint_unassigned",
                         condition=Q(assigned_agent__isnull=True, status__in=OPEN_VALUES),
                         include=["assigned_department"]),
            models.Index(fields=["assigned_agent", "next_due_at", "id"],
                         name="complaint_agent_next_due"),
            models.Index(fields=["priority", "-received_at"], name="complaint_priority_recv"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["regulator_case_no"], condition=~Q(regulator_case_no=""),
                                    name="complaint_regulator_case_unique"),
            models.CheckConstraint(condition=Q(compensation_amount__gte=0) |
                                   Q(compensation_amount__isnull=True),
                                   name="complaint_compensation_not_negative"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def flags(self) -> list[str]:
        names = [("repeat", self.is_repeat), ("vip", self.is_vip),
                 ("regulator", self.is_regulator), ("escalation_risk", self.escalation_risk)]
        return [name for name, on in names if on]


class ActivityKind(models.TextChoices):
    CREATED = "created", _("Created")
    PUBLIC_REPLY = "public_reply", _("Public reply")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    STATUS_CHANGE = "status_change", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    FIELD_CHANGE = "field_change", _("Field change")
    ESCALATION = "escalation", _("Escalation")
    SLA_WARNING = "sla_warning", _("Deadline warning")
    SLA_BREACH = "sla_breach", _("Deadline breached")
    NOTIFICATION = "notification", _("Notification sent")
    CUSTOMER_ACTION = "customer_action", _("Customer action")


class ActorType(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer")
    SYSTEM = "system", _("System")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")


class AppendOnlyError(Exception):
    pass


class Activity(models.Model):
    """The complaint's timeline. Append-only: rows are never edited or deleted."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE,
                                  related_name="activities")
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    actor_type = models.CharField(_("actor type"), max_length=10, choices=ActorType.choices)
    actor = models.ForeignKey(User, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility.choices,
                                  default=Visibility.INTERNAL)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("complaint version"), null=True, blank=True,
                                          help_text=_("The complaint's version after this entry."))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "created_at"], name="activity_complaint_time")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # A timeline that can be rewritten is not an audit trail.
        if not self._state.adding:
            raise AppendOnlyError("Timeline entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Timeline entries cannot be deleted.")


def attachment_path(instance: "Attachment", filename: str) -> str:
    now = timezone.now()
    # Stored as .txt unless an image or PDF: the name on disk never says .html (kernel.attachments).
    name = safe_file_name(filename, instance.content_type)
    return f"attachments/{now:%Y/%m}/{instance.sha256[:16]}/{name}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE,
                                  related_name="attachments")
    activity = models.ForeignKey(Activity, verbose_name=_("timeline entry"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(User, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_by_customer = models.BooleanField(_("uploaded by customer"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class PersonalDataAccess(models.Model):
    """Who saw which customer's full personal data, when and why (PIPL access log)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="+")
    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(_("fields"), default=list)
    reason = models.CharField(_("reason"), max_length=200)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class ReferenceCounter(models.Model):
    """Last sequence number handed out per day; only ever goes up, so numbers are never reused."""

    day = models.DateField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")


class ReceiverFailure(models.Model):
    """An event receiver (complaints.events) that raised on a complaint: what it missed is
    retried by the sweep (complaints.retry_failed_receivers) until it succeeds, and listed for
    administrators meanwhile. Without this a failed receiver left a complaint without clocks
    or category, silently (issue 15)."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE,
                                  related_name="receiver_failures")
    receiver = models.CharField(_("receiver"), max_length=32, db_index=True)
    event_kind = models.CharField(_("event"), max_length=32)
    event_actor_id = models.IntegerField(null=True, blank=True)
    event_data = models.JSONField(_("event data"), default=dict, encoder=DjangoJSONEncoder)
    error = models.TextField(_("error"))
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    failed_at = models.DateTimeField(_("first failed at"), default=timezone.now, db_index=True)
    last_tried_at = models.DateTimeField(_("last tried at"), default=timezone.now)

    class Meta:
        verbose_name = _("failed event receiver")
        verbose_name_plural = _("failed event receivers")
        ordering = ["failed_at", "id"]

    def __str__(self) -> str:
        return f"{self.receiver} {self.event_kind} #{self.complaint_id}"
