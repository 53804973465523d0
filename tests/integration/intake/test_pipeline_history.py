"""An operator's history through the batch pipeline: the same rows as recording each message
one by one and applying its history step by step (complaint_assign, complaint_transition with
`at`), as the import did per row, ids and timestamps aside."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from complaints.lifecycle import InvalidTransition, Status
from complaints.models import Complaint
from intake import channels, classifier
from intake.history_batch import history_apply, message_history
from intake.models import InboundMessage
from intake.parsers.message import IntakeMessage
from intake.pipeline import intake_batch
from kernel import memo
from kernel.errors import InvalidInput
from notifications.models import OutboundMessage
from sla.models import Clock, ClockState
from tests.factories import DepartmentFactory
from tests.integration.intake import test_pipeline
from tests.integration.intake.test_pipeline import assert_same, snapshot, wipe

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
STATUSES = ["new", "acknowledged", "in_progress", "resolved", "closed", "cancelled"]
routed = test_pipeline.routed  # the fixture: network complaints routed and assigned
CATEGORIES = ["", "", "network-broadband", "billing-unknown-charge"]


def _steps(rng, status: str, received: datetime) -> list[list[str]]:
    acknowledged = received + timedelta(hours=rng.randint(0, 30))
    resolved = acknowledged + timedelta(hours=rng.randint(1, 400))
    closed = resolved + timedelta(hours=rng.randint(1, 100))
    if status == "cancelled":
        return [["cancel", closed.isoformat()]]
    steps = []
    if status != "new":
        steps.append(["acknowledge", acknowledged.isoformat()])
    if status in ("in_progress", "resolved", "closed"):
        steps.append(["start", acknowledged.isoformat()])
    if status in ("resolved", "closed"):
        steps.append(["resolve", resolved.isoformat()])
    if status == "closed":
        steps.append(["close", closed.isoformat()])
    return steps


def history_messages(seed: int, n: int, department: str = "") -> list[IntakeMessage]:
    """Historical messages as the import makes them (intake/importing.py `_prepared`)."""
    rng = random.Random(seed)
    texts = [t for t, _c in classifier.read_labelled(classifier.LABELLED_SET)]
    messages = []
    for i in range(n):
        received = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                            tzinfo=SHANGHAI)
        status = STATUSES[i % len(STATUSES)]
        messages.append(IntakeMessage(
            channel=rng.choice(["phone", "web", "email", "store"]), external_id=f"H-{seed}-{i}",
            received_at=received, description=rng.choice(texts),
            customer_phone=rng.choice(["13800000001", "13900000003", None]),
            customer_email=rng.choice(["", "c1@example.com"]),
            customer_name=rng.choice(["", "张三"]), category_code=rng.choice(CATEGORIES),
            historical=True, source="import",
            metadata={"history": {"line": i + 2, "status": status,
                                  "steps": _steps(rng, status, received),
                                  "resolution": rng.choice(["", "已退费。"]),
                                  "department": rng.choice(["", department])}}))
    return messages


def one_by_one(messages, capture):
    """What the import did per row: the message recorded, then its history step by step."""
    for message in messages:
        with capture(execute=True), memo.scope(), transaction.atomic():
            result = channels._receive(message, None)
            history_apply(complaint_id=result.complaint.id, history=message_history(message),
                          actor=None)


@pytest.mark.parametrize("seed", [1, 2])
def test_history_one_by_one_and_as_one_batch_leave_the_same_rows(
        seed, classifier_model, routed, django_capture_on_commit_callbacks):
    department = DepartmentFactory(code="gz-net", name="广州网络维护中心")
    messages = history_messages(seed, 18, department.code)
    one_by_one(messages, django_capture_on_commit_callbacks)
    expected = snapshot()
    statuses = {c["status"] for c in expected["complaints"]}
    assert statuses == set(STATUSES)  # what the comparison covers
    assert any(c["assigned_department_id"] == department.id for c in expected["complaints"])
    assert Clock.objects.filter(state=ClockState.MET).exists()
    assert Clock.objects.filter(state=ClockState.STOPPED).exists()
    assert not OutboundMessage.objects.exists()

    wipe()
    with django_capture_on_commit_callbacks(execute=True):
        results = intake_batch(messages)
    assert all(r.created for r in results), results
    assert_same(snapshot(), expected)

    with django_capture_on_commit_callbacks(execute=True):
        again = intake_batch(messages)
    assert all(r.duplicate for r in again)
    assert Complaint.objects.count() == len(messages)


def test_a_history_the_lifecycle_refuses_is_refused_and_nothing_of_it_stored(
        django_capture_on_commit_callbacks):
    good, bad, late = history_messages(3, 3)
    bad.metadata["history"]["steps"] = [["close", bad.received_at.isoformat()]]  # from new
    late.metadata["history"]["steps"] = [["acknowledge", (late.received_at - timedelta(
        days=1)).isoformat()]]
    with django_capture_on_commit_callbacks(execute=True):
        results = intake_batch([good, bad, late])
    assert results[0].created
    assert isinstance(results[1], InvalidTransition) and results[1].action == "close"
    assert isinstance(results[2], InvalidInput) and results[2].field == "at"
    assert list(InboundMessage.objects.values_list("external_id", flat=True)) == [
        good.external_id]
    assert Complaint.objects.get().status == Status.NEW


def test_every_step_but_a_merge_and_an_agent_batch_as_one_by_one(
        routed, django_capture_on_commit_callbacks):
    """The demo seed's histories: waiting for the customer, a dispatch and its result, a
    reopen, an agent assigned with the department (the routed fixture's members)."""
    base = datetime(2025, 5, 6, 9, 0, tzinfo=SHANGHAI)
    walks = [
        ["acknowledge", "start", "request_info", "receive_info", "resolve", "close"],
        ["acknowledge", "start", "dispatch", "receive_result", "resolve", "reopen", "start"],
        ["acknowledge", "start", "request_info"],
    ]
    messages = [IntakeMessage(
        channel="phone", external_id=f"W-{n}", received_at=base, description="宽带断网，修了三次",
        customer_phone="13800000001", category_code="network-broadband", historical=True,
        source="import", metadata={"history": {
            "steps": [[a, (base + timedelta(hours=i + 1)).isoformat()]
                      for i, a in enumerate(walk)],
            "department": routed.code, "agent": "noc1", "resolution": "已修复。",
            "reasons": {"request_info": "请提供光猫型号。", "reopen": "客户反映又断网。"}}})
        for n, walk in enumerate(walks)]
    one_by_one(messages, django_capture_on_commit_callbacks)
    expected = snapshot()
    assert [c["status"] for c in expected["complaints"]] == [
        Status.CLOSED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER]
    assert all(c["assigned_agent_id"] for c in expected["complaints"])

    wipe()
    with django_capture_on_commit_callbacks(execute=True):
        assert all(r.created for r in intake_batch(messages))
    assert_same(snapshot(), expected)
