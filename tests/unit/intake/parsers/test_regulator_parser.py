"""Regulator transfer batches: the CSVs are in tests/fixtures/intake/regulator/ (a UTF-8 export
with BOM and CRLF, a GB18030 one from Chinese Excel with a title row); the XLSX is built here
with openpyxl, with real date cells, a number-typed phone column and an Excel serial date."""

import codecs
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from intake.parsers.regulator import (
    RegulatorFileError,
    RowResult,
    iter_regulator_rows,
    parse_local_datetime,
    parse_regulator_batch,
)

BEIJING = ZoneInfo("Asia/Shanghai")
HEADER = ["申诉编号", "申诉人", "联系电话", "业务号码", "申诉时间", "申诉内容", "申诉类别",
          "办结时限", "所在地区"]


@pytest.fixture
def batch(fixture_bytes):
    return lambda name: fixture_bytes("regulator", name)


def by_row(results: list[RowResult]) -> dict[int, RowResult]:
    return {result.row_no: result for result in results}


def codes(result: RowResult) -> list[tuple[str, str]]:
    return [(error.column, error.code) for error in result.errors]


def test_utf8_bom_csv_good_and_bad_rows(batch, english):
    rows = by_row(parse_regulator_batch(batch("batch_utf8_bom.csv"), "batch_utf8_bom.csv"))

    assert sorted(rows) == [2, 3, 4, 5, 6, 7]  # as Excel numbers them, header = row 1
    good = rows[2].message
    assert rows[2].errors == []
    assert good.channel == "regulator"
    assert good.external_id == good.regulator_case_no == "GXB2026112000101"
    assert good.customer_name == "张伟"
    assert good.customer_phone == "13812345678"  # written "138 1234 5678"
    assert good.service_number == "13812345678"
    assert good.received_at == datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING)
    assert good.regulator_due_at == datetime(2026, 11, 27, 23, 59, 59, tzinfo=BEIJING)
    assert good.description == "宽带每晚八点后掉线，报修三次未解决。\n要求赔偿一个月月租。"
    assert good.category_code == "网络质量"
    assert good.location == "北京市朝阳区"
    assert good.metadata["row"] == 2
    assert good.metadata["columns"]["申诉编号"] == "GXB2026112000101"

    assert rows[3].message is None
    assert codes(rows[3]) == [("联系电话", "phone")]
    assert str(rows[3].errors[0]).startswith("联系电话: “1381234” is not a Chinese mobile number")

    assert codes(rows[4]) == [("申诉内容", "required")]
    assert str(rows[4].errors[0]) == "申诉内容 is empty; it is required."

    assert codes(rows[5]) == [("申诉时间", "date")]
    assert "“2026年11月32日” is not a date and time" in str(rows[5].errors[0])

    assert codes(rows[6]) == [("申诉编号", "duplicate")]
    assert str(rows[6].errors[0]) == ("申诉编号: case GXB2026112000101 already appears in row 2 "
                                      "of this file.")

    landline = rows[7].message
    assert landline.customer_phone == "01012345678"
    assert landline.received_at == datetime(2026, 11, 22, 8, 0, tzinfo=BEIJING)
    assert landline.regulator_due_at == datetime(2026, 11, 29, 12, 0, tzinfo=BEIJING)


def test_gb18030_csv_from_chinese_excel_with_a_title_row(batch, english):
    rows = by_row(parse_regulator_batch(batch("batch_gb18030.csv"), "转办清单.csv"))

    assert sorted(rows) == [3, 4, 6, 7]  # title row 1, header row 2, blank row 5 skipped
    first = rows[3].message
    assert first.customer_name == "刘䶮"  # a GB18030 four-byte character
    assert first.external_id == "GD12300-2026-0088"
    assert first.received_at == datetime(2026, 11, 23, 16, 20, tzinfo=BEIJING)
    assert first.regulator_due_at == datetime(2026, 11, 30, 23, 59, 59, tzinfo=BEIJING)
    assert first.category_code == "携号转网"

    # The header said 联系电话（必填）; errors name the column as the file does.
    assert codes(rows[4]) == [("联系电话（必填）", "phone")]
    assert "was turned into a number by Excel" in str(rows[4].errors[0])

    assert rows[6].message.received_at == datetime(2026, 11, 24, 8, 15, tzinfo=BEIJING)

    assert codes(rows[7]) == [("联系电话（必填）", "required"), ("办结时限", "due_before_received")]
    assert str(rows[7].errors[1]) == ("办结时限: the deadline 2026-11-20 23:59 is before the "
                                      "complaint was received (2026-11-24 09:00).")


