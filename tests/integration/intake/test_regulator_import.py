"""Regulator transfer batches: upload (UI and API), per-row report, re-import, progress."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from complaints.models import Complaint
from complaints.services import complaint_create, customer_get_or_create
from config.celery import app as celery_app
from intake import regulator_import
from intake.models import RegulatorImport
from sla.models import Clock

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "intake" / "regulator"
HEADER = ["申诉编号", "申诉人", "联系电话", "业务号码", "申诉时间", "申诉内容", "申诉类别",
          "办结时限", "所在地区"]


def day(days_ago: int, clock: str = "09:30") -> str:
    return f"{timezone.localdate() - timedelta(days=days_ago):%Y-%m-%d} {clock}"


def rows() -> list[list]:
    return [
        ["GXB-2026-1001", "张伟", "138 1234 5678", "13812345678", day(3),
         "宽带每晚掉线，报修三次未解决。", "网络质量", f"{timezone.localdate() + timedelta(days=5)}",
         "北京市朝阳区"],
        ["GXB-2026-1002", "李娜", "1381234", "", day(2), "套餐资费与宣传不符", "", "", ""],
        ["GXB-2026-1003", "王芳", "13900001111", "", day(2), "", "", "", ""],
        ["GXB-2026-1001", "张伟", "13812345678", "", day(1), "同一个案件又出现一次", "", "", ""],
        ["12300-2026-0007", "陈静", "13700002222", "", day(1, "16:20"),
         "营业厅拒绝办理携号转网", "", "", "广东省佛山市"],
    ]


def xlsx(data_rows=None, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "转办清单"
    sheet.append(["12300申诉转办清单"])  # a title row above the header, as the regulator sends
    sheet.append(header)
    for row in data_rows if data_rows is not None else rows():
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def eager(settings):
    """Queued tasks run at once, in this process (Celery reads Django's settings lazily)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert celery_app.conf.task_always_eager


def english(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_api_upload_of_an_xlsx_imports_each_valid_row_and_reports_the_rest(
        supervisor, client_for, eager, django_capture_on_commit_callbacks):
    api = client_for(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/intake/regulator-imports/",
                            {"file": upload("转办清单.xlsx", xlsx())}, format="multipart",
                            HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 202, response.content
    assert response.data["status"] == "queued"
    status_url = response.data["status_url"]
    assert status_url == f"/api/v1/intake/regulator-imports/{response.data['id']}/"

    got = api.get(status_url).data
    assert (got["status"], got["total_rows"], got["processed_rows"], got["percent"]) == \
        ("done", 5, 5, 100)
    assert (got["created_count"], got["skipped_count"], got["refused_count"]) == (2, 0, 3)
    report = {r["row"]: r for r in got["report"]}
    assert [report[n]["outcome"] for n in range(3, 8)] == [
        "created", "refused", "refused", "refused", "created"]
    assert report[3]["case_no"] == "GXB-2026-1001" and report[3]["reference"].startswith("TS")
    assert "is not a Chinese mobile number" in report[4]["errors"][0]
    assert report[5]["errors"] == ["申诉内容 is empty; it is required."]
    assert "already appears in row 3" in report[6]["errors"][0]
    refused = api.get(status_url, {"outcome": "refused"}).data["report"]
    assert [r["row"] for r in refused] == [4, 5, 6]

    complaint = Complaint.objects.get(regulator_case_no="GXB-2026-1001")
    assert complaint.reference == report[3]["reference"]
    assert complaint.channel == "regulator" and complaint.is_regulator
    assert complaint.priority in ("urgent", "major")  # graded at least urgent
    assert complaint.regulator_due_at is not None
    acknowledge = Clock.objects.select_related("policy").get(complaint=complaint,
                                                             metric="acknowledge")
    assert "Regulator" in acknowledge.policy.name  # the regulator transfers' own policy
    resolution = Clock.objects.get(complaint=complaint, metric="resolution")
    assert resolution.due_at == complaint.regulator_due_at  # the regulator's deadline


def test_importing_the_same_file_again_creates_nothing_twice(
        supervisor, client_for, eager, django_capture_on_commit_callbacks):
    api = client_for(supervisor)
    content = xlsx()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/intake/regulator-imports/",
                                {"file": upload("batch.xlsx", content)}, format="multipart")
    again = api.get(response.data["status_url"]).data
    assert (again["created_count"], again["skipped_count"], again["refused_count"]) == (0, 2, 3)
    assert Complaint.objects.count() == 2
    first = RegulatorImport.objects.order_by("id").first()
    created = {r["case_no"]: r["reference"] for r in first.report if r["outcome"] == "created"}
    skipped = {r["case_no"]: r["reference"] for r in again["report"] if r["outcome"] == "skipped"}
    assert skipped == created  # each row points at the complaint the first import made


def test_a_case_number_entered_elsewhere_is_not_imported_again(supervisor):
    customer = customer_get_or_create(phone="13700002222", name="陈静")
    existing = complaint_create(customer=customer, channel="regulator", subject="",
                                description="携号转网被拒", regulator_case_no="12300-2026-0007")
    batch = RegulatorImport.objects.create(uploaded_by=supervisor, original_name="b.xlsx")
    batch.file.save("b.xlsx", io.BytesIO(xlsx([rows()[4]])))
    batch = regulator_import.regulator_import_process(import_id=batch.id)
    assert batch.report == [{"row": 3, "case_no": "12300-2026-0007", "outcome": "skipped",
                             "reference": existing.reference, "errors": []}]
    assert Complaint.objects.count() == 1


@pytest.mark.parametrize("name, content, message", [
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "is not a CSV or Excel (.xlsx) file"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old Excel (.xls) file"),
    ("wrong.csv", "姓名,电话,内容\n张三,13800138000,投诉\n".encode(),
     "Required columns are missing: 申诉编号、申诉时间"),
    ("missing.xlsx", None, "Required columns are missing: 申诉内容"),
    ("empty.csv", ",".join(HEADER).encode(), "has a header but no rows below it"),
])
def test_a_file_that_is_not_a_batch_is_refused_and_nothing_stored(
        supervisor, client_for, settings, name, content, message):
    if content is None:
        content = xlsx([["GXB-1", "张伟", "13812345678", day(1)]], header=HEADER[:5])
    response = client_for(supervisor).post(
        "/api/v1/intake/regulator-imports/", {"file": upload(name, content)},
        format="multipart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.data["detail"] and response.data["field"] == "file"
    assert not RegulatorImport.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_only_supervisors_import(agent, client_for, api_client):
    files = {"file": upload("b.xlsx", xlsx())}
    assert client_for(agent).post("/api/v1/intake/regulator-imports/", files,
                                  format="multipart").status_code == 403
    assert api_client.post("/api/v1/intake/regulator-imports/", files,
                           format="multipart").status_code in (401, 403)
    assert english(agent).get("/intake/regulator-imports/").status_code == 403
    assert not RegulatorImport.objects.exists()


def test_upload_through_the_page_shows_progress_then_the_report(
        supervisor, eager, django_capture_on_commit_callbacks):
    client = english(supervisor)
    data = (FIXTURES / "batch_utf8_bom.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post("/intake/regulator-imports/",
                               {"file": upload("12300转办.csv", data)})
    batch = RegulatorImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/intake/regulator-imports/{batch.id}/"

    # Not processed yet: the page polls the progress part.
    html = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 2s"' in html and "Queued" in html
    part = client.get(response["Location"], {"part": "progress"}, HTTP_HX_REQUEST="true")
    assert part.status_code == 200 and "<progress" in part.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    part = client.get(response["Location"], {"part": "progress"}, HTTP_HX_REQUEST="true")
    assert part.status_code == 204 and part["HX-Refresh"] == "true"
    batch.refresh_from_db()
    html = client.get(response["Location"]).content.decode()
    assert "every 2s" not in html
    assert f"<strong>{batch.created_count}</strong>" in html and batch.created_count >= 1
    assert "GXB2026112000101" in html and batch.refused_count >= 1

    refused = client.get(response["Location"], {"outcome": "refused"}).content.decode()
    created = [r["reference"] for r in batch.report if r["outcome"] == "created"]
    assert created and not any(reference in refused for reference in created)
    assert refused.count('class="outcome-refused"') == batch.refused_count

    report = client.get(f"/intake/regulator-imports/{batch.id}/report.csv")
    assert report["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0] == ["Row", "Case number", "Outcome", "Complaint", "Reasons"]
    assert len(lines) == 1 + batch.processed_rows
    assert ["2", "GXB2026112000101", "Created"] == lines[1][:3]

    listing = client.get("/intake/regulator-imports/").content.decode()
    assert "12300转办.csv" in listing and "Done" in listing


def test_a_refused_upload_on_the_page_says_why(supervisor):
    response = english(supervisor).post("/intake/regulator-imports/",
                                        {"file": upload("notes.txt", b"hello\nworld\n")})
    assert response.status_code == 200
    assert "No header row found" in response.content.decode()
    assert not RegulatorImport.objects.exists()


def test_progress_is_saved_as_it_goes_and_a_rerun_continues(supervisor, client_for, settings,
                                                             monkeypatch):
    settings.INTAKE_REGULATOR_IMPORT_PROGRESS_EVERY = 2
    good = [[f"GXB-2026-20{n:02d}", "张伟", f"1381234{n:04d}", "", day(1),
             f"第{n}个问题", "", "", ""] for n in range(5)]
    batch = RegulatorImport.objects.create(uploaded_by=supervisor, original_name="b.xlsx")
    batch.file.save("b.xlsx", io.BytesIO(xlsx(good)))

    real, calls = regulator_import.intake_batch, []

    def flaky(messages, **kwargs):  # rows go in by batches of PROGRESS_EVERY
        calls.append([m.external_id for m in messages])
        if len(calls) == 2:
            raise OperationalError("database connection lost")
        return real(messages, **kwargs)

    monkeypatch.setattr(regulator_import, "intake_batch", flaky)
    with pytest.raises(OperationalError):
        regulator_import.regulator_import_process(import_id=batch.id)
    progress = client_for(supervisor).get(f"/api/v1/intake/regulator-imports/{batch.id}/").data
    assert (progress["status"], progress["total_rows"], progress["processed_rows"],
            progress["percent"]) == ("running", 5, 2, 40)
    assert Complaint.objects.count() == 2  # the second batch (rows 3 and 4) stored nothing

    monkeypatch.setattr(regulator_import, "intake_batch", real)
    batch = regulator_import.regulator_import_process(import_id=batch.id)
    assert (batch.status, batch.processed_rows, batch.created_count, batch.skipped_count) == \
        ("done", 5, 5, 0)
    assert Complaint.objects.count() == 5  # nothing twice
    assert regulator_import.regulator_import_process(import_id=batch.id).report == batch.report


def test_the_task_runs_the_import(supervisor, eager, django_capture_on_commit_callbacks):
    from intake.tasks import regulator_import_process

    batch = RegulatorImport.objects.create(uploaded_by=supervisor, original_name="b.xlsx")
    batch.file.save("b.xlsx", io.BytesIO(xlsx()))
    with django_capture_on_commit_callbacks(execute=True):
        result = regulator_import_process.delay(batch.id).get()
    assert result == {"status": "done", "processed": 5, "created": 2}
    with django_capture_on_commit_callbacks(execute=True):
        regulator_import_process.delay(batch.id).get()  # again: nothing more
    assert Complaint.objects.count() == 2


def test_a_workbook_damaged_after_the_header_fails_with_nothing_created(supervisor):
    batch = RegulatorImport.objects.create(uploaded_by=supervisor, original_name="b.xlsx")
    batch.file.save("b.xlsx", io.BytesIO(xlsx()[:-200]))
    batch = regulator_import.regulator_import_process(import_id=batch.id)
    assert batch.status == "failed" and batch.error
    assert not Complaint.objects.exists()


def test_a_batch_a_lost_task_left_behind_is_resumed_and_finished(supervisor, eager,
                                                                 django_capture_on_commit_callbacks):
    now = timezone.now()
    lost = RegulatorImport.objects.create(uploaded_by=supervisor, original_name="b.xlsx",
                                          created_at=now - timedelta(minutes=30))
    lost.file.save("b.xlsx", io.BytesIO(xlsx()))
    fresh = RegulatorImport.objects.create(uploaded_by=supervisor, original_name="c.xlsx",
                                           created_at=now - timedelta(minutes=1))
    fresh.file.save("c.xlsx", io.BytesIO(xlsx()))  # its task may still be on its way

    assert regulator_import.regulator_imports_resume(now=now) == [lost.id]
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.status, lost.created_count) == ("done", 2)
    assert fresh.status == "queued"
    assert regulator_import.regulator_imports_resume(now=now) == []  # finished: left alone


def test_the_classification_sweep_also_links_possible_duplicates(supervisor):
    from intake.services import complaints_classify_pending

    first = complaint_create(customer=customer_get_or_create(phone="13800138000"),
                             channel="phone", subject="信号", description="手机信号太差了，打不了电话")
    second = complaint_create(customer=first.customer, channel="phone", subject="信号",
                              description="手机信号还是太差了，打不了电话")
    Complaint.objects.filter(pk__in=[first.pk, second.pk]).update(
        created_at=timezone.now() - timedelta(minutes=5))  # their receivers never ran

    assert complaints_classify_pending() == 2
    second.refresh_from_db()
    assert second.possible_duplicate_of == first


def test_rows_over_the_caps_or_with_a_nul_or_an_old_date_are_refused_by_row(
        supervisor, client_for, eager, django_capture_on_commit_callbacks):
    """Issue 15: a regulator batch is a channel like the others; each bad row says why."""
    data = [
        ["GXB-2026-2001", "张伟", "13812345678", "", day(1), "信" * 5001, "", "", ""],
        ["GXB-2026-2002", "李娜", "13812345679", "", day(1), "断网\x00三天", "", "", ""],
        ["GXB-2026-2003", "王芳", "13900001111", "", "1900-01-01 09:30", "断网", "", "", ""],
        ["GXB-2026-2004", "陈静", "13700002222", "", day(1), "营业厅拒绝办理携号转网", "", "",
         ""],
    ]
    api = client_for(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/intake/regulator-imports/",
                            {"file": upload("bad.csv", csv_bytes(data))}, format="multipart",
                            HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 202, response.content
    report = {r["row"]: r for r in api.get(response.data["status_url"]).data["report"]}
    assert [report[n]["outcome"] for n in range(2, 6)] == [
        "refused", "refused", "refused", "created"], report
    assert "at most 5000" in report[2]["errors"][0]
    assert "NUL" in report[3]["errors"][0]
    assert "1900-01-01" in report[4]["errors"][0]
    assert Complaint.objects.get().regulator_case_no == "GXB-2026-2004"


def csv_bytes(data_rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(data_rows)
    return out.getvalue().encode("utf-8")
