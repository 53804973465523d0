"""Webhooks replayed from captured payloads (tests/fixtures/intake/webhooks/*.json)."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.parsers.webhook import (
    InvalidPayload,
    WebhookRejected,
    parse_sms_reply_keyword,
    parse_webhook,
    sign,
    verify_signature,
)

BEIJING = ZoneInfo("Asia/Shanghai")
SECRET = "whsec_test_sms"


# --- signatures ------------------------------------------------------------------------------

@pytest.fixture
def captured(fixture_bytes):
    """The SMS gateway's request as captured: body and headers, signed at 2026-11-25 09:31."""
    headers = json.loads(fixture_bytes("webhooks", "sms_complaint.headers.json"))
    return fixture_bytes("webhooks", "sms_complaint.json"), headers


def signed_at(headers):
    return datetime.fromtimestamp(int(headers["X-Timestamp"]), tz=UTC)


def test_captured_signature_is_accepted(captured):
    body, headers = captured
    moment = signed_at(headers)

    accepted = verify_signature(body, headers["X-Signature"], SECRET, headers["X-Timestamp"],
                                key=headers["Idempotency-Key"],
                                now=moment + timedelta(seconds=3))

    assert accepted == moment


def test_signature_without_prefix_and_in_capitals_is_accepted(captured):
    body, headers = captured
    bare = headers["X-Signature"].removeprefix("sha256=").upper()

    verify_signature(body, bare, SECRET, headers["X-Timestamp"], now=signed_at(headers),
                     key=headers["Idempotency-Key"])


def test_sign_matches_the_gateways_signature(captured):
    body, headers = captured
    signature = sign(body, SECRET, headers["X-Timestamp"], headers["Idempotency-Key"])
    assert "sha256=" + signature == headers["X-Signature"]


@pytest.mark.parametrize(("change", "code"), [
    ("body", "bad_signature"),  # one byte of the body changed
    ("secret", "bad_signature"),  # another channel's secret
    ("timestamp", "bad_signature"),  # a fresh timestamp on an old signature (a replay)
    ("key", "bad_signature"),  # another Idempotency-Key on a signed message (a replay)
    ("outdated", "outdated_signature"),  # the first scheme: timestamp and body only
    ("signature", "bad_signature"),
    ("no_signature", "missing_header"),
    ("no_timestamp", "missing_header"),
    ("text_timestamp", "bad_timestamp"),
    ("no_secret", "not_configured"),
])
def test_tampered_requests_are_rejected(captured, change, code):
    body, headers = captured
    signature, timestamp, secret = headers["X-Signature"], headers["X-Timestamp"], SECRET
    key = headers["Idempotency-Key"]
    now = signed_at(headers)
    if change == "body":
        body = body.replace(b"10", b"90", 1)
    elif change == "secret":
        secret = "whsec_test_wechat"
    elif change == "timestamp":
        timestamp = str(int(timestamp) + 120)
    elif change == "key":
        key = "smsgw-20261125-000872"
    elif change == "outdated":
        signature = headers["_outdated_signature"]
    elif change == "signature":
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    elif change == "no_signature":
        signature = ""
    elif change == "no_timestamp":
        timestamp = ""
    elif change == "text_timestamp":
        timestamp = "2026-11-25T09:31:00+08:00"
    elif change == "no_secret":
        secret = ""

    with pytest.raises(WebhookRejected) as excinfo:
        verify_signature(body, signature, secret, timestamp, now=now, key=key)

    assert excinfo.value.code == code
    assert str(excinfo.value)


def test_signature_older_than_five_minutes_is_rejected(captured, english):
    body, headers = captured

    verify_signature(body, headers["X-Signature"], SECRET, headers["X-Timestamp"],
                     key=headers["Idempotency-Key"],
                     now=signed_at(headers) + timedelta(seconds=300))
    with pytest.raises(WebhookRejected) as excinfo:
        verify_signature(body, headers["X-Signature"], SECRET, headers["X-Timestamp"],
                         key=headers["Idempotency-Key"],
                         now=signed_at(headers) + timedelta(seconds=301))

    assert excinfo.value.code == "expired"
    assert str(excinfo.value) == "The request was signed 301 seconds ago; at most 300 are allowed."


