"""The tracking page's session gets a new id with every grant, not only the first (issue 15,
finding 11): an id known before a later grant opens nothing afterwards (session fixation)."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import CustomerFactory, make_complaint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("public_cache")]


def sign_in(client, complaint, phone):
    answer = client.post("/track/", {"action": "phone", "reference": complaint.reference,
                                     "phone": phone})
    assert answer.status_code == 302, answer.content.decode()[:300]


def session_id(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_every_later_grant_cycles_the_session_id():
    first = make_complaint(customer=CustomerFactory(phone="13900139001"), channel="web")
    second = make_complaint(customer=CustomerFactory(phone="13900139002"), channel="web")
    customer = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(customer, first, "13900139001")
    known = session_id(customer)  # an id an attacker planted or read before the next grant

    sign_in(customer, second, "13900139002")
    assert session_id(customer) != known
    assert customer.get(f"/track/{second.reference}/").status_code == 200
    assert customer.get(f"/track/{first.reference}/").status_code == 200  # grants kept

    attacker = Client(HTTP_ACCEPT_LANGUAGE="en")
    attacker.cookies[settings.SESSION_COOKIE_NAME] = known
    assert attacker.get(f"/track/{second.reference}/").status_code != 200
    assert attacker.get(f"/track/{first.reference}/").status_code != 200


def test_granting_the_same_complaint_again_cycles_the_id_too():
    complaint = make_complaint(customer=CustomerFactory(phone="13900139003"), channel="web")
    customer = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(customer, complaint, "13900139003")
    known = session_id(customer)
    sign_in(customer, complaint, "13900139003")
    assert session_id(customer) != known
    assert customer.get(f"/track/{complaint.reference}/").status_code == 200
