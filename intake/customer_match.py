"""The customers of a batch of messages (intake/pipeline.py): `channels._customer` for each
message, in order, with the ones known by phone number alone matched and created together
(complaints.services.customers_get_or_create_many: one SELECT, one INSERT, one UPDATE per run
of them). A message matched another way (a WeChat follower, an email-only sender) goes through
`channels._customer` after the run before it is written, so it sees what that run created."""

from __future__ import annotations

from complaints.models import Customer
from complaints.services import customers_get_or_create_many

from . import channels
from .parsers.message import IntakeMessage


def _by_phone(message: IntakeMessage) -> bool:
    openid = message.channel == "wechat" and message.metadata.get("openid")
    return bool(message.customer_phone) and not openid


def customers_for(messages: list[IntakeMessage]) -> list[Customer]:
    found: list[Customer] = []
    run: list[IntakeMessage] = []

    def flush():
        found.extend(customers_get_or_create_many(people=[
            {"phone": m.customer_phone, "name": m.customer_name, "email": m.customer_email,
             "service_number": m.service_number[:40]} for m in run]))
        run.clear()

    for message in messages:
        if _by_phone(message):
            run.append(message)
            continue
        if run:
            flush()
        found.append(channels._customer(message))
    if run:
        flush()
    return found
