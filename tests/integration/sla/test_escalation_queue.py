"""The escalation queue through the API and the page, as supervisors use it."""

import pytest

from complaints.models import Complaint
from sla import escalations, sweep
from sla.models import Escalation
from tests.factories import DepartmentFactory

from .conftest import local

pytestmark = pytest.mark.django_db
MONDAY = local(2026, 11, 23, 10, 0)


@pytest.fixture
def escalated(new_complaint, supervisor):
    dept = DepartmentFactory(code="gz", name="广州客服", supervisor=supervisor)
    late = new_complaint(MONDAY, description="宽带断网三天了，没人处理")
    later = new_complaint(local(2026, 11, 24, 9, 0), description="话费多扣了50元")
    Complaint.objects.filter(pk__in=[late.pk, later.pk]).update(assigned_department=dept)
    sweep.sla_sweep(now=local(2026, 11, 24, 10, 1))  # late's acknowledge clock breached
    escalations.escalation_raise_manually(complaint_id=later.id, actor=supervisor, reason="客户要找记者",
                                  level=2)
    return late, later


def test_queue_lists_most_overdue_first_with_masked_phone(client_for, supervisor, escalated):
    late, later = escalated
    body = client_for(supervisor).get("/api/v1/escalations/").json()
    refs = [row["reference"] for row in body["results"]]
    assert refs == [late.reference, later.reference]
    first = body["results"][0]
    assert first["level"] >= 1 and first["seconds_left"] < 0
    assert "****" in first["customer_phone"]
    assert client_for(supervisor).get("/api/v1/escalations/", {"level": 2}).json()["count"] == 1
    assert client_for(supervisor).get("/api/v1/escalations/",
                                      {"department": "nope"}).json()["count"] == 0


def test_agent_escalates_by_hand_and_may_not_work_the_queue(client_for, agent, supervisor,
                                                            new_complaint):
    complaint = new_complaint(MONDAY)
    client = client_for(agent)
    url = f"/api/v1/complaints/{complaint.reference}/escalate/"
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "客户表示要向工信部申诉"})
    assert response.status_code == 201 and response.json()["level"] == 1
    assert client.post(f"/api/v1/escalations/{complaint.reference}/acknowledge/").status_code \
        == 403
    assert client_for(supervisor).post(
        f"/api/v1/escalations/{complaint.reference}/acknowledge/").json()["acknowledged_by"] \
        == "sup_wang"


def test_expected_date_and_deescalate_need_reasons(client_for, supervisor, escalated):
    late, _later = escalated
    client = client_for(supervisor)
    base = f"/api/v1/escalations/{late.reference}"
    assert client.post(f"{base}/expected-date/", {"expected_at": "2026-12-30T10:00:00+08:00"}
                       ).status_code == 400
    response = client.post(f"{base}/expected-date/", {"expected_at": "2026-12-30T10:00:00+08:00",
                                                      "reason": "需更换光缆"})
    assert response.status_code == 200 and response.json()["expected_at"].startswith("2026-12-30")
    from notifications.models import OutboundMessage

    notice = OutboundMessage.objects.get(complaint=late, purpose="expected_date")
    assert "2026-12-30 10:00" in notice.body  # the customer is told the new date
    response = client.post(f"{base}/deescalate/", {"reason": "已与客户达成一致"})
    assert response.status_code == 200 and response.json()["open"] is False
    late.refresh_from_db()
    assert late.escalation_level == 0
    assert not Escalation.objects.get(complaint=late).is_open


def test_clocks_of_a_complaint(client_for, agent, escalated):
    late, _ = escalated
    clocks = client_for(agent).get(f"/api/v1/complaints/{late.reference}/clocks/").json()
    assert {c["metric"] for c in clocks} >= {"acknowledge", "resolution", "regulator_exposure"}
    assert any(c["state"] == "breached" for c in clocks)


def test_the_page_shows_the_queue_and_its_actions_work(client, supervisor, agent, escalated):
    late, later = escalated
    client.force_login(agent)
    page = client.get("/desk/escalations/").content.decode()
    assert late.reference in page and "data-deadline" in page
    assert "<form" not in page.split("<tbody>")[1].split("</tbody>")[0]  # agents only look
    client.force_login(supervisor)
    page = client.get("/desk/escalations/").content.decode()
    assert late.reference in page and later.reference in page
    response = client.post(f"/desk/escalations/{later.reference}/deescalate/",
                           {"reason": ""}, follow=True)
    assert "原因" in response.content.decode()  # the missing reason is named
    assert Escalation.objects.get(complaint=later).is_open
    client.post(f"/desk/escalations/{later.reference}/deescalate/", {"reason": "误升级"})
    assert not Escalation.objects.get(complaint=later).is_open
    page = client.get("/desk/escalations/", {"level": 1}).content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert late.reference in rows and later.reference not in rows


def test_page_query_count_is_fixed(client, supervisor, new_complaint,
                                   django_assert_max_num_queries):
    for i in range(12):
        c = new_complaint(MONDAY)
        escalations.escalation_raise_manually(complaint_id=c.id, actor=supervisor, reason=f"测试{i}")
    client.force_login(supervisor)
    with django_assert_max_num_queries(14):
        assert client.get("/desk/escalations/").status_code == 200


def test_in_app_notifications_reach_the_supervisor(client_for, client, supervisor, escalated):
    api = client_for(supervisor)
    body = api.get("/api/v1/notifications/", {"unread": 1}).json()
    assert body["count"] >= 1 and body["results"][0]["kind"] == "escalation"
    client.force_login(supervisor)
    assert 'class="count alert"' in client.get("/").content.decode()
    assert api.post("/api/v1/notifications/read/", {}, format="json").json()["marked"] >= 1
    assert api.get("/api/v1/notifications/", {"unread": 1}).json()["count"] == 0
    assert 'class="count alert"' not in client.get("/").content.decode()


def test_an_unverified_deadline_is_marked_in_the_queue(client, supervisor, new_complaint):
    from sla.models import CalendarYear, Clock

    complaint = new_complaint(MONDAY)
    escalations.escalation_raise_manually(complaint_id=complaint.id, actor=supervisor, reason="测试")
    client.force_login(supervisor)
    assert "sla-unverified-mark" not in client.get("/desk/escalations/").content.decode()
    CalendarYear.objects.filter(year=2026).delete()
    Clock.objects.filter(complaint=complaint).update(due_verified=False)
    page = client.get("/desk/escalations/").content.decode()
    assert "sla-unverified-mark" in page and "未核实" in page


def test_actions_never_redirect_to_another_site(client, supervisor, escalated):
    late, _ = escalated
    client.force_login(supervisor)
    response = client.post(f"/desk/escalations/{late.reference}/acknowledge/",
                           {"next": "https://evil.example.com/"})
    assert response.status_code == 302 and response["Location"] == "/desk/escalations/"
    response = client.post(f"/desk/escalations/{late.reference}/acknowledge/",
                           {"next": "/desk/escalations/?level=1"})
    assert response["Location"] == "/desk/escalations/?level=1"
