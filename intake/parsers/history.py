"""An operator's complaint history (CSV, XLSX or JSON Lines) → one `HistoryRow` per record. Pure
(no ORM): the file is read as a stream, so memory stays flat whatever its size.

Columns are named in Chinese or English (`COLUMNS`); a row becomes an IntakeMessage marked
`historical`, with `source="import"` so its external id is the idempotency key of the import,
and the lifecycle steps that take it to its final status, each with its historical time
(`steps`, in the message's metadata under "history"). What needs the database (does the
category or department exist, was the row imported before) is checked by intake/importing.py.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from kernel.personal_data import InvalidPhone, normalize_phone

from .message import CHANNELS, FUTURE_TOLERANCE, LOCAL_ZONE, IntakeMessage
from .regulator import parse_local_datetime

SOURCE = "import"  # InboundMessage.channel of imported rows: their ids' own namespace
FORMATS = ("csv", "xlsx", "jsonl")
EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
              ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}

# field → the header names accepted for it (Chinese first, then English); case, spaces and
# brackets ("联系电话(必填)") do not matter.
COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("工单编号", "工单号", "原工单号", "编号", "external_id", "id", "ticket_id"),
    "received_at": ("受理时间", "接收时间", "投诉时间", "received_at", "received"),
    "acknowledged_at": ("确认时间", "acknowledged_at", "acknowledged"),
    "resolved_at": ("解决时间", "办结时间", "resolved_at", "resolved"),
    "closed_at": ("关闭时间", "结案时间", "归档时间", "closed_at", "closed"),
    "status": ("最终状态", "状态", "工单状态", "final_status", "status"),
    "customer_name": ("客户姓名", "姓名", "customer_name", "name"),
    "customer_phone": ("联系电话", "电话", "手机号码", "手机", "customer_phone", "phone"),
    "customer_email": ("电子邮箱", "邮箱", "customer_email", "email"),
    "category": ("投诉类别", "类别", "分类", "category"),
    "department": ("责任部门", "处理部门", "部门", "department"),
    "channel": ("渠道", "来源渠道", "channel"),
    "title": ("标题", "主题", "title", "subject"),
    "description": ("投诉内容", "内容", "问题描述", "描述", "description"),
    "resolution": ("处理结果", "解决方案", "resolution", "resolution_summary"),
}
REQUIRED = ("external_id", "received_at", "description")

STATUSES = {
    "new": ("new", "新建", "待受理", "未受理"),
    "acknowledged": ("acknowledged", "已受理", "已确认"),
    "in_progress": ("in_progress", "处理中", "办理中"),
    "resolved": ("resolved", "已解决", "已办结", "已处理"),
    "closed": ("closed", "已关闭", "关闭", "已结案", "结案", "已归档"),
    "cancelled": ("cancelled", "canceled", "已取消", "已撤销", "撤销"),
}
OPEN = ("new", "acknowledged", "in_progress")
CHANNEL_NAMES = {
    "电话": "phone", "热线": "phone", "10000": "phone", "10086": "phone", "10010": "phone",
    "网站": "web", "网页": "web", "网上": "web", "邮件": "email", "电子邮件": "email",
    "短信": "sms", "微信": "wechat", "客户端": "app", "营业厅": "store", "门店": "store",
    "信函": "letter", "来信": "letter", "工信部": "regulator", "监管转办": "regulator",
    "申诉": "regulator",
}


class HistoryFileError(Exception):
    """The file itself cannot be imported (missing, unknown format, unreadable, columns
    missing): nothing is imported."""


@dataclass
class HistoryRow:
    line: int  # the file's line (CSV, JSON Lines) or row (XLSX) the record starts on
    external_id: str = ""
    message: IntakeMessage | None = None
    category: str = ""  # as written: a code or a name, resolved by the importer
    department: str = ""
    errors: list[str] = field(default_factory=list)


# --- the file ---------------------------------------------------------------------------------

@dataclass
class HistoryFile:
    path: str
    format: str
    encoding: str = ""
    total: int | None = None  # records expected (for the progress bar), None when unknown

    def rows(self, *, now: datetime) -> Iterator[HistoryRow]:
        records = {"csv": self._csv, "xlsx": self._xlsx, "jsonl": self._jsonl}[self.format]()
        return (parse_record(line, values, now=now) for line, values in records)

    # Each reader yields (line, {field: value}); the header is checked when the file opens.
    def _csv(self):
        with open(self.path, encoding=self.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=_delimiter(handle))
            columns = _columns(next(reader, []))
            start = reader.line_num + 1
            try:
                for values in reader:
                    line, start = start, reader.line_num + 1
                    if any(v.strip() for v in values):
                        yield line, _pick(columns, values)
            except csv.Error as error:
                raise HistoryFileError(_("Line %(line)d: the CSV file is malformed: %(error)s")
                                       % {"line": start, "error": error}) from error

    def _xlsx(self):
        workbook = _workbook(self.path)
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            columns = _columns(next(rows, ()) or ())
            for line, values in enumerate(rows, start=2):
                if any(v not in (None, "") for v in values):
                    yield line, _pick(columns, values)
        except HistoryFileError:
            raise
        except Exception as error:  # a damaged workbook fails part-way in many ways
            raise HistoryFileError(_("The workbook could not be read: %(error)s")
                                   % {"error": error or type(error).__name__}) from error
        finally:
            workbook.close()

    def _jsonl(self):
        with open(self.path, encoding=self.encoding) as handle:
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except ValueError as error:
                    yield line, {"__error__": _("Not a JSON object: %(error)s")
                                 % {"error": error}}
                    continue
                if not isinstance(record, dict):
                    yield line, {"__error__": _("Not a JSON object.")}
                    continue
                values = {}
                for key, value in record.items():
                    name = ALIASES.get(header_key(key))
                    if name and name not in values:
                        values[name] = value
                yield line, values


def history_open(path: str, *, format: str = "") -> HistoryFile:
    """The file, its format (from `format` or the name), encoding and header checked;
    HistoryFileError with the reason when it cannot be imported."""
    if not os.path.isfile(path):
        raise HistoryFileError(_("There is no file %(path)s.") % {"path": path})
    extension = os.path.splitext(path)[1].lower()
    if not format:
        if extension == ".xls":
            raise HistoryFileError(_("This is an old Excel (.xls) file; save it as .xlsx or "
                                     "CSV and import it again."))
        format = EXTENSIONS.get(extension, "")
    if format not in FORMATS:
        raise HistoryFileError(
            _("Unknown file format “%(name)s”: import CSV (.csv), Excel (.xlsx) or JSON Lines "
              "(.jsonl), or name the format with --format.") % {"name": format or extension
                                                                or os.path.basename(path)})
    if format == "xlsx":
        workbook = _workbook(path)
        try:
            sheet = workbook.worksheets[0]
            _columns(next(sheet.iter_rows(values_only=True), ()) or ())
            total = (sheet.max_row - 1) if sheet.max_row else None
        finally:
            workbook.close()
        return HistoryFile(path, format, total=total)
    encoding, lines = _scan(path)
    history = HistoryFile(path, format, encoding=encoding, total=lines)
    if format == "csv":
        with open(path, encoding=encoding, newline="") as handle:
            delimiter = _delimiter(handle)
            try:
                _columns(next(csv.reader(handle, delimiter=delimiter), []))
            except csv.Error as error:
                raise HistoryFileError(_("The CSV file is malformed: %(error)s")
                                       % {"error": error}) from error
        history.total = max(0, lines - 1)
    return history


def _scan(path: str) -> tuple[str, int]:
    """The text's encoding (UTF-8 with or without BOM, else GB18030, as Chinese Excel saves
    CSV) and its number of lines, reading the file once in chunks."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise HistoryFileError(_("The file is UTF-16 text; save it as UTF-8 (or GB18030) and "
                                 "import it again."))
    for encoding in ("utf-8-sig", "gb18030"):
        decoder, lines, last = codecs.getincrementaldecoder(encoding)(), 0, b"\n"
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
                    lines, last = lines + chunk.count(b"\n"), chunk[-1:]
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding, lines + (last != b"\n")
    raise HistoryFileError(_("The file is neither UTF-8 nor GB18030 (GBK) text."))


