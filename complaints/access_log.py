"""Records of personal data seen in full outside the reveal form (`personal_data_reveal`).

Looking customers up by their full phone number (the desk's search and its export, the admin's
search) confirms that the number belongs to a customer and to which complaints: each lookup
that finds someone leaves a PersonalDataAccess row per customer found, with the user, the
address and why (the kind of lookup).
"""

from collections.abc import Iterable

from kernel.personal_data import InvalidPhone, normalize_phone

from .models import PersonalDataAccess

LOOKUP_FIELDS = ["phone"]
# A lookup by one number finds a handful of customers; more would be a data problem, not a read.
MAX_CUSTOMERS_RECORDED = 50


def full_phone_number(text: str) -> str:
    """The number if `text` is a whole phone number (mobile or landline with its area code),
    else ""."""
    try:
        return normalize_phone(text)
    except InvalidPhone:
        return ""


def phone_lookup_record(*, user, customer_ids: Iterable[int], reason: str,
                        ip_address: str | None = None) -> int:
    """One access record per customer a lookup by full phone number found; how many."""
    ids = sorted(set(customer_ids))[:MAX_CUSTOMERS_RECORDED]
    PersonalDataAccess.objects.bulk_create([
        PersonalDataAccess(user=user, customer_id=customer_id, fields=LOOKUP_FIELDS,
                           reason=reason[:200], ip_address=ip_address)
        for customer_id in ids])
    return len(ids)
