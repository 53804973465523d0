"""The desk: tabs and their counts, filters, sorting, keyset pages, masking, permissions, the
team's workload, availability, and a fixed number of queries whatever the page size."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from desk import selectors as desk_selectors
from complaints.lifecycle import Status
from complaints.models import Complaint
from intake.models import AgentAvailability
from tests.builders import complaint_in
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    StaffFactory,
    category,
    make_complaint,
)

pytestmark = pytest.mark.django_db
URL = "/desk/"


def make(description="宽带经常掉线，请尽快处理。", *, phone=None, **fields):
    """A complaint created through the service, then placed where the test needs it."""
    customer = CustomerFactory(phone=phone) if phone else CustomerFactory()
    complaint = make_complaint(customer=customer, description=description,
                               **{k: fields.pop(k) for k in ("priority", "category", "channel",
                                                             "received_at") if k in fields})
    if fields:
        Complaint.objects.filter(pk=complaint.pk).update(**fields)
    complaint.refresh_from_db()
    return complaint


def moved(status, **fields):
    """make(), then walked to `status` through the lifecycle; like make(), without running the
    receivers (the fields are placed by hand)."""
    return complaint_in(status, complaint=make(**fields), after_commit=False)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def references(response) -> list[str]:
    """References in the queue table, in order."""
    table = response.content.decode().split('<table class="grid desk-table">')[1]
    return re.findall(r'value="([A-Z]{2}\d{14}):\d+"', table)


def counts(response) -> dict[str, str]:
    html = response.content.decode()
    return dict(re.findall(r'\?tab=(\w+)[^"]*"[^>]*>[^<]*<span class="count">([^<]+)</span>',
                           html))


@pytest.fixture
def team(agent, supervisor):
    mine, other = DepartmentFactory(code="csc", name="客服中心"), DepartmentFactory(
        code="noc", name="网络中心")
    colleague = StaffFactory(role="agent", username="agent_zhou", first_name="周")
    mine.members.add(agent, colleague)
    other.members.add(colleague)
    return {"mine": mine, "other": other, "colleague": colleague}


@pytest.fixture
def queues(team, agent):
    now = timezone.now()
    mine, other, colleague = team["mine"], team["other"], team["colleague"]
    return {
        "mine": make(assigned_agent=agent, assigned_department=mine,
                     next_due_at=now + timedelta(days=2)),
        "mine_overdue": make(assigned_agent=agent, assigned_department=mine,
                             next_due_at=now - timedelta(hours=1)),
        "colleague_soon": make(assigned_agent=colleague, assigned_department=mine,
                               next_due_at=now + timedelta(hours=2)),
        "pool": make(next_due_at=now + timedelta(days=3)),
        "dept_pool": make(assigned_department=mine, next_due_at=now + timedelta(days=4)),
        "other_overdue": make(assigned_agent=colleague, assigned_department=other,
                              next_due_at=now - timedelta(hours=5)),
        "escalated": make(assigned_department=mine, assigned_agent=colleague,
                          escalation_level=2, next_due_at=now + timedelta(days=1, hours=1)),
        "waiting": moved(Status.WAITING_CUSTOMER, assigned_agent=agent,
                         assigned_department=mine),
        "resolved": moved(Status.RESOLVED, assigned_agent=agent, assigned_department=mine),
        "old_resolved": make(assigned_agent=agent, assigned_department=mine, status="closed",
                             resolved_at=now - timedelta(days=30)),
    }


def tab(client, name, **params):
    response = client.get(URL, {"tab": name, **params})
    assert response.status_code == 200
    return response


def test_each_tab_lists_its_complaints_and_counts_them(queues, agent):
    client = login(agent)
    ref = {k: c.reference for k, c in queues.items()}
    expected = {
        # nearest deadline first; no running deadline (waiting: paused) last
        "mine": [ref["mine_overdue"], ref["mine"], ref["waiting"]],
        "department": [ref["mine_overdue"], ref["colleague_soon"], ref["escalated"], ref["mine"],
                       ref["dept_pool"], ref["waiting"]],
        "unassigned": [ref["pool"], ref["dept_pool"]],
        "due_soon": [ref["colleague_soon"]],
        # the other department's overdue complaint is not this agent's work
        "overdue": [ref["mine_overdue"]],
        "escalated": [ref["escalated"]],
        "waiting": [ref["waiting"]],
        "resolved": [ref["resolved"]],
    }
    for name, wanted in expected.items():
        assert references(tab(client, name)) == wanted, name
    shown = counts(tab(client, "mine"))
    assert {k: shown[k] for k in expected} == {k: str(len(v)) for k, v in expected.items()}
    assert shown["all"] == str(len(queues))


def test_supervisors_see_every_department(queues, supervisor):
    overdue = references(tab(login(supervisor), "overdue"))
    assert overdue == [queues["other_overdue"].reference, queues["mine_overdue"].reference]


def test_counts_stop_at_the_cap(queues, agent, monkeypatch):
    monkeypatch.setattr(desk_selectors, "COUNT_CAP", 3)
    shown = counts(tab(login(agent), "mine"))
    assert shown["department"] == "3+"
    assert shown["mine"] == "3"


def test_columns_show_masked_phone_category_priority_status_countdown_assignee(team, agent):
    complaint = make(phone="13812345678", assigned_agent=agent, priority="urgent",
                     category=category("network-call-drop"),
                     next_due_at=timezone.now() + timedelta(hours=3))
    html = tab(login(agent), "mine").content.decode()
    assert "138****5678" in html and "13812345678" not in html
    row = html.split(complaint.reference, 1)[1].split("</tr>")[0]
    assert "掉话" in row or "通话" in row or "call" in row.lower()
    assert 'class="prio prio-urgent"' in row
    assert "新建" in row or "New" in row
    assert 'class="countdown soon"' in row and "data-deadline" in row
    assert "李" in row  # the assignee


def test_filters(team, agent, supervisor):
    now = timezone.now()
    base = {"assigned_agent": agent}
    urgent = make(priority="urgent", **base)
    email = make(channel="email", **base)
    broadband = make(category=category("network-broadband"), **base)
    vip = make(is_vip=True, **base)
    old = make(received_at=now - timedelta(days=10), **base)
    other_dept = make(assigned_department=team["other"])
    nobody = make()
    client = login(supervisor)

    def found(**params):
        return set(references(tab(client, "all", **params)))

    assert found(priority="urgent") == {urgent.reference}
    assert found(channel="email") == {email.reference}
    # a top-level category includes its children
    assert broadband.reference in found(category=category("network-broadband").parent.code)
    assert found(category="network-broadband") == {broadband.reference}
    assert found(flag="vip") == {vip.reference}
    assert found(department="noc") == {other_dept.reference}
    day = timezone.localdate(old.received_at)
    assert found(received_before=day.isoformat()) == {old.reference}
    assert old.reference not in found(received_after=(day + timedelta(days=1)).isoformat())
    assert nobody.reference in found(assignee="none")
    assert found(assignee=agent.username) == {c.reference for c in (urgent, email, broadband,
                                                                     vip, old)}
    assert found(status="new", priority="urgent") == {urgent.reference}


def test_the_filter_forms_empty_fields_filter_nothing(queues, agent):
    client = login(agent)
    form = {"tab": "mine", "q": "", "status": "", "priority": "", "category": "", "channel": "",
            "department": "", "assignee": "", "received_after": "", "received_before": "",
            "sort": "due", "per_page": "25"}
    assert references(client.get(URL, form)) == references(tab(client, "mine"))
    urgent = client.get(URL, {**form, "priority": "urgent"})
    assert references(urgent) == [] and 'role="alert"' not in urgent.content.decode()


def test_a_bad_filter_says_so_and_lists_nothing(queues, agent):
    response = tab(login(agent), "all", received_after="not-a-date")
    assert references(response) == []
    assert 'role="alert"' in response.content.decode()


def test_sorting(team, agent):
    now = timezone.now()
    late = make(assigned_agent=agent, next_due_at=now + timedelta(days=5),
                received_at=now - timedelta(days=1))
    soon = make(assigned_agent=agent, next_due_at=now + timedelta(hours=1),
                received_at=now - timedelta(days=3), priority="major")
    none = make(assigned_agent=agent, received_at=now - timedelta(days=2))
    client = login(agent)
    assert references(tab(client, "mine")) == [soon.reference, late.reference, none.reference]
    assert references(tab(client, "mine", sort="-due")) == [late.reference, soon.reference,
                                                            none.reference]
    assert references(tab(client, "mine", sort="-received")) == [late.reference, none.reference,
                                                                 soon.reference]
    assert references(tab(client, "mine", sort="received")) == [soon.reference, none.reference,
                                                                late.reference]
    assert references(tab(client, "mine", sort="priority"))[0] == soon.reference


@pytest.mark.parametrize("sort", ["due", "-received", "priority", "-due"])
def test_pages_follow_each_other_without_gaps_or_repeats(team, agent, sort):
    now = timezone.now()
    made = []
    for i in range(23):
        due = None if i % 5 == 0 else now + timedelta(hours=i % 7)  # ties and NULLs
        made.append(make(assigned_agent=agent, next_due_at=due,
                         priority=["ordinary", "urgent", "major"][i % 3],
                         received_at=now - timedelta(hours=i % 4)))
    client = login(agent)
    everything = references(tab(client, "mine", sort=sort, per_page=100))
    assert sorted(everything) == sorted(c.reference for c in made)
    pages, response = [], tab(client, "mine", sort=sort, per_page=10)
    while True:
        pages.append(references(response))
        match = re.search(r'href="\?([^"]*)" rel="next"', response.content.decode())
        if not match:
            break
        response = client.get(URL + "?" + match.group(1).replace("&amp;", "&"))
    assert [len(p) for p in pages] == [10, 10, 3]
    assert sum(pages, []) == everything
    # and back: "previous" from the last page shows the second page again
    match = re.search(r'href="\?([^"]*)" rel="prev"', response.content.decode())
    back = client.get(URL + "?" + match.group(1).replace("&amp;", "&"))
    assert references(back) == pages[1]


def test_a_damaged_cursor_shows_the_first_page(queues, agent):
    assert references(tab(login(agent), "mine", after="!!garbage")) == references(
        tab(login(agent), "mine"))


def test_agents_see_what_complaint_list_lets_them_see(queues, agent, monkeypatch):
    from complaints import selectors

    original = selectors.complaint_list

    def only_own(*, user):
        return original(user=user).filter(assigned_agent=user)

    monkeypatch.setattr(selectors, "complaint_list", only_own)
    shown = set(references(tab(login(agent), "all")))
    assert shown == {c.reference for c in Complaint.objects.filter(assigned_agent=agent)}


def test_the_desk_needs_a_login_and_the_permission(queues):
    assert Client().get(URL).status_code == 302
    nobody = StaffFactory(username="visitor")
    assert login(nobody).get(URL).status_code == 403


def test_htmx_requests_get_the_page_for_the_swap(queues, agent):
    response = login(agent).get(URL, {"tab": "mine"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="desk-queue"' in response.content.decode()


@pytest.mark.parametrize("per_page", [10, 100])
def test_the_queue_takes_the_same_queries_whatever_the_page_size(
        team, agent, per_page, django_assert_max_num_queries):
    now = timezone.now()
    customer = CustomerFactory()
    for i in range(105):
        make_complaint(customer=customer, description=f"第{i}条：网速慢")
    Complaint.objects.update(assigned_agent=agent, assigned_department=team["mine"],
                             next_due_at=now + timedelta(hours=5), escalation_level=1,
                             is_vip=True)
    client = login(agent)
    client.get(URL)  # sessions, permissions cached as in any later request
    with django_assert_max_num_queries(14):  # +1: stored suggestions of uncategorised rows
        response = client.get(URL, {"tab": "mine", "per_page": per_page})
    assert len(references(response)) == per_page


def test_team_workload_numbers(team, agent, supervisor):
    now = timezone.now()
    colleague = team["colleague"]
    make(assigned_agent=agent, next_due_at=now + timedelta(hours=2))  # due soon
    make(assigned_agent=agent, next_due_at=now - timedelta(hours=2))  # overdue
    make(assigned_agent=agent, next_due_at=now + timedelta(days=3))
    make(assigned_agent=agent, status="closed")  # not open
    make(assigned_agent=colleague, next_due_at=now - timedelta(hours=2))
    AgentAvailability.objects.create(user=colleague, available=False)
    rows = {r.user.username: r for r in desk_selectors.team_workload(now=now)}
    assert (rows["agent_li"].open_complaints, rows["agent_li"].due_soon,
            rows["agent_li"].overdue, rows["agent_li"].available) == (3, 1, 1, True)
    assert (rows["agent_zhou"].open_complaints, rows["agent_zhou"].overdue,
            rows["agent_zhou"].available) == (1, 1, False)
    html = login(supervisor).get(reverse("desk:team")).content.decode()
    assert "agent_zhou" in html and "客服中心" in html
    assert login(agent).get(reverse("desk:team")).status_code == 403


def test_agents_mark_themselves_unavailable_and_back(team, agent):
    client = login(agent)
    response = client.post(reverse("desk:availability"), {"available": "0", "next": URL})
    assert response.status_code == 302
    assert AgentAvailability.objects.get(user=agent).available is False
    html = client.get(URL).content.decode()
    assert "Mark me available" in html or "设为在岗" in html
    client.post(reverse("desk:availability"), {"available": "1"})
    assert AgentAvailability.objects.get(user=agent).available is True


def test_agents_cannot_change_someone_elses_availability(team, agent, supervisor):
    colleague = team["colleague"]
    response = login(agent).post(reverse("desk:availability"),
                                 {"user": colleague.pk, "available": "0"})
    assert response.status_code == 403
    assert not AgentAvailability.objects.filter(user=colleague).exists()
    login(supervisor).post(reverse("desk:availability"), {"user": colleague.pk, "available": "0"})
    assert AgentAvailability.objects.get(user=colleague).available is False


def test_the_nav_links_to_the_desk_and_the_team(agent, supervisor):
    assert 'href="/desk/"' in login(agent).get(URL).content.decode()
    assert 'href="/desk/team/"' not in login(agent).get(URL).content.decode()
    assert 'href="/desk/team/"' in login(supervisor).get(URL).content.decode()


@pytest.mark.parametrize("spread_days", [3, 20, 60])
def test_recent_first_pages_equal_the_plain_order(team, agent, spread_days):
    """A text search reads the last week, then month, first; the pages must not change."""
    now = timezone.now()
    for i in range(23):
        make(description=f"光猫故障第{i}次", assigned_agent=agent,
             received_at=now - timedelta(days=spread_days * i / 23))
    queryset = desk_selectors.desk_base(user=agent).filter(description__contains="光猫")

    def walk(recent_first):
        pages, cursor = [], ""
        while True:
            page = desk_selectors.keyset_page(queryset, sort="-received", per_page=10,
                                              after=cursor, recent_first=recent_first)
            pages.append([c.reference for c in page.rows])
            if not page.next_cursor:
                return pages
            cursor = page.next_cursor

    assert walk(True) == walk(False)
    assert [len(p) for p in walk(True)] == [10, 10, 3]


def test_agents_start_with_their_own_and_supervisors_with_what_is_late(queues, agent,
                                                                       supervisor):
    assert references(login(agent).get(URL)) == references(tab(login(agent), "mine"))
    assert references(login(supervisor).get(URL)) == references(tab(login(supervisor),
                                                                    "overdue"))


def test_the_export_link_writes_the_list_the_desk_shows(queues, supervisor):
    import csv
    import html
    import io

    client = login(supervisor)
    page = tab(client, "overdue").content.decode()
    link = html.unescape(re.search(r'href="(/reports/export/desk/[^"]*format=csv)"', page)[1])
    exported = client.get(link)
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert {r[0] for r in rows} == {queues["other_overdue"].reference,
                                    queues["mine_overdue"].reference}


def test_agents_without_reports_get_no_export_link(queues, agent):
    assert "/reports/export/desk/" not in tab(login(agent), "mine").content.decode()
