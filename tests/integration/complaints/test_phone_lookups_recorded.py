"""Looking a customer up by their full phone number leaves a personal-data access record, on
the desk, its export and the admin; the admin shows phone numbers masked (issue 15, finding 8)."""

import pytest
from django.test import Client
from django.urls import reverse

from complaints.models import PersonalDataAccess
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


@pytest.fixture
def complaint(roles):
    return make_complaint(customer=CustomerFactory(phone=PHONE, service_number=PHONE,
                                                   name="周敏", email="zhou@example.cn"))


def _page(user):
    client = Client(REMOTE_ADDR="10.9.8.7")
    client.force_login(user)
    return client


def _records():
    return list(PersonalDataAccess.objects.values_list(
        "user__username", "customer__phone", "fields", "ip_address"))


def test_a_desk_search_by_full_number_is_recorded(complaint, agent):
    page = _page(agent).get("/desk/", {"q": "139 1234 5678"}).content.decode()
    assert complaint.reference in page
    assert _records() == [("agent_li", PHONE, ["phone"], "10.9.8.7")]
    assert PersonalDataAccess.objects.get().reason in {"Desk search by full phone number",
                                                       "工作台按完整电话号码搜索"}


@pytest.mark.parametrize("query", ["5678", "13900000000", "信号"])
def test_last_digits_words_or_a_number_found_nowhere_leave_no_record(complaint, agent, query):
    assert _page(agent).get("/desk/", {"q": query}).status_code == 200
    assert _records() == []


def test_a_desk_export_by_full_number_is_recorded(complaint, supervisor):
    response = _page(supervisor).get(reverse("reports:desk-export"), {"q": PHONE})
    assert response.status_code == 200
    assert _records() == [("sup_wang", PHONE, ["phone"], "10.9.8.7")]


@pytest.fixture
def admin_client(administrator):
    administrator.is_staff = True
    administrator.save()
    return _page(administrator)


def test_the_admin_shows_customers_masked_even_to_those_who_may_reveal(complaint,
                                                                      admin_client):
    customer = complaint.customer
    for url in ("/admin/complaints/customer/",
                f"/admin/complaints/customer/{customer.pk}/change/",
                f"/admin/complaints/complaint/{complaint.pk}/change/"):
        page = admin_client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert PHONE not in text and "zhou@example.cn" not in text and "110101199003071234" \
            not in text, url
    assert "139****5678" in admin_client.get("/admin/complaints/customer/").content.decode()
    assert _records() == []


@pytest.mark.parametrize("model", ["customer", "complaint"])
def test_an_admin_search_by_full_number_is_recorded(complaint, admin_client, model):
    page = admin_client.get(f"/admin/complaints/{model}/", {"q": PHONE}).content.decode()
    found = {"customer": "139****5678", "complaint": complaint.reference}[model]
    assert found in page
    assert _records() == [("admin_zhao", PHONE, ["phone"], "10.9.8.7")]
    admin_client.get(f"/admin/complaints/{model}/", {"q": "5678"})
    assert len(_records()) == 1
