"""The weekly summary through a real SMTP server (aiosmtpd on loopback)."""

import email
import email.policy
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from reports.scheduled import scheduled_report_send

pytestmark = pytest.mark.django_db


def test_weekly_summary_reaches_an_smtp_server_in_chinese_with_the_workbook(
        smtp_server, supervisor, dataset):
    supervisor.email = "wang@example.com"
    supervisor.save()
    scheduled_report_send(kind="weekly", period_start=date(2025, 9, 29),
                          period_end=date(2025, 10, 5))
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.rcpt_tos == ["wang@example.com"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert "2025-09-29" in message["Subject"] and "2025-10-05" in message["Subject"]
    html = message.get_body(preferencelist=("html",)).get_content()
    # Sent in the site language: category names in Chinese, intact after the trip.
    assert "信号覆盖弱/无信号: 2" in html
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "weekly-20250929-20251005.xlsx"
    book = load_workbook(io.BytesIO(attachment.get_content()))
    assert book.worksheets[0].max_row == 8  # header + 7 days
