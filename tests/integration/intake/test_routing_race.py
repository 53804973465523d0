"""Two complaints for the same department arriving at the same instant (real PostgreSQL)."""

import threading

import pytest
from django.db import connection

from intake import selectors, services
from intake.models import CategoryRoute, DepartmentRouting
from tests.factories import DepartmentFactory, StaffFactory, category, make_complaint

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_auto_assignments_go_to_different_agents(roles, monkeypatch):
    # Created (and classified) before the department takes network complaints: unassigned.
    complaints = [make_complaint(description=f"手机信号太差了，打不了电话{i}") for i in range(2)]
    department = DepartmentFactory(code="race-noc", name="网络运维部")
    CategoryRoute.objects.create(category=category("network"), department=department)
    DepartmentRouting.objects.create(department=department, auto_assign=True)
    first_agent, second_agent = (StaffFactory(role="agent", username=u) for u in ("r1", "r2"))
    department.members.add(first_agent, second_agent)
    for complaint in complaints:
        complaint.refresh_from_db()
    assert [c.assigned_agent for c in complaints] == [None, None]
    assert all(c.category and c.category.code.startswith("network") for c in complaints)

    # Each routing waits (up to 2 s) right after choosing its agent for the other to choose
    # too: without serialisation both would choose the same, least loaded agent.
    both_picked = threading.Barrier(2, timeout=2)
    real_pick = selectors.agent_pick

    def slow_pick(**kwargs):
        pick = real_pick(**kwargs)
        try:
            both_picked.wait()
        except threading.BrokenBarrierError:
            pass
        return pick

    monkeypatch.setattr(selectors, "agent_pick", slow_pick)
    routed = {}

    def route(complaint):
        try:
            routed[complaint.id] = services.complaint_route(complaint_id=complaint.id)
        finally:
            connection.close()

    threads = [threading.Thread(target=route, args=(c,)) for c in complaints]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert {routed[c.id].agent for c in complaints} == {first_agent, second_agent}
    for complaint in complaints:
        complaint.refresh_from_db()
    assert {c.assigned_agent for c in complaints} == {first_agent, second_agent}
