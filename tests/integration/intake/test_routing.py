"""Category → department, then the department's queue or its least busy available agent."""

import pytest

from complaints import services as complaint_services
from kernel.errors import NotAllowed
from complaints.lifecycle import Action
from complaints.models import Activity, ActivityKind
from intake import services
from intake.models import CategoryRoute, DepartmentRouting, Rule
from tests.factories import DepartmentFactory, StaffFactory, category, make_complaint

pytestmark = pytest.mark.django_db

NETWORK_TEXT = "手机信号太差了，打不了电话"  # → network-coverage


@pytest.fixture
def noc(roles):
    department = DepartmentFactory(code="gd-noc", name="省公司网络运维部")
    CategoryRoute.objects.create(category=category("network"), department=department)
    return department


def agents(department, *usernames):
    users = [StaffFactory(role="agent", username=u) for u in usernames]
    department.members.add(*users)
    return users


def give_open_complaints(user, department, n, *, closed=0):
    for i in range(n + closed):
        complaint = make_complaint(description=f"工单{i}")
        complaint_services.complaint_assign(complaint_id=complaint.id, actor=None,
                                            expected_version=None, department=department,
                                            agent=user)
        if i >= n:  # closed ones do not count as open
            complaint_services.complaint_transition(
                complaint_id=complaint.id, action=Action.CANCEL, actor=None,
                expected_version=None, reason="重复建单")


def assignment(complaint):
    return Activity.objects.filter(complaint=complaint, kind=ActivityKind.ASSIGNMENT).get()


def test_queue_department_keeps_the_complaint_unassigned(created, noc):
    agents(noc, "noc1")
    complaint = created(description=NETWORK_TEXT)
    assert complaint.assigned_department == noc and complaint.assigned_agent is None
    entry = assignment(complaint)
    assert entry.actor is None and entry.data["reason"] == (
        "“网络质量 / 信号覆盖弱/无信号”类投诉由省公司网络运维部负责。"
        "该部门从队列中领取投诉，未自动分配。")


def test_auto_assign_picks_the_available_agent_with_fewest_open_complaints(created, noc):
    busy, light, away = agents(noc, "noc_busy", "noc_light", "noc_away")
    give_open_complaints(busy, noc, 2)
    give_open_complaints(light, noc, 1, closed=3)  # 1 open, 3 cancelled
    services.agent_availability_set(actor=away, user=away, available=False)  # 0 open, away
    DepartmentRouting.objects.create(department=noc, auto_assign=True)

    first = created(description=NETWORK_TEXT)
    assert first.assigned_agent == light
    assert "未结投诉最少的坐席（1件）" in assignment(first).data["reason"]
    second = created(description=NETWORK_TEXT)  # now light has 2, busy 2: tie → by username
    assert second.assigned_agent == busy
    third = created(description=NETWORK_TEXT)
    assert third.assigned_agent == light
    assert all(c.assigned_agent != away for c in (first, second, third))


def test_no_available_agent_leaves_it_in_the_queue_and_says_why(created, noc, supervisor):
    (only,) = agents(noc, "noc_only")
    noc.members.add(supervisor)  # supervisors are members but are not dispatched to
    DepartmentRouting.objects.create(department=noc, auto_assign=True)
    services.agent_availability_set(actor=supervisor, user=only, available=False)
    complaint = created(description=NETWORK_TEXT)
    assert complaint.assigned_department == noc and complaint.assigned_agent is None
    assert "部门内暂无在岗坐席" in assignment(complaint).data["reason"]


def test_a_sub_category_route_wins_over_its_parents(created, noc):
    broadband = DepartmentFactory(code="gz-broadband", name="广州宽带维护中心")
    CategoryRoute.objects.create(category=category("network-broadband"), department=broadband)
    assert created(description="家里宽带天天断网").assigned_department == broadband
    assert created(description=NETWORK_TEXT).assigned_department == noc


def test_a_rule_can_route_to_another_department(created, noc, supervisor):
    vip_desk = DepartmentFactory(code="vip-desk", name="VIP客户服务中心")
    vip_rule = Rule.objects.get(name="VIP客户")
    vip_rule.route_to = vip_desk
    vip_rule.save()
    from tests.factories import CustomerFactory

    complaint = created(description=NETWORK_TEXT, customer=CustomerFactory(tier="vip"))
    assert complaint.assigned_department == vip_desk
    assert "VIP客户" in assignment(complaint).data["reason"]


