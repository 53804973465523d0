"""Importing an operator's complaint history (`manage.py import_complaints FILE`).

The file is read as a stream (intake/parsers/history.py) and taken in batches: every row is
parsed and checked (its category and department must exist, its texts fit the input limits),
then the batch is stored through `store_batch`, the one place that writes: through the intake
pipeline as one batch (intake/pipeline.py, intake/history_batch.py), each table written with one
statement. A bad row is reported with its line number and stops nothing else, and a row is
never half stored. The external id is the idempotency key (InboundMessage, source "import"):
importing the same file again creates nothing twice.

A historical complaint lives its history through the lifecycle service
(complaints/lifecycle_bulk.py, the bulk form of complaint_transition's `at`): its department
and each step (acknowledge, start, resolve, close, cancel) with its historical time, so its
timeline is dated as it happened, its clocks start at its received time and are met or
breached at its resolved time (sla.services.clocks_settle_historical) without
ever being escalated now, no acknowledgement or result notice goes to the customer, and its
report figures count its real times. After an import the tables written are analysed
(PostgreSQL VACUUM (ANALYZE)), so the planner knows their new size at once and no index scan
wades through the row versions the load left behind.
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Category, Department
from kernel import memo
from kernel.bulk import cycle_collector_paused
from kernel.db import analyze_tables, database_error_is_temporary
from kernel.errors import DomainError

from .pipeline import intake_batch
from .input_checks import message_check
from .models import InboundMessage
from .parsers.history import SOURCE, HistoryFileError, HistoryRow, history_open
from .parsers.message import IntakeMessage

logger = logging.getLogger(__name__)

CREATED, DUPLICATE, ERROR, VALID = "created", "duplicate", "error", "valid"
# What an import writes, analysed after it (app label, model name).
WRITTEN_MODELS = [("complaints", "Customer"), ("complaints", "Complaint"),
                  ("complaints", "Activity"), ("complaints", "ReferenceCounter"),
                  ("intake", "InboundMessage"), ("intake", "ComplaintClassification"),
                  ("sla", "Clock"), ("reports", "ComplaintFact"), ("reports", "DirtyDay")]

__all__ = ["CREATED", "DUPLICATE", "ERROR", "VALID", "HistoryFileError", "ImportSummary",
           "RowOutcome", "import_file", "store_batch"]


@dataclass
class RowOutcome:
    line: int
    external_id: str = ""
    outcome: str = ""
    reference: str = ""
    message: str = ""


@dataclass
class ImportSummary:
    dry_run: bool = False
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        (CREATED, DUPLICATE, ERROR, VALID), 0))
    analysed: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.counts[ERROR] else 0


# --- the whole file ----------------------------------------------------------------------------

def import_file(path: str, *, format: str = "", batch_size: int = 1000, dry_run: bool = False,
                actor=None, on_row: Callable[[RowOutcome], None] | None = None,
                on_total: Callable[[int | None], None] | None = None,
                now: datetime | None = None) -> ImportSummary:
    """Import (or with `dry_run` only check) every row of the file at `path`.

    HistoryFileError when the file itself cannot be imported (nothing is written then);
    otherwise each row's outcome goes to `on_row` as it is decided, and the counts come back.
    `on_total` gets the number of rows expected (None when unknown) before the first one."""
    history = history_open(path, format=format)
    if on_total is not None:
        on_total(history.total)
    summary = ImportSummary(dry_run=dry_run)
    now = now or timezone.now()
    lookups = Lookups.load()
    with _commits_unsynced(not dry_run), cycle_collector_paused():
        _import_rows(history.rows(now=now), summary, lookups, now, batch_size, dry_run, actor,
                     on_row)
    if not dry_run and summary.counts[CREATED]:
        summary.analysed = analyze_tables(_written_tables())
    return summary


@contextmanager
def _commits_unsynced(enabled: bool):
    """One commit per row, without waiting for the disk each time (PostgreSQL): rows lost in a
    crash of the server are simply imported again by the next run (the external id is the
    idempotency key), as the SLA sweep's batches are swept again."""
    if not enabled or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _import_rows(rows, summary, lookups, now, batch_size, dry_run, actor, on_row) -> None:
    while batch := list(itertools.islice(rows, max(1, batch_size))):
        messages, outcomes, refused = [], [], []
        for row in batch:
            outcome, message = _prepared(row, lookups, now)
            if message is not None:
                messages.append(message)
                outcomes.append(outcome)
            else:
                refused.append(outcome)
        if dry_run:
            _check_batch(messages, outcomes)
        else:
            store_batch(messages, outcomes, actor=actor)
        for outcome in sorted(outcomes + refused, key=lambda o: o.line):
            _done(summary, outcome, on_row)
        reset_queries()  # under DEBUG the batch's statements are logged: keep memory flat
        if not gc.isenabled():
            gc.collect()  # the batch's cycles, if any: once per batch, not while it runs


def _done(summary: ImportSummary, outcome: RowOutcome, on_row) -> None:
    summary.rows += 1
    summary.counts[outcome.outcome] += 1
    if on_row is not None:
        on_row(outcome)


