"""After a bulk load the loader leaves the tables it wrote vacuumed and analysed (issue 14: no
manual VACUUM ANALYZE before the desk is fast again)."""

import pytest
from django.db import connection, transaction

from complaints.models import Customer
from kernel.db import analyze_tables

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TABLE = "complaints_customer"


def _maintenance():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_vacuum, last_analyze FROM pg_stat_user_tables "
                       "WHERE relname = %s", [TABLE])
        return cursor.fetchone()


def test_after_a_bulk_load_the_tables_are_vacuumed_and_analysed():
    Customer.objects.bulk_create(Customer(name=f"客户{i}", phone=f"1380000{i:04d}")
                                 for i in range(50))
    Customer.objects.update(name="已改")  # the row versions a load leaves behind
    before = _maintenance()

    assert analyze_tables([TABLE]) == [TABLE]

    vacuumed, analysed = _maintenance()
    assert vacuumed is not None and vacuumed != before[0]
    assert analysed is not None and analysed != before[1]


def test_inside_a_transaction_the_tables_are_analysed_only():
    """VACUUM cannot run in a transaction block; the statistics are refreshed all the same."""
    before = _maintenance()
    with transaction.atomic():
        assert analyze_tables([TABLE]) == [TABLE]
    vacuumed, analysed = _maintenance()
    assert vacuumed == before[0]
    assert analysed is not None and analysed != before[1]
