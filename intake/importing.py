"""Importing an operator's complaint history (`manage.py import_complaints FILE`).

The file is read as a stream (intake/parsers/history.py) and taken in batches: every row is
parsed and checked (its category and department must exist, its texts fit the input limits),
then the batch is stored through `store_batch`, the one place that writes. Each row is stored
in its own transaction, so a bad row is reported with its line number and stops nothing else,
and a row is never half stored. The external id is the idempotency key (InboundMessage, source
"import"): importing the same file again creates nothing twice.

A historical complaint lives its history through the one lifecycle service: each step
(acknowledge, start, resolve, close, cancel) is applied with its historical time
(complaint_transition's `at`), so its timeline is dated as it happened, its clocks start at its
received time and are met or breached at its resolved time (sla.services
.clocks_start_historical) without ever being escalated now, no acknowledgement or result notice
goes to the customer, and its report figures count its real times. After an import the tables
written are analysed (PostgreSQL ANALYZE), so the planner knows their new size at once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Category, Department
from complaints.services import complaint_assign, complaint_lock, complaint_transition
from kernel import memo
from kernel.db import analyze_tables, database_error_is_temporary
from kernel.errors import DomainError

from .pipeline import intake_receive
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
    with _commits_unsynced(not dry_run):
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

    Each message goes through `intake_receive` and then its history (department, lifecycle
    steps at their historical times) in one transaction per row, so a row that fails leaves
    nothing behind and the others go on. One memo scope covers the batch: the report figures
    of all its complaints are computed together at its end. The pipeline records historical
    messages one by one (intake/pipeline.py `_batchable`): their timeline and clocks are dated
    as they happened, which its set-based path does not do yet; that is why an import runs at
    tens of rows a second (docs/benchmarks.md), not the issue's 1,000,000 in five minutes.
    """
    with memo.scope():
        for message, outcome in zip(messages, outcomes, strict=True):
            try:
                with transaction.atomic():
                    result = intake_receive(message=message, actor=actor)
                    if result.created:
                        history_apply(complaint_id=result.complaint.id,
                                      history=message.metadata["history"], actor=actor)
            except DomainError as error:
                outcome.outcome, outcome.message = ERROR, str(error.message)
                continue
            except DatabaseError as error:
                if database_error_is_temporary(error):
                    raise  # the database went away: stop; a re-run takes up where it stopped
                logger.warning("import: line %s refused by the database: %s", outcome.line,
                               error)
                outcome.outcome = ERROR
                outcome.message = _("The database refused the row: %(error)s") % {
                    "error": " ".join(str(error).split())[:300]}
                continue
            outcome.reference = result.complaint.reference if result.complaint else ""
            if result.duplicate:
                outcome.outcome = DUPLICATE
                outcome.message = _("Imported before; not imported again.")
            else:
                outcome.outcome = CREATED


def history_apply(*, complaint_id: int, history: dict, actor) -> None:
    """The imported complaint's department, then its lifecycle steps at their times, on one
    lock of the row (inside the caller's transaction)."""
    steps = history.get("steps", ())
    if not history.get("department") and not steps:
        return
    locked = complaint_lock(complaint_id=complaint_id, expected_version=None)
    if history.get("department"):
        complaint_assign(complaint_id=complaint_id, actor=actor, expected_version=None,
                         department=Department.objects.get(code=history["department"]),
                         reason=_("Department from the imported history."), locked=locked)
    resolution = history.get("resolution") or _(
        "Resolved before the import; the imported file gives no resolution summary.")
    for action, at in steps:
        complaint_transition(
            complaint_id=complaint_id, action=action, actor=actor, expected_version=None,
            at=datetime.fromisoformat(at), resolution_summary=resolution, locked=locked,
            reason=_("Cancelled before the import.") if action == "cancel" else "")


def _written_tables() -> list[str]:
    tables = []
    for label, name in WRITTEN_MODELS:
        try:
            tables.append(apps.get_model(label, name)._meta.db_table)
        except LookupError:
            continue
    return tables
