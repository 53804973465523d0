"""The text classifier: suggestions, training on confirmed categories, versions, the command,
the weekly task, and rules winning over suggestions."""

import pytest
from django.core.management import call_command

from complaints import services as complaint_services
from complaints.lifecycle import Status
from kernel.periodic import SCHEDULES
from intake import classifier, selectors, services, tasks
from intake.models import ClassifierModel, ComplaintClassification
from tests.builders import complaint_in
from tests.factories import category, make_complaint

pytestmark = pytest.mark.django_db

CLEAR_TEXTS = [
    ("家里IPTV机顶盒一直提示认证失败，电视什么节目都看不了", "network-iptv"),
    ("去日本玩了五天，回来账单多了八百多的国际漫游费", "billing-roaming"),
    ("我的号码被当成靓号，每个月要保底消费，办卡时没人说过", "business-premium-number"),
    ("有人冒充你们客服打电话，骗我转账五千块", "security-fraud"),
    ("楼顶新建了基站，担心辐射影响孩子，要求搬走", "network-base-station"),
    ("用积分兑换的话费券一直没到账，积分却扣了", "business-points"),
]


@pytest.fixture
def small_sets(tmp_path, monkeypatch):
    """A few texts of three categories, so training in a test takes a fraction of a second."""
    import csv

    rows = classifier.read_labelled(classifier.LABELLED_SET)
    held = classifier.read_labelled(classifier.HOLDOUT_SET)
    codes = ["network-coverage", "billing-roaming", "business-points"]
    for name, source, n in (("train.csv", rows, 4), ("holdout.csv", held, 1)):
        with open(tmp_path / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "category_code"])
            for code in codes:
                writer.writerows([r for r in source if r[1] == code][:n])
    monkeypatch.setattr(classifier, "LABELLED_SET", tmp_path / "train.csv")
    monkeypatch.setattr(classifier, "HOLDOUT_SET", tmp_path / "holdout.csv")
    monkeypatch.setattr(classifier, "CORPUS_DIR", tmp_path / "corpus")
    return codes


@pytest.mark.parametrize("text, code", CLEAR_TEXTS)
def test_top_suggestion_is_right_on_clear_texts(trained, text, code):
    pipeline, _artifact = trained
    suggestions = classifier.suggest(pipeline, text)
    assert suggestions[0].code == code, suggestions
    assert len(suggestions) == 3 and len({s.code for s in suggestions}) == 3
    assert suggestions[0].confidence >= suggestions[1].confidence >= suggestions[2].confidence
    assert sum(s.confidence for s in suggestions) <= 1


def test_suggestions_for_text_return_categories(classifier_model):
    version, found = selectors.suggestions_for_text("宽带报修三天了还没人来修")
    assert version == 1 and found[0].category.code == "network-repair-overdue"
    assert found[0].category.parent.code == "network"


def test_training_stores_a_version_with_held_out_accuracy_and_is_idempotent(small_sets):
    first = services.classifier_train()
    assert not first.skipped and first.model.version == 1
    model = ClassifierModel.objects.get(version=1)
    assert (model.labelled_size, model.holdout_size, model.training_size) == (12, 3, 12)
    assert model.accuracy == first.metrics.accuracy and model.top3_accuracy == 1.0
    assert model.classes == sorted(small_sets) and model.artifact
    assert model.library_version == classifier.library_version()
    again = services.classifier_train()
    assert again.skipped and again.model == model and ClassifierModel.objects.count() == 1
    assert selectors.classifier_pipeline()[0] == 1


def test_confirmed_complaints_join_the_training_data_and_held_out_texts_never_do(agent,
                                                                                  small_sets):
    held_out_text, held_out_code = classifier.read_labelled(classifier.HOLDOUT_SET)[0]
    resolved = make_complaint(description="小区里新装的5G天线嗡嗡响，晚上睡不着")
    services.classification_override(complaint_id=resolved.id, actor=agent,
                                      expected_version=resolved.version,
                                      category="network-base-station", reason="基站噪音")
    leaked = make_complaint(description=held_out_text)
    complaint_in(Status.RESOLVED, complaint=leaked, actor=agent, resolution_summary="已处理")
    complaint_services.complaint_update_fields(
        complaint_id=leaked.id, changes={"category": category(held_out_code)}, actor=agent)
    unconfirmed = make_complaint(description="还没人确认的类别")
    complaint_services.complaint_update_fields(
        complaint_id=unconfirmed.id, actor=agent,
        changes={"category": category("other-misc")})

    pairs = selectors.confirmed_training_pairs()
    texts = [t for t, _c in pairs]
    assert resolved.description in texts and held_out_text in texts
    assert unconfirmed.description not in texts

    result = services.classifier_train(include_confirmed=True)
    assert result.confirmed == 1  # the override; the held-out text is dropped
    assert result.model.confirmed_size == 1


