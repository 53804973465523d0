"""Agents' categories count: after the retrain, a text close to one an agent corrected gets the
agent's category, where the model trained without agents' categories gets it wrong; texts unlike
any corrected one are left to the model (docs/classification.md, “Learning from agents”)."""

import pytest

from intake import classifier, selectors, services
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

# The model trained on the first labelled set alone gets both wrong (a business or billing
# category); the customer has no coverage indoors (the evaluation set's label).
CORRECTED = "一进门就变成无服务，出门又好了，咋回事啊这都两个月了"
CLOSE = "进门就无服务，出门就好，咋回事啊，两个月了"
RIGHT = "network-coverage"
UNRELATED = "去日本玩了五天，回来账单多了八百多的国际漫游费"


@pytest.fixture
def first_labelled_set_only(tmp_path, monkeypatch):
    """Training reads the first labelled set (430 texts) only, so a retrain takes seconds."""
    monkeypatch.setattr(classifier, "CORPUS_DIR", tmp_path / "corpus")
    selectors._loaded.update(version=None, pipeline=None)
    yield
    selectors._loaded.update(version=None, pipeline=None)


def top_code(text):
    return selectors.suggestions_for_text(text)[1][0].category.code


def test_an_agents_correction_changes_the_next_prediction_for_a_close_text(
        first_labelled_set_only, agent):
    services.classifier_train()
    wrong = top_code(CLOSE)
    assert wrong != RIGHT and top_code(CORRECTED) != RIGHT
    unrelated = top_code(UNRELATED)

    complaint = make_complaint(description=CORRECTED)
    services.classification_override(complaint_id=complaint.id, actor=agent,
                                      expected_version=complaint.version, category=RIGHT,
                                      reason="是室内没信号")
    result = services.classifier_train()
    assert not result.skipped and result.confirmed == 1 and result.model.version == 2

    assert top_code(CLOSE) == RIGHT
    assert top_code(CORRECTED) == RIGHT
    assert top_code(UNRELATED) == unrelated

    # Without agents' categories the same retrain still gets the close text wrong.
    services.classifier_train(include_confirmed=False, force=True)
    assert top_code(CLOSE) == wrong


def test_with_the_memory_off_the_correction_is_still_trained_on(first_labelled_set_only,
                                                                 agent, settings):
    settings.INTAKE_MEMORY_WEIGHT = 0
    complaint = make_complaint(description=CORRECTED)
    services.classification_override(complaint_id=complaint.id, actor=agent,
                                      expected_version=complaint.version, category=RIGHT,
                                      reason="是没信号")
    data = selectors.training_pairs()
    assert (CORRECTED, RIGHT) in data.pairs and data.memory == [(CORRECTED, RIGHT)]
    services.classifier_train()
    pipeline = selectors.classifier_pipeline()[1]
    assert not isinstance(pipeline, classifier.WithMemory)
    settings.INTAKE_MEMORY_WEIGHT = 0.6  # a memory setting changed: the next retrain trains
    assert not services.classifier_train().skipped
    assert isinstance(selectors.classifier_pipeline()[1], classifier.WithMemory)
