"""/track/: customers see their complaint's status and public timeline, and add to it."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.utils import timezone

from complaints.models import Activity, ActivityKind, Attachment, Visibility
from notifications.models import OutboundMessage
from complaints.services import complaint_add_note, complaint_transition, timeline_append
from intake import public
from tests.factories import PNG, CustomerFactory, StaffFactory, make_complaint

# Rate counters and codes: a private, empty cache per test (see conftest).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]
PHONE = "13900139000"


@pytest.fixture
def client():
    """In English, so the messages asserted stay the msgids once translations are compiled."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def complaint():
    customer = CustomerFactory(phone=PHONE, name="陈晓明")
    return make_complaint(customer=customer, channel="web",
                          description="信号很差 <script>alert('x')</script> & 经常掉线")


def sign_in(client, reference, phone=PHONE, **extra):
    return client.post("/track/", {"action": "phone", "reference": reference, "phone": phone},
                       **extra)


def comparable(response, *references):
    """The page without what legitimately differs: the CSRF token and the reference typed."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    for reference in references:
        html = html.replace(reference, "TS…")
    return html


def test_the_reference_and_phone_open_the_complaint(client, complaint, roles):
    agent = StaffFactory(role="agent", username="ouyang_feng", first_name="欧阳锋")
    complaint_add_note(complaint_id=complaint.id, actor=agent, body="内部：疑似基站故障，勿告知客户")
    complaint_add_note(complaint_id=complaint.id, actor=agent, public=True,
                       body="您好，我们已安排工程师明天上门检测。")
    complaint = complaint_transition(complaint_id=complaint.id, action="acknowledge",
                                     actor=agent, expected_version=complaint.version)

    response = sign_in(client, complaint.reference.lower(), phone="139-0013-9000")
    assert response.status_code == 302
    assert response["Location"] == f"/track/{complaint.reference}/"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Acknowledged" in html  # the status, in the page's language
    assert "您好，我们已安排工程师明天上门检测。" in html
    assert "Customer service" in html
    assert "内部" not in html  # internal notes never
    assert "欧阳锋" not in html and "ouyang_feng" not in html  # never staff names
    assert "139****9000" in html and PHONE not in html  # masked
    assert "closing/_track_feedback.html" in [t.name for t in page.templates]
    assert page.context["complaint"] == complaint


def test_without_access_the_page_sends_to_sign_in(client, complaint):
    response = client.get(f"/track/{complaint.reference}/")
    assert response.status_code == 302
    assert response["Location"] == f"/track/?ref={complaint.reference}"
    assert client.post(f"/track/{complaint.reference}/add/", {"text": "x"}).status_code == 302
    assert not Activity.objects.filter(kind=ActivityKind.CUSTOMER_ACTION).exists()


def test_a_wrong_phone_looks_exactly_like_an_unknown_reference(client, complaint):
    wrong_phone = sign_in(client, complaint.reference, phone="13700137000")
    unknown = sign_in(client, "TS20200101000001", phone="13700137000")
    assert wrong_phone.status_code == unknown.status_code == 400
    assert comparable(wrong_phone, complaint.reference) == \
        comparable(unknown, "TS20200101000001")
    assert "We could not find a complaint with this reference and phone number" in \
        wrong_phone.content.decode()
    assert client.get(f"/track/{complaint.reference}/").status_code == 302  # still no access


def test_repeated_failures_are_throttled(client, complaint, settings):
    settings.INTAKE_TRACK_FAILURES = "3/15min"
    for _ in range(3):
        assert sign_in(client, complaint.reference, phone="13700137000").status_code == 400
    response = sign_in(client, complaint.reference)  # even the right phone now
    assert response.status_code == 429
    assert "Too many unsuccessful attempts." in response.content.decode()
    assert client.get(f"/track/{complaint.reference}/").status_code == 302
    # The reference is protected from other addresses too.
    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en")
    locked = sign_in(elsewhere, complaint.reference, REMOTE_ADDR="10.8.8.8")
    assert locked.status_code == 429
    assert "or ask for a one-time code" in locked.content.decode()


def test_a_stranger_failing_on_purpose_cannot_shut_the_customer_out(client, complaint,
                                                                    settings):
    """Failing on purpose locks phone-number guesses at the reference, but not the one-time
    code texted to the customer's own phone."""
    settings.INTAKE_TRACK_FAILURES = "3/15min"
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.9.9.9")
    for _ in range(3):
        assert sign_in(stranger, complaint.reference, phone="13700137000").status_code == 400
    assert sign_in(client, complaint.reference).status_code == 429  # phone path locked
    assert request_code(client, complaint.reference).status_code == 200
    response = enter_code(client, complaint.reference, sent_code(complaint))
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    # The stranger's own address stays locked, code or not.
    assert enter_code(stranger, complaint.reference, "000000").status_code == 429


