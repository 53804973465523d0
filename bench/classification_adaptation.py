#!/usr/bin/env python3
"""Ways to learn more from agents' corrections, measured on texts nobody corrected. Prints
Markdown for docs/classification.md (“Learning from agents”, “Tried to make it rise”).

    .venv/bin/python bench/classification_adaptation.py                # after 4 of 5 folds
    .venv/bin/python bench/classification_adaptation.py --steps 1,2,3,4

The evaluation set written by another hand (intake/data/corpus/eval_hand.csv) is cut into 5
folds as in bench/classification_learning.py. After `step` folds have been corrected by agents,
each candidate learns from the shipped corpus plus those folds' texts with their categories
and is measured on the folds not yet corrected; the 5 rotations are pooled (each fold measured
equally often). No database: the candidates are built from intake.classifier's parts directly
(the shipped retrain, classifier.train plus classifier.remember with the settings' memory, is
what bench/classification_learning.py measures through the product).

Candidates (the brief of issue 17's last point):
- corpus only: no correction learned (the figure to beat);
- shipped: corpus + agents' texts, weight 1, with the memory;
- (a) blend: the shipped model's probabilities mixed with a second logistic regression trained
  only on agents' texts (C = 10), weight n / (n + 20) for n agents' texts per category;
  agents' texts alone: that second model by itself;
- (b) clause augmentation: every clause (split at punctuation, 4 characters or more) of an
  agents' text joins the training data with the agents' category, weight 0.5;
- (c) feature augmentation (Daumé's “frustratingly easy” domain adaptation): agents' texts get
  their features copied into a second block, shared + agents' domain; new texts are predicted
  as agents' domain;
- (d) per-category bias: 43 offsets added to the log-probabilities, fitted (L2 0.01) so that the
  corpus-only model's predictions of the agents' texts (made before they were trained on, as at
  intake) match the agents' categories; added to the corpus-only and to the shipped model.
The evaluation set must not be tuned on over and over: each candidate was run with the one
setting given here, chosen before it was measured.
"""

import argparse
import functools
import os
import platform
import re
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

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from django.conf import settings  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from scipy.special import log_softmax  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from intake import classifier  # noqa: E402

from classification_learning import folds_of  # noqa: E402

# jieba's words of a text, computed once per text across the many fits (bench only).
classifier.words = functools.lru_cache(maxsize=None)(classifier.words)

CLAUSE = re.compile(r"[，。,.！!？?；;、\s]+")
NAMES = {
    "corpus": "corpus only (no correction learned)",
    "shipped": "shipped: corpus + agents' texts, weight 1, memory",
    "blend": "(a) blend with a model of agents' texts only",
    "agents": "(a) agents' texts only (3 per category per fold)",
    "clauses": "(b) agents' texts' clauses added, weight 0.5",
    "easy": "(c) feature augmentation, shared + agents' block",
    "corpus+bias": "(d) corpus only + per-category bias from agents' texts",
    "shipped+bias": "(d) shipped + per-category bias from agents' texts",
}


def logistic(C=None):
    return LogisticRegression(C=C or classifier.PARAMS["C"], max_iter=5000,
                              class_weight="balanced")


def fitted(pairs):
    """The shipped feature union fitted on `pairs`, their features and codes."""
    union = classifier.build_pipeline().named_steps["features"]
    features = union.fit_transform([t for t, _c in pairs])
    return union, features, np.array([c for _t, c in pairs])


def fit_bias(logp, answers, penalty=0.01):
    """Offsets b maximising the mean log-likelihood of `answers` under softmax(logp + b)."""
    n, k = logp.shape
    truth = np.zeros_like(logp)
    truth[np.arange(n), answers] = 1

    def loss(b):
        z = log_softmax(logp + b, axis=1)
        return (-(truth * z).sum() / n + penalty * b @ b,
                -(truth - np.exp(z)).sum(0) / n + 2 * penalty * b)

    return minimize(loss, np.zeros(k), jac=True, method="L-BFGS-B").x


def log_proba(probabilities):
    return np.log(np.clip(probabilities, 1e-12, 1))


def aligned(model, classes, features):
    """`model`'s probabilities in the column order of `classes` (0 for a class it lacks)."""
    out = np.zeros((features.shape[0], len(classes)))
    out[:, [list(classes).index(c) for c in model.classes_]] = model.predict_proba(features)
    return out


