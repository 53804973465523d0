"""The HTTP API as an integrator uses it: token, list, detail, actions, errors, roles."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from complaints.models import Complaint, PersonalDataAccess
from tests.factories import CustomerFactory, DepartmentFactory, StaffFactory, make_complaint

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def complaint():
    return make_complaint(customer=CustomerFactory(phone="13912345678", name="陈晓明",
                                                   email="chenxm@example.com"))


def url(complaint, suffix=""):
    return f"{API}/complaints/{complaint.reference}/{suffix}"


def test_token_for_username_and_password(api_client, agent):
    response = api_client.post(f"{API}/auth/token/",
                               {"username": "agent_li", "password": "pass-1234"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(key=token).user == agent
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(f"{API}/complaints/").status_code == 200


def test_wrong_password_gets_no_token(api_client, agent):
    response = api_client.post(f"{API}/auth/token/", {"username": "agent_li", "password": "x"})
    assert response.status_code == 400 and "token" not in response.json()


def test_detail_carries_the_contract_fields_and_masks_personal_data(client_for, agent,
                                                                     complaint):
    body = client_for(agent).get(url(complaint)).json()
    for field in ["reference", "channel", "status", "priority", "category", "customer",
                  "subject", "description", "received_at", "flags", "escalation_level",
                  "version", "timeline"]:
        assert field in body, field
    assert body["customer"]["phone"] == "139****5678"
    assert body["customer"]["name"] == "陈**"
    assert body["customer"]["email"] == "c***@example.com"
    assert "13912345678" not in str(body)
    assert body["timeline"][0]["kind"] == "created"
    assert body["allowed_actions"] == ["acknowledge", "merge"]  # agents may not cancel
    assert body["received_at"].endswith("+08:00")  # shown in Beijing time


def test_supervisor_may_also_cancel(client_for, supervisor, complaint):
    body = client_for(supervisor).get(url(complaint)).json()
    assert body["allowed_actions"] == ["acknowledge", "merge", "cancel"]


def test_action_endpoint_walks_the_lifecycle(client_for, agent, complaint):
    client = client_for(agent)
    billing = DepartmentFactory(code="billing-team")
    version = 1

    def act(action, status, **extra):
        response = client.post(url(complaint, f"{action}/"), {"version": version, **extra},
                               format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
        return response.json()["version"], response

    version, _r = act("acknowledge", "acknowledged")
    version, _r = act("start", "in_progress")
    version, _r = act("dispatch", "waiting_department", departments=["billing-team"],
                      reason="核实扣费记录", due_at="2099-01-05T17:00:00+08:00")
    # Dispatching through the action endpoint gives the department its task, as the page does.
    tasks = client.get(url(complaint, "dispatches/")).json()
    assert [(t["department"], t["status"], t["instructions"], t["due_at"]) for t in tasks] == [
        ("billing-team", "open", "核实扣费记录", "2099-01-05T17:00:00+08:00")]
    # While the department owes its result, the complaint cannot be moved back by hand.
    refused = client.post(url(complaint, "receive_result/"), {"version": version},
                          format="json")
    assert refused.status_code == 400
    assert "结果" in refused.json()["detail"]
    result = client.post(url(complaint, f"dispatches/{tasks[0]['id']}/result/"),
                         {"version": version, "result": "确有误扣，已冲正"}, format="json")
    assert result.status_code == 200, result.json()
    version = client.get(url(complaint)).json()["version"]
    version, _r = act("resolve", "resolved", resolution_summary="已退还误扣费用30元")
    version, response = act("close", "closed")
    assert [e["kind"] for e in response.json()["timeline"]].count("status_change") == 6
    assert billing.tasks.get().status == "returned"


def test_dispatch_through_the_action_endpoint_needs_departments_and_instructions(
        client_for, agent, complaint):
    client = client_for(agent)
    DepartmentFactory(code="net-ops")
    version = 1
    for action in ("acknowledge", "start"):
        version = client.post(url(complaint, f"{action}/"), {"version": version},
                              format="json").json()["version"]
    no_departments = client.post(url(complaint, "dispatch/"),
                                 {"version": version, "reason": "排查基站"}, format="json")
    no_instructions = client.post(url(complaint, "dispatch/"),
                                  {"version": version, "departments": ["net-ops"]},
                                  format="json")
    past_due = client.post(url(complaint, "dispatch/"),
                           {"version": version, "departments": ["net-ops"], "reason": "排查基站",
                            "due_at": "2020-01-01T10:00:00+08:00"}, format="json")
    assert (no_departments.status_code, no_instructions.status_code,
            past_due.status_code) == (400, 400, 400)
    assert no_departments.json()["field"] == "departments"
    assert no_instructions.json()["field"] == "instructions"
    assert past_due.json()["field"] == "due_at"
    assert Complaint.objects.get(pk=complaint.pk).status == "in_progress"


def test_illegal_action_names_the_state_and_the_action(client_for, agent, complaint):
    response = client_for(agent).post(url(complaint, "close/"), {"version": 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert "新建" in body["detail"] and "关闭" in body["detail"]
    assert Complaint.objects.get(pk=complaint.pk).status == "new"


def test_messages_in_english_on_request(client_for, agent, complaint):
    response = client_for(agent).post(url(complaint, "close/"), {"version": 1}, format="json",
                                      HTTP_ACCEPT_LANGUAGE="en")
    assert "“Close” is not allowed on a complaint that is “New”" in response.json()["detail"]


def test_stale_version_answers_409_with_the_current_state(client_for, agent, supervisor,
                                                         complaint):
    client_for(supervisor).post(url(complaint, "acknowledge/"), {"version": 1}, format="json")
    response = client_for(agent).post(url(complaint, "merge/"),
                                      {"version": 1, "reason": "dup", "merged_into": "x"},
                                      format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version"
    assert body["current"]["status"] == "acknowledged" and body["current"]["version"] == 2
    assert body["changes"][0]["actor"] == "sup_wang"


def test_missing_version_and_missing_reason_are_400(client_for, supervisor, complaint):
    client = client_for(supervisor)
    response = client.post(url(complaint, "cancel/"), {}, format="json")
    assert response.status_code == 400 and "version" in response.json()
    response = client.post(url(complaint, "cancel/"), {"version": 1}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "reason"


def test_unknown_action_and_unknown_complaint_are_404(client_for, agent, complaint):
    client = client_for(agent)
    assert client.post(url(complaint, "explode/"), {"version": 1}).status_code == 404
    assert client.get(f"{API}/complaints/TS20990101000001/").status_code == 404


def test_create_through_the_api(client_for, agent):
    response = client_for(agent).post(f"{API}/complaints/", {
        "channel": "phone", "received_at": "2026-11-20T09:15:00+08:00",
        "customer": {"name": "周杰", "phone": "186 0000 1111"},
        "description": "宽带每天晚上断网，报修三次都没人上门。", "category": "network-broadband",
        "priority": "urgent", "product_line": "broadband",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["received_at"] == "2026-11-20T09:15:00+08:00"
    assert body["customer"]["phone"] == "186****1111"
    assert body["category"]["code"] == "network-broadband"
    assert body["subject"].startswith("宽带每天晚上断网")


def test_create_refuses_a_bad_phone_clearly(client_for, agent):
    response = client_for(agent).post(f"{API}/complaints/", {
        "channel": "phone", "customer": {"phone": "12345"}, "description": "信号差"},
        format="json")
    assert response.status_code == 400
    assert response.json()["field"] == "phone" and "12345" in response.json()["detail"]
    assert Complaint.objects.count() == 0


def test_list_filters_and_paginates(client_for, agent):
    vip = CustomerFactory(tier="vip")
    make_complaint(customer=vip, priority="urgent")
    make_complaint()
    client = client_for(agent)
    body = client.get(f"{API}/complaints/", {"flag": "vip"}).json()
    assert body["count"] == 1 and body["results"][0]["flags"] == ["vip"]
    assert client.get(f"{API}/complaints/", {"priority": "urgent"}).json()["count"] == 1
    assert client.get(f"{API}/complaints/", {"page_size": 1}).json()["next"]


def test_list_query_count_does_not_grow_with_rows(client_for, agent,
                                                  django_assert_max_num_queries):
    for _ in range(30):
        make_complaint()
    client = client_for(agent)
    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/complaints/", {"page_size": 30}).status_code == 200


def test_reveal_needs_permission_and_is_logged(client_for, agent, supervisor, complaint):
    response = client_for(agent).post(url(complaint, "reveal/"), {"reason": "回访核实"})
    assert response.status_code == 403
    response = client_for(supervisor).post(url(complaint, "reveal/"), {"reason": "回访核实"},
                                           REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200 and response.json()["phone"] == "13912345678"
    log = PersonalDataAccess.objects.get()
    assert (log.user, log.complaint, log.reason, log.ip_address) == (
        supervisor, complaint, "回访核实", "10.1.2.3")


def test_assign_and_note(client_for, supervisor, agent, complaint):
    dept = DepartmentFactory(code="gz-network", name="广州网络部")
    dept.members.add(agent)
    client = client_for(supervisor)
    response = client.post(url(complaint, "assign/"),
                           {"version": 1, "department": "gz-network", "agent": "agent_li"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["assigned_agent"] == "agent_li"
    response = client.post(url(complaint, "notes/"), {"body": "已联系网络部核查基站"})
    assert response.status_code == 201 and response.json()["visibility"] == "internal"


# --- permissions per role on each endpoint ---------------------------------------------------

ENDPOINTS = [
    # (method, path template, body, allowed roles)
    ("get", "/complaints/", None, {"agent", "supervisor", "administrator"}),
    ("get", "/complaints/{ref}/", None, {"agent", "supervisor", "administrator"}),
    ("post", "/complaints/{ref}/acknowledge/", {"version": 1},
     {"agent", "supervisor", "administrator"}),
    ("post", "/complaints/{ref}/cancel/", {"version": 1, "reason": "客户撤诉"},
     {"supervisor", "administrator"}),
    ("post", "/complaints/{ref}/notes/", {"body": "备注"}, {"agent", "supervisor", "administrator"}),
    ("post", "/complaints/{ref}/reveal/", {"reason": "核实"}, {"supervisor", "administrator"}),
    ("get", "/categories/", None, {"agent", "supervisor", "administrator"}),
    ("get", "/departments/", None, {"agent", "supervisor", "administrator"}),
    ("post", "/complaints/", {"channel": "phone", "customer": {"phone": "13700000000"},
                              "description": "网速慢"}, {"agent", "supervisor", "administrator"}),
    ("post", "/complaints/{ref}/assign/", {"version": 1, "department": "perm-dept"},
     {"agent", "supervisor", "administrator"}),
    ("get", "/complaints/{ref}/clocks/", None, {"agent", "supervisor", "administrator"}),
    ("post", "/complaints/{ref}/escalate/", {"reason": "客户要投诉到工信部"},
     {"agent", "supervisor", "administrator"}),
    ("get", "/escalations/", None, {"agent", "supervisor", "administrator"}),
    ("post", "/escalations/{ref}/acknowledge/", None, {"supervisor", "administrator"}),
    ("post", "/escalations/{ref}/deescalate/", {"reason": "误报"}, {"supervisor", "administrator"}),
    ("get", "/notifications/", None, {"no_role", "agent", "supervisor", "administrator"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS)
@pytest.mark.parametrize("role", ["anonymous", "no_role", "agent", "supervisor", "administrator"])
def test_permissions_per_role(roles, api_client, method, path, body, allowed, role):
    complaint = make_complaint()
    DepartmentFactory(code="perm-dept")
    if role != "anonymous":
        user = StaffFactory(username=f"u_{role}", role=None if role == "no_role" else role)
        api_client.force_authenticate(user)
    response = getattr(api_client, method)(API + path.format(ref=complaint.reference), body,
                                           format="json")
    if role == "anonymous":
        assert response.status_code == 401
    elif role in allowed:
        # Allowed in: the answer is the endpoint's own (200/201, or 400 for "not in the queue").
        assert response.status_code in (200, 201, 400), response.content
        assert response.status_code != 400 or "escalations" in path, response.content
    else:
        assert response.status_code in (403, 404)
    assert get_user_model().objects.filter(is_superuser=True).count() == 0