def request_code(client, reference, **extra):
    return client.post("/track/", {"action": "send_code", "reference": reference}, **extra)


def enter_code(client, reference, code):
    return client.post("/track/", {"action": "code", "reference": reference, "code": code})


def sent_code(complaint) -> str:
    message = OutboundMessage.objects.filter(complaint=complaint, purpose="tracking_code") \
        .latest("id")
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def test_a_one_time_code_by_sms_opens_the_complaint_once(client, complaint):
    response = request_code(client, complaint.reference)
    assert response.status_code == 200
    assert "a 6-digit code has been sent by SMS" in response.content.decode()
    message = OutboundMessage.objects.get(complaint=complaint, purpose="tracking_code")
    assert message.channel == "sms" and message.recipient == PHONE
    assert message.send_after <= timezone.now()  # urgent: not held for quiet hours
    code = sent_code(complaint)

    wrong = enter_code(client, complaint.reference, f"{(int(code) + 1) % 10**6:06d}")
    assert wrong.status_code == 400
    response = enter_code(client, complaint.reference, code)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200

    again = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert enter_code(again, complaint.reference, code).status_code == 400  # used up


def test_a_code_expires(client, complaint, monkeypatch):
    request_code(client, complaint.reference)
    code = sent_code(complaint)
    later = timezone.now() + timedelta(minutes=11)
    monkeypatch.setattr(public, "_now", lambda: later)
    response = enter_code(client, complaint.reference, code)
    assert response.status_code == 400
    assert "We could not find a complaint" in response.content.decode()


def test_a_code_dies_after_too_many_wrong_tries(client, complaint, settings):
    settings.INTAKE_TRACK_CODE_ATTEMPTS = 2
    request_code(client, complaint.reference)
    code = sent_code(complaint)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(2):
        enter_code(client, complaint.reference, wrong)
    assert enter_code(client, complaint.reference, code).status_code == 400


def test_asking_a_code_for_an_unknown_reference_looks_the_same(client, complaint):
    known = request_code(client, complaint.reference)
    unknown = request_code(client, "TS20200101000001")
    assert known.status_code == unknown.status_code == 200
    assert comparable(known, complaint.reference) == comparable(unknown, "TS20200101000001")
    assert OutboundMessage.objects.filter(purpose="tracking_code").count() == 1


def test_code_requests_are_limited(client, complaint, settings):
    settings.INTAKE_TRACK_CODE_RATE = "2/15min"
    for _ in range(2):
        assert request_code(client, complaint.reference).status_code == 200
    response = request_code(client, complaint.reference, REMOTE_ADDR="10.7.7.7")
    assert response.status_code == 429
    assert "Too many codes have been requested." in response.content.decode()
    assert OutboundMessage.objects.filter(purpose="tracking_code").count() == 2


def test_codes_never_show_on_the_public_timeline(client, complaint):
    timeline_append(complaint_id=complaint.id, kind=ActivityKind.NOTIFICATION,
                    message="SMS sent to the customer: Your code is 483920",
                    data={"purpose": "tracking_code"}, visibility=Visibility.PUBLIC)
    sign_in(client, complaint.reference)
    assert "483920" not in client.get(f"/track/{complaint.reference}/").content.decode()