def _delimiter(handle) -> str:
    first = handle.readline()
    handle.seek(0)
    return max(",\t;", key=first.count) if any(d in first for d in ",\t;") else ","


def _workbook(path: str):
    import openpyxl  # only XLSX needs it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise HistoryFileError(_("The file could not be read as an Excel workbook: %(error)s")
                               % {"error": error or type(error).__name__}) from error
    if not workbook.worksheets:
        workbook.close()
        raise HistoryFileError(_("The workbook has no worksheet."))
    return workbook


def header_key(value: Any) -> str:
    text = unicodedata.normalize("NFKC", text_of(value)).replace("\ufeff", "")
    text = re.sub(r"\(.*?\)", "", text).strip(" \t*:").casefold()
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


def _columns(header) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, label in enumerate(header):
        name = ALIASES.get(header_key(label))
        if name and name not in columns:
            columns[name] = index
    missing = [f"{COLUMNS[f][0]} ({COLUMNS[f][-1] if f != 'external_id' else 'external_id'})"
               for f in REQUIRED if f not in columns]
    if missing:
        raise HistoryFileError(_("Required columns are missing: %(columns)s. The first row "
                                 "must name the columns.") % {"columns": "、".join(missing)})
    return columns


def _pick(columns: dict[str, int], values) -> dict[str, Any]:
    return {name: values[index] for name, index in columns.items() if index < len(values)}


