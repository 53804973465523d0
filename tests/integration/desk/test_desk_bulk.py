"""Bulk actions on the desk: each complaint through the single action's service, partial
failure reported per complaint, the single actions' permissions."""

import pytest
from django.test import Client
from django.urls import reverse

from desk import services as desk_services
from desk.services import Selected
from kernel.errors import InvalidInput, NotAllowed
from complaints.lifecycle import Status
from complaints.models import Activity, ActivityKind, Complaint
from intake.models import ClassificationOverride
from tests.factories import DepartmentFactory, StaffFactory, make_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(agent):
    csc = DepartmentFactory(code="csc", name="客服中心")
    colleague = StaffFactory(role="agent", username="agent_zhou", first_name="周")
    csc.members.add(agent, colleague)
    complaints = [make_complaint(description=f"第{i}个投诉：宽带掉线") for i in range(3)]
    return {"csc": csc, "colleague": colleague, "complaints": complaints}


def chosen(complaints):
    return [Selected(c.reference, c.version) for c in complaints]


def test_bulk_assign_assigns_each_through_the_service(setting, agent):
    a, b, _c = setting["complaints"]
    result = desk_services.complaints_bulk_assign(
        actor=agent, items=chosen([a, b]), department=setting["csc"],
        agent=setting["colleague"], reason="均衡工作量")
    assert result.done == [a.reference, b.reference] and result.refused == []
    for complaint in (a, b):
        complaint.refresh_from_db()
        assert complaint.assigned_agent == setting["colleague"]
        assert complaint.activities.filter(kind=ActivityKind.ASSIGNMENT).exists()


def test_a_stale_version_is_refused_and_the_rest_goes_through(setting, agent):
    a, b, c = setting["complaints"]
    stale = Selected(b.reference, b.version)
    Complaint.objects.filter(pk=b.pk).update(version=b.version + 1)  # someone else edited it
    result = desk_services.complaints_bulk_assign(
        actor=agent, items=[Selected(a.reference, a.version), stale,
                            Selected(c.reference, c.version), Selected("TS20990101000001", 1)],
        department=setting["csc"], agent=agent)
    assert result.done == [a.reference, c.reference]
    refused = dict(result.refused)
    assert set(refused) == {b.reference, "TS20990101000001"}
    assert "reload" in refused[b.reference] or "刷新" in refused[b.reference]
    b.refresh_from_db()
    assert b.assigned_agent is None


def test_bulk_priority_goes_through_the_classification_override(setting, agent):
    a, b, _c = setting["complaints"]
    with pytest.raises(InvalidInput):
        desk_services.complaints_bulk_set_priority(actor=agent, items=chosen([a]),
                                                   priority="urgent", reason=" ")
    result = desk_services.complaints_bulk_set_priority(
        actor=agent, items=chosen([a, b]), priority="urgent", reason="用户多次来电")
    assert len(result.done) == 2
    assert set(Complaint.objects.filter(pk__in=[a.pk, b.pk]).values_list("priority", flat=True)) \
        == {"urgent"}
    assert ClassificationOverride.objects.filter(complaint__in=[a, b]).count() == 2
    # already urgent: refused with the service's reason, nothing else changes
    a.refresh_from_db()
    again = desk_services.complaints_bulk_set_priority(
        actor=agent, items=chosen([a]), priority="urgent", reason="再次")
    assert again.done == [] and len(again.refused) == 1


def test_bulk_flag(setting, agent):
    a, b, _c = setting["complaints"]
    Complaint.objects.filter(pk=b.pk).update(is_vip=True)
    b.refresh_from_db()
    result = desk_services.complaints_bulk_add_flag(actor=agent, items=chosen([a, b]),
                                                    flag="vip")
    assert result.done == [a.reference] and result.refused[0][0] == b.reference
    a.refresh_from_db()
    assert a.is_vip and a.activities.filter(kind=ActivityKind.FIELD_CHANGE).exists()
    with pytest.raises(InvalidInput):
        desk_services.complaints_bulk_add_flag(actor=agent, items=chosen([a]), flag="nonsense")


def test_merge_into_the_earliest_and_refuse_the_illegal_ones(setting, agent):
    a, b, c = setting["complaints"]
    Complaint.objects.filter(pk=c.pk).update(status=Status.CLOSED)  # cannot be merged
    c.refresh_from_db()
    result = desk_services.complaints_bulk_merge(actor=agent, items=chosen([b, a, c]),
                                                 reason="同一用户重复来电")
    assert result.done == [b.reference]
    assert [ref for ref, _why in result.refused] == [c.reference]
    b.refresh_from_db()
    assert b.status == Status.MERGED and b.merged_into_id == a.id


def test_merge_needs_a_reason_and_two_complaints(setting, agent):
    a, _b, _c = setting["complaints"]
    with pytest.raises(InvalidInput):
        desk_services.complaints_bulk_merge(actor=agent, items=chosen([a]), reason="重复")
    with pytest.raises(InvalidInput):
        desk_services.complaints_bulk_merge(actor=agent, items=chosen(setting["complaints"]),
                                            reason="")


def test_bulk_actions_need_the_single_actions_permissions(setting, roles):
    a, _b, _c = setting["complaints"]
    viewer = StaffFactory(username="viewer")
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    viewer = type(viewer).objects.get(pk=viewer.pk)
    for call, extra in [(desk_services.complaints_bulk_assign, {"department": setting["csc"]}),
                        (desk_services.complaints_bulk_set_priority,
                         {"priority": "urgent", "reason": "x"}),
                        (desk_services.complaints_bulk_add_flag, {"flag": "vip"}),
                        (desk_services.complaints_bulk_merge, {"reason": "x"})]:
        with pytest.raises(NotAllowed):
            call(actor=viewer, items=chosen([a]), **extra)


def test_the_page_reports_done_and_refused(setting, agent):
    a, b, _c = setting["complaints"]
    client = Client()
    client.force_login(agent)
    response = client.post(reverse("desk:bulk"), {
        "action": "assign", "agent": setting["colleague"].pk, "department": setting["csc"].pk,
        "c": [f"{a.reference}:{a.version}", f"{b.reference}:{b.version + 5}"],
        "next": "/desk/?tab=all"}, follow=True)
    assert response.redirect_chain[-1][0] == "/desk/?tab=all"
    html = response.content.decode()
    assert ("1 done, 1 refused" in html or "完成 1 件，拒绝 1 件" in html)
    assert b.reference in html
    a.refresh_from_db()
    assert a.assigned_agent == setting["colleague"]


def test_the_page_explains_a_request_it_refuses_whole(setting, agent):
    client = Client()
    client.force_login(agent)
    response = client.post(reverse("desk:bulk"), {"action": "assign", "c": []}, follow=True)
    assert response.status_code == 200
    assert not Activity.objects.filter(kind=ActivityKind.ASSIGNMENT).exists()
    assert 'class="error"' in response.content.decode()
