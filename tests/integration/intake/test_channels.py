"""The one intake service, fed with messages parsed from the captured fixtures."""

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import IntegrityError
from django.utils import timezone

from complaints.models import Activity, ActivityKind, Attachment, Complaint, Customer, Visibility
from notifications.models import OutboundChannel, OutboundMessage
from intake import channels
from intake.pipeline import intake_receive
from intake.models import InboundMessage
from intake.parsers.email import parse_email
from intake.parsers.message import IntakeAttachment, IntakeMessage
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "intake"


def parsed(name: str) -> IntakeMessage:
    message = parse_email((FIXTURES / "email" / name).read_bytes(), now=timezone.now())
    assert isinstance(message, IntakeMessage)
    return message


def test_a_new_message_becomes_one_complaint_with_its_customer_and_acknowledgement():
    result = intake_receive(message=parsed("gb2312_plain_foxmail.eml"))

    assert result.created and not result.appended and not result.duplicate
    complaint = result.complaint
    assert complaint.channel == "email"
    assert complaint.subject == "投诉：宽带一周掉线十几次，要求减免月租"
    assert complaint.received_at == datetime(2026, 11, 24, 13, 13, 58, tzinfo=UTC)
    assert complaint.customer.phone == "13812345678"
    assert complaint.customer.name == "王喆"
    assert complaint.customer.email == "wangzhe_1988@163.com"
    ack = OutboundMessage.objects.get(complaint=complaint)
    assert (ack.channel, ack.recipient, ack.purpose) == (OutboundChannel.SMS, "13812345678",
                                                         "acknowledgement")
    assert complaint.reference in ack.body and "/track/" in ack.body
    assert "投诉" in ack.body  # written in Chinese
    assert InboundMessage.objects.get().outcome == "created"


def test_the_same_message_twice_gives_one_complaint():
    message = parsed("gb2312_plain_foxmail.eml")
    first = intake_receive(message=message)
    again = intake_receive(message=message)

    assert again.duplicate and not again.created
    assert again.complaint == first.complaint
    assert Complaint.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_an_email_only_sender_is_a_customer_without_phone_acknowledged_by_email():
    result = intake_receive(message=parsed("raw_8bit_headers.eml"))

    customer = result.complaint.customer
    assert customer.phone == "" and customer.email == "zhaomin@example.org"
    ack = OutboundMessage.objects.get()
    assert (ack.channel, ack.recipient) == (OutboundChannel.EMAIL, "zhaomin@example.org")
    # A second mail from the same address finds the same customer.
    message = dataclasses.replace(parsed("raw_8bit_headers.eml"), external_id="another@x")
    assert intake_receive(message=message).complaint.customer == customer
    assert Customer.objects.count() == 1


def test_a_customer_without_any_contact_gets_a_timeline_note_instead_of_a_message():
    message = IntakeMessage(channel="wechat", external_id="w-1", received_at=timezone.now(),
                            description="宽带师傅没有上门。", customer_name="小林")

    complaint = intake_receive(message=message).complaint

    assert not OutboundMessage.objects.exists()
    note = complaint.activities.get(kind=ActivityKind.INTERNAL_NOTE)
    assert note.data == {"acknowledgement": "no_contact"}


def test_attachments_are_kept_and_refused_ones_noted():
    kept = intake_receive(message=parsed("utf8_alternative_with_attachments.eml")).complaint
    assert sorted(kept.attachments.values_list("original_name", flat=True)) == [
        "测速截图.jpg", "话费账单2026年10月.pdf"]
    assert kept.attachments.first().uploaded_by_customer

    # A forwarded mail (message/rfc822) is not an allowed type: the complaint is still made.
    complaint = intake_receive(message=parsed("thunderbird_flowed_related_forward.eml")).complaint
    assert list(complaint.attachments.values_list("original_name", flat=True)) == ["image.png"]
    note = complaint.activities.get(data__has_key="refused_attachments")
    assert note.data["refused_attachments"] == ["扣费提醒.eml"]
    assert note.visibility == Visibility.INTERNAL


