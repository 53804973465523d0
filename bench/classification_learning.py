#!/usr/bin/env python3
"""Learning from agents, measured through the product: the evaluation set's categories are
replayed as agents' corrections, in batches, and the classifier is retrained after each batch.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cls_learning \\
        .venv/bin/python bench/classification_learning.py            # 5 folds, shipped settings
    ... --confirmed-weight 3 --memory-weight 0                       # another setting

The evaluation set written by another hand (intake/data/corpus/eval_hand.csv, never in the
shipped corpus) is cut into k folds, each holding every category alike. One replay takes the
folds in turn: for each text of the batch a complaint is created without a category
(complaints.services.complaint_create), an agent sets its category
(intake.services.classification_override, the service behind the complaint page's form and the
suggestion buttons), then the product's retrain runs (intake.services.classifier_train, which
reads agents' categories through intake.selectors.training_pairs). After each retrain the new
model is measured on the folds not yet replayed (texts nobody corrected) and on the folds
replayed (the same texts coming again). The k replays start at each fold in turn (rotation),
and the counts are pooled: at every step each fold is measured equally often, so the columns
compare across steps.

Scratch database: Django's test database for DATABASE_URL (test_<name>), created, migrated and
dropped again; each replay runs in a transaction rolled back at its end. Nothing is sent (the
after-commit work of the services never runs). Prints Markdown for docs/classification.md.
"""

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group, Permission  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from complaints import services as complaint_services  # noqa: E402
from intake import classifier, services  # noqa: E402


def top(code):
    return code.split("-")[0] if code else None


def folds_of(pairs, k):
    """k folds, each with every category's texts dealt in turn (file order)."""
    by_code = defaultdict(list)
    for pair in pairs:
        by_code[pair[1]].append(pair)
    folds = [[] for _ in range(k)]
    for code in sorted(by_code):
        for i, pair in enumerate(by_code[code]):
            folds[i % k].append(pair)
    return folds


class Tally:
    def __init__(self):
        self.n = self.exact = self.top_level = 0

    def add(self, pipeline, pairs):
        if not pairs:
            return
        got = pipeline.predict([t for t, _c in pairs])
        for g, (_t, c) in zip(got, pairs, strict=True):
            self.n += 1
            self.exact += g == c
            self.top_level += top(g) == top(c)

    def cell(self, what):
        return f"{getattr(self, what) / self.n * 100:.1f} %" if self.n else "–"


def agent():
    from kernel.roles import ensure_roles

    ensure_roles()
    user, _created = get_user_model().objects.get_or_create(
        username="bench_learning_agent", defaults={"first_name": "李"})
    user.groups.add(Group.objects.get(name="agent"))
    user.user_permissions.add(Permission.objects.get(
        content_type__app_label="complaints", codename="view_all_departments"))
    return get_user_model().objects.get(pk=user.pk)  # permissions cache cleared


def replay_batch(batch, actor, counter):
    """Each text comes in as a complaint without a category; an agent sets the right one."""
    for text, code in batch:
        counter[0] += 1
        customer = complaint_services.customer_get_or_create(
            phone=f"139{counter[0]:08d}", name="测试客户")
        complaint = complaint_services.complaint_create(
            customer=customer, channel="phone", subject="", description=text,
            received_at=timezone.now(), actor=actor)
        services.classification_override(
            complaint_id=complaint.id, actor=actor, expected_version=complaint.version,
            category=code, reason="坐席改类（回放评估集）")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--rotations", type=int, help="replays (default: as many as folds)")
    parser.add_argument("--confirmed-weight", type=float,
                        help="instead of INTAKE_CONFIRMED_WEIGHT")
    parser.add_argument("--memory-weight", type=float, help="instead of INTAKE_MEMORY_WEIGHT "
                                                            "(0: no memory)")
    parser.add_argument("--memory-similarity", type=float,
                        help="instead of INTAKE_MEMORY_MIN_SIMILARITY")
    args = parser.parse_args()
    if args.confirmed_weight is not None:
        settings.INTAKE_CONFIRMED_WEIGHT = args.confirmed_weight
    if args.memory_weight is not None:
        settings.INTAKE_MEMORY_WEIGHT = args.memory_weight
    if args.memory_similarity is not None:
        settings.INTAKE_MEMORY_MIN_SIMILARITY = args.memory_similarity
    k = args.folds
    rotations = args.rotations or k
    hand = classifier.read_eval(classifier.EVAL_HAND)
    folds = folds_of(hand, k)

    started = time.monotonic()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        unseen = [Tally() for _ in range(k)]
        before = [Tally() for _ in range(k)]  # the corpus-only model on the same texts
        again = [Tally() for _ in range(k)]
        baseline = None
        counter = [0]
        for rotation in range(rotations):
            order = [(rotation + j) % k for j in range(k)]
            with transaction.atomic():
                actor = agent()
                for step in range(k):
                    # step s: s folds replayed; the model measured is the one retrained after.
                    if step == 0:
                        if baseline is None:  # the corpus alone: the same in every replay
                            baseline = classifier.load(services.classifier_train(
                                force=True).model.artifact)
                        pipeline = baseline
                    else:
                        replay_batch(folds[order[step - 1]], actor, counter)
                        result = services.classifier_train()
                        assert not result.skipped and result.confirmed == sum(
                            len(folds[f]) for f in order[:step])
                        pipeline = classifier.load(result.model.artifact)
                    unseen[step].add(pipeline, [p for f in order[step:] for p in folds[f]])
                    before[step].add(baseline, [p for f in order[step:] for p in folds[f]])
                    again[step].add(pipeline, [p for f in order[:step] for p in folds[f]])
                    print(f"  rotation {rotation + 1}/{rotations}, step {step}: "
                          f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
                transaction.set_rollback(True)
    finally:
        teardown_databases(old_config, verbosity=0)

    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}; {len(hand)} evaluation texts in {k} folds, {rotations} "
          f"replays; INTAKE_CONFIRMED_WEIGHT = {settings.INTAKE_CONFIRMED_WEIGHT:g}, "
          f"INTAKE_MEMORY_WEIGHT = {settings.INTAKE_MEMORY_WEIGHT:g}, "
          f"INTAKE_MEMORY_MIN_SIMILARITY = {settings.INTAKE_MEMORY_MIN_SIMILARITY}; "
          f"{time.monotonic() - started:.0f} s.\n")
    print("| retrain | corrections so far | exact: not yet replayed | top level: not yet "
          "replayed | same texts, before any correction | texts measured "
          "| exact: replayed texts again |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for step in range(k):
        print(f"| {step} | {sum(len(f) for f in folds[:step])} | {unseen[step].cell('exact')} | "
              f"{unseen[step].cell('top_level')} | {before[step].cell('exact')} | "
              f"{unseen[step].n} | {again[step].cell('exact')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
