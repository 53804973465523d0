"""Batch intake (intake/pipeline.py): the same messages recorded one by one through the
per-message path, one by one through intake_receive, and as one intake_batch leave the same
rows behind (ids, timestamps and reference numbers aside); a refused message does not stop the
others; a failure stores nothing; a batch costs a bounded number of statements."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Activity, Complaint, Customer
from intake import channels, classifier
from intake.pipeline import intake_receive
from intake.models import (
    CategoryRoute,
    ComplaintClassification,
    DepartmentRouting,
    InboundMessage,
)
from intake.parsers.message import IntakeMessage
from intake.pipeline import intake_batch
from kernel import memo
from kernel.errors import InvalidInput
from notifications.models import OutboundMessage
from reports.models import ComplaintFact, DirtyDay
from sla.models import Clock
from tests.factories import DepartmentFactory, StaffFactory, category

pytestmark = pytest.mark.django_db

CHANNELS = ["phone", "web", "email", "wechat", "app", "store", "letter", "regulator"]
PHONES = ["13800000001", "13800000002", "13900000003", "02088886666", None]


@pytest.fixture
def routed(roles):
    """Network complaints go to a department that assigns to its least busy agent."""
    department = DepartmentFactory(code="gd-noc", name="省公司网络运维部")
    CategoryRoute.objects.create(category=category("network"), department=department)
    DepartmentRouting.objects.create(department=department, auto_assign=True)
    users = [StaffFactory(role="agent", username=f"noc{i}") for i in range(3)]
    department.members.add(*users)
    return department


def random_messages(seed: int, n: int, *, prefix: str = "m") -> list[IntakeMessage]:
    rng = random.Random(seed)
    texts = [t for t, _c in classifier.read_labelled(classifier.LABELLED_SET)]
    now = timezone.now()
    messages = []
    for i in range(n):
        phone = rng.choice(PHONES)
        channel = rng.choice(CHANNELS)
        email = rng.choice(["", f"c{rng.randint(1, 3)}@example.com"])
        if phone is None and not email and rng.random() < 0.5:
            email = "nobody@example.com"
        text = rng.choice(texts)
        messages.append(IntakeMessage(
            channel=channel, external_id=f"{prefix}-{seed}-{i}",
            received_at=now - timedelta(hours=rng.randint(0, 72), minutes=rng.randint(0, 59)),
            description=text, subject=rng.choice(["", text[:12]]),
            customer_name=rng.choice(["", "张三", "李四"]), customer_phone=phone,
            customer_email=email, store="天河营业厅" if channel == "store" else "",
            priority=rng.choice(["", "", "urgent"]),
            regulator_case_no=f"GX{i}" if channel == "regulator" else ""))
    return messages


def old_path(messages, capture):
    """What intake_receive did before batch intake: _receive, then the events' receivers."""
    for message in messages:
        with capture(execute=True):
            with memo.scope():
                channels._receive(message, None)


def one_by_one(messages, capture):
    for message in messages:
        with capture(execute=True):
            intake_receive(message=message)


def as_batch(messages, capture):
    with capture(execute=True):
        results = intake_batch(messages)
    assert all(not isinstance(r, Exception) for r in results), results
    return results


def _scrub(value, refs, ids=None):
    """Reference numbers named by position; timestamps and complaint ids in data left out."""
    if isinstance(value, dict):
        return {k: (_scrub(v, refs, ids) if k != "possible_duplicate_of" or not isinstance(v, list)
                    else [ids.get(x) for x in v])
                for k, v in value.items() if k not in {"linked_at", "at", "activity_id"}}
    if isinstance(value, list):
        return [_scrub(v, refs, ids) for v in value]
    if isinstance(value, str):
        for reference, name in refs.items():
            value = value.replace(reference, name)
    return value


