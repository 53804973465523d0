"""The agents' entry form (/intake/new/) and the caller lookup (/intake/caller/), through HTTP."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from complaints.lifecycle import Status
from complaints.models import Activity, Complaint, Customer
from intake.models import InboundMessage
from tests.builders import complaint_in
from tests.factories import CustomerFactory, StaffFactory, category, make_complaint

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    # English pages: the Chinese translations of new strings are compiled later.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def call_start():
    return (timezone.now() - timedelta(minutes=42)).replace(second=0, microsecond=0)


@pytest.fixture
def form(call_start):
    return {"channel": "phone", "phone": "138 0013 8888", "name": "刘洋",
            "email": "", "service_number": "", "subject": "",
            "description": "家里宽带每天晚上都断，已经报修两次没人来。", "category": "",
            "location": "北京市海淀区", "store": "", "received_at": local(call_start),
            "call_id": "", "form_token": "f1e2d3c4b5a6978877665544332211aa"}


def test_an_agent_records_a_hotline_call(agent, form, call_start,
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(agent).post("/intake/new/", form | {"call_id": "CTI-20261125-0042"})

    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.reference}/"
    assert complaint.channel == "phone"
    assert complaint.received_at == call_start  # the call's start, not the time of saving
    assert complaint.customer.phone == "13800138888" and complaint.customer.name == "刘洋"
    assert complaint.location == "北京市海淀区"
    assert complaint.subject == "家里宽带每天晚上都断，已经报修两次没人来。"
    created = complaint.activities.get(kind="created")
    assert created.actor == agent
    assert InboundMessage.objects.get().external_id == "CTI-20261125-0042"
    assert complaint.category is not None  # classified after commit (宽带…断 → a rule)


def test_the_same_call_id_saved_twice_is_one_complaint(agent, form):
    client = login(agent)
    first = client.post("/intake/new/", form | {"call_id": "CTI-1", "form_token": "a" * 32},
                        follow=True)
    again = client.post("/intake/new/", form | {"call_id": "CTI-1", "form_token": "b" * 32},
                        follow=True)

    complaint = Complaint.objects.get()
    assert first.redirect_chain[0][0] == again.redirect_chain[0][0] == \
        f"/complaints/{complaint.reference}/"
    assert [str(m) for m in first.context["messages"]] == [
        f"Complaint {complaint.reference} recorded."]
    assert [str(m) for m in again.context["messages"]] == [
        f"This call was already recorded as {complaint.reference}; nothing new was saved."]


def test_a_double_click_without_call_id_is_one_complaint(agent, form):
    client = login(agent)
    client.post("/intake/new/", form)
    client.post("/intake/new/", form)
    assert Complaint.objects.count() == 1
    client.post("/intake/new/", form | {"form_token": "another-render-of-the-form"})
    assert Complaint.objects.count() == 2  # a new form is a new call


def test_each_rendering_of_the_form_has_its_own_token(agent):
    client = login(agent)
    tokens = {client.get("/intake/new/").context["form"]["form_token"].value()
              for _ in range(2)}
    assert len(tokens) == 2


def test_a_store_visit_needs_the_store(agent, form):
    response = login(agent).post("/intake/new/", form | {"channel": "store"})
    assert response.status_code == 200
    assert "Name the store or outlet the customer came to." in response.content.decode()
    assert not Complaint.objects.exists() and not Customer.objects.exists()

    login(agent).post("/intake/new/", form | {"channel": "store", "store": "海淀中关村营业厅"})
    complaint = Complaint.objects.get()
    assert complaint.channel == "store"
    assert complaint.activities.filter(data__store="海淀中关村营业厅").exists()


def test_a_letter_may_come_without_a_phone_number(agent, form):
    response = login(agent).post("/intake/new/", form | {"channel": "letter", "phone": ""})
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.channel == "letter" and complaint.customer.phone == ""
    assert complaint.customer.name == "刘洋"


def test_a_letter_without_phone_or_name_is_refused(agent, form):
    response = login(agent).post("/intake/new/",
                                 form | {"channel": "letter", "phone": "", "name": ""})
    assert "A letter without a phone number needs the sender&#x27;s name." in response.content.decode()
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("change, message", [
    ({"received_at": local(timezone.now() + timedelta(hours=2))}, "The call start time cannot be in the future."),
    ({"phone": "12345"}, "is not a Chinese mobile number"),
    ({"phone": ""}, "Enter the customer&#x27;s phone number."),
    ({"description": ""}, "This field is required."),
])
def test_bad_input_is_shown_and_nothing_saved(agent, form, change, message):
    response = login(agent).post("/intake/new/", form | change)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Complaint.objects.exists() and not InboundMessage.objects.exists()


def test_the_form_preselects_the_channel_and_defaults_to_now(agent):
    response = login(agent).get("/intake/new/?channel=store")
    assert response.context["form"]["channel"].value() == "store"
    html = response.content.decode()
    now = timezone.now()
    assert any(f'value="{local(now - timedelta(minutes=m))}"' in html for m in (0, 1))
    assert login(agent).get("/intake/new/?channel=fax").context["form"]["channel"].value() \
        == "phone"


@pytest.mark.parametrize("url", ["/intake/new/", "/intake/caller/?phone=13800138888"])
def test_only_agents_may_use_the_form(client, url, roles):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    outsider = StaffFactory(username="customer_zhou")  # logged in, no role
    assert login(outsider).get(url).status_code == 403


def test_anonymous_post_creates_nothing(client, form):
    client.post("/intake/new/", form)
    assert not Complaint.objects.exists()


# --- the caller lookup ----------------------------------------------------------------------


@pytest.fixture
def repeat_caller(agent):
    now = timezone.now()
    customer = CustomerFactory(phone="13911112222", name="赵敏")
    # Like the others here, placed without running the receivers (classification, clocks).
    recent_closed = complaint_in(Status.CLOSED, actor=agent, customer=customer,
                                 received_at=now - timedelta(days=3),
                                 description="话费多扣了二十元", after_commit=False)
    older_open = make_complaint(customer=customer, received_at=now - timedelta(days=60),
                                description="手机信号差", category=category("network-coverage"))
    too_old = make_complaint(customer=customer, received_at=now - timedelta(days=95),
                             description="宽带装机慢")
    make_complaint(description="别人的投诉")  # another customer
    return {"open": older_open, "closed": recent_closed, "old": too_old}


def test_the_caller_lookup_lists_open_complaints_first_within_90_days(agent, repeat_caller):
    response = login(agent).get("/intake/caller/", {"phone": "139 1111 2222"})
    html = response.content.decode()
    opened, closed = repeat_caller["open"].reference, repeat_caller["closed"].reference
    assert html.index(opened) < html.index(closed)  # open first, though older
    assert repeat_caller["old"].reference not in html
    assert "139****2222" in html and "13911112222" not in html
    assert "赵*" in html and "赵敏" not in html
    assert "Closed" in html and "Network quality / " in html
    assert f'href="/complaints/{opened}/"' in html
    assert "2 complaints in the last 90 days" in html and "1 still open" in html


def test_the_caller_lookup_for_a_new_number_or_a_partial_one(agent, repeat_caller):
    client = login(agent)
    assert "New caller" in client.get("/intake/caller/", {"phone": "13700001111"}).content.decode()
    assert "once the number is complete" in client.get("/intake/caller/", {"phone": "1391"}).content.decode()


def test_the_caller_lookup_takes_a_fixed_number_of_queries(agent, django_assert_max_num_queries):
    customer = CustomerFactory(phone="13922223333")
    for _ in range(12):
        make_complaint(customer=customer)
    client = login(agent)
    client.get("/intake/caller/", {"phone": "13922223333"})  # the session is set up
    with django_assert_max_num_queries(8):
        html = client.get("/intake/caller/", {"phone": "13922223333"}).content.decode()
    assert html.count("/complaints/TS") == 12


def test_the_entry_page_shows_the_history_again_after_a_refused_post(agent, form,
                                                                     repeat_caller):
    response = login(agent).post("/intake/new/", form | {"phone": "13911112222",
                                                         "description": ""})
    assert repeat_caller["open"].reference in response.content.decode()
    assert Activity.objects.filter(kind="created").count() == 4  # the fixture's, no more
