"""complaint_classify through the real create path: grading, repeat detection, rule order,
idempotency, the after-commit receiver and the sweep."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services as complaint_services
from complaints.lifecycle import Action, Status
from complaints.models import Activity, ActivityKind
from intake import services
from intake.models import ComplaintClassification, Rule
from tests.builders import complaint_in
from tests.factories import CustomerFactory, category, make_complaint

pytestmark = pytest.mark.django_db


def classification_entries(complaint):
    return Activity.objects.filter(complaint=complaint, kind=ActivityKind.FIELD_CHANGE,
                                   data__has_key="classification")


def test_every_created_complaint_is_classified_after_commit(created):
    complaint = created(description="手机信号太差了，家里打不了电话")
    assert complaint.category.code == "network-coverage"
    record = ComplaintClassification.objects.get(complaint=complaint)
    assert record.category_source == "rule"
    assert [r["name"] for r in record.rules_fired] == ["信号覆盖"]


def test_nothing_runs_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        complaint = make_complaint(description="手机信号太差了")
    assert not ComplaintClassification.objects.filter(complaint=complaint).exists()
    complaint.refresh_from_db()
    assert complaint.category is None


def test_the_create_api_classifies_the_new_complaint(client_for, agent,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post("/api/v1/complaints/", {
            "channel": "web", "customer": {"phone": "13900001111", "name": "周敏"},
            "description": "你们天天打电话推销宽带，烦死了"}, format="json")
    assert response.status_code == 201
    body = client_for(agent).get(f"/api/v1/complaints/{response.json()['reference']}/").json()
    assert body["category"]["code"] == "business-marketing"
    assert any("营销骚扰" in e["message"] for e in body["timeline"])


def test_vip_customer_is_urgent_with_the_reason_on_the_timeline(created):
    complaint = created(customer=CustomerFactory(tier="vip"), description="想咨询一下套餐")
    assert complaint.priority == "urgent" and complaint.is_vip
    entry = classification_entries(complaint).get()
    assert "VIP客户" in entry.message and entry.data["changed"] == {
        "priority": ["ordinary", "urgent"]}


def test_regulator_transfer_is_urgent(created):
    complaint = created(channel="regulator", regulator_case_no="GXB-2026-0042",
                        description="用户申诉：多次反映问题未处理")
    assert complaint.priority == "urgent" and complaint.is_regulator
    assert "监管转办" in classification_entries(complaint).get().message


def test_second_complaint_within_30_days_is_a_repeat(created):
    customer = CustomerFactory()
    now = timezone.now()
    older = created(customer=customer, description="想问问积分",
                    received_at=now - timedelta(days=45))
    first = created(customer=customer, description="积分兑换没到账",
                    received_at=now - timedelta(days=14))  # 31 days after the older one
    second = created(customer=customer, description="积分还是没到账", received_at=now)
    assert not older.is_repeat and not first.is_repeat and first.priority == "ordinary"
    assert second.is_repeat and second.priority == "urgent"
    message = classification_entries(second).get().message
    assert "重复投诉" in message and "30" in message


def test_repeat_threshold_is_configurable_in_its_rule(created):
    Rule.objects.filter(name="重复投诉").update(min_recent_complaints=3)
    customer = CustomerFactory()
    created(customer=customer, description="第一次")
    second = created(customer=customer, description="第二次")
    third = created(customer=customer, description="第三次")
    assert not second.is_repeat and third.is_repeat


def test_cancelled_complaints_do_not_make_a_repeat(created, supervisor):
    customer = CustomerFactory()
    first = make_complaint(customer=customer, description="录错了")
    complaint_services.complaint_transition(complaint_id=first.id, action=Action.CANCEL,
                                            actor=supervisor, expected_version=1,
                                            reason="坐席误建")
    assert not created(customer=customer, description="真正的投诉").is_repeat


def test_rule_order_decides_between_two_categories(created, supervisor):
    text = "宽带每个月都多扣费"  # matches 账务争议 (扣费) and 宽带装机/上门 (宽带)
    assert created(description=text).category.code == "billing-dispute"
    installer = Rule.objects.get(name="宽带装机/上门")
    for _ in range(Rule.objects.count()):
        services.rule_move(actor=supervisor, rule_id=installer.id, offset=-1)
    assert Rule.objects.order_by("position").first() == installer
    assert created(description=text).category.code == "service-installer"


def test_disabled_rules_do_not_fire(created, supervisor):
    services.rule_set_enabled(actor=supervisor, rule_id=Rule.objects.get(name="信号覆盖").id,
                              enabled=False)
    complaint = created(description="手机信号太差了")
    assert complaint.category is None


def test_category_given_at_intake_is_kept_and_priority_never_lowered(created):
    complaint = created(description="扣费扣错了", category=category("billing-refund"),
                        priority="major")
    assert complaint.category.code == "billing-refund" and complaint.priority == "major"
    record = ComplaintClassification.objects.get(complaint=complaint)
    assert record.category_source == "intake"
    assert [d["applied"] for d in record.decisions if d["field"] == "category"] == [False]
    assert not classification_entries(complaint).exists()  # nothing changed, nothing written


def test_classifying_twice_changes_nothing_and_keeps_an_agents_correction(created, agent):
    complaint = created(description="手机信号太差了")
    services.classification_override(complaint_id=complaint.id, actor=agent,
                                      expected_version=complaint.version,
                                      category=category("network-call-drop"),
                                      reason="客户实际是通话中断")
    again = services.complaint_classify(complaint_id=complaint.id)
    complaint.refresh_from_db()
    assert again == ComplaintClassification.objects.get(complaint=complaint)
    assert complaint.category.code == "network-call-drop"
    assert classification_entries(complaint).count() == 1


def test_sweep_classifies_complaints_that_missed_it():
    complaint = make_complaint(description="手机信号太差了")  # no commit, so no receiver
    ComplaintTable = type(complaint)
    ComplaintTable.objects.filter(pk=complaint.pk).update(
        created_at=timezone.now() - timedelta(minutes=5))
    fresh = make_complaint(description="手机信号也差")  # too new: its receiver may still run
    assert services.complaints_classify_pending() == 1
    complaint.refresh_from_db()
    assert complaint.category.code == "network-coverage"
    assert not ComplaintClassification.objects.filter(complaint=fresh).exists()
    assert services.complaints_classify_pending() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_classification_of_one_complaint_happens_once(without_auto_classification):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    complaint = make_complaint(description="宽带天天断网，我要找记者曝光")
    start = threading.Barrier(4)

    def classify(_):
        try:
            start.wait()
            return services.complaint_classify(complaint_id=complaint.id).id
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(classify, range(4)))
    assert len(ids) == 1
    assert ComplaintClassification.objects.filter(complaint=complaint).count() == 1
    assert classification_entries(complaint).count() == 1
    complaint.refresh_from_db()
    assert complaint.priority == "urgent" and complaint.version == 2


def test_a_complaint_closed_before_its_classification_ran_is_left_alone(agent):
    # No commit, so no receiver yet.
    complaint = complaint_in(Status.CLOSED, actor=agent, description="手机信号太差了",
                             after_commit=False)
    assert complaint.status == Status.CLOSED

    assert services.complaint_classify(complaint_id=complaint.id) is None  # no error either
    complaint.refresh_from_db()
    assert complaint.category is None
    assert not ComplaintClassification.objects.filter(complaint=complaint).exists()
