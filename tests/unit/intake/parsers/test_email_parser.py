"""parse_email on captured mail (tests/fixtures/intake/email/*.eml, written by
tests/fixtures/intake/make_email_fixtures.py): what a person will read, and who wrote it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.parsers.email import (
    EmailRefused,
    EmailSkipped,
    SkipReason,
    decode_bytes,
    header_text,
    html_to_text,
    parse_email,
)
from intake.parsers.message import IntakeMessage

BEIJING = ZoneInfo("Asia/Shanghai")


def with_header(raw: bytes, line: str) -> bytes:
    """The message with one more header on top (the first of two same headers wins)."""
    return line.encode() + b"\r\n" + raw


def test_gb2312_plain_mail_from_foxmail(eml, now):
    message = parse_email(eml("gb2312_plain_foxmail.eml"), now=now)

    assert isinstance(message, IntakeMessage)
    assert message.channel == "email"
    assert message.external_id == "202611242113580351829@163.com"
    assert message.subject == "投诉：宽带一周掉线十几次，要求减免月租"
    # 喆 is GBK and 䶮 GB18030-only, although the mail says GB2312.
    assert message.customer_name == "王喆"
    assert message.customer_email == "wangzhe_1988@163.com"
    assert message.customer_phone == "13812345678"
    assert message.description.startswith("客服您好：\n\n我家宽带（账号 bj02012345678）从11月17日起")
    assert "物业联系人：刘䶮\n王喆\n2026年11月24日" in message.description
    assert "\r" not in message.description
    assert message.received_at == datetime(2026, 11, 24, 21, 13, 58, tzinfo=BEIJING)
    assert message.reply_to_reference is None
    assert message.attachments == ()


def test_gbk_html_only_mail_becomes_safe_plain_text(eml, now):
    message = parse_email(eml("gbk_html_only_qqmail.eml"), now=now)

    assert message.subject == "手机话费被乱扣 请给个说法"
    assert message.customer_name == "李堃"
    assert message.customer_email == "12345678@qq.com"
    text = message.description
    # Entities decoded, the text a customer typed kept, each block on its own line.
    assert ('我的手机号码 139 0001 2233 本月被扣了<彩铃>和"视频会员"两项费用共¥35元&我从来没有订过。'
            in text)
    assert "请 尽快退还！\n营业厅说要等 7 个工作日。" in text
    assert text.startswith("你好：\n")
    assert text.endswith("李堃\n\n发自我的iPhone")
    # Nothing of the markup, the head, the script, the style or the comment.
    for hidden in ["<div", "<script", "tracker", "脚本输出", "font-size", "QQ邮箱", "注释内容",
                   "steal", "&nbsp;", "&lt;", "\xa0"]:
        assert hidden not in text, hidden
    assert message.customer_phone == "13900012233"
    assert message.metadata["html_only"] is True


def test_utf8_alternative_prefers_plain_text_and_keeps_attachments(eml, now):
    message = parse_email(eml("utf8_alternative_with_attachments.eml"), now=now)

    assert message.subject == "5G套餐网速慢 与宣传不符"
    assert message.customer_name == "陈静"
    assert message.description.startswith("您好，\n\n我办的是5G畅享套餐（199元/月）")
    assert "HTML 版本" not in message.description
    assert message.customer_phone == "18600001111"  # written "+86 186 0000 1111"
    photo, bill = message.attachments
    assert photo.name == "测速截图.jpg"
    assert photo.content_type == "image/jpeg"
    assert photo.content.startswith(b"\xff\xd8\xff")
    # RFC 2231 continuation; declared octet-stream, recognised from its bytes.
    assert bill.name == "话费账单2026年10月.pdf"
    assert bill.content_type == "application/pdf"
    assert bill.declared_content_type == "application/octet-stream"
    assert bill.content.startswith(b"%PDF-1.4")
    assert bill.size == len(bill.content)


def test_flowed_text_inline_screenshot_and_forwarded_mail(eml, now):
    message = parse_email(eml("thunderbird_flowed_related_forward.eml"), now=now)

    # format=flowed: the soft line break is undone; the paragraph break stays.
    assert message.description == ("您好，我上个月已经办理了销号，但是这个月仍然收到了扣费短信， "
                                   "扣了 58 元。\n\n截图见附件，原短信通知转发给你们。")
    screenshot, forwarded = message.attachments
    # The screenshot sits in the HTML branch that was not used for the text; it is kept.
    assert (screenshot.name, screenshot.content_type) == ("image.png", "image/png")
    assert forwarded.name == "扣费提醒.eml"
    assert forwarded.content_type == "message/rfc822"
    forwarded_mail = parse_email(forwarded.content, now=now)
    assert forwarded_mail.description == "尊敬的客户，您本月套餐费 58 元已扣除。"


def test_reply_with_reference_in_subject_keeps_only_the_customers_words(eml, now):
    message = parse_email(eml("reply_with_reference.eml"), now=now)

    assert message.reply_to_reference == "TS20261125000123"
    assert message.description == (
        "你们说已经修好了，但是昨晚又掉线了三次，问题根本没有解决，我不同意结案。\n"
        "我的手机 137 1234 5678，白天随时可以联系。")
    # The account manager's number in the quoted original is not the customer's.
    assert message.customer_phone == "13712345678"
    assert message.metadata["quoted_text_removed"] is True


def test_reference_in_thread_headers_when_the_subject_lost_it(eml, now):
    raw = eml("reply_with_reference.eml")
    raw = with_header(raw, "Subject: Re: hello")
    raw = with_header(raw, "In-Reply-To: <TS20261125000123.ack@complaints.example.cn>")

    assert parse_email(raw, now=now).reply_to_reference == "TS20261125000123"


def test_a_reference_in_a_new_complaint_subject_is_recognised_full_width(eml, now):
    raw = with_header(eml("no_message_id.eml"), "Subject: =?UTF-8?B?"
                      "5Zue5aSN77ya77y077yzMjAyNjExMjUwMDAxMjM=?=")  # 回复：ＴＳ2026…
    assert parse_email(raw, now=now).reply_to_reference == "TS20261125000123"


@pytest.mark.parametrize(("name", "reason", "detail"), [
    # Its subject carries a reference, but it is not the customer answering.
    ("auto_reply_out_of_office.eml", SkipReason.AUTO_REPLY, "Auto-Submitted: auto-replied"),
    ("automatic_reply_subject_only.eml", SkipReason.AUTO_REPLY, "Subject: Automatic reply"),
    ("newsletter_precedence_bulk.eml", SkipReason.BULK, "Precedence: bulk"),
    ("bounce_dsn_postfix.eml", SkipReason.BOUNCE,
     "multipart/report; report-type=delivery-status"),
    ("bounce_163_postmaster.eml", SkipReason.BOUNCE, "From: postmaster@163.com"),
])
def test_auto_replies_and_bounces_are_skipped_with_their_reason(eml, now, name, reason, detail):
    result = parse_email(eml(name), now=now)

    assert isinstance(result, EmailSkipped)
    assert result.reason == reason
    assert result.detail.startswith(detail)
    assert result.external_id  # for the log line


@pytest.mark.parametrize(("header", "reason"), [
    ("Auto-Submitted: auto-generated", SkipReason.AUTO_REPLY),
    ("X-Autoreply: yes", SkipReason.AUTO_REPLY),
    ("X-Autorespond: 休假中", SkipReason.AUTO_REPLY),
    ("Precedence: junk", SkipReason.BULK),
    ("Precedence: list", SkipReason.BULK),
    ("X-Failed-Recipients: nobody@example.org", SkipReason.BOUNCE),
    ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>", SkipReason.BOUNCE),
    ("Subject: =?UTF-8?B?6Ieq5Yqo5Zue5aSN77ya5oiR5Zyo5LyR5YGH?=", SkipReason.AUTO_REPLY),
    ("Subject: Out of Office: back on Monday", SkipReason.AUTO_REPLY),
    ("Subject: Undeliverable: 关于您的投诉", SkipReason.BOUNCE),
    ("Subject: =?UTF-8?B?6YCA5L+h?=", SkipReason.BOUNCE),  # 退信
])
def test_each_auto_reply_signal_alone_is_enough(eml, now, header, reason):
    result = parse_email(with_header(eml("gb2312_plain_foxmail.eml"), header), now=now)

    assert isinstance(result, EmailSkipped)
    assert result.reason == reason


@pytest.mark.parametrize("header", [
    "Auto-Submitted: no",
    "Precedence: normal",
    # A complaint about auto-replies is still a complaint: subjects match at the start only.
    "Subject: =?UTF-8?B?5oqV6K+J77ya6Ieq5Yqo5Zue5aSN55+t5L+h5Lmx5omj6LS5?=",  # 投诉：自动回复短信乱扣费
])
def test_ordinary_mail_is_not_mistaken_for_an_auto_reply(eml, now, header):
    result = parse_email(with_header(eml("gb2312_plain_foxmail.eml"), header), now=now)

    assert isinstance(result, IntakeMessage)


def test_message_without_message_id_gets_a_stable_content_id(eml, now):
    raw = eml("no_message_id.eml")
    first = parse_email(raw, now=now)

    assert first.external_id.startswith("sha256:")
    assert first.metadata["message_id_missing"] is True
    assert parse_email(raw, now=now + timedelta(hours=1)).external_id == first.external_id
    # Fetched again over IMAP: CRLF line endings and the MTA's trace headers on top.
    refetched = (b"Delivered-To: kefu@complaints.example.cn\r\n"
                 b"Received: from mx2 by imap; Sun, 29 Nov 2026 08:00:00 +0800\r\n"
                 + raw.replace(b"\n", b"\r\n"))
    assert parse_email(refetched, now=now).external_id == first.external_id
    # Another message is another id.
    other = raw.replace("50元".encode(), "80元".encode())
    assert parse_email(other, now=now).external_id != first.external_id


def test_message_id_is_kept_without_its_angle_brackets(eml, now):
    raw = with_header(eml("no_message_id.eml"), "Message-ID:\r\n <abc.123@mail.example.org>")
    assert parse_email(raw, now=now).external_id == "abc.123@mail.example.org"


def test_raw_8bit_headers_and_unlabelled_gb18030_body(eml, now):
    message = parse_email(eml("raw_8bit_headers.eml"), now=now)

    assert message.subject == "信号太差，家里打不了电话"
    assert message.customer_name == "赵敏"
    assert message.description == "搬到新小区后手机信号只有一格，在家里打电话经常断。"
    assert message.customer_phone is None


def test_broken_mime_still_gives_the_text_and_the_attachment(eml, now):
    message = parse_email(eml("broken_mime.eml"), now=now)

    assert message.subject == "销户被拒"  # the encoded word lacked its closing "?="
    assert message.description == "营业员态度恶劣，拒绝给我办理销户。喆"
    (photo,) = message.attachments
    assert (photo.name, photo.content_type) == ("photo.png", "image/png")
    assert "CloseBoundaryNotFoundDefect" in message.metadata["mime_defects"]


def test_empty_mail_is_refused(eml, now):
    result = parse_email(eml("empty_message.eml"), now=now)

    assert isinstance(result, EmailRefused)
    assert result.reason == SkipReason.EMPTY
    assert result.sender == "someone@example.org"


def test_mail_without_sender_or_phone_is_refused(eml, now):
    raw = eml("raw_8bit_headers.eml").replace("From: 赵敏 <zhaomin@example.org>\n".encode(), b"")
    result = parse_email(raw, now=now)

    assert isinstance(result, EmailRefused)
    assert result.reason == SkipReason.NO_SENDER


def test_mail_without_sender_but_with_a_phone_is_kept(eml, now):
    raw = eml("no_message_id.eml").replace(b"From: Zhou Min <zhoumin@example.org>\n", b"")
    message = parse_email(raw, now=now)

    assert message.customer_email == ""
    assert message.customer_phone == "13612345678"


@pytest.mark.parametrize(("date_header", "expected"), [
    ("Date: Sat, 28 Nov 2026 19:30:00 +0800", datetime(2026, 11, 28, 19, 30, tzinfo=BEIJING)),
    ("Date: Sat, 28 Nov 2026 11:30:00 -0000", datetime(2026, 11, 28, 19, 30, tzinfo=BEIJING)),
    ("Date: Mon, 30 Nov 2026 12:04:00 +0800", datetime(2026, 11, 30, 12, 4, tzinfo=BEIJING)),
    ("Date: Fri, 1 Jan 2027 09:00:00 +0800", "now"),  # a sender's clock a month fast
    ("Date: 昨天", "now"),
    ("X-No-Date: 1", "now"),
])
def test_received_at_comes_from_the_date_header_never_in_the_future(eml, now, date_header,
                                                                     expected):
    raw = eml("no_message_id.eml").replace(b"Date: Sat, 28 Nov 2026 19:30:00 +0800\n",
                                           date_header.encode() + b"\n")
    message = parse_email(raw, now=now)

    assert message.received_at == (now if expected == "now" else expected)
    assert message.received_at.utcoffset() is not None


def test_now_must_be_aware(eml):
    with pytest.raises(ValueError):
        parse_email(eml("no_message_id.eml"), now=datetime(2026, 11, 30, 12, 0))


@pytest.mark.parametrize("name", [
    "gb2312_plain_foxmail.eml", "gbk_html_only_qqmail.eml", "utf8_alternative_with_attachments.eml",
    "thunderbird_flowed_related_forward.eml", "bounce_dsn_postfix.eml",
])
def test_mail_cut_off_anywhere_never_raises(eml, now, name):
    raw = eml(name)
    for cut in range(0, len(raw), 37):
        result = parse_email(raw[:cut], now=now)
        assert isinstance(result, IntakeMessage | EmailSkipped | EmailRefused)
        if isinstance(result, EmailRefused):
            assert result.reason != SkipReason.MALFORMED, (cut, result.detail)


def test_an_unexpected_failure_is_a_logged_refusal_not_a_crash(eml, now, monkeypatch):
    import intake.parsers.email as email_parser

    def explode(*args):
        raise LookupError("unknown encoding: x-mac-chinesesimp")

    monkeypatch.setattr(email_parser, "_collect", explode)
    result = parse_email(eml("gb2312_plain_foxmail.eml"), now=now)

    assert isinstance(result, EmailRefused)
    assert result.reason == SkipReason.MALFORMED
    assert result.detail == "LookupError: unknown encoding: x-mac-chinesesimp"
    assert result.external_id == "202611242113580351829@163.com"


@pytest.mark.parametrize(("data", "charset", "text"), [
    ("喆".encode("gbk"), "gb2312", "喆"),  # GBK labelled GB2312
    ("䶮".encode("gb18030"), "GB2312", "䶮"),  # GB18030 four-byte labelled GB2312
    ("投诉".encode("gbk"), "utf-8", "投诉"),  # labelled UTF-8, really GBK
    ("投诉".encode("gb18030"), None, "投诉"),
    ("投诉".encode(), "iso-8859-1", "投诉"),
    ("café".encode("latin-1"), "iso-8859-1", "café"),
    ("投诉".encode(), "no-such-charset", "投诉"),
])
def test_decode_bytes_survives_wrong_labels(data, charset, text):
    assert decode_bytes(data, charset) == text


@pytest.mark.parametrize(("raw", "text"), [
    ("=?GB2312?B?zfWGtA==?=", "王喆"),
    ("=?UTF-8?Q?5G=E5=A5=97=E9=A4=90?= =?UTF-8?Q?=E7=BD=91=E9=80=9F?=", "5G套餐网速"),
    ("Re: =?gbk?B?zbbL3w==?= TS20261125000123", "Re: 投诉 TS20261125000123"),
    ("=?x-unknown?B?5oqV6K+J?=", "投诉"),
    ("plain\n\tfolded", "plain folded"),
    (None, ""),
])
def test_header_text(raw, text):
    assert header_text(raw) == text


def test_html_to_text_drops_what_is_not_shown_and_keeps_lines():
    html = ("<html><head><title>t</title><style>p{}</style></head><body>"
            "<script>alert('x')</script><p>第一段&amp;&lt;b&gt;</p>"
            "<p>第二段<br>换行</p><table><tr><td>单元</td><td>格</td></tr></table>"
            "<img src=x onerror=alert(1)><iframe src='https://evil'></iframe></body></html>")

    assert html_to_text(html) == "第一段&<b>\n\n第二段\n换行\n\n单元 格"
