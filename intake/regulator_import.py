"""Regulator transfer batches (工信部 / 12300 appeals) uploaded by staff: check the file at upload,
then a task takes the rows through batch intake (intake/pipeline.py, 500 at a time) and writes
a per-row report.

Each row becomes an IntakeMessage (intake/parsers/regulator.py) with channel "regulator" and
the case number as its external id, so a row imported before — in this batch or an earlier
one — is recognised and reported as already imported: re-importing a file, or running the task
again after a crash, creates nothing twice.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from complaints.models import Complaint
from kernel.attachments import sniff_content_type
from kernel.display import formula_safe
from kernel.errors import DomainError, InvalidInput, NotAllowed
from kernel.queue import send_task

from . import tasks
from .pipeline import intake_receive
from .models import RegulatorImport, RegulatorImportStatus
from .pipeline import intake_batch
from .parsers.regulator import RegulatorFileError, RowResult, iter_regulator_rows

logger = logging.getLogger(__name__)

UPLOAD_PERMISSION = "intake.add_regulatorimport"
VIEW_PERMISSION = "intake.view_regulatorimport"
OUTCOMES = ("created", "skipped", "refused")
# What a spreadsheet or CSV looks like to the content sniffer; anything else it recognises (an
# image, a PDF, an archive that is not a workbook…) is refused at once.
ACCEPTED_SNIFFED = {None, "text/plain", "application/zip",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# --- upload ---------------------------------------------------------------------------------


def regulator_import_create(*, actor, name: str, data: bytes,
                            now: datetime | None = None) -> RegulatorImport:
    """Check the file (by content: CSV or XLSX, with the expected header and at least one row),
    store it and queue its processing. A refused file raises InvalidInput and stores nothing."""
    if actor is None or not actor.has_perm(UPLOAD_PERMISSION):
        raise NotAllowed(_("Your role may not import regulator transfers."))
    name = os.path.basename(name or "").strip() or "batch"
    _check_file(name, data, now or timezone.now())
    with transaction.atomic():
        batch = RegulatorImport(original_name=name[:255], uploaded_by=actor)
        batch.file.save(name, ContentFile(data), save=False)
        try:
            batch.save()
        except Exception:
            batch.file.storage.delete(batch.file.name)
            raise
        transaction.on_commit(lambda: _queue(batch.id))
    return batch


def _queue(import_id: int) -> None:
    send_task(tasks.regulator_import_process, import_id)


def _check_file(name: str, data: bytes, now: datetime) -> None:
    if len(data) > settings.INTAKE_REGULATOR_IMPORT_MAX_BYTES:
        raise InvalidInput(_("The file is %(size)s; batches may be at most %(limit)s.") % {
            "size": filesizeformat(len(data)),
            "limit": filesizeformat(settings.INTAKE_REGULATOR_IMPORT_MAX_BYTES)}, field="file")
    sniffed = sniff_content_type(data[:2048])
    if sniffed not in ACCEPTED_SNIFFED:
        raise InvalidInput(_("“%(name)s” is not a CSV or Excel (.xlsx) file (its content is "
                             "%(type)s).") % {"name": name, "type": sniffed}, field="file")
    rows = iter_regulator_rows(data, name, now=now)
    try:
        next(rows)
    except RegulatorFileError as error:
        raise InvalidInput(_("“%(name)s” was not imported: %(error)s") % {
            "name": name, "error": error}, field="file") from error
    except StopIteration:
        raise InvalidInput(_("“%(name)s” has a header but no rows below it.") % {"name": name},
                           field="file") from None
    finally:
        rows.close()


# --- processing -----------------------------------------------------------------------------

STALE_QUEUED = timedelta(minutes=10)
STALE_RUNNING = timedelta(hours=1, minutes=5)  # the task's time limit is one hour


def regulator_import_process(*, import_id: int, now: datetime | None = None) -> RegulatorImport:
    """Import the batch's rows, continuing where an earlier run stopped; a finished batch is
    left alone. The whole file is read before any row is imported, so a file damaged further
    down fails the batch with nothing created."""
    batch = RegulatorImport.objects.select_related("uploaded_by").get(pk=import_id)
    if batch.is_finished:
        return batch
    now = now or timezone.now()
    try:
        with batch.file.open("rb") as handle:
            data = handle.read()
        results = [r for _n, _t, r in iter_regulator_rows(data, batch.original_name, now=now)]
    except (RegulatorFileError, OSError) as error:
        return _fail(batch, str(error))
    start = len(batch.report)
    if not _save_progress(batch, started_at=batch.started_at or timezone.now(),
                          status=RegulatorImportStatus.RUNNING, total_rows=len(results)):
        return batch
    # Rows go through batch intake (intake/pipeline.py) a chunk at a time; the report is saved
    # after each chunk.
    size = max(1, min(settings.INTAKE_REGULATOR_IMPORT_PROGRESS_EVERY, IMPORT_BATCH))
    for begin in range(start, len(results), size):
        chunk = results[begin:begin + size]
        entries = _import_chunk(chunk, batch.uploaded_by)
        if entries is not None:
            batch.report.extend(entries)
        else:  # the chunk failed as a whole: one by one, as before, to name the row that fails
            for result in chunk:
                try:
                    batch.report.append(_import_row(result, batch.uploaded_by))
                except OperationalError:
                    raise  # transient: the task retries and continues from the last saved row
                except Exception as error:
                    _save_progress(batch)
                    _fail(batch, _("Stopped at row %(row)d: %(error)s") % {
                        "row": result.row_no, "error": error})
                    raise
        if not _save_progress(batch):
            return batch  # another run of this batch moved on; it finishes the batch
    _save_progress(batch, status=RegulatorImportStatus.DONE, finished_at=timezone.now())
    return batch


def regulator_imports_resume(*, now: datetime | None = None) -> list[int]:
    """Queue again the batches a lost task left behind: still queued after STALE_QUEUED (the
    broker was down at upload), or running longer than the task's time limit (the worker died).
    Processing continues after the rows already reported, so queueing twice imports nothing
    twice."""
    now = now or timezone.now()
    stale = (RegulatorImport.objects
             .filter(Q(status=RegulatorImportStatus.QUEUED, created_at__lte=now - STALE_QUEUED)
                     | Q(status=RegulatorImportStatus.RUNNING,
                         started_at__lte=now - STALE_RUNNING))
             .values_list("id", flat=True))
    ids = list(stale)
    # The resumed run gets a full time limit before it counts as lost in its turn.
    RegulatorImport.objects.filter(pk__in=ids, status=RegulatorImportStatus.RUNNING) \
        .update(started_at=now)
    for import_id in ids:
        logger.warning("regulator import %s was left unfinished; queued again", import_id)
        _queue(import_id)
    return ids


IMPORT_BATCH = 500  # rows per intake batch (and at most this many between saved progress)


def _import_chunk(chunk: list[RowResult], actor) -> list[dict] | None:
    """The report entries of `chunk`'s rows, recorded through one intake batch; None when the
    batch failed as a whole (nothing of it stored: the caller takes the rows one by one).

    A row whose case number is already on a complaint goes through `_import_row` (it is
    reported as already imported, whether this importer or another channel recorded it)."""
    entries = [_entry(result) for result in chunk]
    cases = {r.message.regulator_case_no for r in chunk
             if r.message is not None and r.message.regulator_case_no}
    taken = set(Complaint.objects.filter(regulator_case_no__in=cases)
                .values_list("regulator_case_no", flat=True)) if cases else set()
    batched = [i for i, r in enumerate(chunk)
               if r.message is not None and r.message.regulator_case_no not in taken]
    try:
        received = intake_batch([chunk[i].message for i in batched], actor=actor)
    except OperationalError:
        raise
    except Exception:  # noqa: BLE001 - taken again row by row, which reports the row
        logger.warning("regulator import: a batch of %d rows failed; taking them one by one",
                       len(batched), exc_info=True)
        return None
    for index, result in zip(batched, received):
        entries[index] = _entry_for(entries[index], result)
    for index, result in enumerate(chunk):
        if result.message is not None and result.message.regulator_case_no in taken:
            entries[index] = _import_row(result, actor)
    return entries


def _entry(result: RowResult) -> dict:
    entry = {"row": result.row_no, "case_no": "", "outcome": "refused", "reference": "",
             "errors": [str(e) for e in result.errors]}
    if result.message is not None:
        entry["case_no"] = result.message.regulator_case_no
    return entry


def _entry_for(entry: dict, received) -> dict:
    if isinstance(received, DomainError):
        entry["errors"] = [str(received.message)]
        return entry
    entry["outcome"] = "created" if received.created else "skipped"
    entry["reference"] = received.complaint.reference if received.complaint else ""
    return entry


def _import_row(result: RowResult, actor) -> dict:
    entry = {"row": result.row_no, "case_no": "", "outcome": "refused", "reference": "",
             "errors": [str(e) for e in result.errors]}
    message = result.message
    if message is None:
        return entry  # refused by the parser; the row number finds it in the file
    entry["case_no"] = message.regulator_case_no
    try:
        received = intake_receive(message=message, actor=actor)
    except InvalidInput as error:
        entry["errors"] = [str(error.message)]
        return entry
    except IntegrityError:
        # The case number is already on a complaint that did not come through this importer
        # (entered through the API, say): the case stays unique; report it as imported.
        existing = Complaint.objects.filter(
            regulator_case_no=message.regulator_case_no).only("reference").first()
        if existing is None:
            raise
        entry.update(outcome="skipped", reference=existing.reference)
        return entry
    entry["outcome"] = "created" if received.created else "skipped"
    entry["reference"] = received.complaint.reference if received.complaint else ""
    return entry


def _save_progress(batch: RegulatorImport, **fields) -> bool:
    """Write the report so far; False when another run of the batch got further meanwhile
    (a redelivered task), so this one stops and leaves the batch to it."""
    counts = {outcome: 0 for outcome in OUTCOMES}
    for entry in batch.report:
        counts[entry["outcome"]] += 1
    values = {"processed_rows": len(batch.report), "report": batch.report,
              "created_count": counts["created"], "skipped_count": counts["skipped"],
              "refused_count": counts["refused"], **fields}
    with transaction.atomic():
        stored = (RegulatorImport.objects.select_for_update()
                  .values_list("processed_rows", "status").get(pk=batch.pk))
        if stored[0] > len(batch.report) or stored[1] in (RegulatorImportStatus.DONE,
                                                          RegulatorImportStatus.FAILED):
            return False
        RegulatorImport.objects.filter(pk=batch.pk).update(**values)
    for key, value in values.items():
        setattr(batch, key, value)
    return True


def _fail(batch: RegulatorImport, error: str) -> RegulatorImport:
    logger.warning("regulator import %s failed: %s", batch.pk, error)
    RegulatorImport.objects.filter(pk=batch.pk).update(
        status=RegulatorImportStatus.FAILED, error=error[:500], finished_at=timezone.now())
    batch.refresh_from_db()
    return batch


# --- reading the report ---------------------------------------------------------------------


def report_rows(batch: RegulatorImport, outcome: str = "") -> list[dict]:
    if outcome in OUTCOMES:
        return [entry for entry in batch.report if entry["outcome"] == outcome]
    return list(batch.report)


def outcome_label(outcome: str) -> str:
    return {"created": pgettext("import outcome", "Created"),
            "skipped": pgettext("import outcome", "Already imported"),
            "refused": pgettext("import outcome", "Refused")}.get(outcome, outcome)


def report_csv(batch: RegulatorImport, outcome: str = "") -> bytes:
    """The report as CSV with a BOM, so Excel opens the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Case number"), _("Outcome"), _("Complaint"), _("Reasons")])
    for entry in report_rows(batch, outcome):
        writer.writerow([entry["row"], formula_safe(entry["case_no"]),
                         outcome_label(entry["outcome"]), entry["reference"],
                         formula_safe(" ".join(entry["errors"]))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
