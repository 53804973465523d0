"""Races on real PostgreSQL: concurrent numbering and concurrent edits."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from complaints import services
from kernel.errors import StaleVersion
from complaints.lifecycle import Action
from complaints.models import Complaint, ReferenceCounter
from tests.factories import CustomerFactory, make_complaint
from tests.threads import in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_references_are_unique_under_concurrent_creation():
    customer = CustomerFactory()
    start = threading.Barrier(8)

    @in_thread
    def create_many(worker):
        start.wait()
        return [make_complaint(customer=customer, description=f"并发测试 {worker}-{i}").reference
                for i in range(25)]

    with ThreadPoolExecutor(8) as pool:
        references = [r for batch in pool.map(create_many, range(8)) for r in batch]
    assert len(references) == len(set(references)) == 200
    assert sorted(int(r[-6:]) for r in references) == list(range(1, 201))
    assert ReferenceCounter.objects.get().last_value == 200
    assert Complaint.objects.count() == 200


def test_two_concurrent_edits_one_wins_the_other_is_refused_nothing_lost(agent, supervisor):
    complaint = make_complaint()
    complaint.refresh_from_db()  # automatic classification may already have edited it
    version = complaint.version
    start = threading.Barrier(2)

    @in_thread
    def edit(actor, action, reason):
        start.wait()
        try:
            services.complaint_transition(complaint_id=complaint.id, action=action, actor=actor,
                                          expected_version=version, reason=reason)
            return "saved"
        except StaleVersion:
            return "stale"

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(edit, [agent, supervisor], [Action.ACKNOWLEDGE, Action.CANCEL],
                                ["", "客户撤诉"]))
    assert sorted(results) == ["saved", "stale"]
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.version == version + 1
    changes = list(stored.activities.filter(kind="status_change"))
    assert len(changes) == 1 and changes[0].data["to"] == stored.status


def test_many_concurrent_notes_are_all_kept(agent):
    complaint = make_complaint()

    @in_thread
    def note(i):
        return services.complaint_add_note(complaint_id=complaint.id, actor=agent,
                                           body=f"第{i}条备注").id

    with ThreadPoolExecutor(6) as pool:
        ids = list(pool.map(note, range(30)))
    assert len(set(ids)) == 30
    assert complaint.activities.filter(kind="internal_note").count() == 30