def test_english_headers_are_accepted(batch):
    (result,) = parse_regulator_batch(batch("batch_english_headers.csv"), "miit.csv")

    message = result.message
    assert message.external_id == "MIIT-2026-77001"
    assert message.customer_name == "Wang Lei"
    assert message.customer_phone == "13500003333"
    assert message.received_at == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert message.regulator_due_at == datetime(2026, 12, 2, 17, 0, tzinfo=BEIJING)


def test_the_same_rows_in_utf8_and_gb18030_give_the_same_messages(batch):
    data = batch("batch_utf8_bom.csv")
    as_gb18030 = data[len(codecs.BOM_UTF8):].decode("utf-8").encode("gb18030")
    as_utf8_without_bom = data[len(codecs.BOM_UTF8):]

    expected = parse_regulator_batch(data, "a.csv")
    for variant in (as_gb18030, as_utf8_without_bom):
        results = parse_regulator_batch(variant, "a.csv")
        assert [r.message for r in results] == [r.message for r in expected]


def test_tab_separated_utf16_export(batch):
    data = batch("batch_english_headers.csv").decode().replace(",", "\t")
    (result,) = parse_regulator_batch(data.encode("utf-16"), "export.txt")
    assert result.message.external_id == "MIIT-2026-77001"


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "转办清单"
    sheet.append(["工业和信息化部电信用户申诉受理中心 转办单 2026年11月"])
    sheet.merge_cells("A1:I1")
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_upload(english):
    data = xlsx([
        ["GXB001", "张伟", 13812345678, 13812345678, datetime(2026, 11, 20, 9, 30),
         "宽带掉线", "网络质量", datetime(2026, 11, 27), "北京市朝阳区"],
        [],
        ["GXB002", "李娜", "139 1234 5678", None, 46346.5, "扣费不明", "资费争议", None, "上海"],
        ["GXB003", "王芳", "139123", None, "下周一", "信号差", None, None, None],
        ["GXB001", "张伟", 13812345678, None, datetime(2026, 11, 21, 8, 0), "再次申诉", None, None,
         None],
    ])

    progress = list(iter_regulator_rows(data, "转办单.xlsx"))

    assert [(row_no, total) for row_no, total, _ in progress] == [(3, 5), (5, 5), (6, 5), (7, 5)]
    rows = by_row([result for _, _, result in progress])
    first = rows[3].message
    assert first.customer_phone == "13812345678"  # a number cell, not "13812345678.0"
    assert first.service_number == "13812345678"
    assert first.received_at == datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING)
    # A date cell without a time, as a deadline: the end of that day.
    assert first.regulator_due_at == datetime(2026, 11, 27, 23, 59, 59, tzinfo=BEIJING)
    assert first.metadata["sheet"] == "转办清单"
    assert rows[5].message.received_at == datetime(2026, 11, 20, 12, 0, tzinfo=BEIJING)  # serial
    assert codes(rows[6]) == [("联系电话", "phone"), ("申诉时间", "date")]
    assert codes(rows[7]) == [("申诉编号", "duplicate")]


def test_received_in_the_future_is_refused_when_now_is_given(english):
    data = xlsx([["GXB009", "张伟", "13812345678", None, "2026-12-31 09:00", "宽带掉线", None, None,
                  None]])
    now = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)

    (result,) = parse_regulator_batch(data, "b.xlsx", now=now)

    assert codes(result) == [("申诉时间", "future")]
    assert str(result.errors[0]) == "申诉时间: 2026-12-31 09:00 is in the future."
    assert parse_regulator_batch(data, "b.xlsx")[0].message is not None