@dataclass
class Lookups:
    """Categories and departments by code and by name, read once per import."""

    categories: dict[str, str]
    departments: dict[str, Department]

    @classmethod
    def load(cls) -> Lookups:
        categories = {}
        for code, name, name_en in Category.objects.filter(is_active=True).order_by(
                "-id").values_list("code", "name", "name_en"):
            categories.update({name: code, name_en.casefold(): code})
        categories.update({c: c for c in Category.objects.filter(is_active=True)
                           .values_list("code", flat=True)})
        departments = {}
        for department in Department.objects.filter(is_active=True).order_by("-id"):
            departments[department.name] = department
        departments.update({d.code: d for d in Department.objects.filter(is_active=True)})
        return cls(categories, departments)

    def category(self, hint: str) -> str | None:
        hint = hint.strip()
        return self.categories.get(hint) or self.categories.get(hint.casefold())


def _prepared(row: HistoryRow, lookups: Lookups, now) -> tuple[RowOutcome, IntakeMessage | None]:
    """The row's outcome so far and its message, or an error outcome and None."""
    outcome = RowOutcome(row.line, row.external_id)
    errors = list(row.errors)
    category = department = None
    if row.category and (category := lookups.category(row.category)) is None:
        errors.append(_("Unknown category “%(value)s” (give a category code or name).")
                      % {"value": row.category})
    if row.department and (department := lookups.departments.get(row.department.strip())) \
            is None:
        errors.append(_("Unknown department “%(value)s” (give a department code or name).")
                      % {"value": row.department})
    message = row.message
    if not errors and message is not None:
        try:
            message_check(message, now=now)
        except DomainError as error:
            errors.append(str(error.message))
    if errors:
        outcome.outcome, outcome.message = ERROR, " ".join(errors)
        return outcome, None
    history = dict(message.metadata["history"], department=department.code if department
                   else "")
    return outcome, IntakeMessage(**{
        **{f: getattr(message, f) for f in message.__dataclass_fields__},
        "category_code": category or "", "metadata": {"history": history}})


def _check_batch(messages: list[IntakeMessage], outcomes: list[RowOutcome]) -> None:
    """Dry run: a valid row is reported valid, or duplicate when it was imported before."""
    known = set(InboundMessage.objects.filter(
        channel=SOURCE, external_id__in=[m.external_id for m in messages])
        .values_list("external_id", flat=True))
    for message, outcome in zip(messages, outcomes, strict=True):
        outcome.outcome = DUPLICATE if message.external_id in known else VALID
        if outcome.outcome == DUPLICATE:
            outcome.message = _("Imported before; it would not be imported again.")


# --- storing ------------------------------------------------------------------------------------

def store_batch(messages: Iterable[IntakeMessage], outcomes: list[RowOutcome], *,
                actor) -> None:
    """Store a batch of checked historical messages; each outcome is filled in (created with
    its reference, duplicate, or error with the reason). The one place an import writes.

    The batch goes through the pipeline as one (intake_batch: one statement per table, the
    history applied in bulk by the lifecycle service, intake/history_batch.py). A row it
    refuses (its DomainError, checked before anything is written) stops nothing else. If the
    database refuses the batch, nothing of it stays and it is stored again row by row, each
    in its own transaction, so the bad row is isolated and reported with its line. One memo
    scope covers the batch."""
    messages = list(messages)
    with memo.scope():
        try:
            with transaction.atomic():
                results = intake_batch(messages, actor=actor)
        except DatabaseError as error:
            if database_error_is_temporary(error):
                raise  # the database went away: stop; a re-run takes up where it stopped
            logger.warning("import: a batch refused by the database (%s); row by row", error)
            results = [_store_one(message, outcome, actor)
                       for message, outcome in zip(messages, outcomes, strict=True)]
    for result, outcome in zip(results, outcomes, strict=True):
        if result is None:  # refused by the database, reported by _store_one
            continue
        if isinstance(result, DomainError):
            outcome.outcome, outcome.message = ERROR, str(result.message)
            continue
        outcome.reference = result.complaint.reference if result.complaint else ""
        if result.duplicate:
            outcome.outcome = DUPLICATE
            outcome.message = _("Imported before; not imported again.")
        else:
            outcome.outcome = CREATED


def _store_one(message: IntakeMessage, outcome: RowOutcome, actor):
    """One row in its own transaction: its result or DomainError, or None when the database
    refused it (the outcome says why)."""
    try:
        with transaction.atomic():
            return intake_batch([message], actor=actor)[0]
    except DatabaseError as error:
        if database_error_is_temporary(error):
            raise
        logger.warning("import: line %s refused by the database: %s", outcome.line, error)
        outcome.outcome = ERROR
        outcome.message = _("The database refused the row: %(error)s") % {
            "error": " ".join(str(error).split())[:300]}
        return None


def _written_tables() -> list[str]:
    tables = []
    for label, name in WRITTEN_MODELS:
        try:
            tables.append(apps.get_model(label, name)._meta.db_table)
        except LookupError:
            continue
    return tables
