"""With PostgreSQL down, requests get a clear 503 with Retry-After (JSON under /api/, the page
elsewhere), never a 500, and no complaint is left half written (issue 16).

The test's database is copied into a real PostgreSQL cluster of the test's own (initdb + pg_ctl on
a spare port), the connection is pointed at it, and the cluster is stopped (fast shutdown) between
requests and in the middle of a complaint's write.
"""

import pytest
from django.db import connection
from django.test import Client

from complaints.models import Complaint
from intake.models import InboundMessage
from notifications.models import OutboundMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
URL = "/api/v1/complaints/"


def _create(client, ref):
    return client.post(URL, {
        "channel": "phone", "received_at": "2026-11-20T09:15:00+08:00", "external_ref": ref,
        "customer": {"name": "周杰", "phone": "186 0000 1111", "email": ""},
        "description": "宽带每天晚上断网，一直没人处理。"}, format="json")


def _assert_unavailable(response):
    assert response.status_code == 503, response.content
    assert int(response["Retry-After"]) > 0


def test_requests_get_503_with_retry_after_while_the_database_is_down(
        own_cluster, client_for, agent, client):
    api = client_for(agent)
    first = _create(api, "CALL-DB-1")
    assert first.status_code == 201  # up: accepted
    staff = Client()
    staff.force_login(agent)
    own_cluster.stop()

    answer = _create(api, "CALL-DB-2")
    _assert_unavailable(answer)
    assert answer["Content-Type"] == "application/json"
    assert answer["Retry-After"] in answer.json()["detail"]  # says when to try again

    page = staff.get("/", HTTP_ACCEPT_LANGUAGE="en")  # the staff home page
    _assert_unavailable(page)
    assert page["Content-Type"].startswith("text/html")
    assert b"Temporarily unavailable" in page.content and b"Traceback" not in page.content

    public = client.post("/api/v1/public/complaints/", {
        "name": "王芳", "phone": "13911112222", "description": "流量费用异常。",
        "accept_privacy": True}, content_type="application/json")
    _assert_unavailable(public)

    own_cluster.start()  # back: the integrator's retry with the same key is accepted once
    second = _create(api, "CALL-DB-2")
    assert second.status_code == 201
    assert _create(api, "CALL-DB-2").status_code == 200
    assert sorted(Complaint.objects.values_list("reference", flat=True)) == sorted(
        [first.json()["reference"], second.json()["reference"]])


def test_a_complaint_cut_off_mid_write_is_not_left_half_written(own_cluster, client_for, agent):
    api = client_for(agent)
    api.get("/api/v1/complaints/")  # the session and the agent are read before the cut
    seen = {"complaint": False, "stopped": False}

    def stop_after_the_complaint_row(execute, sql, params, many, context):
        if seen["complaint"] and not seen["stopped"] and sql.lstrip().upper().startswith(
                "INSERT"):
            seen["stopped"] = True
            own_cluster.stop()
        if 'INSERT INTO "complaints_complaint"' in sql:
            seen["complaint"] = True
        return execute(sql, params, many, context)

    with connection.execute_wrapper(stop_after_the_complaint_row):
        answer = _create(api, "CALL-DB-CUT")
    assert seen["stopped"], "the complaint's write never got past its first row"
    _assert_unavailable(answer)

    own_cluster.start()
    assert not Complaint.objects.exists()
    assert not InboundMessage.objects.exists() and not OutboundMessage.objects.exists()
    # The retry writes it whole, once.
    assert _create(api, "CALL-DB-CUT").status_code == 201
    assert _create(api, "CALL-DB-CUT").status_code == 200
    assert Complaint.objects.count() == 1 and OutboundMessage.objects.count() == 1