def test_signature_from_the_future_is_rejected(captured, english):
    body, headers = captured

    with pytest.raises(WebhookRejected) as excinfo:
        verify_signature(body, headers["X-Signature"], SECRET, headers["X-Timestamp"],
                         key=headers["Idempotency-Key"],
                         now=signed_at(headers) - timedelta(minutes=6))

    assert excinfo.value.code == "from_future"
    assert "360 seconds in the future" in str(excinfo.value)


def test_max_age_is_configurable(captured):
    body, headers = captured
    with pytest.raises(WebhookRejected):
        verify_signature(body, headers["X-Signature"], SECRET, headers["X-Timestamp"],
                         key=headers["Idempotency-Key"],
                         now=signed_at(headers) + timedelta(seconds=61), max_age=60)


# --- payloads --------------------------------------------------------------------------------

def test_sms_payload(payload, now):
    message = parse_webhook("sms", payload("sms_complaint.json"), now=now)

    assert message.channel == "sms"
    assert message.external_id == "smsgw-20261125-000871"
    assert message.customer_phone == "13812345678"  # sent as "+86 138 1234 5678"
    assert message.description == "我的号码这个月被扣了10元彩铃费，我从来没订过，请退还。"
    assert message.received_at == datetime(2026, 11, 25, 9, 30, 12, tzinfo=BEIJING)
    assert message.reply_to_reference is None
    assert message.metadata["gateway"] == "cmpp3"


def test_sms_reply_carries_its_reference(payload, now):
    message = parse_webhook("sms", payload("sms_reply_solved.json"), now=now)

    assert message.reply_to_reference == "TS20261125000123"
    assert parse_sms_reply_keyword(message.description) == "solved"


def test_wechat_payload(payload, now):
    message = parse_webhook("wechat", payload("wechat_message.json"), now=now)

    assert message.channel == "wechat"
    assert message.external_id == "24120857310001234"
    assert message.customer_name == "小林"
    assert message.customer_phone == "13987654321"
    assert message.description.startswith("你们的宽带师傅约好今天上午来装机")
    assert message.received_at == datetime(2026, 11, 25, 9, 30, tzinfo=BEIJING)
    assert message.metadata["openid"] == "oXyZ1234abcdEFGH5678ijklMNOP"


def test_wechat_payload_without_phone(payload, now):
    data = payload("wechat_message.json")
    del data["phone"]

    assert parse_webhook("wechat", data, now=now).customer_phone is None


def test_app_payload(payload, now):
    message = parse_webhook("app", payload("app_complaint.json"), now=now)

    assert message.channel == "app"
    assert message.external_id == "app-evt-7f3e2a90-1c2d"
    assert message.customer_name == "周敏"
    assert message.customer_phone == "18600002222"
    assert message.customer_email == "zhoumin@example.org"
    assert message.service_number == "bj02099887766"
    assert message.subject == "宽带断网两天"
    assert message.description.startswith("从前天晚上开始宽带完全上不了网")
    assert message.location == "北京市朝阳区望京西园三区 212 号楼"
    assert message.category_code == "broadband-outage"
    assert message.received_at == datetime(2026, 11, 25, 20, 15, tzinfo=BEIJING)


@pytest.mark.parametrize(("channel", "name", "field", "words"), [
    ("sms", "sms_short_code_sender.json", "from", "“10086” is not a Chinese mobile number"),
    ("sms", "sms_empty_text.json", "text", "The field “text” is required."),
    ("wechat", "wechat_missing_openid.json", "openid", "The field “openid” is required."),
    ("app", "app_missing_description.json", "complaint.description",
     "The field “complaint.description” is required."),
    ("app", "app_bad_occurred_at.json", "occurred_at",
     "The field “occurred_at” is invalid: expected an ISO 8601 date and time."),
    ("app", "app_missing_user.json", "user", "The field “user” is required."),
])
def test_bad_payloads_are_refused_naming_the_field(payload, now, english, channel, name, field,
                                                   words):
    with pytest.raises(InvalidPayload) as excinfo:
        parse_webhook(channel, payload(name), now=now)

    assert isinstance(excinfo.value, ValueError)
    assert excinfo.value.field == field
    assert words in str(excinfo.value)


@pytest.mark.parametrize(("change", "field"), [
    ({"id": None}, "id"),
    ({"id": "x" * 201}, "id"),
    ({"text": 42}, "text"),
    ({"received_at": 1764034212}, "received_at"),
])
def test_sms_field_types_are_checked(payload, now, change, field):
    data = payload("sms_complaint.json") | change
    with pytest.raises(InvalidPayload) as excinfo:
        parse_webhook("sms", data, now=now)
    assert excinfo.value.field == field


