"""`manage.py seed_demo`: realistic Chinese demo data (departments, staff, customers, complaints).

Departments and staff are upserted by code and username, so running it again changes nothing
there. Complaints are added on every run (unless --if-empty). Up to --bulk-threshold complaints go
through the real services one by one, so each has the timeline a user would have produced (notes,
dispatch tasks, merges); above it, they are made into messages and sent through the intake
pipeline in batches (demo/pipeline_seed.py): classified, with their clocks, timelines and report
figures as real complaints, older ones as history with their outcome.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from complaints.lifecycle import Status
from demo.common import Stats
from demo.organisation import seed_organisation
from demo.people import DEMO_PASSWORD, STAFF
from demo.services import complaints_exist, complaints_seed

DEFAULT_COMPLAINTS = 200
DEFAULT_SEED = 2026
DEFAULT_BULK_THRESHOLD = 2000
DEFAULT_BATCH_SIZE = 1000


class Command(BaseCommand):
    help = ("Load realistic demo data in Chinese: departments, staff, customers and complaints "
            "in every status and channel. Staff log in with the password "
            f"'{DEMO_PASSWORD}'.")

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=DEFAULT_COMPLAINTS,
                            help=f"How many complaints to add (default {DEFAULT_COMPLAINTS}; "
                                 "up to 1,000,000 and more through the intake pipeline).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=f"Random seed; the same seed gives the same data "
                                 f"(default {DEFAULT_SEED}).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing if any complaint exists (for `make run`).")
        parser.add_argument("--bulk-threshold", type=int, default=DEFAULT_BULK_THRESHOLD,
                            help="Above this many complaints, send them through the intake "
                                 "pipeline in batches instead of one by one through the "
                                 f"services (default {DEFAULT_BULK_THRESHOLD}).")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                            help=f"Complaints per pipeline batch and transaction "
                                 f"(default {DEFAULT_BATCH_SIZE}).")

    def handle(self, *args, complaints, seed, if_empty, bulk_threshold, batch_size, **options):
        if complaints < 0 or batch_size < 50:
            raise CommandError("--complaints must be >= 0 and --batch-size >= 50.")
        if if_empty and complaints_exist():
            self.stdout.write("Complaints already exist; --if-empty given, so nothing was added.")
            return
        started = time.monotonic()
        org = seed_organisation()
        self.stdout.write(f"Organisation: {len(org.departments)} departments, "
                          f"{len(org.users)} staff accounts.")
        # Category → department routes for the demo organisation (kept if already edited).
        call_command("seed_routing", if_empty=True, stdout=self.stdout)
        stats = complaints_seed(org=org, complaints=complaints, seed=seed,
                                bulk_threshold=bulk_threshold, batch_size=batch_size,
                                progress=self._progress)
        self._summary(stats, time.monotonic() - started)

    def _progress(self, done: int, total: int, elapsed: float) -> None:
        self.stdout.write(f"  {done:>9,} / {total:,} complaints  "
                          f"({done / max(elapsed, 1e-9):,.0f}/s, {elapsed:.1f} s)")

    def _summary(self, stats: Stats, elapsed: float) -> None:
        rows = stats.complaints + stats.activities + stats.customers
        self.stdout.write(self.style.SUCCESS(
            f"Added {stats.complaints:,} complaints ({stats.method}) in {elapsed:.1f} s: "
            f"{stats.complaints / max(elapsed, 1e-9):,.0f} complaints/s, "
            f"{rows / max(elapsed, 1e-9):,.0f} rows/s."))
        self.stdout.write(f"  new customers: {stats.customers:,}; "
                          f"timeline entries: {stats.activities:,}")
        by_status = ", ".join(f"{s.value} {stats.by_status[s]:,}" for s in Status
                              if stats.by_status[s])
        self.stdout.write(f"  by status: {by_status or '-'}")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for member in STAFF:
            self.stdout.write(f"  {member.username:<11} {member.role:<14} {member.first_name}")
