"""Possible duplicates: linked after classification, shown in the API and the caller lookup,
merged with the lifecycle's merge action."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from complaints.lifecycle import Status
from complaints.models import Activity, Complaint
from intake.duplicates import complaint_link_possible_duplicate
from tests.builders import complaint_in
from tests.factories import CustomerFactory, category

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory(phone="13655556666", name="孙丽")


@pytest.fixture
def original(customer, created):
    return created(customer=customer, received_at=timezone.now() - timedelta(days=3),
                   description="扣了我不认识的增值业务费", category=category("billing-unknown-charge"))


def enter(agent, django_capture_on_commit_callbacks, **change):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)
    form = {"channel": "phone", "phone": "13655556666", "name": "孙丽",
            "description": "又被扣了一笔莫名其妙的费用", "category": "",
            "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "form_token": timezone.now().isoformat()} | change
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/intake/new/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Complaint.objects.order_by("-id").first()


def test_a_repeat_in_the_same_category_is_linked_with_the_reason(
        agent, original, client_for, django_capture_on_commit_callbacks):
    new = enter(agent, django_capture_on_commit_callbacks,
                category=category("billing-unknown-charge").id)

    assert new.possible_duplicate_of == original
    entry = new.activities.get(kind="field_change", data__possible_duplicate_of__isnull=False)
    assert entry.data["possible_duplicate_of"] == original.reference
    assert original.reference in entry.message and "7" in entry.data["reason"]
    note = original.activities.get(data__possible_duplicate=new.reference)
    assert note.kind == "internal_note" and new.reference in note.message

    api = client_for(agent)
    assert api.get(f"/api/v1/complaints/{new.reference}/").data["possible_duplicate_of"] == \
        original.reference
    listed = {c["reference"]: c for c in api.get("/api/v1/complaints/").data["results"]}
    assert listed[new.reference]["possible_duplicate_of"] == original.reference
    assert listed[original.reference]["possible_duplicate_of"] is None

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)
    html = client.get("/intake/caller/", {"phone": "13655556666"}).content.decode()
    assert f"Possible duplicate of {original.reference}" in html


def test_the_category_the_rules_decide_counts_too(agent, customer, created,
                                                  django_capture_on_commit_callbacks):
    first = created(customer=customer, received_at=timezone.now() - timedelta(days=1),
                    description="家里宽带总是掉线")
    assert first.category is not None
    new = enter(agent, django_capture_on_commit_callbacks, description="宽带今天又掉线了")
    assert new.category == first.category and new.possible_duplicate_of == first


@pytest.mark.parametrize("situation", ["other category", "closed", "too old", "other customer"])
def test_no_link_without_an_open_match_in_the_window(agent, customer, original, situation,
                                                     django_capture_on_commit_callbacks):
    code = "billing-unknown-charge"
    if situation == "other category":
        code = "billing-roaming"
    elif situation == "closed":
        complaint_in(Status.CLOSED, complaint=original, actor=agent, resolution_summary="已退费")
    elif situation == "too old":
        Complaint.objects.filter(pk=original.pk).update(
            received_at=timezone.now() - timedelta(days=8))
    phone = "13700007777" if situation == "other customer" else "13655556666"
    new = enter(agent, django_capture_on_commit_callbacks, phone=phone,
                category=category(code).id)
    assert new.possible_duplicate_of is None
    assert not Activity.objects.filter(data__possible_duplicate_of__isnull=False).exists()


def test_linking_again_changes_nothing(agent, original, django_capture_on_commit_callbacks):
    new = enter(agent, django_capture_on_commit_callbacks,
                category=category("billing-unknown-charge").id)
    entries = Activity.objects.count()
    assert complaint_link_possible_duplicate(complaint_id=new.id) is None
    assert Activity.objects.count() == entries


def test_an_agent_merges_the_duplicate(agent, original, client_for,
                                       django_capture_on_commit_callbacks):
    new = enter(agent, django_capture_on_commit_callbacks,
                category=category("billing-unknown-charge").id)
    api = client_for(agent)
    shown = api.get(f"/api/v1/complaints/{new.reference}/").data
    assert "merge" in shown["allowed_actions"]
    response = api.post(f"/api/v1/complaints/{new.reference}/merge/", {
        "version": shown["version"], "merged_into": shown["possible_duplicate_of"],
        "reason": "同一笔扣费"}, format="json")
    assert response.status_code == 200, response.data
    new.refresh_from_db()
    assert new.status == "merged" and new.merged_into == original
    assert response.data["merged_into"] == original.reference


def test_a_failing_link_keeps_the_classification_and_the_error_is_logged(
        customer, original, created, monkeypatch, caplog):
    """A complaint created one by one is classified after its commit (complaint_classify, as
    the sweep does): the link runs in the classification's transaction (intake/services.py),
    in a savepoint of its own: when it fails the classification and its timeline entries
    still commit, the error reaches the event's log, and nothing of the link is left. (Batch
    intake, every channel's path, decides the link in memory with the classification, from
    the same read of the customer's complaints: it has no separate step to fail.)"""
    from intake import duplicates
    from intake.models import ComplaintClassification

    def broken(complaint):
        Complaint.objects.filter(pk=complaint.pk).update(possible_duplicate_of=original)
        raise RuntimeError("duplicate lookup broke")

    monkeypatch.setattr(duplicates, "possible_duplicate_candidate", broken)
    with caplog.at_level("ERROR", logger="complaints.events"):
        new = created(customer=customer, description="宽带今天又掉线了")
    assert ComplaintClassification.objects.filter(complaint=new).exists()
    assert new.category is not None and new.possible_duplicate_of is None
    assert new.activities.filter(kind="field_change").count() == 1  # the classification's
    assert any("duplicate lookup broke" in str(r.exc_info[1]) for r in caplog.records
               if r.exc_info)
