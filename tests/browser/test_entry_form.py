import re
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Complaint
from tests.factories import CustomerFactory, make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_sees_a_repeat_callers_complaint_then_saves_the_new_one(page, agent, screenshot):
    customer = CustomerFactory(phone="13566667777", name="周婷")
    previous = make_complaint(customer=customer, received_at=timezone.now() - timedelta(days=4),
                              description="手机套餐被私自变更，多收了三十元")

    page.goto(page.base_url + "/intake/new/")
    page.get_by_label("用户名").fill("agent_li")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.locator("form.entry-form").wait_for()
    assert page.locator("input[name=channel][value=phone]").is_checked()
    assert not page.locator("#id_store").is_visible()  # only for store visits

    page.locator("#id_phone").press_sequentially("135 6666 7777", delay=20)
    history = page.locator("#caller-history")
    history.locator(f"a:text('{previous.reference}')").wait_for()
    assert "135****7777" in history.inner_text() and "13566667777" not in history.inner_text()
    assert "周*" in history.inner_text()

    page.locator("#id_description").fill("套餐还是没改回来，又扣了三十元")
    page.locator("#id_call_id").fill("CTI-20261125-7788")
    screenshot(page, "intake-entry-repeat-caller")
    page.locator("form.entry-form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/complaints/TS\d{14}/$"))
    new = Complaint.objects.exclude(pk=previous.pk).get()
    assert page.url.endswith(f"/complaints/{new.reference}/")
    assert new.customer_id == customer.id and new.channel == "phone"
    assert new.inbound_messages.get().external_id == "CTI-20261125-7788"


def test_supervisor_uploads_a_regulator_batch_and_reads_the_report(page, supervisor, screenshot,
                                                                    settings, tmp_path):
    import openpyxl

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the live server runs the import after upload
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["申诉编号", "申诉人", "联系电话", "申诉时间", "申诉内容", "办结时限"])
    yesterday = timezone.localdate() - timedelta(days=1)
    sheet.append(["GXB-2026-5001", "黄磊", "13811112222", f"{yesterday} 08:00",
                  "宽带故障十天未修复", f"{yesterday + timedelta(days=5)}"])
    sheet.append(["GXB-2026-5002", "吴倩", "1381111", f"{yesterday} 08:30", "乱扣费", ""])
    path = tmp_path / "工信部转办.xlsx"
    book.save(path)

    page.goto(page.base_url + "/intake/regulator-imports/")
    page.get_by_label("用户名").fill("sup_wang")
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.locator("#id_file").set_input_files(str(path))
    page.locator("form.regulator-upload button[type=submit]").click()
    page.wait_for_url(re.compile(r"/intake/regulator-imports/\d+/$"))
    report = page.locator("table.regulator-report")
    report.wait_for()
    assert report.locator("tbody tr").count() == 2
    assert report.locator("tr.outcome-refused").count() == 1
    assert "1381111" in report.locator("tr.outcome-refused").inner_text()
    created = Complaint.objects.get(regulator_case_no="GXB-2026-5001")
    assert created.reference in report.inner_text()
    screenshot(page, "intake-regulator-import-report")
