"""An unsure classifier still helps: on the complaint page an agent sets the category with one
click on a suggestion; the desk offers the same suggestions on uncategorised rows."""

import re

import pytest

from complaints.models import Complaint
from intake import classifier, selectors
from intake.models import ClassificationOverride, ClassifierModel
from tests.factories import make_complaint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def model():
    pairs = classifier.read_labelled(classifier.LABELLED_SET)
    pipeline = classifier.train([t for t, _c in pairs], [c for _t, c in pairs])
    artifact = classifier.dump(pipeline)
    ClassifierModel.objects.create(
        version=1, training_size=len(pairs), classes=list(pipeline.classes_),
        fingerprint="browser", library_version=classifier.library_version(),
        artifact=artifact, artifact_sha256="browser")
    selectors._loaded.update(version=None, pipeline=None)
    yield
    selectors._loaded.update(version=None, pipeline=None)


def login(page, username, next_url):
    page.goto(f"{page.base_url}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-1234")
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(re.escape(next_url.split("?")[0])))


def test_agent_picks_a_suggested_category_with_one_click(page, model, supervisor, settings,
                                                         screenshot):
    settings.INTAKE_SUGGESTION_MIN_CONFIDENCE = None  # the classifier only suggests
    settings.INTAKE_PICK_MIN_CONFIDENCE = 0.0  # every suggestion gets its button
    complaint = make_complaint(description="去日本玩了五天，回来发现多了好几百的国际漫游费")
    complaint.refresh_from_db()
    assert complaint.category is None

    login(page, "sup_wang", "/desk/?tab=all")
    row = page.locator("table.desk-table tr", has=page.locator(
        f"input[value^='{complaint.reference}:']"))
    row.locator("details.desk-picks > summary").click()
    assert row.locator("[data-pick=billing-roaming]").is_visible()

    page.goto(f"{page.base_url}/complaints/{complaint.reference}/")
    button = page.locator(".ws-picks [data-pick=billing-roaming]")
    assert "%" in button.inner_text()
    screenshot(page, "intake-suggestion-picks")
    button.click()
    page.wait_for_url(re.compile(f"/complaints/{complaint.reference}/$"))
    page.locator(".ws-picks [data-pick]").first.wait_for()
    assert page.locator(".ws-picks [data-pick=billing-roaming]").count() == 0
    assert Complaint.objects.get(pk=complaint.pk).category.code == "billing-roaming"
    assert ClassificationOverride.objects.get(complaint=complaint).actor.username == "sup_wang"
