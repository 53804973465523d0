"""The workspace actions through the API: dispatch and results, replies with the red-line check,
compensation and approval, canned responses; permissions and stale versions."""


import pytest

from complaints import services
from complaints.lifecycle import Status
from workspace.models import DepartmentTask
from notifications.models import OutboundMessage
from tests import seeds
from tests.builders import complaint_in
from tests.factories import CustomerFactory, DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def workspace_seeds(db):
    seeds.workspace_phrases()


@pytest.fixture
def complaint(agent):
    return complaint_in(Status.IN_PROGRESS, actor=agent,
                        customer=CustomerFactory(name="陈晓明", phone="13912345678"))


def api(reference, tail=""):
    return f"/api/v1/complaints/{reference}/{tail}"


def test_dispatch_and_results(agent, client_for, complaint):
    DepartmentFactory(code="net-ops", name="网络运维部")
    DepartmentFactory(code="billing", name="计费中心")
    client = client_for(agent)
    response = client.post(api(complaint.reference, "dispatches/"), {
        "version": complaint.version, "departments": ["net-ops", "billing"],
        "instructions": "请核查"}, format="json")
    assert response.status_code == 201, response.content
    tasks = response.json()
    assert {t["department"] for t in tasks} == {"net-ops", "billing"}
    assert all(t["status"] == "open" for t in tasks)
    complaint.refresh_from_db()
    assert complaint.status == Status.WAITING_DEPARTMENT
    assert len(client.get(api(complaint.reference, "dispatches/")).json()) == 2

    first, second = tasks
    response = client.post(api(complaint.reference, f"dispatches/{first['id']}/result/"),
                           {"version": complaint.version, "result": "已处理"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert response.json()["returned_by"] == agent.username
    response = client.post(api(complaint.reference, f"dispatches/{second['id']}/result/"),
                           {"version": complaint.version, "result": "无异常"}, format="json")
    assert response.status_code == 200
    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS


def test_a_stale_version_answers_409_with_the_changes(agent, supervisor, client_for, complaint):
    DepartmentFactory(code="net-ops")
    client_for(supervisor).post(api(complaint.reference, "notes/"), {"body": "看一下"})
    services.complaint_update_fields(complaint_id=complaint.id, actor=supervisor,
                                     changes={"priority": "urgent"}, reason="客户情绪激动")
    response = client_for(agent).post(api(complaint.reference, "dispatches/"), {
        "version": complaint.version, "departments": ["net-ops"], "instructions": "核查"},
        format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert body["changes"][-1]["actor"] == supervisor.username
    assert body["changes"][-1]["data"]["changed"]["priority"] == ["ordinary", "urgent"]
    assert not DepartmentTask.objects.exists()


def test_dispatch_needs_permission(client_for, complaint, roles):
    DepartmentFactory(code="net-ops")
    viewer = StaffFactory(username="viewer")
    response = client_for(viewer).post(api(complaint.reference, "dispatches/"), {
        "version": complaint.version, "departments": ["net-ops"], "instructions": "x"},
        format="json")
    assert response.status_code == 403


def test_reply_with_a_red_line_is_refused_until_send_anyway(agent, client_for, complaint):
    client = client_for(agent)
    payload = {"version": complaint.version, "channel": "sms",
               "body": "您好，我这里不负责这个业务。"}
    response = client.post(api(complaint.reference, "replies/"), payload, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "red_line"
    assert body["red_lines"][0]["phrase"] == "我这里不负责这个业务"
    assert body["red_lines"][0]["suggestion"]
    assert not OutboundMessage.objects.exists()
    response = client.post(api(complaint.reference, "replies/"),
                           {**payload, "send_anyway": True}, format="json")
    assert response.status_code == 201
    assert response.json()["activity"]["visibility"] == "public"
    message = OutboundMessage.objects.get(pk=response.json()["outbound_id"])
    assert message.channel == "sms" and message.purpose == "reply"


def test_compensation_above_the_limit_then_approval(agent, supervisor, client_for, complaint,
                                                    settings):
    settings.COMPENSATION_APPROVAL_LIMIT = 200
    response = client_for(agent).post(api(complaint.reference, "compensation/"), {
        "version": complaint.version, "compensation_type": "refund", "amount": "350.00",
        "reason": "重复扣费"}, format="json")
    assert response.status_code == 200
    assert response.json()["compensation_status"] == "pending"
    version = response.json()["version"]
    assert client_for(agent).post(api(complaint.reference, "compensation/approve/"), {
        "version": version}, format="json").status_code == 403
    response = client_for(supervisor).post(api(complaint.reference, "compensation/approve/"), {
        "version": version, "approve": True}, format="json")
    assert response.status_code == 200
    assert response.json()["compensation_status"] == "approved"


def test_compensation_within_the_limit_needs_no_approval(agent, client_for, complaint,
                                                         settings):
    settings.COMPENSATION_APPROVAL_LIMIT = 200
    response = client_for(agent).post(api(complaint.reference, "compensation/"), {
        "version": complaint.version, "compensation_type": "bill_credit", "amount": "200",
        "reason": "断网"}, format="json")
    assert response.json()["compensation_status"] == "approved"
    response = client_for(agent).post(api(complaint.reference, "resolution/"), {
        "version": response.json()["version"], "summary": "已修复"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    assert OutboundMessage.objects.filter(purpose="resolution").count() == 1


def test_investigation(agent, client_for, complaint):
    DepartmentFactory(code="store-1")
    response = client_for(agent).post(api(complaint.reference, "investigation/"), {
        "version": complaint.version, "responsible_department": "store-1",
        "responsibility_type": "company", "findings": "营业员误操作"}, format="json")
    assert response.status_code == 200
    assert response.json()["responsible_department"]["code"] == "store-1"
    assert response.json()["responsibility_type"] == "company"


def test_canned_responses_rendered_for_a_complaint(agent, client_for, complaint):
    response = client_for(agent).get("/api/v1/canned-responses/",
                                      {"complaint": complaint.reference})
    rows = response.json()
    assert rows and all(r["rendered"] for r in rows)
    first = next(r for r in rows if r["title"] == "受理安抚")
    assert first["rendered"].startswith("陈晓明您好") and complaint.reference in first["rendered"]
    assert client_for(agent).get("/api/v1/canned-responses/").json()[0]["rendered"] is None


def test_red_line_check_endpoint(agent, client_for, roles):
    response = client_for(agent).post("/api/v1/redline/check/",
                                      {"text": "宣传单上都有说明，您自己看。"}, format="json")
    body = response.json()
    assert body["ok"] is False
    assert body["red_lines"][0]["start"] == 0 and body["red_lines"][0]["end"] == 8
    assert client_for(agent).post("/api/v1/redline/check/", {"text": "好的"},
                                  format="json").json() == {"ok": True, "red_lines": []}
    assert client_for(StaffFactory(username="nobody")).post(
        "/api/v1/redline/check/", {"text": "x"}, format="json").status_code == 403
