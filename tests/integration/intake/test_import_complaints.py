"""`manage.py import_complaints FILE`: an operator's history in CSV, XLSX or JSON Lines, stored
once per external id, with its lifecycle, deadlines and figures as they happened."""

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from complaints.lifecycle import Status
from complaints.models import Activity, Complaint
from intake.models import InboundMessage
from notifications.models import OutboundMessage
from reports.aggregates import dirty_rebuild
from reports.models import ComplaintFact, DailyFigure, DirtyDay
from sla import sweep
from sla.models import Clock, ClockState, Escalation, Metric, SlaEvent
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "import-sample.csv"
SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = ["工单编号", "受理时间", "解决时间", "关闭时间", "最终状态", "客户姓名", "联系电话",
          "投诉类别", "责任部门", "投诉内容"]
CLOSED_ON_TIME = ["H-1", "2025-03-03 09:00", "2025-03-03 15:00", "2025-03-05 10:00", "已关闭",
                  "张伟", "13812345678", "宽带断网/网速慢", "", "宽带每天晚上断网，重启光猫也没用。"]
CLOSED_LATE = ["H-2", "2025-04-01 09:00", "2025-06-30 17:00", "2025-07-02 10:00", "closed",
               "李娜", "13900001111", "billing-unknown-charge", "", "话费多扣了十五元，要求退还。"]
