"""The shared message and the text helpers every channel uses."""

import dataclasses
from datetime import UTC, datetime

import pytest

from complaints.models import Channel
from intake.parsers import IntakeAttachment, IntakeMessage, find_mobile, find_reference
from intake.parsers.message import CHANNELS

RECEIVED = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


def test_channels_are_the_models_channels():
    # The parsers cannot import models (they stay pure); this keeps the two lists equal.
    assert set(Channel.values) == CHANNELS


def test_message_is_frozen_and_attachments_are_a_tuple():
    attachment = IntakeAttachment("a.pdf", b"%PDF-1.4", "application/pdf")
    message = IntakeMessage(channel="web", external_id="w1", received_at=RECEIVED,
                            description="宽带掉线", attachments=[attachment])

    assert message.attachments == (attachment,)
    assert message.customer_phone is None and message.reply_to_reference is None
    assert message.subject == "" and message.metadata == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.description = "changed"
    assert "%PDF" not in repr(attachment)  # bytes stay out of logs


@pytest.mark.parametrize(("change", "words"), [
    ({"channel": "fax"}, "unknown channel"),
    ({"external_id": ""}, "external_id"),
    ({"received_at": datetime(2026, 11, 25, 9, 30)}, "received_at must be timezone-aware"),
    ({"regulator_due_at": datetime(2026, 11, 27)}, "regulator_due_at must be timezone-aware"),
])
def test_message_refuses_what_the_service_could_not_store(change, words):
    fields = {"channel": "sms", "external_id": "s1", "received_at": RECEIVED,
              "description": "x"} | change
    with pytest.raises(ValueError, match=words):
        IntakeMessage(**fields)


@pytest.mark.parametrize(("text", "phone"), [
    ("联系电话：138-1234-5678", "13812345678"),
    ("我的号码 +86 186 0000 1111，请回复", "18600001111"),
    ("手机１３９００１２２３３４", "13900122334"),  # full-width digits
    ("电话 8613712345678", "13712345678"),
    ("宽带账号 02012345678 掉线", None),  # a landline is not a mobile
    ("投诉单 TS20261125000123", None),
    ("订单号 2613812345678999", None),  # inside a longer number
    ("客户经理 13698765432，我的手机 13712345678", "13712345678"),  # the one next to 手机
    ("扣了 13612345678 的费，联系电话 13712345678", "13712345678"),  # the one called contact
    ("", None),
])
def test_find_mobile(text, phone):
    assert find_mobile(text) == phone


@pytest.mark.parametrize(("text", "reference"), [
    ("回复：关于您的投诉 TS20261125000123", "TS20261125000123"),
    ("Re: ts20261125000123", "TS20261125000123"),
    ("ＴＳ20261125000123", "TS20261125000123"),
    ("【TS20261125000123】", "TS20261125000123"),
    ("TS2026112500012", None),  # 13 digits
    ("TS202611250001234", None),  # 15 digits
    ("XTS20261125000123", None),
    (None, None),
])
def test_find_reference(text, reference):
    assert find_reference(text) == reference
