#!/usr/bin/env python3
"""A new operator's learning curve: the shipped retrain from a smaller seed corpus, measured on
texts nobody corrected. Prints Markdown for docs/classification.md (“Learning from agents”,
“From a smaller corpus”).

    .venv/bin/python bench/classification_seed.py                       # first set, 10 and 20
    .venv/bin/python bench/classification_seed.py --base full --rotations 5
    .venv/bin/python bench/classification_seed.py --base per-category:10 --seeds 0,1,2

Bases (what the operator starts from instead of the shipped corpus):
- first-set: the first labelled set only (intake/data/labelled_complaints.csv, 430 texts, 10
  per category, one writer);
- per-category:N: N texts of every category drawn from the shipped corpus (random, --seeds
  pooled: each seed a separate draw);
- full: the shipped corpus (classifier.corpus_pairs(), 2,545 texts).

Folds, rotations and pooling as bench/classification_learning.py and
bench/classification_adaptation.py: the evaluation set written by another hand (never trained on
otherwise) is cut into 5 folds; after `step` folds have been corrected by agents, the model
learns from the base plus those folds' texts with their categories, the shipped way (agents'
texts weighted INTAKE_CONFIRMED_WEIGHT, an agent's category replacing the base's for the same
text, then classifier.remember with the settings' memory), and is measured on the folds not yet
corrected; the rotations start at each fold in turn and their counts are pooled. Step 0 is the
base alone (the same model in every rotation). No database: the model is built from
intake.classifier's parts, as intake.selectors.training_pairs and
intake.services.classifier_train put them together.
"""

import argparse
import functools
import os
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from intake import classifier  # noqa: E402

from classification_learning import folds_of  # noqa: E402

# jieba's words of a text, computed once per text across the many fits (bench only).
classifier.words = functools.lru_cache(maxsize=None)(classifier.words)


def base_pairs(spec: str, seed: int) -> list[tuple[str, str]]:
    """The (text, code) pairs the operator starts from (see the module's docstring)."""
    if spec == "full":
        return classifier.corpus_pairs()
    if spec == "first-set":
        return classifier.corpus_pairs([classifier.LABELLED_SET])
    if spec.startswith("per-category:"):
        n = int(spec.split(":", 1)[1])
        by_code = defaultdict(list)
        for pair in classifier.corpus_pairs():
            by_code[pair[1]].append(pair)
        rng = random.Random(seed)
        return [p for code in sorted(by_code)
                for p in rng.sample(by_code[code], min(n, len(by_code[code])))]
    raise SystemExit(f"unknown base {spec!r}: first-set, per-category:N or full")


def retrained(base, agents):
    """The shipped retrain on `base` plus agents' `agents`: (with the memory, without)."""
    weight = float(settings.INTAKE_CONFIRMED_WEIGHT)
    by_text = {t: (c, 1.0) for t, c in base}
    for text, code in agents:
        by_text.pop(text, None)
        by_text[text] = (code, weight)
    pipeline = classifier.train(list(by_text), [c for c, _w in by_text.values()],
                                [w for _c, w in by_text.values()])
    return classifier.remember(pipeline, agents,
                               min_similarity=settings.INTAKE_MEMORY_MIN_SIMILARITY,
                               weight=settings.INTAKE_MEMORY_WEIGHT), pipeline


def top(code):
    return code.split("-")[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="append",
                        help="first-set, per-category:N or full; repeatable "
                             "(default: first-set, per-category:10, per-category:20)")
    parser.add_argument("--seeds", default="0,1,2",
                        help="draws pooled for per-category:N (comma-separated)")
    parser.add_argument("--steps", default="0,1,2,3,4",
                        help="folds corrected before measuring, comma-separated (0–4)")
    parser.add_argument("--rotations", type=int, default=5)
    args = parser.parse_args()
    bases = args.base or ["first-set", "per-category:10", "per-category:20"]
    steps = [int(s) for s in args.steps.split(",")]
    k = 5
    started = time.monotonic()
    folds = folds_of(classifier.read_eval(classifier.EVAL_HAND), k)
    counts = {b: Counter() for b in bases}  # (step, what) -> count
    sizes = {}
    for spec in bases:
        seeds = [int(s) for s in args.seeds.split(",")] if spec.startswith("per-") else [0]
        for seed in seeds:
            base = base_pairs(spec, seed)
            sizes[spec] = len(base)
            alone = None
            for rotation in range(args.rotations):
                order = [(rotation + j) % k for j in range(k)]
                for step in steps:
                    agents = [p for f in order[:step] for p in folds[f]]
                    unseen = [p for f in order[step:] for p in folds[f]]
                    if step == 0:
                        alone = alone or retrained(base, [])
                        models = alone
                    else:
                        models = retrained(base, agents)
                    texts = [t for t, _c in unseen]
                    for what, model in zip(("shipped", "no memory"), models, strict=True):
                        for got, (_t, code) in zip(model.predict(texts), unseen, strict=True):
                            counts[spec][(step, what, "exact")] += got == code
                            counts[spec][(step, what, "top")] += top(got) == top(code)
                    counts[spec][(step, "n")] += len(unseen)
                    print(f"  {spec} seed {seed}, rotation {rotation + 1}/{args.rotations}, "
                          f"step {step}: {time.monotonic() - started:.0f} s",
                          file=sys.stderr, flush=True)

    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; evaluation set in {k} folds, {args.rotations} rotations "
          f"pooled; per-category seeds {args.seeds}; INTAKE_CONFIRMED_WEIGHT = "
          f"{settings.INTAKE_CONFIRMED_WEIGHT:g}, memory {settings.INTAKE_MEMORY_WEIGHT:g} from "
          f"{settings.INTAKE_MEMORY_MIN_SIMILARITY}; {time.monotonic() - started:.0f} s.\n")
    per_fold = len(folds[0])
    print("| base (texts) | model | " + " | ".join(
        f"after {s} folds ({s * per_fold})" if s else "base alone" for s in steps) + " |")
    print("|---|---|" + "---:|" * len(steps))
    for spec in bases:
        for what, measure, label in (("shipped", "exact", "exact, shipped (memory)"),
                                     ("no memory", "exact", "exact, trained on only"),
                                     ("shipped", "top", "top level, shipped")):
            cells = [f"{counts[spec][(s, what, measure)] / counts[spec][(s, 'n')] * 100:.1f} %"
                     for s in steps]
            print(f"| {spec} ({sizes[spec]}) | {label} | " + " | ".join(cells) + " |")
    print("\nTexts measured per step (all seeds): " + "; ".join(
        f"{spec}: " + ", ".join(str(counts[spec][(s, 'n')]) for s in steps) for spec in bases)
        + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