def snapshot() -> dict:
    """The rows intake leaves, comparable across runs."""
    complaints = list(Complaint.objects.order_by("id").select_related("customer"))
    refs = {c.reference: f"REF{n}" for n, c in enumerate(complaints)}
    index = {c.id: n for n, c in enumerate(complaints)}
    skip = {"id", "reference", "created_at", "updated_at", "customer", "possible_duplicate_of",
            "merged_into"}
    rows = {}
    rows["complaints"] = [
        {**{f.attname: getattr(c, f.attname) for f in Complaint._meta.concrete_fields
            if f.name not in skip},
         "customer": (c.customer.phone, c.customer.email),
         "duplicate_of": index.get(c.possible_duplicate_of_id)} for c in complaints]
    rows["customers"] = sorted(
        (c.phone, c.email, c.name, c.tier, c.service_number, c.wechat_openid)
        for c in Customer.objects.all())
    rows["timeline"] = sorted(
        (index[a.complaint_id], a.kind, a.actor_type, a.actor_id, a.visibility, a.version,
         _scrub(a.message, refs), repr(_scrub(a.data, refs, index)))
        for a in Activity.objects.all())
    rows["clocks"] = sorted(
        (index[c.complaint_id], c.metric, c.cycle, c.policy_id, c.calendar_id, c.state,
         c.started_at, c.due_at, c.warn_at, c.due_verified, c.next_check_at)
        for c in Clock.objects.all())
    rows["outbox"] = sorted(
        (index[m.complaint_id], m.channel, m.recipient, _scrub(m.body, refs),
         _scrub(m.subject, refs), m.purpose, m.status, m.last_error, m.automatic,
         _scrub(m.dedupe_key or "", refs))
        for m in OutboundMessage.objects.all())
    rows["classification"] = sorted(
        (index[c.complaint_id], repr(c.rules_fired), repr(_scrub(c.decisions, refs)),
         repr(c.suggestions), c.model_version, c.category_source, c.department_id,
         c.assigned_agent_id) for c in ComplaintClassification.objects.all())
    fact_skip = {"id", "complaint", "refreshed_at"}
    rows["facts"] = sorted(
        (index[f.complaint_id], repr({x.attname: getattr(f, x.attname)
                                      for x in ComplaintFact._meta.concrete_fields
                                      if x.name not in fact_skip}))
        for f in ComplaintFact.objects.all())
    rows["dirty_days"] = sorted(DirtyDay.objects.values_list("day", flat=True))
    rows["inbound"] = sorted(
        (m.channel, m.external_id, m.outcome, m.reason, m.payload_digest,
         index.get(m.complaint_id)) for m in InboundMessage.objects.all())
    return rows


def assert_same(found: dict, expected: dict) -> None:
    for table in expected:
        if found[table] != expected[table]:
            extra = [r for r in found[table] if r not in expected[table]]
            missing = [r for r in expected[table] if r not in found[table]]
            raise AssertionError(f"{table} differs: found and not expected {extra!r}; "
                                 f"expected and not found {missing!r}")


def wipe() -> None:
    for model in (InboundMessage, OutboundMessage, ComplaintClassification, Clock,
                  ComplaintFact, DirtyDay):
        model.objects.all().delete()
    Complaint.objects.all().delete()
    Customer.objects.all().delete()


@pytest.mark.parametrize("seed", [1, 2])
def test_one_by_one_and_as_one_batch_leave_the_same_rows(
        seed, classifier_model, routed, django_capture_on_commit_callbacks):
    messages = random_messages(seed, 14)
    old_path(messages, django_capture_on_commit_callbacks)
    expected = snapshot()
    assert len(expected["complaints"]) == 14
    if seed == 1:  # what the comparison covers
        assert any(c["duplicate_of"] is not None for c in expected["complaints"])
        assert any(c["assigned_agent_id"] for c in expected["complaints"])
        assert any(not c["customer"][0] for c in expected["complaints"])

    wipe()
    one_by_one(messages, django_capture_on_commit_callbacks)
    assert_same(snapshot(), expected)

    wipe()
    results = as_batch(messages, django_capture_on_commit_callbacks)
    assert [r.complaint.reference for r in results] == \
        list(Complaint.objects.order_by("id").values_list("reference", flat=True))
    assert_same(snapshot(), expected)


def test_a_redelivery_in_a_batch_or_after_it_creates_nothing_twice(
        django_capture_on_commit_callbacks):
    first, second = random_messages(3, 2)
    results = as_batch([first, second, first], django_capture_on_commit_callbacks)
    assert [r.created for r in results] == [True, True, False]
    assert results[2].duplicate and results[2].complaint == results[0].complaint
    again = as_batch([second], django_capture_on_commit_callbacks)
    assert again[0].duplicate and again[0].complaint == results[1].complaint
    assert Complaint.objects.count() == 2 and InboundMessage.objects.count() == 2


