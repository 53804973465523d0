"""Agents override category and priority with a reason; old, new, reason and who are kept."""

import pytest

from kernel.errors import InvalidInput, NotAllowed, StaleVersion
from complaints.models import Activity, ActivityKind
from intake import services
from intake.models import ClassificationOverride
from tests.factories import StaffFactory, category

pytestmark = pytest.mark.django_db
API = "/api/v1/complaints/{}/classification/"


@pytest.fixture
def complaint(created):
    # Classified by the rules: 信号覆盖 → network-coverage, ordinary.
    return created(description="手机信号太差了，打电话总断")


def test_override_changes_category_and_priority_and_records_why(complaint, agent):
    version = complaint.version
    updated = services.classification_override(
        complaint_id=complaint.id, actor=agent, expected_version=version,
        category=category("network-call-drop"), priority="urgent",
        reason="客户说的是通话中断，已影响生意")
    assert updated.category.code == "network-call-drop" and updated.priority == "urgent"
    assert updated.version == version + 1
    record = ClassificationOverride.objects.get(complaint=complaint)
    assert (record.actor, record.old_category.code, record.new_category.code,
            record.old_priority, record.new_priority, record.reason) == (
        agent, "network-coverage", "network-call-drop", "ordinary", "urgent",
        "客户说的是通话中断，已影响生意")
    entry = Activity.objects.filter(complaint=complaint, kind=ActivityKind.FIELD_CHANGE) \
        .latest("id")
    assert entry.actor == agent and entry.data["reason"] == "客户说的是通话中断，已影响生意"
    assert entry.data["changed"]["priority"] == ["ordinary", "urgent"]
    assert entry.data["override"] is True
    assert "通话质量/掉话" in entry.message and "原因" in entry.message


def test_an_agent_may_lower_a_grade_the_rules_raised(created, agent):
    complaint = created(description="我要找记者曝光")  # urgent, escalation risk
    assert complaint.priority == "urgent"
    updated = services.classification_override(
        complaint_id=complaint.id, actor=agent, expected_version=complaint.version,
        priority="ordinary", reason="客户只是随口一说，已安抚")
    assert updated.priority == "ordinary"


@pytest.mark.parametrize("kwargs, field", [
    ({"category": "network-call-drop", "reason": "  "}, "reason"),
    ({"reason": "没改什么"}, "category"),
    ({"category": "network", "reason": "选了大类"}, "category"),       # not a sub-category
    ({"category": "no-such-code", "reason": "乱填"}, "category"),
    ({"category": "network-coverage", "reason": "和原来一样"}, "category"),  # no change
    ({"priority": "critical", "reason": "不存在的等级"}, "priority"),
])
def test_bad_overrides_are_refused_and_change_nothing(complaint, agent, kwargs, field):
    with pytest.raises(InvalidInput) as refused:
        services.classification_override(complaint_id=complaint.id, actor=agent,
                                          expected_version=complaint.version, **kwargs)
    assert refused.value.field == field
    assert not ClassificationOverride.objects.exists()


def test_stale_version_is_refused(complaint, agent):
    with pytest.raises(StaleVersion):
        services.classification_override(complaint_id=complaint.id, actor=agent,
                                          expected_version=complaint.version - 1,
                                          category="network-call-drop", reason="改一下")


def test_override_needs_the_permission(complaint, roles):
    outsider = StaffFactory(username="no_role")
    with pytest.raises(NotAllowed):
        services.classification_override(complaint_id=complaint.id, actor=outsider,
                                          expected_version=complaint.version,
                                          category="network-call-drop", reason="改一下")


def test_override_through_the_api(client_for, agent, complaint):
    response = client_for(agent).post(API.format(complaint.reference), {
        "version": complaint.version, "category": "network-call-drop", "priority": "major",
        "reason": "客户是医院，通话中断影响急救联系"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["category"]["code"] == "network-call-drop" and body["priority"] == "major"
    assert body["timeline"][-1]["data"]["reason"] == "客户是医院，通话中断影响急救联系"
    detail = client_for(agent).get(API.format(complaint.reference)).json()
    assert detail["category_source"] == "agent"
    assert detail["overrides"][0]["new_category"] == "network-call-drop"
    assert detail["overrides"][0]["actor"] == "agent_li"


@pytest.mark.parametrize("payload, status", [
    ({"category": "network-call-drop"}, 400),                      # no reason
    ({"category": "nope", "reason": "x"}, 400),
    ({"category": "network", "reason": "大类"}, 400),
    ({"category": "network-call-drop", "reason": "x", "version": 1}, 409),
])
def test_api_refusals(client_for, agent, complaint, payload, status):
    payload = {"version": complaint.version, **payload}
    response = client_for(agent).post(API.format(complaint.reference), payload, format="json")
    assert response.status_code == status, response.json()
    if status == 409:
        assert response.json()["code"] == "stale_version"


def test_classification_explains_each_decision(client_for, agent, created):
    complaint = created(description="宽带老掉线，我已经找了律师")
    body = client_for(agent).get(API.format(complaint.reference)).json()
    assert body["category_source"] == "rule"
    assert [r["name"] for r in body["rules_fired"]] == ["越级投诉风险", "宽带故障", "掉线/掉话",
                                                       "宽带装机/上门"]
    texts = [d["text"] for d in body["decisions"]]
    assert any("“律师”" in t for t in texts)
    not_applied = [d for d in body["decisions"] if not d["applied"]]
    # Later category rules fired too, but the first one had decided the category.
    assert [d["rule"] for d in not_applied] == ["掉线/掉话", "宽带装机/上门"]
    assert all("宽带断网/网速慢" in d["text"] for d in not_applied)