def test_retraining_after_new_confirmations_makes_a_new_version(agent, small_sets):
    services.classifier_train()
    complaint = make_complaint(description="营业厅的自助缴费机吞了我一百块钱")
    services.classification_override(complaint_id=complaint.id, actor=agent,
                                      expected_version=complaint.version,
                                      category="service-store", reason="营业厅设备问题")
    result = tasks.classifier_retrain.run()
    assert result["version"] == 2 and result["skipped"] is False
    assert tasks.classifier_retrain.run()["skipped"] is True


def test_old_artifacts_are_pruned_but_versions_kept(small_sets):
    for _ in range(services.KEEP_ARTIFACTS + 1):
        services.classifier_train(force=True)
    versions = list(ClassifierModel.objects.order_by("version").values_list("version",
                                                                            "artifact"))
    assert len(versions) == services.KEEP_ARTIFACTS + 1
    assert bytes(versions[0][1]) == b"" and all(bytes(a) for _v, a in versions[1:])


def test_train_command_prints_held_out_accuracy(capsys):
    call_command("train_classifier", "--labelled-only")
    out = capsys.readouterr().out
    corpus = len(classifier.corpus_pairs())  # the first labelled set and corpus/train_*.csv
    assert corpus > 43 * 45 and "on 129 texts" in out
    assert f"Trained classifier v1 on {corpus} texts ({corpus} labelled, 0 confirmed" in out
    accuracy = float(out.split("Held-out accuracy: ")[1].split("%")[0])
    assert accuracy == pytest.approx(ClassifierModel.objects.get().accuracy * 100, abs=0.1)
    assert accuracy > 80
    call_command("train_classifier")
    assert "nothing trained" in capsys.readouterr().out


def test_weekly_retrain_and_missed_classification_sweep_are_scheduled():
    by_task = {s.task: s for s in SCHEDULES}
    assert by_task["intake.classifier_retrain"].every_seconds == 7 * 24 * 3600
    assert by_task["intake.classify_pending"].every_seconds == 300


def test_rules_win_over_suggestions(created, classifier_model, client_for, agent, settings):
    settings.INTAKE_SUGGESTION_MIN_CONFIDENCE = 0.3
    settings.INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE = None  # rules always win
    text = "宽带网速慢，装维师傅上门也没修好"
    # The classifier reads this as an installer complaint; the 宽带+网速 rule says broadband.
    assert selectors.suggestions_for_text(text)[1][0].category.code == "service-installer"
    complaint = created(description=text)
    assert complaint.category.code == "network-broadband"
    assert ComplaintClassification.objects.get(complaint=complaint).category_source == "rule"
    body = client_for(agent).get(f"/api/v1/complaints/{complaint.reference}/suggestions/").json()
    assert body["current_category"]["code"] == "network-broadband"
    assert body["category_source"] == "rule"
    assert body["suggestions"][0]["category"]["code"] == "service-installer"  # still shown


def test_a_very_sure_classifier_wins_over_a_keyword_rule(created, classifier_model, settings):
    text = "宽带网速慢，装维师傅上门也没修好"  # the 宽带故障 rule (宽带+网速) says broadband
    confidence = selectors.suggestions_for_text(text)[1][0].confidence
    settings.INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE = confidence + 0.01  # not sure enough
    assert created(description=text).category.code == "network-broadband"
    settings.INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE = confidence
    complaint = created(description=text)
    assert complaint.category.code == "service-installer"
    record = ComplaintClassification.objects.get(complaint=complaint)
    assert record.category_source == "classifier"
    by_category = [d for d in record.decisions if d["field"] == "category"]
    assert [d["rule"] for d in by_category if d["applied"]] == [""]  # the model's only
    assert by_category[0]["rule"] == "宽带故障" and by_category[-1]["source"] == "classifier"
    assert "分类模型" in complaint.activities.filter(data__has_key="classification").get().message


def test_a_confident_suggestion_fills_a_category_no_rule_decided(created, classifier_model,
                                                                  settings):
    settings.INTAKE_SUGGESTION_MIN_CONFIDENCE = 0.3
    complaint = created(description="去日本玩了五天，回来漫游费多了八百多")
    record = ComplaintClassification.objects.get(complaint=complaint)
    assert complaint.category.code == "billing-roaming"
    assert record.category_source == "classifier"
    entry = complaint.activities.filter(data__has_key="classification").get()
    assert "分类模型 v1" in entry.message

    settings.INTAKE_SUGGESTION_MIN_CONFIDENCE = None  # suggestions only
    assert created(description="去泰国旅游回来漫游费多了几百").category is None