def test_information_and_a_file_land_on_the_public_timeline(client, complaint):
    sign_in(client, complaint.reference)
    photo = SimpleUploadedFile("信号截图.png", PNG, content_type="image/png")
    response = client.post(f"/track/{complaint.reference}/add/",
                           {"text": "今天下午三点又断了 <b>两次</b>", "attachments": [photo]})
    assert response.status_code == 302
    entry = Activity.objects.get(complaint=complaint, kind=ActivityKind.CUSTOMER_ACTION,
                                 message="今天下午三点又断了 <b>两次</b>")  # stored as given
    assert entry.visibility == Visibility.PUBLIC and entry.actor_type == "customer"
    attachment = Attachment.objects.get(complaint=complaint)
    assert attachment.uploaded_by_customer and attachment.activity.visibility == "public"

    page = client.get(response["Location"])
    html = page.content.decode()
    assert "今天下午三点又断了 &lt;b&gt;两次&lt;/b&gt;" in html  # shown escaped
    assert "信号截图.png" in html and "You added information" in html
    download = client.get(f"/track/{complaint.reference}/files/{attachment.id}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    stranger = Client()
    assert stranger.get(f"/track/{complaint.reference}/files/{attachment.id}/").status_code \
        == 404


@pytest.mark.parametrize(("data", "message"), [
    ({"text": ""}, "Write something or attach a file."),
    ({"text": "太长" * 1001}, "at most 2000 characters"),
    ({"text": "见附件", "attachments": [SimpleUploadedFile("a.pdf", b"MZ\x90\x00" * 50)]},
     "is not an image, PDF or text file"),
])
def test_bad_additions_are_refused_whole(client, complaint, data, message):
    sign_in(client, complaint.reference)
    response = client.post(f"/track/{complaint.reference}/add/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Activity.objects.filter(kind=ActivityKind.CUSTOMER_ACTION).exists()
    assert not Attachment.objects.exists()


def test_additions_are_throttled(client, complaint, settings):
    settings.INTAKE_TRACK_ADD_RATE = "2/hour"
    sign_in(client, complaint.reference)
    for n in range(2):
        assert client.post(f"/track/{complaint.reference}/add/",
                           {"text": f"补充 {n}"}).status_code == 302
    response = client.post(f"/track/{complaint.reference}/add/", {"text": "补充 3"})
    assert response.status_code == 429
    assert "You have added information many times" in response.content.decode()
    assert Activity.objects.filter(kind=ActivityKind.CUSTOMER_ACTION).count() == 2


def test_script_in_the_description_is_shown_escaped(client, complaint):
    sign_in(client, complaint.reference)
    html = client.get(f"/track/{complaint.reference}/").content.decode()
    assert "信号很差 &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; 经常掉线" in html
    assert "<script>alert" not in html


def test_a_merged_complaint_shows_the_survivor(client, complaint):
    survivor = make_complaint(customer=complaint.customer, channel="web",
                              description="宽带断网，第二次投诉")
    complaint_transition(complaint_id=complaint.id, action="merge", actor=None,
                         expected_version=complaint.version, reason="重复投诉",
                         merged_into_reference=survivor.reference)
    response = sign_in(client, complaint.reference)
    assert response["Location"] == f"/track/{survivor.reference}/"
    page = client.get(response["Location"])
    assert "宽带断网，第二次投诉" in page.content.decode()
    redirected = client.get(f"/track/{complaint.reference}/")
    assert redirected["Location"] == f"/track/{survivor.reference}/"


def test_tracked_complaint_checks_the_session_grant(complaint, monkeypatch):
    request = RequestFactory().get("/")
    request.session = {}
    assert public.tracked_complaint(request, complaint.reference) is None
    public.tracking_grant(request.session, complaint)
    assert public.tracked_complaint(request, complaint.reference) == complaint
    assert public.tracked_complaint(request, "TS20200101000001") is None
    other = make_complaint(customer=CustomerFactory())
    assert public.tracked_complaint(request, other.reference) is None
    later = timezone.now() + timedelta(minutes=61)
    monkeypatch.setattr(public, "_now", lambda: later)
    assert public.tracked_complaint(request, complaint.reference) is None  # expired


def test_leaving_ends_the_access(client, complaint):
    sign_in(client, complaint.reference)
    assert client.get(f"/track/{complaint.reference}/").status_code == 200
    client.post("/track/leave/")
    assert client.get(f"/track/{complaint.reference}/").status_code == 302


def test_the_tracking_page_speaks_chinese_and_english(complaint):
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    sign_in(chinese, complaint.reference)
    html = chinese.get(f"/track/{complaint.reference}/").content.decode()
    assert '<html lang="zh-hans">' in html and "新建" in html  # the status label
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(english, complaint.reference)
    html = english.get(f"/track/{complaint.reference}/").content.decode()
    assert '<html lang="en">' in html and ">New<" in html and "Complaint received" in html


@pytest.mark.parametrize("entries", [1, 30])
def test_the_page_costs_the_same_however_long_the_timeline(client, complaint, entries,
                                                          django_assert_max_num_queries):
    from complaints.services import complaint_attach_files

    for n in range(entries):
        complaint_add_note(complaint_id=complaint.id, actor=None, public=True, body=f"回复 {n}")
        complaint_attach_files(complaint_id=complaint.id, by_customer=True, files=[
            SimpleUploadedFile(f"{n}.png", PNG, content_type="image/png")])
    sign_in(client, complaint.reference)
    with django_assert_max_num_queries(6):
        page = client.get(f"/track/{complaint.reference}/")
    assert page.content.decode().count(".png</a>") == entries
