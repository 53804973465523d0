"""Data scope by department: role × department × endpoint.

Five complaints: one of a district under Shenzhen, one of Guangzhou, one of Guangzhou assigned
to the Shenzhen agent, one of Guangzhou dispatched to the Shenzhen district for a result, and one
still in the intake queue (no department, no agent). Each user
must see and act on exactly the complaints of their scope on every way in; the others answer
404 (never 403: the answer must not confirm that a complaint exists).
"""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Complaint, DepartmentLevel
from desk.selectors import Viewer, tab_counts
from notifications.outbound import customer_message_queue
from reports.aggregates import facts_refresh
from sla.escalations import escalation_raise_manually
from tests.factories import PNG, DepartmentFactory, StaffFactory, make_complaint
from workspace.models import DepartmentTask

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2025, 10, 2, 10, 0, tzinfo=SHANGHAI)
REPORT_RANGE = {"received_after": "2025-09-28", "received_before": "2025-10-10"}
ALL = {"nanshan", "guangzhou", "own", "intake", "dispatched"}
# Who sees which complaint.
SCOPE = {
    # member of Shenzhen: its subtree (assigned or dispatched there), own, intake
    "agent_sz": {"nanshan", "own", "intake", "dispatched"},
    "agent_none": {"intake"},  # in no department: the intake queue only
    "supervisor_sz": {"nanshan", "intake", "dispatched"},  # supervises Shenzhen: its subtree
    "centre": ALL,  # the provincial customer-service centre: every department
    "administrator": ALL,
}


