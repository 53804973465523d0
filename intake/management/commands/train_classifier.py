"""Train a classifier version and print its accuracy on the held-out labelled set."""

import time

from django.core.management.base import BaseCommand

from intake import services


class Command(BaseCommand):
    help = ("Train the complaint text classifier on the labelled set plus complaints whose "
            "category agents confirmed; print its accuracy on the held-out set.")

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Train even if the training data did not change.")
        parser.add_argument("--labelled-only", action="store_true",
                            help="Ignore confirmed complaints; train on the shipped set only.")

    def handle(self, *args, force=False, labelled_only=False, **options):
        started = time.monotonic()
        result = services.classifier_train(force=force, include_confirmed=not labelled_only)
        elapsed = time.monotonic() - started
        model = result.model
        if result.skipped:
            self.stdout.write(f"Training data unchanged since v{model.version}; nothing trained "
                              f"(use --force to train anyway).")
            self.stdout.write(f"v{model.version}: accuracy {model.accuracy:.1%}, top-3 "
                              f"{model.top3_accuracy:.1%} on {model.holdout_size} held-out texts")
            return
        m = result.metrics
        self.stdout.write(
            f"Trained classifier v{model.version} on {model.training_size} texts "
            f"({result.labelled} labelled, {result.confirmed} confirmed complaints) "
            f"in {elapsed:.1f} s; {len(model.classes)} categories.")
        self.stdout.write(self.style.SUCCESS(
            f"Held-out accuracy: {m.accuracy:.1%} (top-3: {m.top3_accuracy:.1%}) "
            f"on {m.size} texts."))
