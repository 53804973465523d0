"""POST /api/v1/complaints/ goes through the one intake path: the answer carries the category and
priority the system chose and the deadlines; a retry with the same external_ref creates nothing."""

import threading

import pytest
from django.db import connection

from complaints.models import Complaint
from notifications.models import OutboundMessage
from intake.models import InboundMessage

# Transactional, as production is: the request is not one big transaction, so what intake
# starts after its commit (classification, routing, deadlines) has run before the answer is built.
pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/complaints/"
RECEIVED = "2026-11-20T09:15:00+08:00"  # a Friday morning


def _post(client, **overrides):
    payload = {"channel": "phone", "received_at": RECEIVED,
               "customer": {"name": "周杰", "phone": "186 0000 1111", "email": ""},
               "description": "宽带每天晚上断网，再不解决我就打12315投诉。"}
    payload.update(overrides)
    return client.post(URL, payload, format="json")


def test_the_answer_carries_what_the_system_chose_and_the_deadlines(client_for, agent):
    response = _post(client_for(agent),
                     external_ref="CALL-20261120-0001")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("TS")
    assert body["received_at"] == RECEIVED  # the original time, not the time of the request
    assert body["category"]["code"] == "network-broadband"  # by the rule 宽带故障
    assert body["priority"] == "urgent"  # "12315": escalation risk
    assert "escalation_risk" in body["flags"]
    deadlines = {d["metric"]: d for d in body["deadlines"]}
    assert {"acknowledge", "resolution"} <= set(deadlines)
    assert deadlines["acknowledge"]["due_at"].endswith("+08:00")
    assert deadlines["acknowledge"]["state"] == "running"
    # The same deadlines the clocks endpoint shows.
    clocks = client_for(agent).get(f"{URL}{body['reference']}/clocks/").json()
    assert {c["metric"]: c["due_at"] for c in clocks} == {
        m: d["due_at"] for m, d in deadlines.items()}
    # One intake path: the inbound record, the timeline, the acknowledgement to the customer.
    inbound = InboundMessage.objects.get(channel="phone", external_id="CALL-20261120-0001")
    assert inbound.complaint.reference == body["reference"]
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds[0] == "created" and "field_change" in kinds
    ack = OutboundMessage.objects.get(complaint__reference=body["reference"])
    assert ack.purpose == "acknowledgement" and ack.channel == "sms"
    assert ack.recipient == "18600001111"


def test_a_retry_with_the_same_external_ref_returns_the_first_complaint(client_for, agent):
    client = client_for(agent)
    first = _post(client, external_ref="CALL-7")
    again = _post(client, external_ref="CALL-7",
                  description="这次描述不一样，但还是同一通电话。")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["reference"]
    assert again.json()["deadlines"] == first.json()["deadlines"]
    assert Complaint.objects.count() == 1
    assert OutboundMessage.objects.count() == 1  # acknowledged once
    # Without an external_ref every post is a new complaint.
    other = _post(client)
    assert other.status_code == 201 and Complaint.objects.count() == 2


def test_the_agents_priority_is_a_floor_the_rules_only_raise(client_for, agent):
    client = client_for(agent)
    kept = _post(client, priority="major",
                 description="手机信号不太好。")
    assert kept.json()["priority"] == "major"
    raised = _post(client, priority="ordinary",
                   customer={"phone": "13700001234"},
                   description="话费多扣了二十元，不退我就找媒体曝光。")
    assert raised.json()["priority"] == "urgent"
    assert raised.json()["category"]["code"] == "billing-dispute"


def test_a_higher_priority_gets_earlier_deadlines(client_for, agent):
    client = client_for(agent)
    ordinary = _post(client, description="手机信号不太好。",
                     customer={"phone": "13700001111"})
    urgent = _post(client, priority="urgent",
                   description="手机信号不太好。", customer={"phone": "13700002222"})
    assert ordinary.json()["priority"] == "ordinary"

    def resolution(response):
        return next(d["due_at"] for d in response.json()["deadlines"]
                    if d["metric"] == "resolution")

    assert resolution(urgent) < resolution(ordinary)


def test_a_category_chosen_by_the_agent_stands(client_for, agent):
    response = _post(client_for(agent), category="service-attitude")
    assert response.json()["category"]["code"] == "service-attitude"


def test_bad_input_writes_nothing(client_for, agent):
    client = client_for(agent)
    future = _post(client, external_ref="CALL-9",
                   received_at="2099-01-01T00:00:00+08:00")
    assert future.status_code == 400 and future.json()["field"] == "received_at"
    bad_phone = _post(client, external_ref="CALL-10",
                      customer={"phone": "12345"})
    assert bad_phone.status_code == 400 and bad_phone.json()["field"] == "phone"
    unknown = _post(client, category="no-such-category")
    assert unknown.status_code == 400 and "category" in unknown.json()
    assert Complaint.objects.count() == 0 and InboundMessage.objects.count() == 0
    # The refused external_ref is not burnt: the corrected request goes through.
    assert _post(client, external_ref="CALL-9").status_code == 201


