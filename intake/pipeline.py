"""Batch intake: many parsed messages recorded as new complaints in one transaction, with the
same rows as recording them one by one (intake/channels.py's `_receive`), written per table
with one statement per batch.

For the whole batch: the idempotency claims (one INSERT … ON CONFLICT DO NOTHING RETURNING,
which also returns the settings tokens, kernel/settings_cache.py), the customers matched or
created, the references (one upsert reserving a block). Then, before any complaint is written,
the plans the apps subscribed for new complaints (complaints/events.py
`subscribe_created_stage`), in the receivers' order, decide in memory: classification, grading,
routing and the duplicate links (intake/batch_plan.py), the clocks and the nearest deadline
(sla). The complaints are then written with their decisions in one INSERT, every timeline
entry in one INSERT, the acknowledgements in one INSERT into the outbox, the InboundMessage
outcomes in one UPDATE; then the stages write their own rows, still in the transaction: the
classification records (intake), the clocks (sla), the report facts from the entries and
clocks in memory (reports). The CREATED event of each complaint (and the events of the planned
changes) still go out after commit, tagged `{"pipeline": True}`, so those receivers do not do
the same work again; other receivers and listeners see them as always.

A message refused before anything is written (message_check, the complaint's own checks, an
unusable phone number) yields its DomainError in its place; the rest go on. Any other error
rolls the whole batch back: it is stored fully or not at all.

Messages the batch does not take go through `_receive` one by one, unchanged, after the batch:
answers to an existing complaint (reply_to_reference), SMS while SMS-answer handlers are
registered (an answer is recorded by its handler) and messages with attachments (files are
stored and checked one by one).

An operator's history (`historical` messages: imports, the demo seed) is recorded as a batch
of its own: dated by its received time, without acknowledgement, its history applied in memory
by the lifecycle service before the complaints are written (intake/history_batch.py
`histories_plan`: each row written once, as its history leaves it, its steps' entries with the
others), and its clocks settled by that history (the batch's events are tagged historical).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext

from django.db import connection, transaction
from django.utils import timezone

from complaints import events
from complaints.models import ActorType, Complaint, Priority
from complaints.services import (
    complaint_create_check,
    complaints_plan_many,
    complaints_write_many,
)
from kernel import memo, personal_data, settings_cache
from kernel.db import bulk_update_rows, insert_rows_skipping_conflicts, writes_together
from kernel.errors import DomainError, InvalidInput
from notifications.outbound import customer_messages_queue_many

from . import channels, customer_match, history_batch
from .channels import IntakeResult
from .input_checks import message_check
from .models import InboundMessage, InboundOutcome
from .parsers.message import IntakeMessage


def intake_receive(*, message: IntakeMessage, actor=None,
                   payload_digest: str = "") -> IntakeResult:
    """Record `message`: appended to the complaint it answers, else a new complaint.

    A batch of one through intake/pipeline.py: a new complaint is classified, graded, routed,
    gets its clocks, report figures and acknowledgement in the transaction that records it.
    A refused message raises its DomainError (InvalidInput, IdempotencyConflict) and nothing
    is written."""
    (result,) = intake_batch([message], actor=actor, payload_digests=[payload_digest])
    if isinstance(result, DomainError):
        raise result
    return result


def intake_batch(messages: Sequence[IntakeMessage], *, actor=None,
                 payload_digests: Sequence[str] | None = None,
                 before_figures: Callable[[list], None] | None = None
                 ) -> list[IntakeResult | DomainError]:
    """Record `messages`; one IntakeResult or DomainError per message, in their order.

    `payload_digests`: per message, as intake_receive's `payload_digest`. `before_figures`
    (importers): called in the transaction with the batch's new complaints after their
    classification and clocks and before their report facts are computed."""
    messages = list(messages)
    digests = list(payload_digests) if payload_digests is not None else [""] * len(messages)
    if len(digests) != len(messages):
        raise ValueError("one payload digest per message")
    now = timezone.now()
    results: list[IntakeResult | DomainError | None] = [None] * len(messages)
    batch, single = [], []
    for index, message in enumerate(messages):
        try:
            message_check(message, now=now)  # InvalidInput: nothing of it is written
            if not _batchable(message):
                single.append(index)
                continue
            _create_check(message, now)
        except DomainError as error:
            results[index] = error
            continue
        batch.append(index)
    for historical in (False, True):  # an operator's history: its own batch (history_batch)
        part = [i for i in batch if messages[i].historical == historical]
        if not part:
            continue
        with memo.scope(), events.tagged(**{events.PIPELINE: True},
                                         **({"historical": True} if historical else {})):
            done = _record([messages[i] for i in part], [digests[i] for i in part], actor,
                           before_figures, historical=historical)
        for index, result in zip(part, done):
            results[index] = result
    for index in single:
        try:
            with memo.scope():
                results[index] = history_batch.receive_one(messages[index], actor,
                                                           digests[index]) \
                    if messages[index].historical else \
                    channels._receive(messages[index], actor, digests[index])
        except DomainError as error:
            results[index] = error
    return results


def _batchable(message: IntakeMessage) -> bool:
    if message.reply_to_reference or message.attachments:
        return False
    # An SMS of an operator's history answers nothing here.
    return message.historical or not (message.channel == "sms" and channels._sms_reply_handlers)


def _create_check(message: IntakeMessage, now) -> None:
    """What recording the message one by one would refuse, checked before anything is written."""
    if message.customer_phone:
        try:
            personal_data.normalize_phone(message.customer_phone)
        except personal_data.InvalidPhone as exc:
            raise InvalidInput(str(exc), field="phone") from exc
    complaint_create_check(channel=message.channel, description=message.description,
                           received_at=message.received_at,
                           priority=message.priority or Priority.ORDINARY, now=now)
    if message.historical:
        history_batch.history_check(message, now=now)


def _record(messages: list[IntakeMessage], digests: list[str], actor,
            before_figures, historical: bool = False) -> list[IntakeResult | DomainError]:
    results: list[IntakeResult | DomainError | None] = [None] * len(messages)
    with transaction.atomic():
        keys = [(m.claim_channel, m.external_id[:255]) for m in messages]
        claimed = {}
        # The settings tokens come back with the claim: no statement of their own.
        for pk, channel, external_id, tokens in insert_rows_skipping_conflicts(
                InboundMessage,
                [{"channel": channel, "external_id": external_id,
                  "outcome": InboundOutcome.CREATED, "reason": "",
                  "received_at": m.received_at, "payload_digest": digest}
                 for (channel, external_id), m, digest in zip(keys, messages, digests)],
                returning=["id", "channel", "external_id"],
                also=settings_cache.tokens_sql(connection.vendor)):
            claimed[(channel, external_id)] = pk
            settings_cache.tokens_given(tokens)
        creating, again = [], []
        for index, key in enumerate(keys):
            if key in claimed:
                creating.append(index)
                claimed_pk = claimed.pop(key)  # a second message with this key is a redelivery
                keys[index] = claimed_pk
            else:
                again.append(index)
        items, extras, channels_ = [], [], []
        customers = customer_match.customers_for([messages[i] for i in creating])
        for index, customer in zip(creating, customers):
            message = messages[index]
            items.append({
                "customer": customer, "channel": message.channel, "subject": message.subject,
                "description": message.description, "received_at": message.received_at,
                "category": channels._category(message.category_code),
                "location": message.location[:200],
                "regulator_case_no": message.regulator_case_no,
                "priority": message.priority or Priority.ORDINARY,
                "product_line": message.product_line,
                "regulator_due_at": message.regulator_due_at})
            # History: the customer heard from the old system long ago.
            ack = None if historical else channels._acknowledgement_channel(customer)
            channels_.append(ack)
            extras.append(([channels._store_note(message)] if message.store else [])
                          + ([] if ack or historical else [channels._no_acknowledgement_note()]))
        complaints, batch, history = [], None, None
        if items:
            # Everything decided in memory first (classification, routing, duplicate links,
            # deadlines), so each table is written once, the complaints with their decisions.
            batch = complaints_plan_many(
                items=items, actor=actor,
                actor_type=None if actor is not None else ActorType.CUSTOMER,
                extra_entries=extras, historical=historical)
            for _label, plan in events.created_plans():
                plan(batch)
            if historical:  # its history in memory: each complaint written once, as it ends
                history = history_batch.histories_plan(
                    batch.complaints, [messages[i] for i in creating], actor)
                batch.other_entries.extend(history.entries)
            complaints_write_many(batch=batch)
            complaints = batch.complaints
        # The writes nothing here reads back (acknowledgements, InboundMessage outcomes,
        # classification records, clocks, report figures) go to the database together.
        together = writes_together() if not historical and before_figures is None \
            else nullcontext()
        with together:
            customer_messages_queue_many(messages=[
                channels._acknowledgement(complaint, ack)
                for complaint, ack in zip(complaints, channels_) if ack])
            bulk_update_rows(InboundMessage, [
                InboundMessage(pk=keys[index], complaint_id=complaint.id)
                for index, complaint in zip(creating, complaints)], ["complaint"])
            if history is not None:
                history.publish()  # its events, after the complaints' CREATED ones
                batch.in_memory = False  # their states and timelines are now their history's
            figures = None
            for label, stage in events.created_stages() if complaints else ():
                if label == "reports":
                    figures = stage
                    continue
                stage(batch)
                if historical and label == "intake":  # classified on its history's state: read
                    complaints = _read_back(batch)
            if before_figures is not None and complaints:
                before_figures(complaints)
                complaints = _read_back(batch)  # what the hook changed, for the figures
                batch.in_memory = False
            if figures is not None:
                figures(batch)
        clocks = batch.planned.get("sla") if complaints else None
        for position, (index, complaint) in enumerate(zip(creating, complaints)):
            written = batch.in_memory
            results[index] = IntakeResult(
                complaint=complaint, created=True, appended=False,
                timeline=batch.entries[position] if written else None,
                clocks=(clocks[position] if clocks else []) if written else None)
        for index in again:  # recorded before, or earlier in this batch
            try:
                results[index] = channels._duplicate(messages[index].claim_channel,
                                                     messages[index].external_id,
                                                     payload_digest=digests[index])
            except DomainError as error:
                results[index] = error
    return results


def _read_back(batch) -> list[Complaint]:
    """The batch's complaints read again, in order, after services changed their rows."""
    fresh = Complaint.objects.select_related("customer", "category__parent") \
        .in_bulk([c.id for c in batch.complaints])
    batch.complaints = [fresh[c.id] for c in batch.complaints]
    return batch.complaints
