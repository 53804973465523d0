"""The retention policy: customers' personal data is anonymised RETENTION_YEARS after their last
complaint finished; categories, dates and counts stay, so statistics do not change."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import services
from complaints.lifecycle import FINAL_STATUSES
from complaints.models import ActivityKind, Complaint, Customer
from notifications.outbound import outbound_scrub_customer

PLACEHOLDER_NAME = "（已匿名）"
MOBILE_TEXT_RE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
ID_TEXT_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
EMAIL_TEXT_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")



def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _scrub(text: str, customer: Customer) -> str:
    text = MOBILE_TEXT_RE.sub("***", text)
    text = ID_TEXT_RE.sub("***", text)
    text = EMAIL_TEXT_RE.sub("***", text)
    for value in (customer.name, customer.phone, customer.service_number, customer.id_number):
        if value and len(value) >= 2 and value != PLACEHOLDER_NAME:
            text = text.replace(value, "***")
    return text


def customer_anonymise(*, customer_id: int, now: datetime | None = None) -> bool:
    """Replace a customer's personal data with placeholders, in the customer record, the texts
    of their complaints and the messages sent to them. Categories, dates and counts stay, so
    statistics do not change. An audit entry goes on each complaint's timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        # Another sweep working on this customer right now: leave it to that one.
        customer = (Customer.objects.select_for_update(skip_locked=True)
                    .filter(pk=customer_id).first())
        if customer is None or customer.anonymised_at is not None:
            return False
        complaint_ids = services.complaints_scrub_texts(
            customer_id=customer.id, scrub=lambda text: _scrub(text, customer))
        outbound_scrub_customer(customer_id=customer.id)
        customer.name, customer.phone = PLACEHOLDER_NAME, f"anon{customer.id}"[:20]
        customer.email = customer.id_number = customer.service_number = ""
        customer.anonymised_at = now
        customer.save(update_fields=["name", "phone", "email", "id_number", "service_number",
                                     "anonymised_at"])
        for complaint_id in complaint_ids:
            services.timeline_append(
                complaint_id=complaint_id, kind=ActivityKind.FIELD_CHANGE,
                message=_("The customer's personal data was anonymised under the retention "
                          "policy (%(years)s years).") % {"years": settings.RETENTION_YEARS},
                data={"anonymised": ["name", "phone", "email", "id_number", "service_number"],
                      "retention_years": settings.RETENTION_YEARS})
    return True


def anonymise_candidates(*, now: datetime):
    """Customers, not yet anonymised, whose complaints are all finished, the last of them
    longer ago than the retention period."""
    cutoff = _years_before(now, settings.RETENTION_YEARS)
    unfinished = Complaint.objects.filter(customer=OuterRef("pk")).exclude(
        status__in=[s.value for s in FINAL_STATUSES])
    return (Customer.objects.filter(anonymised_at__isnull=True)
            .exclude(Exists(unfinished))
            .annotate(last_finished=Max(Coalesce("complaints__closed_at",
                                                 "complaints__updated_at")))
            .filter(last_finished__lte=cutoff).order_by("id"))


def anonymise_sweep(*, now: datetime | None = None, batch_size: int = 200,
                    max_batches: int = 50) -> int:
    """Anonymise every customer past the retention period, in batches. Idempotent."""
    now = now or timezone.now()
    done, seen = 0, set()
    for _batch in range(max_batches):
        ids = list(anonymise_candidates(now=now).exclude(pk__in=seen)
                   .values_list("id", flat=True)[:batch_size])
        seen.update(ids)
        for customer_id in ids:
            done += customer_anonymise(customer_id=customer_id, now=now)
        if len(ids) < batch_size:
            break
    return done