@pytest.mark.parametrize(("change", "field"), [
    ({"create_time": True}, "create_time"),
    ({"create_time": "yesterday"}, "create_time"),
    ({"phone": "12345"}, "phone"),
])
def test_wechat_field_types_are_checked(payload, now, change, field):
    with pytest.raises(InvalidPayload) as excinfo:
        parse_webhook("wechat", payload("wechat_message.json") | change, now=now)
    assert excinfo.value.field == field


def test_app_bad_email_and_nested_types(payload, now):
    data = payload("app_complaint.json")
    data["user"]["email"] = "zhoumin at example"
    with pytest.raises(InvalidPayload) as excinfo:
        parse_webhook("app", data, now=now)
    assert excinfo.value.field == "user.email"

    with pytest.raises(InvalidPayload) as excinfo:
        parse_webhook("app", payload("app_complaint.json") | {"complaint": "网速慢"}, now=now)
    assert excinfo.value.field == "complaint"


def test_unknown_channel_and_non_object_body(payload, now):
    with pytest.raises(InvalidPayload) as excinfo:
        parse_webhook("fax", payload("sms_complaint.json"), now=now)
    assert excinfo.value.field == "channel"
    with pytest.raises(InvalidPayload):
        parse_webhook("sms", ["not", "an", "object"], now=now)


def test_times_default_to_now_and_never_lie_in_the_future(payload, now):
    data = payload("sms_complaint.json")
    del data["received_at"]
    assert parse_webhook("sms", data, now=now).received_at == now

    data["received_at"] = "2027-01-01T00:00:00+08:00"
    assert parse_webhook("sms", data, now=now).received_at == now

    data["received_at"] = "2026-11-25T09:30:12"  # no offset: Beijing time
    assert (parse_webhook("sms", data, now=now).received_at
            == datetime(2026, 11, 25, 1, 30, 12, tzinfo=UTC))

    data["received_at"] = "2026-11-25T01:30:12Z"
    assert (parse_webhook("sms", data, now=now).received_at
            == datetime(2026, 11, 25, 9, 30, 12, tzinfo=BEIJING))


def test_payload_is_not_mutated_and_metadata_is_a_copy(payload, now):
    data = payload("app_complaint.json")
    snapshot = json.dumps(data, sort_keys=True)

    message = parse_webhook("app", data, now=now)
    message.metadata["user"]["name"] = "changed"

    assert json.dumps(data, sort_keys=True) == snapshot


# --- SMS reply keywords ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "outcome"), [
    ("1", "solved"),
    ("1 已解决", "solved"),
    ("1已解决，谢谢", "solved"),
    ("１", "solved"),  # full-width, from a Chinese IME
    (" 1。", "solved"),
    ("2", "not_solved"),
    ("2 还是不行", "not_solved"),
    ("2 不满意", "not_solved"),
    ("TS20261125000123 1", "solved"),
    ("1 TS20261125000123", "solved"),
    ("【TS20261125000123】2", "not_solved"),
    ("ts20261125000123 2", "not_solved"),
    # Not an answer: a person reads these.
    ("12", None),
    ("3", None),
    ("", None),
    ("好的", None),
    ("1 没解决", None),  # the words contradict the number
    ("1 还没好", None),
    ("2 已经解决了", None),
    ("1. 我家宽带从昨天开始又断网了，师傅说的光猫根本没换，请再派人来看看", None),
    ("13812345678", None),
    ("TS20261125000123", None),
])
def test_sms_reply_keyword(text, outcome):
    assert parse_sms_reply_keyword(text) == outcome


def test_sms_reply_keywords_are_configurable():
    keywords = {"Y": "solved", "N": "not_solved", "满意": "solved", "不满意": "not_solved"}

    assert parse_sms_reply_keyword("y", keywords) == "solved"
    assert parse_sms_reply_keyword("N TS20261125000123", keywords) == "not_solved"
    assert parse_sms_reply_keyword("不满意", keywords) == "not_solved"  # longest keyword first
    assert parse_sms_reply_keyword("满意", keywords) == "solved"
    assert parse_sms_reply_keyword("1", keywords) is None
