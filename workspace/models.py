"""The complaint page's own records. The tables kept their names when the models moved here from
`complaints` (the move changed the migration state only, see workspace/migrations/0001).

Canned responses and red-line phrases (edited by supervisors), and the work dispatched to
departments (派单) with each department's result (回单).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CannedChannel",
    "CannedResponse",
    "DepartmentTask",
    "DepartmentTaskStatus",
    "RedLinePhrase",
]


class CannedChannel(models.TextChoices):
    ANY = "", _("Any channel")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")


class CannedResponse(models.Model):
    """A reply template. Placeholders: {customer_name} {reference} {expected_date}."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), help_text=_(
        "Placeholders: {customer_name}, {reference}, {expected_date}."))
    channel = models.CharField(_("suitable for"), max_length=8, blank=True,
                               choices=CannedChannel.choices, default=CannedChannel.ANY)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        db_table = "complaints_cannedresponse"
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.title


class RedLinePhrase(models.Model):
    """A phrase agents must never send to a customer (红线用语), with a better wording."""

    phrase = models.CharField(_("phrase"), max_length=100, unique=True)
    suggestion = models.CharField(_("suggested wording"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        db_table = "complaints_redlinephrase"
        verbose_name = _("red-line phrase")
        verbose_name_plural = _("red-line phrases")
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class DepartmentTaskStatus(models.TextChoices):
    OPEN = "open", _("Awaiting result")
    RETURNED = "returned", _("Result returned")


class DepartmentTask(models.Model):
    """Work dispatched to one department (派单) and the result it sends back (回单)."""

    complaint = models.ForeignKey("complaints.Complaint", verbose_name=_("complaint"),
                                  on_delete=models.CASCADE, related_name="department_tasks")
    department = models.ForeignKey("complaints.Department", verbose_name=_("department"),
                                   on_delete=models.PROTECT, related_name="tasks")
    instructions = models.TextField(_("instructions"), blank=True)
    due_at = models.DateTimeField(_("result due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DepartmentTaskStatus.choices,
                              default=DepartmentTaskStatus.OPEN)
    result = models.TextField(_("result"), blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("returned by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("dispatched by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("dispatched at"), default=timezone.now)

    class Meta:
        db_table = "complaints_departmenttask"
        verbose_name = _("department task")
        verbose_name_plural = _("department tasks")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["complaint", "status"], name="depttask_complaint_status")]
        constraints = [
            # One open piece of work per department and complaint at a time.
            models.UniqueConstraint(fields=["complaint", "department"],
                                    condition=Q(status="open"), name="depttask_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.department_id} ({self.status})"
