"""Many customers matched or created at once (batch intake): customer_get_or_create for each
person in order, as if one by one, with one SELECT of the known phone numbers, one INSERT of
the new customers and one UPDATE of the blank fields filled in. complaints/services.py
re-exports it."""

from django.utils.translation import gettext as _

from kernel import personal_data
from kernel.db import bulk_update_rows, insert_objects, select_objects
from kernel.errors import InvalidInput

from .models import Customer, CustomerTier

FILLED = ("name", "email", "service_number")


def customers_get_or_create_many(*, people: list[dict]) -> list[Customer]:
    """One customer per person ({phone, name, email, service_number, optional tier}), in
    order: the customer with this phone number, created if new, blank fields filled in (and
    the tier set when given). An unusable phone number: InvalidInput, nothing written."""
    phones = []
    for person in people:
        try:
            phones.append(personal_data.normalize_phone(person["phone"]))
        except personal_data.InvalidPhone as exc:
            raise InvalidInput(str(exc), field="phone") from exc
    known: dict[str, Customer] = {}
    wanted = sorted(set(phones))
    for customer in select_objects(Customer, f"phone IN ({', '.join(['%s'] * len(wanted))})",
                                   wanted, order_by="id DESC") if wanted else ():
        known[customer.phone] = customer  # the first (lowest id) wins, as .first() does
    new, filled, fields = [], {}, set()
    found = []
    for phone, person in zip(phones, people):
        customer = known.get(phone)
        if customer is None:
            customer = known[phone] = Customer(
                phone=phone, name=(person.get("name") or "").strip() or _("Unknown caller"),
                email=person.get("email") or "", service_number=person.get("service_number") or "",
                tier=person.get("tier") or CustomerTier.ORDINARY)
            new.append(customer)
        else:
            changes = {name: person.get(name) for name in FILLED
                       if person.get(name) and not getattr(customer, name)}
            if person.get("tier") and person["tier"] != customer.tier:
                changes["tier"] = person["tier"]
            for name, value in changes.items():
                setattr(customer, name, value)
            fields.update(changes)
            if changes and customer.pk is not None:
                filled[customer.pk] = customer
        found.append(customer)
    insert_objects(new)
    bulk_update_rows(Customer, list(filled.values()), sorted(fields))
    return found