def step_predictions(corpus, agents, texts, base):
    """Each candidate's predicted codes for `texts` after learning from `agents`' pairs."""
    union0, model0, classes = base
    pairs = dict(corpus)
    pairs.update(dict(agents))
    pairs = list(pairs.items())
    union, features, codes = fitted(pairs)
    agent_texts = {t for t, _c in agents}
    theirs = np.array([t in agent_texts for t, _c in pairs])
    new = union.transform(texts)
    shipped = classifier.remember(classifier.train(
        [t for t, _c in pairs], codes), agents, **{
        "min_similarity": settings.INTAKE_MEMORY_MIN_SIMILARITY,
        "weight": settings.INTAKE_MEMORY_WEIGHT})
    p_shipped = shipped.predict_proba(texts)
    assert list(shipped.classes_) == list(classes)
    small = logistic(10.0).fit(features[theirs], codes[theirs])
    p_small = aligned(small, classes, new)
    per_category = len(agents) / len(classes)
    share = per_category / (per_category + 20)
    easy = logistic().fit(sp.hstack([features, sp.diags(theirs.astype(float)) @ features])
                          .tocsr(), codes)
    clauses = {}
    for text, code in agents:
        parts = [p for p in CLAUSE.split(text) if len(p) >= 4]
        for part in parts if len(parts) > 1 else ():
            clauses.setdefault(part, code)
    augmented = pairs + [(t, c) for t, c in clauses.items() if t not in dict(pairs)]
    with_clauses = classifier.train(
        [t for t, _c in augmented], [c for _t, c in augmented],
        [1.0] * len(pairs) + [0.5] * (len(augmented) - len(pairs)))
    bias = fit_bias(log_proba(model0.predict_proba(union0.transform([t for t, _c in agents]))),
                    np.array([list(classes).index(c) for _t, c in agents]))
    p_corpus = model0.predict_proba(union0.transform(texts))
    scores = {
        "corpus": p_corpus,
        "shipped": p_shipped,
        "blend": (1 - share) * p_shipped + share * p_small,
        "agents": p_small,
        "clauses": with_clauses.predict_proba(texts),
        "easy": easy.predict_proba(sp.hstack([new, new]).tocsr()),
        "corpus+bias": log_proba(p_corpus) + bias,
        "shipped+bias": log_proba(p_shipped) + bias,
    }
    return {name: classes[s.argmax(axis=1)] for name, s in scores.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="4", help="folds corrected before measuring, "
                                                     "comma-separated (1–4)")
    parser.add_argument("--rotations", type=int, default=5)
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    k = 5
    started = time.monotonic()
    corpus = classifier.corpus_pairs()
    folds = folds_of(classifier.read_eval(classifier.EVAL_HAND), k)
    union0, features0, codes0 = fitted(corpus)
    model0 = logistic().fit(features0, codes0)
    base = (union0, model0, model0.classes_)
    right = {s: Counter() for s in steps}
    top_right = {s: Counter() for s in steps}
    measured = Counter()
    rescued = Counter()  # agents-only right where the shipped model is wrong, and back
    for rotation in range(args.rotations):
        order = [(rotation + j) % k for j in range(k)]
        for step in steps:
            agents = [p for f in order[:step] for p in folds[f]]
            unseen = [p for f in order[step:] for p in folds[f]]
            truth = np.array([c for _t, c in unseen])
            got = step_predictions(corpus, agents, [t for t, _c in unseen], base)
            measured[step] += len(unseen)
            for name, codes in got.items():
                right[step][name] += int((codes == truth).sum())
                top_right[step][name] += sum(a.split("-")[0] == b.split("-")[0]
                                             for a, b in zip(codes, truth, strict=True))
            ok_shipped, ok_agents = got["shipped"] == truth, got["agents"] == truth
            rescued[(step, "shipped wrong")] += int((~ok_shipped).sum())
            rescued[(step, "agents right there")] += int((ok_agents & ~ok_shipped).sum())
            rescued[(step, "agents wrong where shipped right")] += int(
                (~ok_agents & ok_shipped).sum())
            print(f"  rotation {rotation + 1}/{args.rotations}, step {step}: "
                  f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; {len(corpus)} corpus texts; evaluation set in {k} folds, "
          f"{args.rotations} rotations pooled; memory {settings.INTAKE_MEMORY_WEIGHT:g} from "
          f"{settings.INTAKE_MEMORY_MIN_SIMILARITY}; {time.monotonic() - started:.0f} s.\n")
    print("| candidate | " + " | ".join(
        f"exact after {s} folds ({s * len(folds[0])} corrections)" for s in steps)
        + " | " + " | ".join(f"top level after {s}" for s in steps) + " |")
    print("|---|" + "---:|" * (2 * len(steps)))
    for name, label in NAMES.items():
        cells = [f"{right[s][name] / measured[s] * 100:.1f} %" for s in steps]
        cells += [f"{top_right[s][name] / measured[s] * 100:.1f} %" for s in steps]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print(f"\nTexts measured per step: {', '.join(str(measured[s]) for s in steps)}.")
    for s in steps:
        print(f"After {s} folds: the shipped model wrong on {rescued[(s, 'shipped wrong')]}; "
              f"the agents-only model right on {rescued[(s, 'agents right there')]} of them, "
              f"and wrong on {rescued[(s, 'agents wrong where shipped right')]} the shipped "
              "model got right.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