def test_unrouted_and_already_assigned_complaints_are_left_alone(created, noc):
    assert created(description="想问问积分").assigned_department is None  # no category
    store = DepartmentFactory(code="store", name="天河路营业厅")
    complaint = make_complaint(description=NETWORK_TEXT)  # not committed: not classified yet
    complaint_services.complaint_assign(complaint_id=complaint.id, actor=None,
                                        expected_version=None, department=store)
    services.complaint_classify(complaint_id=complaint.id)
    complaint.refresh_from_db()
    assert complaint.category.code == "network-coverage"
    assert complaint.assigned_department == store  # the intake desk's choice stands


def test_only_supervisors_set_others_availability(agent, supervisor):
    colleague = StaffFactory(role="agent", username="colleague")
    with pytest.raises(NotAllowed):
        services.agent_availability_set(actor=agent, user=colleague, available=False)
    assert services.agent_availability_set(actor=agent, user=agent, available=False) \
        .available is False
    assert services.agent_availability_set(actor=supervisor, user=colleague,
                                           available=False).updated_by == supervisor


def test_routing_settings_need_a_supervisor(agent, supervisor, noc):
    with pytest.raises(NotAllowed):
        services.category_routes_set(actor=agent, routes={category("billing").id: noc})
    assert services.category_routes_set(actor=supervisor,
                                        routes={category("billing").id: noc,
                                                category("network").id: None}) == 2
    assert set(CategoryRoute.objects.values_list("category__code", flat=True)) == {"billing"}
    with pytest.raises(NotAllowed):
        services.department_routing_set(actor=agent, department=noc, auto_assign=True)


def test_demo_routing_command_maps_categories_to_the_demo_departments(created, roles):
    from django.core.management import call_command

    for code, name in [("gd-noc", "省公司网络运维部"), ("gd-billing", "省公司计费结算中心"),
                       ("gd-csc", "省公司客户服务中心")]:
        DepartmentFactory(code=code, name=name)
    call_command("seed_routing")
    routes = dict(CategoryRoute.objects.values_list("category__code", "department__code"))
    assert routes == {"network": "gd-noc", "billing": "gd-billing", "service": "gd-csc",
                      "product": "gd-csc", "security": "gd-csc", "other": "gd-csc"}
    assert created(description="乱扣我话费").assigned_department.code == "gd-billing"
    call_command("seed_routing", "--if-empty")  # leaves a supervisor's changes alone
    assert CategoryRoute.objects.count() == 6


def test_classification_routing_and_assignment_read_the_complaint_once(noc):
    """complaint_classify locks the complaint and hands that object to the field update,
    routing and assignment (`locked=`) instead of each reading and locking it again (and each
    taking a savepoint); the result is the same as when each read it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    (agent,) = agents(noc, "noc_one")
    DepartmentRouting.objects.create(department=noc, auto_assign=True)
    complaint = make_complaint(description=NETWORK_TEXT)
    with CaptureQueriesContext(connection) as captured:
        services.complaint_classify(complaint_id=complaint.id)
    reads = [q["sql"] for q in captured.captured_queries
             if q["sql"].startswith("SELECT") and 'FROM "complaints_complaint"' in q["sql"]
             and f'"complaints_complaint"."id" = {complaint.id}' in q["sql"]]
    assert len(reads) == 1, reads
    # Only classification's own (a savepoint here, inside the test's transaction): the writers
    # it calls with the locked complaint take none.
    savepoints = [q["sql"] for q in captured.captured_queries
                  if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1, savepoints
    complaint.refresh_from_db()
    assert complaint.category.code == "network-coverage" and complaint.version == 3
    assert complaint.assigned_department == noc and complaint.assigned_agent == agent
    changes = list(Activity.objects.filter(complaint=complaint).exclude(
        kind=ActivityKind.CREATED).order_by("id").values_list("kind", "version"))
    assert changes == [(ActivityKind.FIELD_CHANGE, 2), (ActivityKind.ASSIGNMENT, 3)]