def text_of(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', None as ''."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


ALIASES = {header_key(name): name_field for name_field, names in COLUMNS.items()
           for name in names}


# --- one record ---------------------------------------------------------------------------------

def parse_record(line: int, values: dict[str, Any], *, now: datetime) -> HistoryRow:
    """One record → its message and historical steps, or every problem found in it."""
    row = HistoryRow(line)
    if "__error__" in values:
        row.errors.append(values["__error__"])
        return row
    text = {name: text_of(values.get(name)).replace("\r\n", "\n") for name in COLUMNS}
    row.external_id = unicodedata.normalize("NFKC", text["external_id"]).strip()
    row.category, row.department = text["category"], text["department"]
    error = row.errors.append
    for name in REQUIRED:
        if not text[name].strip():
            error(_("%(column)s is empty; it is required.") % {"column": _label(name)})
    moments = {}
    for name in ("received_at", "acknowledged_at", "resolved_at", "closed_at"):
        if text[name]:
            try:
                moments[name] = parse_local_datetime(values.get(name))
            except (ValueError, TypeError, OverflowError):
                error(_("%(column)s: “%(value)s” is not a date and time (for example "
                        "2025-03-08 09:30 or 2025/3/8 9:30).")
                      % {"column": _label(name), "value": text[name]})
                continue
            if moments[name] > now + FUTURE_TOLERANCE:
                error(_("%(column)s: %(value)s is in the future.")
                      % {"column": _label(name), "value": _show(moments[name])})
    status = _status(text["status"], moments, error)
    channel = _channel(text["channel"], error)
    phone = None
    if text["customer_phone"]:
        try:
            phone = normalize_phone(text["customer_phone"])
        except InvalidPhone as problem:
            error(_("%(column)s: %(error)s") % {"column": _label("customer_phone"),
                                                "error": problem})
    steps = _steps(status, moments, error) if status and "received_at" in moments else []
    if row.errors:
        return row
    row.message = IntakeMessage(
        channel=channel, external_id=row.external_id, received_at=moments["received_at"],
        description=text["description"].strip(), subject=text["title"].strip(),
        customer_name=text["customer_name"], customer_phone=phone,
        customer_email=text["customer_email"], category_code=text["category"],
        historical=True, source=SOURCE,
        metadata={"history": {"line": line, "status": status,
                              "steps": [[action, at.isoformat()] for action, at in steps],
                              "resolution": text["resolution"].strip()}})
    return row


def _label(name: str) -> str:
    return f"{COLUMNS[name][0]}/{COLUMNS[name][-1] if name != 'external_id' else 'external_id'}"


def _show(moment: datetime) -> str:
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")


STATUS_ALIASES = {header_key(name): status for status, names in STATUSES.items()
                  for name in names}


def _status(value: str, moments: dict, error) -> str:
    if not value:  # not given: what the times say
        return "closed" if "closed_at" in moments else (
            "resolved" if "resolved_at" in moments else "new")
    status = STATUS_ALIASES.get(header_key(value))
    if status is None:
        error(_("%(column)s: “%(value)s” is not a status this import knows (%(known)s).")
              % {"column": _label("status"), "value": value,
                 "known": "、".join(names[1] for names in STATUSES.values())})
        return ""
    return status


def _channel(value: str, error) -> str:
    if not value:
        return "phone"
    key = unicodedata.normalize("NFKC", value).strip()
    channel = key.casefold() if key.casefold() in CHANNELS else next(
        (code for name, code in CHANNEL_NAMES.items() if name in key), "")
    if not channel:
        error(_("%(column)s: “%(value)s” is not a known channel.")
              % {"column": _label("channel"), "value": value})
    return channel


def _steps(status: str, moments: dict, error) -> list[tuple[str, datetime]]:
    """The lifecycle steps from new to `status`, each at its historical time."""
    received = moments["received_at"]
    resolved, closed = moments.get("resolved_at"), moments.get("closed_at")
    if status in OPEN and (resolved or closed):
        error(_("The final status is open (%(status)s) but a resolved or closed time is "
                "given.") % {"status": status})
        return []
    if status == "resolved" and closed:
        error(_("The final status is resolved but a closed time is given; give the status "
                "closed, or no closed time."))
        return []
    if status == "cancelled":
        return [("cancel", closed or received)]
    if status == "resolved" and resolved is None:
        error(_("The final status is resolved but %(column)s is empty.")
              % {"column": _label("resolved_at")})
        return []
    if status == "closed" and closed is None:
        error(_("The final status is closed but %(column)s is empty.")
              % {"column": _label("closed_at")})
        return []
    acknowledged = moments.get("acknowledged_at") or received
    resolved = resolved or closed
    order = [(n, m) for n, m in (("received_at", received), ("acknowledged_at", acknowledged),
                                 ("resolved_at", resolved), ("closed_at", closed)) if m]
    for (first, earlier), (second, later) in zip(order, order[1:]):
        if later < earlier:
            error(_("%(later)s (%(b)s) is before %(earlier)s (%(a)s).")
                  % {"later": _label(second), "b": _show(later), "earlier": _label(first),
                     "a": _show(earlier)})
            return []
    steps = []
    if status != "new":
        steps.append(("acknowledge", acknowledged))
    if status in ("in_progress", "resolved", "closed"):
        steps.append(("start", acknowledged))
    if status in ("resolved", "closed"):
        steps.append(("resolve", resolved))
    if status == "closed":
        steps.append(("close", closed))
    return steps


