"""kernel/db.py's writes for intake's few rows: insert_objects writes what bulk_create writes,
and writes_together sends its writes when the block ends, or not at all."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from complaints.models import Activity, ActivityKind, ActorType, Customer, Visibility
from kernel.db import bulk_update_rows, insert_objects, writes_together
from reports.models import DirtyDay
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def _entries(complaint, note):
    return [Activity(complaint=complaint, kind=ActivityKind.INTERNAL_NOTE, actor_type=ActorType.SYSTEM,
                     visibility=Visibility.INTERNAL, message=f"{note} {i}", data={"i": i},
                     version=complaint.version)
            for i in range(3)]


def _rows(ids):
    return [{k: v for k, v in row.items() if k not in ("id", "message", "created_at")}
            for row in Activity.objects.filter(pk__in=ids).order_by("pk").values()]


def test_insert_objects_writes_the_rows_bulk_create_writes():
    complaint = make_complaint()
    by_orm = Activity.objects.bulk_create(_entries(complaint, "orm"))
    ours = insert_objects(_entries(complaint, "ours"))
    assert all(entry.pk is not None and not entry._state.adding for entry in ours)
    assert _rows([e.pk for e in ours]) == _rows([e.pk for e in by_orm])
    assert all(e.created_at is not None for e in ours)  # its default, as bulk_create's
    # A model whose primary key is given, updated on conflict as bulk_create would.
    day = complaint.received_at.date()
    insert_objects([DirtyDay(day=day, marked_at=complaint.received_at)], ids=False,
                   update_conflicts=(["day"], ["marked_at"]))
    later = complaint.received_at.replace(year=complaint.received_at.year + 1)
    insert_objects([DirtyDay(day=day, marked_at=later)], ids=False,
                   update_conflicts=(["day"], ["marked_at"]))
    assert DirtyDay.objects.get(day=day).marked_at == later


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL sends them together")
def test_writes_together_go_in_one_round_trip_when_the_block_ends():
    complaint = make_complaint()
    customer = complaint.customer
    with CaptureQueriesContext(connection) as captured:
        with writes_together():
            insert_objects(_entries(complaint, "together"), ids=False)
            bulk_update_rows(Customer, [Customer(pk=customer.pk, name="改名")], ["name"])
            assert not Activity.objects.filter(message__startswith="together").exists()
            inside = len(captured)
    assert len(captured) == inside + 1  # both statements in one execute
    assert Activity.objects.filter(message__startswith="together").count() == 3
    assert Customer.objects.get(pk=customer.pk).name == "改名"


def test_a_block_that_raises_writes_nothing():
    complaint = make_complaint()
    with pytest.raises(RuntimeError), transaction.atomic(), writes_together():
        insert_objects(_entries(complaint, "lost"), ids=False)
        raise RuntimeError("refused")
    assert not Activity.objects.filter(message__startswith="lost").exists()