@pytest.mark.parametrize(("data", "filename", "words"), [
    (b"", "a.csv", "The file is empty."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "a.xls", "old Excel (.xls)"),
    (b"not a zip", "a.xlsx", "not an Excel workbook"),
    (b"PK\x03\x04broken", "a.xlsx", "could not be read as an Excel workbook"),
    ("姓名,年龄\n张三,30\n".encode(), "a.csv", "No header row found"),
    ("申诉编号,申诉人,联系电话,申诉内容\nA1,张三,13812345678,x\n".encode(), "a.csv",
     "Required columns are missing: 申诉时间."),
    (b"\xff\xfe\x00\xd8" + b"\x81\x30" * 10, "a.csv", "neither UTF-8 nor GB18030"),
])
def test_unreadable_files_are_refused_as_a_whole(english, data, filename, words):
    with pytest.raises(RegulatorFileError) as excinfo:
        parse_regulator_batch(data, filename)
    assert words in str(excinfo.value)


def test_a_damaged_workbook_is_refused_as_a_whole(english):
    data = xlsx([["GXB001", "张伟", "13812345678", None, "2026-11-20 09:30", "宽带掉线", None, None,
                  None]] * 50)
    for cut in (len(data) // 3, len(data) // 2, len(data) - 30):
        with pytest.raises(RegulatorFileError) as excinfo:
            parse_regulator_batch(data[:cut], "b.xlsx")
        assert "could not be read as an Excel workbook" in str(excinfo.value)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-20 09:30", datetime(2026, 11, 20, 9, 30)),
    ("2026/11/20 9:30", datetime(2026, 11, 20, 9, 30)),
    ("2026/11/20 9:30:15", datetime(2026, 11, 20, 9, 30, 15)),
    ("2026.11.20 09:30", datetime(2026, 11, 20, 9, 30)),
    ("2026年11月20日 9时30分", datetime(2026, 11, 20, 9, 30)),
    ("2026年11月20日9:30", datetime(2026, 11, 20, 9, 30)),
    ("2026/11/20 下午 2:30", datetime(2026, 11, 20, 14, 30)),
    ("２０２６－１１－２０　０９：３０", datetime(2026, 11, 20, 9, 30)),  # full-width
    ("20261120 0930", datetime(2026, 11, 20, 9, 30)),
    ("2026-11-20", datetime(2026, 11, 20, 0, 0)),
    ("46346.395833333", datetime(2026, 11, 20, 9, 30)),  # an Excel serial exported as text
    (46346, datetime(2026, 11, 20, 0, 0)),
    (datetime(2026, 11, 20, 9, 30), datetime(2026, 11, 20, 9, 30)),
])
def test_dates_are_beijing_time(value, expected):
    moment = parse_local_datetime(value)
    assert moment.tzinfo is not None
    assert abs((moment - expected.replace(tzinfo=BEIJING)).total_seconds()) < 1


def test_an_explicit_offset_is_kept():
    assert (parse_local_datetime("2026-11-20T01:30:00+00:00")
            == datetime(2026, 11, 20, 9, 30, tzinfo=BEIJING))


@pytest.mark.parametrize("value", ["2026-02-30 10:00", "2026-11-20 25:00", "下周一", "1899-01-01",
                                   "12345", "", 3.5, True])
def test_impossible_dates_are_refused(value):
    with pytest.raises(ValueError):
        parse_local_datetime(value)


def test_two_numbers_in_one_phone_cell_take_the_first():
    data = ("申诉编号,联系电话,申诉时间,申诉内容\n"
            "A1,13812345678/010-12345678,2026-11-20 09:30,宽带掉线\n").encode()
    (result,) = parse_regulator_batch(data, "a.csv")
    assert result.message.customer_phone == "13812345678"


def test_too_long_values_fail_their_row_only(english):
    data = ("申诉编号,联系电话,申诉时间,申诉内容,业务号码\n"
            f"{'A' * 65},13812345678,2026-11-20 09:30,宽带掉线,1\n"
            "B1,13812345678,2026-11-20 09:30,宽带掉线,2\n").encode()
    first, second = parse_regulator_batch(data, "a.csv")
    assert codes(first) == [("申诉编号", "too_long")]
    assert str(first.errors[0]) == "申诉编号 is longer than 64 characters."
    assert second.message is not None


def test_large_file_reports_progress_lazily():
    lines = ["申诉编号,联系电话,申诉时间,申诉内容"]
    lines += [f"C{n:05d},13812345678,2026-11-20 09:30,宽带掉线{n}" for n in range(2000)]
    rows = iter_regulator_rows("\n".join(lines).encode(), "big.csv")

    row_no, total, result = next(rows)
    assert (row_no, total, result.message.external_id) == (2, 2000, "C00000")
    assert sum(1 for _ in rows) == 1999
