"""The staff pages: rules with try-it, routing, classifier versions, a complaint's
classification with the override form."""

import pytest
from django.test import Client

from complaints.models import Department
from intake.models import AgentAvailability, CategoryRoute, DepartmentRouting, Rule
from tests.factories import DepartmentFactory, StaffFactory, category

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


RULE_FORM = {"name": "政企专线故障", "enabled": "on", "keywords": "专线+中断\n专线+断了",
             "recent_days": "30", "set_category": "", "set_priority": "major",
             "add_flags": ["escalation_risk"]}


def test_rules_page_lists_rules_in_order_for_supervisors(supervisor):
    html = page(login(supervisor).get("/rules/"))
    names = ["越级投诉风险", "重复投诉", "携号转网", "宽带装机/上门"]
    positions = [html.index(f"<strong>{name}</strong>") for name in names]
    assert positions == sorted(positions)
    assert "试一试" in html and 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize("url", ["/rules/", "/rules/new/", "/routing/"])
def test_agents_may_not_edit_rules_or_routing(agent, url):
    assert login(agent).get(url).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get("/rules/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_try_it_box_shows_which_rules_fire(supervisor):
    html = page(login(supervisor).post("/rules/", {
        "text": "宽带老掉线，再不修我就找记者曝光", "channel": "phone", "tier": "ordinary",
        "recent_complaints": "1"}))
    assert "命中 4 条规则" in html
    assert "规则「宽带故障」：文本包含“宽带”+“掉线”" in html
    assert "规则「越级投诉风险」：文本包含“记者”" in html
    assert html.count(' is-fired"') == 4
    assert "网络质量 / 宽带断网/网速慢" in html


def test_try_it_with_bad_input_says_what_is_wrong(supervisor):
    html = page(login(supervisor).post("/rules/", {"text": "", "channel": "fax",
                                                   "tier": "ordinary",
                                                   "recent_complaints": "0"}))
    assert html.count('class="error" role="alert"') == 3 and "intake-try-result" not in html


def test_create_a_rule_from_the_form(supervisor):
    client = login(supervisor)
    response = client.post("/rules/new/", {**RULE_FORM, "set_category": category(
        "network-fixed-line").id})
    assert response.status_code == 302
    rule = Rule.objects.get(name="政企专线故障")
    assert rule.keywords == "专线+中断\n专线+断了" and rule.set_priority == "major"
    assert rule.position == Rule.objects.order_by("-position").first().position
    assert rule.updated_by == supervisor
    html = page(client.post("/rules/", {"text": "公司专线又断了", "channel": "phone",
                                        "tier": "ordinary", "recent_complaints": "1"}))
    assert "规则「政企专线故障」" in html


@pytest.mark.parametrize("change, message", [
    ({"keywords": "", "recent_days": "30"}, "请至少设置一个条件"),
    ({"set_priority": "", "add_flags": []}, "请至少设置一个动作"),
    ({"name": ""}, "该字段是必填项"),
    ({"recent_days": "400"}, "365"),
])
def test_bad_rules_are_refused_with_a_clear_message(supervisor, change, message):
    before = Rule.objects.count()
    html = page(login(supervisor).post("/rules/new/", {**RULE_FORM, **change}))
    assert message in html
    assert Rule.objects.count() == before


def test_edit_disable_move_and_delete(supervisor):
    client = login(supervisor)
    rule = Rule.objects.get(name="信号覆盖")
    edit = page(client.get(f"/rules/{rule.id}/"))
    assert "信号\n无服务" in edit
    response = client.post(f"/rules/{rule.id}/", {**RULE_FORM, "name": "信号覆盖",
                                                  "keywords": "信号\n没网", "set_category":
                                                  rule.set_category_id, "set_priority": "",
                                                  "add_flags": []})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.keywords == "信号\n没网"
    client.post(f"/rules/{rule.id}/enabled/", {"enabled": "0"})
    rule.refresh_from_db()
    assert not rule.enabled
    above = Rule.objects.filter(position__lt=rule.position).order_by("-position").first()
    client.post(f"/rules/{rule.id}/move/", {"direction": "up"})
    rule.refresh_from_db()
    above.refresh_from_db()
    assert rule.position < above.position
    assert client.get(f"/rules/{rule.id}/enabled/").status_code == 405  # POST only
    client.post(f"/rules/{rule.id}/delete/")
    assert not Rule.objects.filter(pk=rule.pk).exists()


def test_routing_page_saves_routes_departments_and_availability(supervisor):
    noc = DepartmentFactory(code="gd-noc", name="省公司网络运维部")
    agent = StaffFactory(role="agent", username="noc_agent")
    noc.members.add(agent)
    client = login(supervisor)
    html = page(client.get("/routing/"))
    assert "省公司网络运维部" in html and "noc_agent" in html
    network = category("network")
    client.post("/routing/", {"section": "routes", f"route-{network.id}": noc.id})
    assert CategoryRoute.objects.get(category=network).department == noc
    assert "→ 省公司网络运维部" in page(client.get("/routing/"))  # children inherit
    client.post("/routing/", {"section": "departments", f"auto-{noc.id}": "on"})
    assert DepartmentRouting.objects.get(department=noc).auto_assign
    client.post("/routing/", {"section": "agent", "user": agent.id, "available": "0"})
    assert AgentAvailability.objects.get(user=agent).available is False
    response = client.post("/routing/", {"section": "routes", f"route-{network.id}": "999999"},
                           follow=True)
    assert "选择的部门不存在" in page(response)
    assert Department.objects.count() == 1


def test_classifier_page_lists_versions(supervisor, classifier_model):
    html = page(login(supervisor).get("/classifier/"))
    assert "v1" in html and "90%" in html and "使用中" in html


def test_agent_sees_why_and_overrides_on_the_complaint_page(agent, created):
    complaint = created(description="客服态度很差，我要去找媒体曝光")
    client = login(agent)
    html = page(client.get(f"/complaints/{complaint.reference}/classification/"))
    assert "规则「服务态度」：文本包含“态度”" in html and "规则「越级投诉风险」" in html
    assert "由规则设定" in html
    response = client.post(f"/complaints/{complaint.reference}/classification/", {
        "version": complaint.version, "category": category("service-hotline").id,
        "priority": "", "reason": "客户投诉的是热线等待太久"})
    assert response.status_code == 302
    html = page(client.get(f"/complaints/{complaint.reference}/classification/"))
    assert "由坐席调整" in html and "客户投诉的是热线等待太久" in html
    assert "分类已调整" in html


def test_override_form_errors_and_stale_versions(agent, created):
    complaint = created(description="客服态度很差")
    client = login(agent)
    url = f"/complaints/{complaint.reference}/classification/"
    html = page(client.post(url, {"version": complaint.version, "category": "",
                                  "priority": "major", "reason": ""}))
    assert "该字段是必填项" in html
    response = client.post(url, {"version": complaint.version - 1, "priority": "major",
                                 "reason": "升级"}, follow=True)
    assert "之后被" in page(response) or "version" in page(response)
    complaint.refresh_from_db()
    assert complaint.priority == "ordinary"


def test_rules_page_queries_do_not_grow_with_the_rules(supervisor, django_assert_max_num_queries):
    client = login(supervisor)
    client.get("/rules/")
    for i in range(15):
        rule = Rule.objects.create(name=f"规则{i}", position=500 + i, keywords="测试",
                                   set_category=category("other-misc"), set_priority="urgent")
        rule.categories.set([category("network"), category("billing")])
    with django_assert_max_num_queries(13):  # +1: the live accuracy figure
        assert page(client.post("/rules/", {"text": "测试", "channel": "phone",
                                            "tier": "ordinary", "recent_complaints": "1"}))
