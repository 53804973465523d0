"""Regulator transfer batches (工信部 / 12300 appeals), CSV or XLSX → one result per row. Pure.

A batch has a header row in Chinese (English aliases accepted), possibly under a title row. Each
data row becomes a ``RowResult(row_no, message, errors)``: ``message`` is None when ``errors`` is
not empty. Row numbers are the ones a person sees in Excel (1-based, header and title rows
counted). Times without a zone are Beijing time; a date without a time means the start of that
day for 申诉时间 and the end of it for 办结时限.

A file that cannot be read as a batch at all (old .xls, not text, no header, a required column
missing) raises ``RegulatorFileError``; in ``iter_regulator_rows`` that happens on the first
``next()``, or, for an XLSX damaged further down, part-way through: store nothing from a batch
until it has been read to the end (``parse_regulator_batch`` does that).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from kernel.personal_data import InvalidPhone, normalize_phone

from .message import FUTURE_TOLERANCE, LOCAL_ZONE, IntakeMessage, require_aware

# field → accepted header names (normalised: see _header_key); the first is the one we show.
COLUMNS: dict[str, tuple[str, ...]] = {
    "case_no": ("申诉编号", "申诉单号", "工单编号", "案件编号", "投诉编号", "转办编号",
                "case_no", "case_number", "case", "appeal_no", "appeal_number"),
    "name": ("申诉人", "申诉人姓名", "投诉人", "用户姓名", "客户姓名", "姓名",
             "name", "complainant", "customer_name", "customer"),
    "phone": ("联系电话", "联系方式", "联系号码", "电话", "手机号码", "手机",
              "phone", "contact_phone", "telephone", "mobile"),
    "service_number": ("业务号码", "被申诉号码", "涉及号码", "用户号码", "服务号码",
                       "service_number", "account", "account_number"),
    "received_at": ("申诉时间", "申诉日期", "受理时间", "登记时间",
                    "received_at", "submitted_at", "appeal_time", "complaint_time", "date"),
    "description": ("申诉内容", "诉求内容", "投诉内容", "问题描述", "内容",
                    "description", "content", "details"),
    "category": ("申诉类别", "投诉类别", "问题类别", "问题分类", "category"),
    "due_at": ("办结时限", "处理时限", "办理时限", "回复时限", "截止时间",
               "due_at", "deadline", "due"),
    "location": ("所在地区", "地区", "所在地", "用户所在地", "归属地",
                 "location", "region", "area"),
    "email": ("电子邮箱", "邮箱", "email", "e_mail"),
    "subject": ("标题", "申诉标题", "subject", "title"),
}
REQUIRED = ("case_no", "phone", "received_at", "description")
# Database column sizes (complaints.models), checked here so a row fails alone, with a reason.
MAX_LENGTHS = {"case_no": 64, "name": 100, "service_number": 40, "location": 200,
               "subject": 200, "email": 254}
HEADER_SEARCH_ROWS = 10

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
SERIAL_RE = re.compile(r"^\d{5}(\.\d+)?$")
PHONE_SPLIT_RE = re.compile(r"[/,，;；、|]")
DATE_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?(?:\.\d+)?)?$"
)
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\s*(\d{2}):?(\d{2})(?::?(\d{2}))?)?$")
EXCEL_EPOCH = datetime(1899, 12, 30)


class RegulatorFileError(ValueError):
    """The file as a whole cannot be read as a regulator batch."""


@dataclass(frozen=True)
class RowError:
    column: str  # the column's label as written in the file's header
    # required | phone | date | future | due_before_received | too_long | email | duplicate
    code: str
    message: str  # a sentence for the import report, in the active language

    def __str__(self) -> str:
        return self.message


class RowResult(NamedTuple):
    row_no: int
    message: IntakeMessage | None
    errors: list[RowError]


def parse_regulator_batch(data: bytes, filename: str, *,
                          now: datetime | None = None) -> list[RowResult]:
    return [result for _row, _total, result in iter_regulator_rows(data, filename, now=now)]


def iter_regulator_rows(data: bytes, filename: str, *, now: datetime | None = None
                        ) -> Iterator[tuple[int, int | None, RowResult]]:
    """Yield ``(row_no, total_or_None, result)`` row by row, for progress on large files.

    ``total`` is the number of data rows below the header (for XLSX the sheet's declared size,
    which may count trailing blank rows; None when the file does not say). Blank rows are
    skipped. With `now`, a 申诉时间 more than a few minutes later is refused.
    """
    if now is not None:
        require_aware(now)
    rows, total_rows, sheet = _read(data, filename)
    header_row_no, header, columns, rows = _find_header(rows)
    total = None if total_rows is None else max(total_rows - header_row_no, 0)
    seen_cases: dict[str, int] = {}
    source = {"file": filename} | ({"sheet": sheet} if sheet else {})
    for row_no, values in rows:
        if all(_text(v) == "" for v in values):
            continue
        result = _row_result(row_no, values, header, columns, seen_cases, source, now)
        yield row_no, total, result


# --- reading ---------------------------------------------------------------------------------

Rows = Iterator[tuple[int, list[Any]]]


def _read(data: bytes, filename: str) -> tuple[Rows, int | None, str]:
    if not data or data.isspace():
        raise RegulatorFileError(_("The file is empty."))
    if data.startswith(OLE_MAGIC):
        raise RegulatorFileError(
            _("This is an old Excel (.xls) file; save it as .xlsx or CSV and upload it again."))
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise RegulatorFileError(_("The file is named .xlsx but is not an Excel workbook."))
    rows, total = _read_csv(data)
    return rows, total, ""


def _read_csv(data: bytes) -> tuple[Rows, int]:
    text = _decode_csv(data)
    sample = text[:8192]
    delimiter = max(",\t;", key=sample.count) if any(d in sample for d in ",\t;") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise RegulatorFileError(
            _("The CSV file is malformed: %(error)s") % {"error": error}) from error
    return iter(enumerate(records, start=1)), len(records)


def _decode_csv(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        candidates, data = ["utf-8"], data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]  # Excel's "Unicode text" export
    else:
        candidates = ["utf-8", "gb18030"]  # Chinese Excel saves CSV in GB18030 (GBK)
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegulatorFileError(_("The CSV file is neither UTF-8 nor GB18030 (GBK) text."))


def _read_xlsx(data: bytes) -> tuple[Rows, int | None, str]:
    import openpyxl  # only XLSX needs it

    # A damaged workbook fails in zipfile, zlib, the XML parser or openpyxl, in many ways, and
    # in read-only mode also part-way through the rows: each is the file's fault.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        max_row = sheet.max_row if sheet is not None else None
    except Exception as error:
        raise _unreadable_workbook(error) from error
    if sheet is None:
        raise RegulatorFileError(_("The workbook has no worksheet."))

    def rows():
        try:
            for row_no, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield row_no, list(values)
        except Exception as error:
            raise _unreadable_workbook(error) from error
        finally:
            workbook.close()

    return rows(), max_row, sheet.title


def _unreadable_workbook(error: Exception) -> RegulatorFileError:
    return RegulatorFileError(_("The file could not be read as an Excel workbook: %(error)s")
                              % {"error": error or type(error).__name__})


def _find_header(rows: Rows):
    """The header row (a title row may stand above it): its number, its labels, field →
    (column index, label as written), and the rows below it."""
    scanned = []
    best: tuple[int, list[str], dict[str, tuple[int, str]]] | None = None
    for row_no, values in rows:
        scanned.append((row_no, values))
        labels = [_text(v) for v in values]
        columns: dict[str, tuple[int, str]] = {}
        for index, label in enumerate(labels):
            field = ALIASES.get(_header_key(label))
            if field and field not in columns:
                columns[field] = (index, label)
        if best is None or len(columns) > len(best[2]):
            best = (row_no, labels, columns)
        if all(field in columns for field in REQUIRED) or len(scanned) >= HEADER_SEARCH_ROWS:
            break
    if best is None or len(best[2]) < 2:
        raise RegulatorFileError(
            _("No header row found: none of the first rows names the expected columns "
              "(%(columns)s).") % {"columns": "、".join(COLUMNS[f][0] for f in REQUIRED)})
    missing = [COLUMNS[field][0] for field in REQUIRED if field not in best[2]]
    if missing:
        raise RegulatorFileError(_("Required columns are missing: %(columns)s.")
                                 % {"columns": "、".join(missing)})
    header_row_no, labels, columns = best
    below = [(n, v) for n, v in scanned if n > header_row_no]
    return header_row_no, labels, columns, itertools.chain(below, rows)


def _header_key(value: Any) -> str:
    text = unicodedata.normalize("NFKC", _text(value)).replace("\ufeff", "")
    text = re.sub(r"\(.*?\)", "", text)  # "联系电话(必填)"; NFKC made （） into ()
    text = text.strip(" \t*:").casefold()
    return re.sub(r"[\s\-./]+", "_", text).strip("_")


# --- one row ---------------------------------------------------------------------------------

def _row_result(row_no, values, header, columns, seen_cases, source, now) -> RowResult:
    errors: list[RowError] = []
    cell = {field: values[index] if index < len(values) else None
            for field, (index, _label) in columns.items()}
    label = {field: columns[field][1] if field in columns else COLUMNS[field][0]
             for field in COLUMNS}

    def error(field, code, message):
        errors.append(RowError(label[field], code, message))

    text = {field: _text(cell.get(field)).replace("\r\n", "\n") for field in COLUMNS}
    for field in ("case_no", "service_number"):
        text[field] = unicodedata.normalize("NFKC", text[field]).strip()
    for field in REQUIRED:
        if not text[field]:
            error(field, "required", _("%(column)s is empty; it is required.")
                  % {"column": label[field]})
    for field, limit in MAX_LENGTHS.items():
        if len(text[field]) > limit:
            error(field, "too_long", _("%(column)s is longer than %(max)d characters.")
                  % {"column": label[field], "max": limit})

    phone = _phone(text["phone"], label["phone"], error) if text["phone"] else None
    received_at = due_at = None
    if text["received_at"]:
        received_at = _moment(cell["received_at"], "received_at", label, error)
    if received_at and now is not None and received_at > now + FUTURE_TOLERANCE:
        error("received_at", "future", _("%(column)s: %(value)s is in the future.")
              % {"column": label["received_at"], "value": _show(received_at)})
    if text["due_at"]:
        due_at = _moment(cell["due_at"], "due_at", label, error, end_of_day=True)
    if received_at and due_at and due_at < received_at:
        error("due_at", "due_before_received",
              _("%(column)s: the deadline %(due)s is before the complaint was received "
                "(%(received)s).") % {"column": label["due_at"], "due": _show(due_at),
                                      "received": _show(received_at)})
    email = text["email"]
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        error("email", "email", _("%(column)s: “%(value)s” is not an email address.")
              % {"column": label["email"], "value": email})

    case_key = text["case_no"].upper()
    if case_key:
        if case_key in seen_cases:
            error("case_no", "duplicate",
                  _("%(column)s: case %(value)s already appears in row %(row)d of this file.")
                  % {"column": label["case_no"], "value": text["case_no"],
                     "row": seen_cases[case_key]})
        else:
            seen_cases[case_key] = row_no

    if errors:
        return RowResult(row_no, None, errors)
    return RowResult(row_no, IntakeMessage(
        channel="regulator",
        external_id=text["case_no"],
        received_at=received_at,
        description=text["description"],
        customer_name=text["name"],
        customer_phone=phone,
        customer_email=email,
        service_number=text["service_number"],
        subject=text["subject"],
        location=text["location"],
        category_code=text["category"],
        regulator_case_no=text["case_no"],
        regulator_due_at=due_at,
        metadata=source | {"row": row_no, "columns": {
            label: _text(value) for label, value in zip(header, values, strict=False) if label}},
    ), [])


def _phone(raw: str, column: str, error) -> str | None:
    if SCIENTIFIC_RE.match(raw):
        error("phone", "phone",
              _("%(column)s: “%(value)s” was turned into a number by Excel and lost its digits; "
                "format the column as text and export again.") % {"column": column, "value": raw})
        return None
    try:
        return normalize_phone(raw)
    except InvalidPhone as problem:
        # Two numbers in one cell ("138…/010-…"): the first is the one to call.
        first = PHONE_SPLIT_RE.split(raw)[0]
        if first != raw:
            try:
                return normalize_phone(first)
            except InvalidPhone:
                pass
        error("phone", "phone", _("%(column)s: %(error)s") % {"column": column,
                                                              "error": problem})
    return None


def _moment(value, field, label, error, *, end_of_day=False) -> datetime | None:
    try:
        return parse_local_datetime(value, end_of_day=end_of_day)
    except ValueError:
        error(field, "date",
              _("%(column)s: “%(value)s” is not a date and time (for example "
                "2026-11-20 09:30 or 2026/11/20 9:30).")
              % {"column": label[field], "value": _text(value)})
        return None


def parse_local_datetime(value: Any, *, end_of_day: bool = False) -> datetime:
    """An aware datetime from a cell: Excel dates and serial numbers, ISO 8601 with or without
    an offset, 2026-11-20 09:30, 2026/11/20 9:30, 2026.11.20, 2026年11月20日 9时30分, 20261120.
    Times without an offset are Beijing time. Raises ValueError."""
    if isinstance(value, datetime):
        # An Excel date cell comes as midnight; for a deadline that means "by the end of it".
        is_bare_date = value.tzinfo is None and value.time() == time(0, 0)
        moment = _date_only(value.date(), end_of_day) if is_bare_date else value
    elif isinstance(value, date):
        moment = _date_only(value, end_of_day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = _from_serial(float(value), end_of_day)
    else:
        moment = _from_text(_text(value), end_of_day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    if not 2000 <= moment.astimezone(LOCAL_ZONE).year <= 2100:
        raise ValueError(f"implausible year in {value!r}")
    return moment


def _from_text(text: str, end_of_day: bool) -> datetime:
    text = unicodedata.normalize("NFKC", text).strip()
    if SERIAL_RE.match(text):
        return _from_serial(float(text), end_of_day)
    afternoon = "下午" in text or "晚上" in text
    text = re.sub(r"上午|下午|晚上|凌晨|早上", " ", text)
    text = re.sub(r"[年月/.]", "-", text).replace("日", " ").replace("号", " ")
    text = re.sub(r"[时点]", ":", text).replace("分", "").replace("秒", "")
    text = " ".join(text.replace("T", " ", 1).split()).rstrip(":")
    text = re.sub(r"\s*:\s*", ":", text)
    match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
    if match is None:
        try:
            return datetime.fromisoformat(text)  # keeps an explicit offset
        except ValueError:
            raise ValueError(f"not a date: {text!r}") from None
    year, month, day, hour, minute, second = (int(g) if g else None for g in match.groups())
    if hour is None:
        return _date_only(date(year, month, day), end_of_day)
    if afternoon and hour < 12:
        hour += 12
    return datetime(year, month, day, hour, minute or 0, second or 0)


def _from_serial(serial: float, end_of_day: bool) -> datetime:
    if not 20000 <= serial <= 80000:  # 1954…2119: anything else is not a date
        raise ValueError(f"not an Excel date: {serial}")
    if serial.is_integer():
        return _date_only((EXCEL_EPOCH + timedelta(days=serial)).date(), end_of_day)
    return EXCEL_EPOCH + timedelta(days=serial)


def _date_only(day: date, end_of_day: bool) -> datetime:
    return datetime.combine(day, time(23, 59, 59) if end_of_day else time(0, 0))


def _text(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value).strip()


def _show(moment: datetime) -> str:
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")


ALIASES = {_header_key(name): field for field, names in COLUMNS.items() for name in names}