@pytest.fixture
def world(roles, without_auto_classification, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    province = DepartmentFactory(code="gd", name="广东", level=DepartmentLevel.PROVINCE)
    shenzhen = DepartmentFactory(code="sz", name="深圳", parent=province)
    nanshan = DepartmentFactory(code="sz-nanshan", name="南山", parent=shenzhen,
                                level=DepartmentLevel.DISTRICT)
    guangzhou = DepartmentFactory(code="gz", name="广州", parent=province)
    users = {
        "agent_sz": StaffFactory(username="agent_sz", role="agent"),
        "agent_none": StaffFactory(username="agent_none", role="agent"),
        "supervisor_sz": StaffFactory(username="supervisor_sz", role="supervisor"),
        "centre": StaffFactory(username="centre", role="provincial_centre"),
        "administrator": StaffFactory(username="boss", role="administrator"),
    }
    users["agent_sz"].departments.add(shenzhen)
    shenzhen.supervisor = users["supervisor_sz"]
    shenzhen.save()
    placed = {"nanshan": (nanshan, None), "guangzhou": (guangzhou, None),
              "own": (guangzhou, users["agent_sz"]), "intake": (None, None),
              "dispatched": (guangzhou, None)}
    admin_api = APIClient()
    admin_api.force_authenticate(users["administrator"])
    complaints = {}
    for key, (department, agent) in placed.items():
        complaint = make_complaint(received_at=RECEIVED)
        Complaint.objects.filter(pk=complaint.pk).update(assigned_department=department,
                                                         assigned_agent=agent)
        uploaded = admin_api.post(f"/api/v1/complaints/{complaint.reference}/attachments/",
                                  {"files": [_png()]}, format="multipart")
        assert uploaded.status_code == 201, uploaded.content
        escalation_raise_manually(complaint_id=complaint.pk, actor=users["administrator"],
                                  reason="客户要投诉到工信部")
        customer_message_queue(complaint=complaint, body="您的投诉正在处理中", purpose="progress")
        if key == "dispatched":  # Guangzhou's, with work sent to Nanshan for a result
            DepartmentTask.objects.create(complaint_id=complaint.pk, department=nanshan)
        complaints[key] = SimpleNamespace(reference=complaint.reference, pk=complaint.pk,
                                          attachment_url=uploaded.json()[0]["url"])
    facts_refresh(complaint_ids=[c.pk for c in complaints.values()])
    return SimpleNamespace(users=users, complaints=complaints)


def _png():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("截图.png", PNG)


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _page(user):
    client = Client()
    client.force_login(user)
    return client


def _one_by_one(check):
    """An endpoint about one complaint: answer per complaint, 200 seen or 404 hidden."""
    def run(user, complaints):
        seen = set()
        for key, complaint in complaints.items():
            status = check(user, complaint)
            assert status in (200, 404), (key, status)
            if status == 200:
                seen.add(key)
        return seen
    return run


def _listed(fetch):
    """An endpoint that lists complaints: which of ours it shows."""
    def run(user, complaints):
        text = fetch(user)
        return {key for key, c in complaints.items() if c.reference in text}
    return run


def _version(complaint):
    return Complaint.objects.values_list("version", flat=True).get(pk=complaint.pk)


ENDPOINTS = {
    "api detail": _one_by_one(lambda user, c: _api(user).get(
        f"/api/v1/complaints/{c.reference}/").status_code),
    "api acknowledge": _one_by_one(lambda user, c: _api(user).post(
        f"/api/v1/complaints/{c.reference}/acknowledge/", {"version": _version(c)},
        format="json").status_code),
    "api note": _one_by_one(lambda user, c: {201: 200}.get(s := _api(user).post(
        f"/api/v1/complaints/{c.reference}/notes/", {"body": "已核实"},
        format="json").status_code, s)),
    "api attachment download": _one_by_one(lambda user, c: _api(user).get(
        c.attachment_url).status_code),
    "api clocks": _one_by_one(lambda user, c: _api(user).get(
        f"/api/v1/complaints/{c.reference}/clocks/").status_code),
    "complaint page": _one_by_one(lambda user, c: _page(user).get(
        f"/complaints/{c.reference}/").status_code),
    "complaint page action": _one_by_one(lambda user, c: {302: 200}.get(s := _page(user).post(
        f"/complaints/{c.reference}/act/note/", {"body": "已核实", "version": _version(c)},
    ).status_code, s)),
    "api list": _listed(lambda user: _api(user).get(
        "/api/v1/complaints/", {"page_size": 100}).content.decode()),
    "desk all": _listed(lambda user: _page(user).get(
        "/desk/", {"tab": "all", "per_page": 100}).content.decode()),
    "desk search": _one_by_one(lambda user, c: 200 if f'value="{c.reference}:' in _page(
        user).get("/desk/", {"q": c.reference}).content.decode() else 404),
    "escalation queue api": _listed(lambda user: _api(user).get(
        "/api/v1/escalations/", {"page_size": 100}).content.decode()),
    "escalation queue page": _listed(lambda user: _page(user).get(
        "/desk/escalations/").content.decode()),
    "outbox": _listed(lambda user: _page(user).get("/outbox/").content.decode()),
}
# Reports are for supervisors and administrators only (agents get 403 there).
REPORT_ENDPOINTS = {
    "report drill-down": _listed(lambda user: _page(user).get(
        reverse("reports:complaints"), REPORT_RANGE).content.decode()),
    "report export csv": _listed(lambda user: b"".join(_page(user).get(
        reverse("reports:complaints"), {**REPORT_RANGE, "format": "csv"}
    ).streaming_content).decode("utf-8-sig")),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", SCOPE)
def test_each_role_sees_and_acts_on_its_scope_only(world, role, endpoint):
    assert ENDPOINTS[endpoint](world.users[role], world.complaints) == SCOPE[role]


@pytest.mark.parametrize("endpoint", REPORT_ENDPOINTS)
@pytest.mark.parametrize("role", ["supervisor_sz", "administrator"])
def test_report_drill_downs_and_exports_keep_the_scope(world, role, endpoint):
    assert REPORT_ENDPOINTS[endpoint](world.users[role], world.complaints) == SCOPE[role]


@pytest.mark.parametrize("role", SCOPE)
def test_desk_counts_count_the_scope_only(world, role):
    user = world.users[role]
    counts = tab_counts(user=user, viewer=Viewer.of(user), now=timezone.now())
    assert counts["all"] == len(SCOPE[role])


def test_out_of_scope_answers_404_not_403(world):
    hidden = world.complaints["guangzhou"]
    response = _api(world.users["agent_sz"]).get(f"/api/v1/complaints/{hidden.reference}/")
    missing = _api(world.users["agent_sz"]).get("/api/v1/complaints/TS20990101999999/")
    assert response.status_code == missing.status_code == 404
    assert response.json().keys() == missing.json().keys()


def test_a_department_added_below_joins_the_scope(world):
    shenzhen = world.users["agent_sz"].departments.get()
    store = DepartmentFactory(code="sz-store", name="华强北营业厅", parent=world.complaints and
                              Complaint.objects.get(pk=world.complaints["nanshan"].pk)
                              .assigned_department, level=DepartmentLevel.STORE)
    complaint = make_complaint(received_at=RECEIVED)
    Complaint.objects.filter(pk=complaint.pk).update(assigned_department=store)
    assert store.parent.parent == shenzhen
    response = _api(world.users["agent_sz"]).get(f"/api/v1/complaints/{complaint.reference}/")
    assert response.status_code == 200


def test_handing_a_complaint_to_another_department_answers_once_then_hides_it(world):
    agent = world.users["agent_sz"]
    complaint = world.complaints["nanshan"]
    client = _api(agent)
    response = client.post(f"/api/v1/complaints/{complaint.reference}/assign/",
                           {"version": _version(complaint), "department": "gz",
                            "reason": "属广州"}, format="json")
    assert response.status_code == 200 and response.json()["reference"] == complaint.reference
    assert client.get(f"/api/v1/complaints/{complaint.reference}/").status_code == 404


def test_the_provincial_centre_role_is_a_group(roles):
    assert Group.objects.get(name="provincial_centre").permissions.filter(
        codename="view_all_departments").exists()