OPEN_OLD = ["H-3", "2026-10-08 10:00", "", "", "处理中", "王芳", "13700002222", "",
            "", "新装宽带网速不达标，测速只有一百兆。"]


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def run(path, *args, committed=None):
    """The command's output and exit status, its after-commit work run as a real commit's."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with translation.override("en"):
            return _run(path, args, committed, out, err)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)


def _run(path, args, committed, out, err):
    call = committed or (lambda fn, *a, **kw: fn(*a, **kw))
    call(call_command, "import_complaints", path, "--no-progress", *args, stdout=out,
         stderr=err)
    return 0, out.getvalue()


def report_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def setup(migration_seeds):
    return DepartmentFactory(code="gz-net", name="广州网络维护中心")


def test_the_sample_file_imports_clean_and_again_creates_nothing(setup, tmp_path, committed):
    report = tmp_path / "report.csv"
    status, output = run(str(SAMPLE), "--report", str(report), committed=committed)
    assert status == 0, output
    assert "20 rows: 20 created" in output
    assert Complaint.objects.count() == 20
    rows = report_rows(report)
    assert [r["outcome"] for r in rows] == ["created"] * 20
    assert rows[0]["line"] == "2" and rows[0]["reference"].startswith("TS20250106")

    status, output = run(str(SAMPLE), "--report", str(report), committed=committed)
    assert status == 0 and "0 created, 20 imported before" in output
    assert Complaint.objects.count() == 20
    assert {r["outcome"] for r in report_rows(report)} == {"duplicate"}


def test_csv_in_gb18030_with_every_field(setup, tmp_path, committed):
    rows = [CLOSED_ON_TIME[:8] + ["广州网络维护中心"] + CLOSED_ON_TIME[9:]]
    path = write_csv(tmp_path / "gbk.csv", rows, encoding="gb18030")
    assert run(path, committed=committed)[0] == 0
    complaint = Complaint.objects.select_related("category", "customer").get()
    assert complaint.status == Status.CLOSED
    assert complaint.category.code == "network-broadband"
    assert complaint.assigned_department == setup
    assert complaint.customer.name == "张伟" and complaint.customer.phone == "13812345678"
    assert complaint.received_at == datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI)
    assert complaint.resolved_at == datetime(2025, 3, 3, 15, 0, tzinfo=SHANGHAI)
    assert complaint.closed_at == datetime(2025, 3, 5, 10, 0, tzinfo=SHANGHAI)
    assert complaint.reference.startswith("TS20250303")
    # The timeline tells the history at its own times, marked as imported.
    steps = list(Activity.objects.filter(complaint=complaint, kind="status_change")
                 .order_by("created_at").values_list("data__to", "created_at", "data__historical"))
    assert [s[0] for s in steps] == ["acknowledged", "in_progress", "resolved", "closed"]
    assert steps[-1][1] == complaint.closed_at and all(s[2] for s in steps)


def test_xlsx_with_english_headers(setup, tmp_path, committed):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["external_id", "received_at", "resolved_at", "closed_at", "final_status",
                  "customer_name", "phone", "category", "department", "description", "title"])
    sheet.append(["X-1", datetime(2025, 5, 6, 9, 30), datetime(2025, 5, 7, 11, 0),
                  datetime(2025, 5, 8, 9, 0), "closed", "Zhao Min", 13344445555,
                  "Broadband outage or slow speed", "gz-net", "宽带断网两天。", "宽带断网"])
    sheet.append(["X-2", "2025-05-09 10:00", None, None, "new", "", None, "", "",
                  "营业员态度差。", ""])
    path = tmp_path / "history.xlsx"
    book.save(path)
    status, output = run(str(path), committed=committed)
    assert status == 0, output
    first = Complaint.objects.get(subject="宽带断网")
    assert first.status == Status.CLOSED and first.customer.phone == "13344445555"
    assert first.category.code == "network-broadband"
    assert Complaint.objects.exclude(pk=first.pk).get().status == Status.NEW


def test_json_lines(setup, tmp_path, committed):
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"external_id": "J-1", "received_at": "2025-02-10T09:00:00+08:00",
         "resolved_at": "2025-02-10T12:00:00+08:00", "status": "resolved",
         "phone": "13612345678", "description": "流量被多扣。", "resolution": "已退还。"},
        {"工单编号": "J-2", "受理时间": "2025/2/11 10:00", "投诉内容": "信号差。",
         "最终状态": "已取消", "关闭时间": "2025/2/11 11:00"},
    ]) + "\n", encoding="utf-8")
    status, output = run(str(path), committed=committed)
    assert status == 0, output
    resolved = Complaint.objects.get(inbound_messages__external_id="J-1")
    assert resolved.status == Status.RESOLVED and resolved.resolution_summary == "已退还。"
    cancelled = Complaint.objects.get(inbound_messages__external_id="J-2")
    assert cancelled.status == Status.CANCELLED


def test_dry_run_checks_every_row_and_stores_nothing(setup, tmp_path):
    path = write_csv(tmp_path / "h.csv", [CLOSED_ON_TIME, ["H-9", "昨天", "", "", "", "", "",
                                                           "", "", "描述"]])
    report = tmp_path / "report.csv"
    status, output = run(path, "--dry-run", "--report", str(report))
    assert status == 1 and "Dry run, nothing stored" in output and "1 valid" in output
    assert [r["outcome"] for r in report_rows(report)] == ["valid", "error"]
    assert not Complaint.objects.exists() and not InboundMessage.objects.exists()


def test_bad_rows_are_reported_by_line_and_the_others_stored(setup, tmp_path, committed):
    path = tmp_path / "bad.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(CLOSED_ON_TIME)                                            # line 2
        writer.writerow(["B-1", "2025-13-45 09:00", "", "", "", "", "", "", "",
                         "日期写错了。"])                                           # line 3
        writer.writerow(["B-2", "2025-03-01 09:00", "", "", "", "", "", "no-such-thing",
                         "", "类别不存在。"])                                        # line 4
        writer.writerow(["B-3", "2025-03-01 09:00", "", "", "", "", "", "", "",
                         "多行\n描述"])                                              # lines 5-6
        writer.writerow(["B-4", "2025-03-01 09:00", "", "", "", "", "", "", "", ""])  # line 7
        writer.writerow(["B-5", "2025-03-01 09:00", "2025-02-01 09:00", "", "resolved",
                         "", "", "", "", "解决时间早于受理时间。"])                    # line 8
        writer.writerow(CLOSED_LATE)                                               # line 9
    report = tmp_path / "report.csv"
    status, output = run(str(path), "--report", str(report), committed=committed)
    assert status == 1, output
    assert "3 created" in output and "4 refused" in output
    outcomes = {r["line"]: r for r in report_rows(report)}
    assert {line: r["outcome"] for line, r in outcomes.items()} == {
        "2": "created", "3": "error", "4": "error", "5": "created", "7": "error",
        "8": "error", "9": "created"}
    assert "2025-13-45" in outcomes["3"]["message"]
    assert "no-such-thing" in outcomes["4"]["message"]
    assert "投诉内容" in outcomes["7"]["message"]
    assert "before" in outcomes["8"]["message"]
    assert set(InboundMessage.objects.values_list("external_id", flat=True)) == {
        "H-1", "B-3", "H-2"}


def test_a_row_the_lifecycle_refuses_leaves_nothing(setup, tmp_path, committed, monkeypatch):
    from complaints import lifecycle

    # A lifecycle in which a resolved complaint cannot be closed: the closed row is refused
    # before anything of its batch is written, the open one beside it is stored.
    monkeypatch.delitem(lifecycle.TRANSITIONS, (Status.RESOLVED, lifecycle.Action.CLOSE))
    report = tmp_path / "report.csv"
    path = write_csv(tmp_path / "h.csv", [CLOSED_ON_TIME, OPEN_OLD])
    assert run(path, "--report", str(report), committed=committed)[0] == 1
    rows = report_rows(report)
    assert [r["outcome"] for r in rows] == ["error", "created"]
    assert "not allowed" in rows[0]["message"]
    assert list(InboundMessage.objects.values_list("external_id", flat=True)) == ["H-3"]
    assert Complaint.objects.count() == 1


@pytest.mark.postgres  # SQLite divides by zero without an error
def test_a_batch_the_database_refuses_is_stored_row_by_row(setup, tmp_path, committed,
                                                           monkeypatch):
    from django.db import connection

    from complaints import lifecycle_bulk

    # The database refuses the complaint that is cancelled (as a broken constraint would): its
    # batch rolls back and is stored again row by row, so only that row is lost.
    # (The batch plans the histories, intake/history_batch.py `histories_plan`.)
    real = lifecycle_bulk.complaints_plan_history

    def refusing(*, complaints, histories, actor=None):
        if any(step[0] == "cancel" for h in histories for step in h.steps):
            with connection.cursor() as cursor:  # a real refusal: division by zero
                cursor.execute("SELECT 1 / (SELECT count(*) FROM django_migrations "
                               "WHERE app = 'refused for the test')")
        return real(complaints=complaints, histories=histories, actor=actor)

    monkeypatch.setattr("intake.history_batch.complaints_plan_history", refusing)
    cancelled = ["C-1", "2025-03-01 09:00", "", "2025-03-02 09:00", "已撤销", "", "", "", "",
                 "客户撤销了投诉。"]
    report = tmp_path / "report.csv"
    path = write_csv(tmp_path / "h.csv", [CLOSED_ON_TIME, cancelled, CLOSED_LATE])
    assert run(path, "--report", str(report), committed=committed)[0] == 1
    rows = report_rows(report)
    assert [r["outcome"] for r in rows] == ["created", "error", "created"]
    assert "division by zero" in rows[1]["message"]
    assert set(InboundMessage.objects.values_list("external_id", flat=True)) == {"H-1", "H-2"}
    assert Complaint.objects.filter(status=Status.CLOSED).count() == 2


def test_closed_history_has_decided_clocks_no_escalation_and_no_messages(
        setup, tmp_path, committed):
    path = write_csv(tmp_path / "h.csv", [CLOSED_ON_TIME, CLOSED_LATE])
    assert run(path, committed=committed)[0] == 0
    on_time = Complaint.objects.get(inbound_messages__external_id="H-1")
    late = Complaint.objects.get(inbound_messages__external_id="H-2")
    resolution = Clock.objects.get(complaint=on_time, metric=Metric.RESOLUTION)
    assert resolution.state == ClockState.MET
    assert resolution.started_at == on_time.received_at
    assert resolution.completed_at == on_time.resolved_at
    late_resolution = Clock.objects.get(complaint=late, metric=Metric.RESOLUTION)
    assert late_resolution.state == ClockState.BREACHED
    assert late_resolution.breached_at == late_resolution.due_at < late.resolved_at
    assert not Clock.objects.filter(completed_at__isnull=True).exists()
    assert not Clock.objects.filter(next_check_at__isnull=False).exists()

    committed(sweep.sla_sweep)
    assert not SlaEvent.objects.exists() and not Escalation.objects.exists()
    assert Complaint.objects.filter(escalation_level__gt=0).count() == 0
    assert not OutboundMessage.objects.exists()  # no acknowledgement, no result notice
    fact = ComplaintFact.objects.get(complaint=late)
    assert fact.day.isoformat() == "2025-04-01" and fact.resolved
    assert fact.resolution_seconds > 0
    # The received days are marked for the daily figures; the periodic rebuild sums them.
    assert DirtyDay.objects.filter(day=fact.day).exists()
    dirty_rebuild()
    figure = DailyFigure.objects.get(day=fact.day)
    assert figure.received == 1 and figure.resolved == 1 and figure.res_n == 1


def test_an_old_open_row_runs_late_and_the_sweep_takes_it(setup, tmp_path, committed):
    path = write_csv(tmp_path / "h.csv", [OPEN_OLD])
    assert run(path, committed=committed)[0] == 0
    complaint = Complaint.objects.get()
    assert complaint.status == Status.IN_PROGRESS
    acknowledge = Clock.objects.get(complaint=complaint, metric=Metric.ACKNOWLEDGE)
    assert acknowledge.state == ClockState.MET  # acknowledged when received (no time given)
    resolution = Clock.objects.get(complaint=complaint, metric=Metric.RESOLUTION)
    assert resolution.state == ClockState.RUNNING
    assert resolution.started_at == complaint.received_at
    assert resolution.next_check_at is not None
    assert not OutboundMessage.objects.exists()
    committed(sweep.sla_sweep)
    resolution.refresh_from_db()
    assert resolution.state == ClockState.BREACHED  # overdue: the sweep escalates it as usual


@pytest.mark.parametrize("name, content, says", [
    ("missing.csv", None, "There is no file"),
    ("history.pdf", b"%PDF-1.4", "Unknown file format"),
    ("old.xls", b"\xd0\xcf\x11\xe0", "old Excel"),
    ("nocolumns.csv", "姓名,电话\n张伟,13812345678\n".encode(), "Required columns are missing"),
    ("broken.xlsx", b"PK\x03\x04 not really", "could not be read"),
])
def test_a_file_that_cannot_be_imported_exits_2(setup, tmp_path, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    status, output = run(str(path))
    assert status == 2 and says in output
    assert not Complaint.objects.exists()


def test_utf8_with_bom_and_semicolons(setup, tmp_path, committed):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff工单编号;受理时间;投诉内容\nS-1;2025-01-02 08:00;没有信号\n"
                     .encode("utf-8"))
    assert run(str(path), committed=committed)[0] == 0
    assert Complaint.objects.get().description == "没有信号"


def test_history_older_than_live_channels_accept_is_imported(setup, tmp_path, committed,
                                                            settings):
    settings.RECEIVED_AT_MAX_AGE_DAYS = 365  # live channels: at most a year back
    path = write_csv(tmp_path / "old.csv", [
        ["O-1", "2012-06-01 09:00", "2012-06-02 09:00", "2012-06-05 09:00", "已关闭", "", "",
         "", "", "2012年的老工单。"],
        ["O-2", "2099-01-01 09:00", "", "", "", "", "", "", "", "未来的时间。"]])
    report = tmp_path / "report.csv"
    assert run(path, "--report", str(report), committed=committed)[0] == 1
    old = Complaint.objects.get()
    assert old.received_at.year == 2012 and old.status == Status.CLOSED
    assert "future" in report_rows(report)[1]["message"]