def test_roles_without_the_permission_cannot_create(client_for, roles):
    from tests.factories import StaffFactory

    response = client_for(StaffFactory(username="viewer")).post(
        URL, {"channel": "phone", "customer": {"phone": "13700001111"}, "description": "x"},
        format="json")
    assert response.status_code == 403 and Complaint.objects.count() == 0


@pytest.mark.postgres
def test_two_simultaneous_retries_create_one_complaint(agent, client_for):
    barrier, answers = threading.Barrier(2), []

    def post():
        try:
            client = client_for(agent)
            barrier.wait()
            answers.append(client.post(URL, {
                "channel": "app", "external_ref": "APP-RACE-1",
                "customer": {"phone": "13700005555"}, "description": "宽带断网了"},
                format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.json()["reference"] for a in answers}) == 1
    assert Complaint.objects.count() == 1 and OutboundMessage.objects.count() == 1


def test_one_create_reads_the_settings_once_and_counts_the_classified_complaint(client_for,
                                                                               agent):
    """Classification, the deadlines and the report figures each used to read the calendars
    and the deadline policies again, and the figures were written twice (created, then
    classified). One intake message now reads each setting once and writes its figures once,
    after classification: the dashboard counts it under the category the rules chose."""
    from django.test.utils import CaptureQueriesContext

    from reports.models import ComplaintFact

    client = client_for(agent)
    _post(client, external_ref="CALL-warm")  # the session and permissions, cached per user
    with CaptureQueriesContext(connection) as captured:
        response = _post(client, external_ref="CALL-once")
    assert response.status_code == 201, response.json()
    statements = [q["sql"] for q in captured.captured_queries]

    def count(fragment):
        return sum(fragment in sql for sql in statements)

    # Kept from the first create (kernel/settings_cache.py), or read once at most.
    assert count('FROM "sla_calendarday"') <= 1
    assert count('FROM "sla_slapolicy"') <= 1
    assert count('FROM "intake_rule"') <= 1
    # The settings tokens are read once, returned along with intake's claim of the message.
    assert count('FROM "complaints_settingsversion"') == 1
    assert next(sql for sql in statements if 'FROM "complaints_settingsversion"' in sql) \
        .startswith('INSERT INTO "intake_inboundmessage"')
    assert count('INSERT INTO "reports_complaintfact"') == 1
    fact = ComplaintFact.objects.get(complaint__reference=response.json()["reference"])
    assert fact.category.code == response.json()["category"]["code"] == "network-broadband"


def test_one_create_costs_a_bounded_number_of_statements(client_for, agent,
                                                         django_assert_num_queries):
    """Everything one create sets off included: classification, routing, the duplicate link,
    the deadlines, the report figures and the answer. A repeat caller's second complaint is
    linked to the first as a possible duplicate, the longest path."""
    client = client_for(agent)
    first = _post(client, external_ref="CALL-first")  # also warms the per-user caches
    # One batch of intake (intake/pipeline.py), everything decided in memory before the
    # complaint is written, the settings kept in the process (kernel/settings_cache.py), the
    # answer built from what was written, the writes nothing reads back sent together
    # (kernel.db.writes_together): 10 round trips carrying 15 statements.
    #  1 BEGIN
    #  2 INSERT the inbound message (idempotency claim), returning the settings tokens
    #  3 SELECT the customer by phone
    #  4 upsert the day's reference counter
    #  5 SELECT the customer's recent complaints (repeat rule, possible duplicate)
    #  6 INSERT the complaint (category, priority, flags, department, duplicate link, deadline)
    #  7 INSERT its timeline entries and the note on the original
    #  8 SELECT the customer's recent automatic SMS (acknowledgement rate limit)
    #  9 together: INSERT the acknowledgement into the outbox, UPDATE the inbound message
    #    with the complaint, INSERT the classification record, INSERT the clocks, INSERT the
    #    report figures, upsert the dirty day
    # 10 COMMIT
    with django_assert_num_queries(10) as captured:
        response = _post(client, external_ref="CALL-second")
    assert response.status_code == 201, response.json()
    assert response.json()["possible_duplicate_of"] == first.json()["reference"]
    # The measure is statements, however many go in one round trip: 15.
    statements = [sql for q in captured.captured_queries for sql in q["sql"].split(";\n")]
    assert len(statements) == 15, statements


def test_the_answer_is_what_reading_the_complaint_shows(client_for, agent):
    """The answer is built from the complaint as intake wrote it, not read back: it shows what
    the detail and clocks endpoints read (here a repeat caller's duplicate, the longest path)."""
    client = client_for(agent)
    first = _post(client, external_ref="CALL-a").json()
    body = _post(client, external_ref="CALL-b").json()
    assert body["possible_duplicate_of"] == first["reference"]
    detail = client.get(f"{URL}{body['reference']}/").json()
    clocks = client.get(f"{URL}{body['reference']}/clocks/").json()
    deadlines = body.pop("deadlines")
    assert body == detail
    assert [(d["metric"], d["state"], d["due_at"]) for d in deadlines] == \
        [(c["metric"], c["state"], c["due_at"]) for c in clocks]