def test_a_refused_message_gets_its_error_and_the_others_are_stored(
        django_capture_on_commit_callbacks):
    good = random_messages(4, 3)
    bad_phone = IntakeMessage(channel="web", external_id="bad-phone", description="网速很慢",
                              received_at=timezone.now(), customer_phone="12")
    too_long = IntakeMessage(channel="web", external_id="too-long", description="慢" * 100_000,
                             received_at=timezone.now(), customer_phone="13800000009")
    with django_capture_on_commit_callbacks(execute=True):
        results = intake_batch([good[0], bad_phone, good[1], too_long, good[2]])
    assert isinstance(results[1], InvalidInput) and results[1].field == "phone"
    assert isinstance(results[3], InvalidInput) and results[3].field == "description"
    assert [r.created for r in (results[0], results[2], results[4])] == [True] * 3
    assert Complaint.objects.count() == 3
    assert not InboundMessage.objects.filter(external_id__in=["bad-phone", "too-long"]).exists()
    assert Clock.objects.filter(complaint__in=[r.complaint for r in results[::2]]).count() > 0


def test_a_failure_mid_batch_stores_nothing(monkeypatch, django_capture_on_commit_callbacks):
    from sla import services as sla_services

    def broken(**_kwargs):
        raise RuntimeError("the clocks could not be written")

    monkeypatch.setattr(sla_services, "clocks_start_created", broken)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        intake_batch(random_messages(5, 6))
    for model in (Complaint, Customer, Activity, InboundMessage, OutboundMessage,
                  ComplaintClassification, Clock, ComplaintFact):
        assert not model.objects.exists(), model
    monkeypatch.undo()
    results = as_batch(random_messages(5, 6), django_capture_on_commit_callbacks)
    assert all(r.created for r in results)


def test_a_batch_costs_a_bounded_number_of_statements(classifier_model, routed,
                                                      django_capture_on_commit_callbacks):
    """Each table intake fills is written with one statement per batch, whatever its size:
    classification, grading, routing, duplicate links and deadlines are decided in memory
    first (one read of the customers' recent complaints, one lock and read of the agents' loads
    per auto-assigning department), so the complaints are written once with their decisions.
    What still grows with the batch is customer matching, a bounded number per message."""
    as_batch(random_messages(6, 2, prefix="warm"), django_capture_on_commit_callbacks)

    def statements(seed, n):
        with CaptureQueriesContext(connection) as captured:
            as_batch(random_messages(seed, n), django_capture_on_commit_callbacks)
        # Writes sent together (kernel.db.writes_together) are one round trip of several
        # statements: counted here statement by statement.
        return [sql for q in captured.captured_queries for sql in q["sql"].split(";\n")]

    small, large = statements(7, 5), statements(8, 50)
    for table in ("intake_inboundmessage", "complaints_referencecounter",
                  "complaints_complaint", "complaints_activity",
                  "intake_complaintclassification", "complaints_outboundmessage", "sla_clock",
                  "reports_complaintfact", "reports_dirtyday"):
        assert sum(sql.startswith(f'INSERT INTO "{table}"') for sql in large) == 1, table
    assert sum(sql.startswith('UPDATE "intake_inboundmessage" AS t') for sql in large) == 1
    # The complaints are updated at most once: the links to an original of the same batch,
    # which has no id before the INSERT.
    assert sum(sql.startswith('UPDATE "complaints_complaint"') for sql in large) <= 1
    assert sum(sql.startswith("SELECT ") and ' FROM "complaints_complaint"' in
               sql.split(" WHERE ")[0] for sql in large) == 1

    def beside_customers(found):
        return [sql for sql in found if '"complaints_customer"' not in sql.split(" WHERE ")[0]]

    # The rest does not grow with the batch (an auto-assigning department first met in the
    # larger batch may add its lock and its agents' loads: 3 statements).
    assert len(beside_customers(large)) <= len(beside_customers(small)) + 3
    assert len(large) <= len(small) + 45 * PER_MESSAGE, (len(small), len(large))


# Customer matching per message: the match, and the new customer's INSERT or the filled-in
# fields' UPDATE (and the WeChat id's).
PER_MESSAGE = 3


def test_the_classifier_gives_a_batch_of_texts_what_it_gives_each_one(trained):
    pipeline, _artifact = trained
    texts = random.Random(9).sample(
        [t for t, _c in classifier.read_labelled(classifier.LABELLED_SET)], 20)
    assert classifier.suggest_many(pipeline, texts) == [
        classifier.suggest(pipeline, text) for text in texts]
