#!/usr/bin/env python3
"""Compare complaint classifiers on the evaluation set written by another hand, and measure the
end-to-end category (rules, then the classifier, as intake decides it). Prints Markdown for
docs/classification.md.

    .venv/bin/python bench/classification.py                  # everything
    .venv/bin/python bench/classification.py --skip-candidates  # winner only: e2e, per category

Learning from agents' corrections is measured through the product by
bench/classification_learning.py (a scratch database).

Trains on the shipped corpus (intake.classifier.corpus_pairs: labelled_complaints.csv and
corpus/train_*.csv), never on corpus/eval_*.csv. Measured on corpus/eval_hand.csv (clear texts),
corpus/eval_ambiguous.csv (texts a person would hesitate over) and, as a second figure, the old
held-out set labelled_complaints_holdout.csv. No database: the rules are the default ones of the
intake migrations, evaluated by intake.rules as intake does.
"""

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from intake import classifier, decide, rules  # noqa: E402

from classification_lexicon import LEXICON, NARROWED  # noqa: E402

CANDIDATES = {
    "before: jieba words + chars 1–2, LR C = 20": {"C": 20.0, "char_ngrams": (1, 2),
                                                    "calibrated": None},
    "chars 1–3 only, LR C = 100": {"words": False, "char_ngrams": (1, 3),
                                   "max_features": 80_000},
    "words + chars 1–3, LR C = 20": {"C": 20.0, "char_ngrams": (1, 3), "max_features": 80_000},
    "words + chars 1–2, LR C = 100": {},
    "words + chars 1–2, LR C = 100, calibrated (sigmoid, 3 folds)": {"calibrated": "sigmoid"},
}


def top(code: str | None) -> str | None:
    return code.split("-")[0] if code else None


def rule_specs(module: str | None) -> list[rules.RuleSpec]:
    """The default category rules of intake migration `module` (None: the narrowed ones), as
    the evaluator sees them."""
    rows = NARROWED if module is None else \
        importlib.import_module(f"intake.migrations.{module}").CATEGORY_RULES
    return [rules.RuleSpec(id=i, name=name, position=i * 10,
                           keywords=rules.parse_keywords(keywords.replace(",", "\n")),
                           set_category=code)
            for i, (name, keywords, code) in enumerate(rows, start=1) if keywords]


def rule_category(specs, text: str):
    facts = rules.ComplaintFacts(text=text, channel="phone", customer_tier="ordinary",
                                 received_at=None)
    evaluation = rules.evaluate(specs, facts)
    return evaluation.category


def lexicon_predict(text: str) -> str | None:
    normalized = rules.normalize(text)
    scores = Counter()
    for code, words in LEXICON.items():
        for word in words.split(","):
            if rules.normalize(word) in normalized:
                scores[code] += 1
    return scores.most_common(1)[0][0] if scores else None


def accuracy(predicted, truth) -> tuple[float, float]:
    n = len(truth) or 1
    exact = sum(p == t for p, t in zip(predicted, truth, strict=True)) / n
    top_level = sum(top(p) == top(t) for p, t in zip(predicted, truth, strict=True)) / n
    return exact, top_level


def pct(x: float) -> str:
    return f"{x * 100:.1f} %"


def predictions(pipeline, texts):
    if not texts:
        return []
    probabilities = pipeline.predict_proba(list(texts))
    classes = list(pipeline.classes_)
    return [[classifier.Suggestion(classes[i], float(row[i]))
             for i in sorted(range(len(classes)), key=lambda i: row[i], reverse=True)[:3]]
            for row in probabilities]


MIN_CHARS = 0  # INTAKE_SUGGESTION_MIN_TEXT_CHARS, set in main()


def chars(text: str) -> int:
    return len(rules.normalize(text))


def decided(suggestions, threshold, texts):
    """The classifier's category when no rule set one (intake.decide), else None."""
    return [decide.pick_category(None, [(x.code, x.confidence) for x in s], threshold=threshold,
                                 text_chars=chars(t), min_chars=MIN_CHARS)[0]
            for s, t in zip(suggestions, texts, strict=True)]