def test_a_reply_to_an_existing_complaint_lands_on_its_timeline():
    customer = CustomerFactory(phone="13812345678", email="wangzhe_1988@163.com")
    complaint = make_complaint(customer=customer)
    Complaint.objects.filter(pk=complaint.pk).update(reference="TS20261125000123")

    result = intake_receive(message=parsed("reply_with_reference.eml"))

    assert result.appended and not result.created and result.complaint == complaint
    assert Complaint.objects.count() == 1
    entry = complaint.activities.get(kind=ActivityKind.CUSTOMER_ACTION)
    assert entry.visibility == Visibility.PUBLIC
    assert entry.message.startswith("你们说已经修好了，但是昨晚又掉线了三次")
    assert InboundMessage.objects.get().outcome == "appended"


def test_a_reply_from_someone_else_is_kept_for_the_agent_only():
    complaint = make_complaint(customer=CustomerFactory(phone="13900000000", email=""))
    Complaint.objects.filter(pk=complaint.pk).update(reference="TS20261125000123")

    intake_receive(message=parsed("reply_with_reference.eml"))

    entry = complaint.activities.exclude(kind=ActivityKind.CREATED).get()
    assert entry.visibility == Visibility.INTERNAL
    assert "wangzhe_1988@163.com" in entry.message


def test_an_unknown_reference_makes_a_new_complaint():
    result = intake_receive(message=parsed("reply_with_reference.eml"))
    assert result.created


def test_a_valid_category_hint_is_used_and_an_unknown_one_ignored():
    base = IntakeMessage(channel="app", external_id="a-1", received_at=timezone.now(),
                         description="宽带断网两天。", customer_phone="18600002222",
                         category_code="network-broadband")
    assert intake_receive(message=base).complaint.category.code == "network-broadband"
    by_name = dataclasses.replace(base, external_id="a-0", category_code="宽带断网/网速慢")
    assert intake_receive(message=by_name).complaint.category.code == "network-broadband"
    other = dataclasses.replace(base, external_id="a-2", category_code="no-such-thing")
    # Ignored: the rules chose the category (they run in intake's transaction).
    from intake.models import ComplaintClassification

    complaint = intake_receive(message=other).complaint
    assert ComplaintClassification.objects.get(complaint=complaint).category_source != "intake"
    assert ComplaintClassification.objects.filter(category_source="intake").count() == 2


def test_a_failure_rolls_everything_back(monkeypatch):
    def broken(**kwargs):
        raise IntegrityError("boom")

    monkeypatch.setattr(channels, "customer_message_queue", broken)
    message = parsed("utf8_alternative_with_attachments.eml")

    with pytest.raises(IntegrityError):
        intake_receive(message=message)

    assert not Complaint.objects.exists()
    assert not Customer.objects.exists()
    assert not Attachment.objects.exists()
    assert not InboundMessage.objects.exists()  # so a redelivery is taken in afresh
    monkeypatch.undo()
    assert intake_receive(message=message).created


def test_oversized_and_empty_attachments_are_refused(settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    message = IntakeMessage(
        channel="app", external_id="a-3", received_at=timezone.now(), description="信号差。",
        customer_phone="18600002222", attachments=(
            IntakeAttachment("big.txt", b"x" * 11, "text/plain"),
            IntakeAttachment("empty.txt", b"", None),
            IntakeAttachment("ok.txt", b"hello", "text/plain")))

    complaint = intake_receive(message=message).complaint

    assert list(complaint.attachments.values_list("original_name", flat=True)) == ["ok.txt"]
    note = Activity.objects.get(complaint=complaint, data__has_key="refused_attachments")
    assert note.data["refused_attachments"] == ["big.txt", "empty.txt"]
