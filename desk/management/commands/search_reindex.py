"""`manage.py search_reindex`: bring the desk's derived data back in line with the rows.

The search index itself is an expression index over the complaint's own text (migration 0006),
so PostgreSQL keeps it current on every write; nothing is stored per complaint. This command is
for after a restore or a bulk load that bypassed the services: it recomputes every complaint's
nearest deadline from its clocks, in batches, and with --rebuild recreates the search function
and indexes (REINDEX) and refreshes the planner's statistics.
"""

import importlib
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Max, Min, OuterRef, Subquery

from complaints.models import Complaint
from complaints.services import complaints_set_next_due
from sla.models import Clock
from sla.services import NEXT_DUE_CLOCKS


class Command(BaseCommand):
    help = "Recompute the desk's nearest deadlines; with --rebuild also rebuild the search index."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=20_000)
        parser.add_argument("--rebuild", action="store_true",
                            help="PostgreSQL: recreate the search function and REINDEX its "
                                 "indexes, then ANALYZE.")

    def handle(self, *args, batch_size, rebuild, **options):
        started = time.monotonic()
        bounds = Complaint.objects.aggregate(low=Min("id"), high=Max("id"))
        nearest = (Clock.objects.filter(NEXT_DUE_CLOCKS, complaint=OuterRef("pk"))
                   .values("complaint").annotate(first=Min("due_at")).values("first"))
        done = 0
        if bounds["low"] is not None:
            for low in range(bounds["low"], bounds["high"] + 1, batch_size):
                with transaction.atomic():
                    done += complaints_set_next_due(
                        complaints=Complaint.objects.filter(id__gte=low, id__lt=low + batch_size),
                        nearest=Subquery(nearest))
        self.stdout.write(f"Nearest deadlines recomputed for {done:,} complaints.")
        if rebuild and connection.vendor == "postgresql":
            migration = importlib.import_module("complaints.migrations.0006_search")
            with transaction.atomic(), connection.cursor() as cursor:
                # Deferred foreign-key checks of earlier writes in the same transaction would
                # block CREATE INDEX; run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for sql in migration.SEARCH_SQL:
                    cursor.execute(sql)
                for index in ("complaint_search_grams_idx", "customer_phone_reversed"):
                    cursor.execute(f"REINDEX INDEX {index}")
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE complaints_complaint")
                cursor.execute("ANALYZE complaints_customer")
            self.stdout.write("Search index rebuilt.")
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
