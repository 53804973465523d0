"""A customer opens the tracking page of a resolved complaint, confirms the result and rates
the handling."""

import pytest

from complaints.lifecycle import Status
from complaints.models import Complaint
from followup.models import ResultConfirmation, SatisfactionSurvey
from tests.builders import complaint_in
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_confirms_and_rates_on_the_tracking_page(page, agent, screenshot, settings):
    settings.CALLBACK_SAMPLE_RATE = 0
    complaint = complaint_in(Status.RESOLVED, actor=agent,
                             customer=CustomerFactory(phone="13987654321"),
                             description="上个月话费多扣了 20 元流量费，要求退还。",
                             resolution_summary="经核查为计费错误，已退还 20 元流量费至您的账户。")

    page.goto(f"{page.base_url}/track/?ref={complaint.reference}")
    form = page.locator("#by-phone")
    form.locator("input[name=reference]").fill(complaint.reference)
    form.locator("input[name=phone]").fill("13987654321")
    form.locator("button[type=submit]").click()
    panel = page.locator("#feedback")
    panel.wait_for()
    assert "已退还 20 元" in page.inner_text("main")
    screenshot(page, "closing-track-feedback")

    panel.locator("#closing-comment").fill("钱已经到账了，谢谢")
    panel.locator("button[name=answer][value=solved]").click()
    page.locator(".pub-messages").wait_for()
    panel = page.locator("#feedback")
    assert panel.locator("button[name=answer]").count() == 0  # answered: the question is gone
    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED
    assert ResultConfirmation.objects.get(complaint=complaint).comment == "钱已经到账了，谢谢"

    panel.locator("label[for=closing-star-4]").click()
    panel.locator("input[name=reasons][value=speed]").check()
    panel.locator("input[name=reasons][value=result]").check()
    panel.locator("#closing-survey-comment").fill("处理很快")
    panel.locator(".closing-survey button[type=submit]").click()
    page.locator(".pub-messages").wait_for()
    panel = page.locator("#feedback")
    assert panel.locator("input[name=stars]").count() == 0  # one answer per complaint
    assert "★★★★☆" in panel.inner_text()
    screenshot(page, "closing-track-feedback-done")
    survey = SatisfactionSurvey.objects.get(complaint=complaint)
    assert (survey.stars, survey.reasons, survey.channel) == (4, ["speed", "result"],
                                                              "tracking_page")
    timeline = page.inner_text("main")
    assert "处理很快" in timeline or survey.comment == "处理很快"
