"""The desk's search: references, phone numbers and their last digits, Chinese words of one,
two and more characters. The same cases run on SQLite (LIKE) and on PostgreSQL (the n-gram
index of migration 0006); the index's use is checked on PostgreSQL."""

import pytest
from django.db import connection

from desk import search
from complaints.models import Complaint
from tests.factories import CustomerFactory, make_complaint

pytestmark = pytest.mark.django_db

TEXTS = {
    "signal": "家里手机信号很差，打电话经常断线，希望尽快处理。",
    "port": "办理携号转网时被告知有合约限制，要求解除。",
    "card": "副卡被停机，营业厅说要补卡。",
    "fee": "账单多扣了5G消息包费用 30 元，要求退费。",
}


@pytest.fixture
def complaints():
    made = {}
    for i, (key, text) in enumerate(TEXTS.items()):
        made[key] = make_complaint(customer=CustomerFactory(phone=f"1391234{i:04d}"),
                                   description=text)
    return made


def found(query) -> set[str]:
    keys = {c.id: k for k, c in _made.items()}
    return {keys[pk] for pk in search.complaint_search(Complaint.objects.all(), query)
            .values_list("id", flat=True)}


_made: dict = {}


@pytest.fixture(autouse=True)
def _remember(complaints):
    _made.clear()
    _made.update(complaints)


@pytest.mark.parametrize("query, expected", [
    ("卡", {"card"}),                   # one character
    ("掉线", set()),                    # two characters, not in any text
    ("断线", {"signal"}),               # two characters
    ("号很", {"signal"}),               # two characters across jieba's word boundary
    ("携号转网", {"port"}),             # a dictionary word of four
    ("号转网", {"port"}),               # three characters inside a word
    ("信号差", {"signal"}),             # cut into 信号 + 差, both occur
    ("信号 停机", set()),               # every word must occur
    ("营业厅 补卡", {"card"}),
    ("5g消息", {"fee"}),
    ("5G", {"fee"}),
    ("合约限制", {"port"}),
])
def test_words(query, expected):
    assert found(query) == expected


def test_reference_whole_or_its_start(complaints):
    reference = complaints["port"].reference
    assert found(reference) == {"port"}
    assert found(reference.lower()) == {"port"}
    assert found(reference[:10]) == set(TEXTS)


def test_phone_whole_or_last_digits(complaints):
    assert found("13912340002") == {"card"}
    assert found("139-1234-0002") == {"card"}
    assert found("0002") == {"card"}
    assert found("340001") == {"port"}
    assert found("1234") == set()  # the middle of the number is not its end
    assert found("9999") == set()


def test_an_empty_query_changes_nothing(complaints):
    assert found("") == set(TEXTS)
    assert found("，。！") == set(TEXTS)


def test_text_changes_are_searchable_at_once(complaints):
    from complaints import services

    services.complaint_update_fields(complaint_id=complaints["fee"].id,
                                     changes={"subject": "光猫故障"})
    assert found("光猫") == {"fee"}


@pytest.mark.postgres
@pytest.mark.parametrize("query, index", [
    ("卡", "complaint_search_grams_idx"),
    ("携号转网", "complaint_search_grams_idx"),
    ("0002", "customer_phone_reversed"),
])
def test_postgres_uses_the_indexes(complaints, query, index):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = search.complaint_search(Complaint.objects.order_by(), query).values("id") \
            .query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert index in plan