def time_per_text(pipeline, texts, n=200) -> float:
    for text in texts[:5]:  # warm: jieba loaded
        classifier.suggest(pipeline, text)
    sample = (texts * (n // max(len(texts), 1) + 1))[:n]
    started = time.perf_counter()
    for text in sample:
        classifier.suggest(pipeline, text)
    return (time.perf_counter() - started) / len(sample) * 1000


def compare(train, sets, threshold):
    hand, ambiguous, holdout = sets
    print("## Candidates\n")
    print(f"Threshold for filling in a category: {threshold:.2f}.\n")
    print("| candidate | exact (eval) | top level (eval) | top-3 (eval) | no category: clear "
          "| no category: ambiguous | old held-out | train | size | per complaint |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    truth = [c for _t, c in hand]
    for name, specs in (("default keyword rules (migration 0002)", rule_specs(
            "0002_default_rules")), ("telecom synonym lexicon", None)):
        def predict(text, specs=specs):
            return rule_category(specs, text) if specs else lexicon_predict(text)
        got = [predict(t) for t, _c in hand]
        exact, top_level = accuracy(got, truth)
        none_hand = sum(g is None for g in got) / len(got)
        none_amb = sum(predict(t) is None for t, _c in ambiguous) / (len(ambiguous) or 1)
        old = accuracy([predict(t) for t, _c in holdout], [c for _t, c in holdout])[0]
        print(f"| {name} | {pct(exact)} | {pct(top_level)} | – | {pct(none_hand)} | "
              f"{pct(none_amb)} | {pct(old)} | – | – | – |", flush=True)
    for name, params in CANDIDATES.items():
        started = time.monotonic()
        pipeline = classifier.train([t for t, _c in train], [c for _t, c in train],
                                    params=params)
        trained = time.monotonic() - started
        print(row(name, pipeline, sets, threshold, trained), flush=True)


def row(name, pipeline, sets, threshold, trained):
    hand, ambiguous, holdout = sets
    truth = [c for _t, c in hand]
    sugg = predictions(pipeline, [t for t, _c in hand])
    exact, top_level = accuracy([s[0].code for s in sugg], truth)
    top3 = sum(c in {x.code for x in s} for s, c in zip(sugg, truth, strict=True)) / len(truth)
    none_hand = sum(d is None for d in decided(sugg, threshold, [t for t, _c in hand])) \
        / len(truth)
    amb = predictions(pipeline, [t for t, _c in ambiguous])
    none_amb = sum(d is None for d in decided(amb, threshold, [t for t, _c in ambiguous])) \
        / (len(amb) or 1)
    old = classifier.evaluate(pipeline, [t for t, _c in holdout], [c for _t, c in holdout])
    size = len(classifier.dump(pipeline)) / 1e6
    ms = time_per_text(pipeline, [t for t, _c in hand])
    return (f"| {name} | {pct(exact)} | {pct(top_level)} | {pct(top3)} | {pct(none_hand)} | "
            f"{pct(none_amb)} | {pct(old.accuracy)} | {trained:.0f} s | {size:.1f} MB | "
            f"{ms:.1f} ms |")


def thresholds(pipeline, hand, ambiguous):
    print("\n## Threshold (winner)\n")
    print(f"Texts under {MIN_CHARS} characters are left to agents at every threshold.\n")
    print("| threshold | no category: clear | exact among filled-in (clear) "
          "| no category: ambiguous |")
    print("|---:|---:|---:|---:|")
    sugg = predictions(pipeline, [t for t, _c in hand])
    amb = predictions(pipeline, [t for t, _c in ambiguous])
    truth = [c for _t, c in hand]
    for threshold in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6):
        got = decided(sugg, threshold, [t for t, _c in hand])
        filled = [(g, c) for g, c in zip(got, truth, strict=True) if g is not None]
        right = sum(g == c for g, c in filled) / (len(filled) or 1)
        none_amb = sum(d is None for d in decided(amb, threshold, [t for t, _c in ambiguous])) \
            / (len(amb) or 1)
        print(f"| {threshold:.2f} | {pct(got.count(None) / len(got))} | {pct(right)} | "
              f"{pct(none_amb)} |")


def end_to_end(pipeline, hand, ambiguous, threshold, override):
    """The category a complaint created without one gets: rules, then the classifier
    (intake.decide.pick_category, as intake/services.py)."""
    print("\n## End to end (rules, then the classifier)\n")
    print(f"Classifier fills in at ≥ {threshold:.2f}; “beats a rule at” is the confidence from "
          f"which it wins over a keyword rule's category (setting: {override}).\n")
    print("| rules | classifier beats a rule at | exact (eval) | top level (eval) "
          "| no category: clear | no category: ambiguous | decided by a rule (clear) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    sugg = predictions(pipeline, [t for t, _c in hand])
    amb = predictions(pipeline, [t for t, _c in ambiguous])
    truth = [c for _t, c in hand]
    variants = [("none", []), ("default (0002)", rule_specs("0002_default_rules")),
                ("narrowed (bench only)", rule_specs(None))]
    for rules_name, specs in variants:
        levels = sorted({0.2, 0.3, 0.5, override} - {None}) if specs else []
        for at in [None] + levels:
            results = []
            for (text, _c), s in zip(hand, sugg, strict=True):
                results.append(decide.pick_category(
                    rule_category(specs, text), [(x.code, x.confidence) for x in s],
                    threshold=threshold, override_rule_at=at, text_chars=chars(text),
                    min_chars=MIN_CHARS))
            got = [r[0] for r in results]
            by_rule = sum(r[1] == "rule" for r in results) / len(results)
            amb_got = [decide.pick_category(rule_category(specs, t),
                                            [(x.code, x.confidence) for x in s],
                                            threshold=threshold, override_rule_at=at,
                                            text_chars=chars(t), min_chars=MIN_CHARS)[0]
                       for (t, _c), s in zip(ambiguous, amb, strict=True)]
            exact, top_level = accuracy(got, truth)
            print(f"| {rules_name} | {'never' if at is None else f'{at:.2f}'} | {pct(exact)} | "
                  f"{pct(top_level)} | {pct(got.count(None) / len(got))} | "
                  f"{pct(amb_got.count(None) / (len(amb_got) or 1))} | {pct(by_rule)} |",
                  flush=True)


def confusion(pipeline, hand):
    print("\n## Per category (winner, eval set)\n")
    truth = [c for _t, c in hand]
    got = [s[0].code for s in predictions(pipeline, [t for t, _c in hand])]
    print("| category | texts | right | recall | precision | mistaken for |")
    print("|---|---:|---:|---:|---:|---|")
    for code in sorted(set(truth)):
        n = truth.count(code)
        right = sum(g == t == code for g, t in zip(got, truth, strict=True))
        predicted = got.count(code)
        wrong = Counter(g for g, t in zip(got, truth, strict=True) if t == code and g != code)
        print(f"| {code} | {n} | {right} | {pct(right / n)} | "
              f"{pct(right / predicted) if predicted else '–'} | "
              f"{', '.join(f'{c} ×{k}' for c, k in wrong.most_common())} |")
    tops = sorted({top(c) for c in truth} | {top(c) for c in got})
    print("\nConfusion matrix, top level (rows: right category, columns: predicted):\n")
    print("| | " + " | ".join(tops) + " |")
    print("|---|" + "---:|" * len(tops))
    pairs = Counter((top(t), top(g)) for g, t in zip(got, truth, strict=True))
    for t in tops:
        print(f"| **{t}** | " + " | ".join(str(pairs[(t, g)] or "·") for g in tops) + " |")


def main() -> int:
    from django.conf import settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-candidates", action="store_true")
    parser.add_argument("--threshold", type=float, help="instead of the setting")
    args = parser.parse_args()
    global MIN_CHARS
    MIN_CHARS = settings.INTAKE_SUGGESTION_MIN_TEXT_CHARS
    threshold = args.threshold or settings.INTAKE_SUGGESTION_MIN_CONFIDENCE
    override = settings.INTAKE_CLASSIFIER_OVER_RULE_CONFIDENCE
    train = classifier.corpus_pairs()
    hand = classifier.read_eval(classifier.EVAL_HAND)
    ambiguous = classifier.read_eval(classifier.EVAL_AMBIGUOUS)
    holdout = classifier.read_labelled(classifier.HOLDOUT_SET)
    if not hand:
        print("(no eval_hand.csv: measuring on the old held-out set)")
        hand = holdout
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; training {len(train)} texts, "
          f"{len({c for _t, c in train})} categories; eval: {len(hand)} clear, "
          f"{len(ambiguous)} ambiguous; old held-out {len(holdout)}; "
          f"per-category training texts: median "
          f"{statistics.median(Counter(c for _t, c in train).values()):.0f}.\n")
    sets = (hand, ambiguous, holdout)
    if not args.skip_candidates:
        compare(train, sets, threshold)
    started = time.monotonic()
    pipeline = classifier.train([t for t, _c in train], [c for _t, c in train])
    trained = time.monotonic() - started
    print(f"\nWinner ({classifier.PARAMS}):\n")
    print("| candidate | exact (eval) | top level (eval) | top-3 (eval) | no category: clear "
          "| no category: ambiguous | old held-out | train | size | per complaint |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(row("winner", pipeline, sets, threshold, trained))
    thresholds(pipeline, hand, ambiguous)
    end_to_end(pipeline, hand, ambiguous, threshold, override)
    confusion(pipeline, hand)
    return 0


if __name__ == "__main__":
    sys.exit(main())
