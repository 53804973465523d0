"""The try-it and suggestions endpoints, and who may call each intake endpoint."""

import pytest

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
TRY = "/api/v1/classification/try/"


def test_try_shows_which_rules_fire_and_what_they_decide(client_for, agent):
    response = client_for(agent).post(TRY, {
        "text": "我要携号转网，你们一直不给办，我已经打了12300", "channel": "app",
        "tier": "vip"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [f["name"] for f in body["fired"]] == ["越级投诉风险", "VIP客户", "携号转网"]
    assert body["fired"][0]["reasons"] == ["文本包含“12300”"]
    assert body["result"]["category"]["code"] == "business-portability"
    assert body["result"]["priority"] == "urgent"
    assert body["result"]["flags"] == ["escalation_risk", "vip"]
    assert body["model_version"] is None and body["suggestions"] == []


def test_try_counts_the_customers_recent_complaints_and_category(client_for, supervisor):
    client = client_for(supervisor)
    body = client.post(TRY, {"text": "还是没人处理", "recent_complaints": 3},
                       format="json").json()
    assert body["result"]["flags"] == ["repeat"] and body["result"]["category"] is None
    body = client.post(TRY, {"text": "乱扣费", "category": "billing-refund"},
                       format="json").json()
    assert body["result"]["category"]["code"] == "billing-refund"
    assert body["decisions"][0]["applied"] is False


@pytest.mark.parametrize("payload", [{}, {"text": ""}, {"text": "x", "channel": "fax"},
                                     {"text": "x", "recent_complaints": 0}])
def test_try_refuses_bad_input(client_for, agent, payload):
    response = client_for(agent).post(TRY, payload, format="json")
    assert response.status_code == 400


def test_suggestions_without_a_trained_model(client_for, agent, created):
    complaint = created(description="手机信号差")
    body = client_for(agent).get(f"/api/v1/complaints/{complaint.reference}/suggestions/").json()
    assert body == {"model_version": None, "suggestions": [], "category_source": "rule",
                    "current_category": body["current_category"]}
    assert body["current_category"]["code"] == "network-coverage"


def test_suggestions_top_three_with_confidence(client_for, agent, created, classifier_model):
    complaint = created(description="家里的IPTV看直播一直卡顿花屏，回看也打不开")
    body = client_for(agent).get(f"/api/v1/complaints/{complaint.reference}/suggestions/").json()
    assert body["model_version"] == 1
    suggestions = body["suggestions"]
    assert len(suggestions) == 3
    assert suggestions[0]["category"]["code"] == "network-iptv"
    confidences = [s["confidence"] for s in suggestions]
    assert confidences == sorted(confidences, reverse=True)
    assert 0 < sum(confidences) <= 1


ENDPOINTS = [
    ("get", "/api/v1/complaints/{ref}/suggestions/", None),
    ("get", "/api/v1/complaints/{ref}/classification/", None),
    ("post", "/api/v1/complaints/{ref}/classification/",
     {"version": 99, "category": "network-call-drop", "reason": "测试"}),
    ("post", TRY, {"text": "信号差"}),
]


@pytest.mark.parametrize("method, url, payload", ENDPOINTS)
def test_anonymous_callers_are_refused(api_client, created, method, url, payload):
    complaint = created(description="信号差")
    response = getattr(api_client, method)(url.format(ref=complaint.reference), payload,
                                           format="json")
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("method, url, payload", ENDPOINTS)
def test_staff_without_a_role_are_refused(client_for, roles, created, method, url, payload):
    complaint = created(description="信号差")
    nobody = StaffFactory(username="no_role")
    response = getattr(client_for(nobody), method)(url.format(ref=complaint.reference),
                                                   payload, format="json")
    assert response.status_code in (403, 404)


@pytest.mark.parametrize("role", ["agent", "supervisor", "administrator"])
@pytest.mark.parametrize("method, url, payload", ENDPOINTS)
def test_every_role_may_use_the_agent_endpoints(client_for, roles, created, role, method, url,
                                                payload):
    complaint = created(description="信号差")
    user = StaffFactory(role=role, username=f"u_{role}")
    response = getattr(client_for(user), method)(url.format(ref=complaint.reference), payload,
                                                 format="json")
    # The override is refused for its stale version (409), after the permission check.
    assert response.status_code == (409 if method == "post" and "complaints" in url else 200)


def test_unknown_complaint_is_404(client_for, agent):
    assert client_for(agent).get("/api/v1/complaints/TS000/suggestions/").status_code == 404
