"""When the classifier is unsure it still helps: its top three are one click away on the
complaint page and the desk, a click sets the category as an agent's confirmation (learnt from),
and the rules page shows how often the system's category held over the last 30 days."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from complaints.lifecycle import Status
from complaints.models import Complaint
from intake import selectors, services
from intake.models import ClassificationOverride, ComplaintClassification
from tests.factories import category

pytestmark = pytest.mark.django_db
TEXT = "去日本玩了五天，回来发现多了好几百的国际漫游费"


@pytest.fixture
def unsure(created, classifier_model, settings):
    """A complaint the classifier did not dare categorise (suggestions only)."""
    settings.INTAKE_SUGGESTION_MIN_CONFIDENCE = None
    settings.INTAKE_PICK_MIN_CONFIDENCE = 0.0  # every suggestion gets its button
    complaint = created(description=TEXT)
    assert complaint.category is None
    return complaint


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def picks(html: str) -> list[str]:
    return re.findall(r'data-pick="([a-z-]+)"', html)


def test_complaint_page_offers_the_top_three_and_a_click_sets_the_category(unsure, agent,
                                                                           settings):
    stored = [s["code"] for s in ComplaintClassification.objects.get(
        complaint=unsure).suggestions]
    page = f"/complaints/{unsure.reference}/"
    client = login(agent)
    html = client.get(page).content.decode()
    assert picks(html) == stored and len(stored) == 3 and stored[0] == "billing-roaming"
    assert "<script>" not in html.split('class="ws-picks"')[1].split("</dd>")[0]

    response = client.post(f"/complaints/{unsure.reference}/classification/pick/", {
        "category": "billing-roaming", "version": unsure.version, "next": page})
    assert response.status_code == 302 and response["Location"] == page
    unsure.refresh_from_db()
    assert unsure.category.code == "billing-roaming"
    record = ClassificationOverride.objects.get(complaint=unsure)
    assert record.actor == agent and record.new_category.code == "billing-roaming"
    # An agent's pick is training data (weighted INTAKE_CONFIRMED_WEIGHT) and remembered.
    settings.INTAKE_CONFIRMED_WEIGHT = 2.0
    data = selectors.training_pairs()
    weights = dict(zip(data.pairs, data.weights, strict=True))
    assert weights[(selectors.complaint_text(unsure), "billing-roaming")] == 2.0
    assert (selectors.complaint_text(unsure), "billing-roaming") in data.memory
    # The page now offers the other two, not the category it has.
    assert "billing-roaming" not in picks(client.get(page).content.decode())


def test_unlikely_suggestions_get_no_button_but_the_first_always_does(unsure, agent,
                                                                      settings):
    found = ComplaintClassification.objects.get(complaint=unsure).suggestions
    assert found[0]["code"] == "billing-roaming" and found[-1]["confidence"] < 0.5
    settings.INTAKE_PICK_MIN_CONFIDENCE = 0.5
    html = login(agent).get(f"/complaints/{unsure.reference}/").content.decode()
    assert picks(html) == [s["code"] for s in found if s["confidence"] >= 0.5] + (
        [] if found[0]["confidence"] >= 0.5 else ["billing-roaming"])
    settings.INTAKE_PICK_MIN_CONFIDENCE = 1.0
    html = login(agent).get(f"/complaints/{unsure.reference}/").content.decode()
    assert picks(html) == ["billing-roaming"]


def test_desk_rows_without_a_category_offer_the_suggestions(unsure, created, supervisor):
    categorised = created(description="手机信号太差了")  # 信号覆盖 rule
    client = login(supervisor)
    html = client.get("/desk/?tab=all").content.decode()
    rows = {ref: row for row in html.split("<tr>")[1:]
            for ref in re.findall(r'value="([A-Z]{2}\d{14}):\d+"', row)}
    assert picks(rows[unsure.reference])[0] == "billing-roaming"
    assert picks(rows[categorised.reference]) == []
    response = client.post(f"/complaints/{unsure.reference}/classification/pick/", {
        "category": picks(rows[unsure.reference])[1], "version": unsure.version,
        "next": "/desk/?tab=all"})
    assert response["Location"] == "/desk/?tab=all"
    unsure.refresh_from_db()
    assert unsure.category.code == picks(rows[unsure.reference])[1]


def test_a_stale_pick_or_unknown_category_is_refused_without_a_500(unsure, agent):
    client = login(agent)
    url = f"/complaints/{unsure.reference}/classification/pick/"
    stale = client.post(url, {"category": "billing-roaming", "version": unsure.version - 1,
                              "next": "https://evil.example/"}, follow=True)
    assert stale.status_code == 200 and "evil" not in stale.redirect_chain[-1][0]
    assert client.post(url, {"category": "no-such", "version": unsure.version}).status_code == 302
    unsure.refresh_from_db()
    assert unsure.category is None


def test_rules_page_shows_live_accuracy_of_agent_confirmed_complaints(created, supervisor, settings,
                                                                      agent):
    settings.INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE = None
    kept = [created(description="手机信号太差了，家里打不了电话") for _ in range(3)]
    corrected = created(description="手机信号不好，打着打着就断了")  # rule: coverage
    Complaint.objects.filter(id__in=[c.id for c in kept]).update(status=Status.RESOLVED)
    services.classification_override(complaint_id=corrected.id, actor=agent,
                                      expected_version=corrected.version,
                                      category=category("network-call-drop"), reason="是掉话")
    created(description="手机信号太差了")  # open, unconfirmed: not counted
    old = created(description="手机信号太差了")
    Complaint.objects.filter(id=old.id).update(status=Status.RESOLVED)
    ComplaintClassification.objects.filter(complaint=old).update(
        classified_at=timezone.now() - timedelta(days=31))
    live = selectors.live_accuracy(days=30)
    assert (live.confirmed, live.right) == (4, 3)
    html = login(supervisor).get("/rules/").content.decode()
    assert re.search(r"data-live-accuracy>75%<", html)
