"""A customer complains on the public form in Chinese, then follows and adds to it."""

import re

import pytest

from complaints.models import Activity, ActivityKind, Attachment, Complaint
from notifications.models import OutboundMessage
from tests.factories import PNG, CustomerFactory, make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "13800138000"
DESKTOP = {"width": 1280, "height": 900}
PHONE_SCREEN = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def own_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "public-browser-tests"}}
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def both_widths(page, screenshot, name):
    for label, size in (("desktop", DESKTOP), ("phone", PHONE_SCREEN)):
        page.set_viewport_size(size)
        screenshot(page, f"public-{name}-{label}")
    page.set_viewport_size(DESKTOP)


def test_a_customer_submits_tracks_and_adds_information(page, screenshot, tmp_path):
    photo = tmp_path / "光猫指示灯.png"
    photo.write_bytes(PNG)
    page.goto(page.base_url + "/submit/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.locator("#id_name").fill("陈晓明")
    page.locator("#id_phone").fill("138 0013 8000")
    page.locator("#id_service_number").fill("ad02812345678")
    page.locator("#id_category").select_option(label="宽带断网/网速慢")
    page.locator("#id_description").fill("家里宽带这一周每天晚上八点以后就断网，光猫的 LOS 灯一直闪红。")
    page.locator("#id_location").fill("成都市高新区天府大道北段 1700 号")
    both_widths(page, screenshot, "submit-empty")
    page.locator("form.pub-form button[type=submit]").click()
    # Without accepting the notice the complaint is refused, and what was typed stays.
    page.locator(".pub-check .pub-error").wait_for()
    assert page.locator("#id_name").input_value() == "陈晓明"
    both_widths(page, screenshot, "submit-errors")
    page.locator("#id_attachments").set_input_files(str(photo))
    page.locator("#id_accept_privacy").check()
    page.locator("form.pub-form button[type=submit]").click()

    reference = page.locator("[data-reference]").inner_text()
    complaint = Complaint.objects.get()
    assert reference == complaint.reference
    assert complaint.category.code == "network-broadband"
    assert Attachment.objects.get().original_name == "光猫指示灯.png"
    assert OutboundMessage.objects.filter(complaint=complaint, purpose="acknowledgement").exists()
    assert "138****8000" in page.content()
    both_widths(page, screenshot, "submit-done")

    page.locator(".pub-done a.pub-button").click()
    assert page.locator("#by-phone #id_reference").input_value() == reference
    both_widths(page, screenshot, "track-login")
    page.locator("#by-phone #id_phone").fill("13900000000")  # a wrong number first
    page.locator("#by-phone button[type=submit]").click()
    page.locator("#by-phone .pub-alert").wait_for()
    page.locator("#by-phone #id_phone").fill(PHONE)
    page.locator("#by-phone button[type=submit]").click()

    page.locator("h1.pub-reference-title").wait_for()
    assert page.locator("h1.pub-reference-title").inner_text() == reference
    assert page.locator(".pub-status").inner_text() == "新建"
    page.locator("#id_text").fill("今天又断了两次，附上路由器截图。")
    page.locator("#add #id_attachments").set_input_files(str(photo))
    page.locator("#add button[type=submit]").click()
    page.locator(".pub-messages li").wait_for()
    timeline = page.locator(".pub-timeline").inner_text()
    assert "今天又断了两次，附上路由器截图。" in timeline
    assert Activity.objects.filter(complaint=complaint, kind=ActivityKind.CUSTOMER_ACTION,
                                   visibility="public").exists()
    assert Attachment.objects.filter(complaint=complaint).count() == 2
    both_widths(page, screenshot, "track-detail")

    page.locator(".pub-lang button[value=en]").click()
    page.locator("html[lang=en]").wait_for()
    assert page.locator(".pub-status").inner_text() == "New"
    page.set_viewport_size(PHONE_SCREEN)
    screenshot(page, "public-track-detail-phone-en")


def test_a_customer_signs_in_with_a_code_by_sms(page, screenshot):
    complaint = make_complaint(customer=CustomerFactory(phone=PHONE), channel="web")
    page.set_viewport_size(PHONE_SCREEN)
    page.goto(f"{page.base_url}/track/?mode=code&ref={complaint.reference}")
    page.locator("#by-code button[type=submit]").click()
    page.locator("#by-code #id_code").wait_for()
    screenshot(page, "public-track-code-phone")
    body = OutboundMessage.objects.get(complaint=complaint, purpose="tracking_code").body
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", body).group(1)
    page.locator("#by-code #id_code").fill(code)
    page.locator("#code-entry button[type=submit]").click()
    page.locator("h1.pub-reference-title").wait_for()
    assert page.locator("h1.pub-reference-title").inner_text() == complaint.reference
