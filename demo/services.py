"""Seeding demo complaints: a `Planner` for the seed, then through the services one by one
(small data sets: every step replayed, notes and dispatch tasks included) or through the intake
pipeline in batches (large ones, demo/pipeline_seed.py)."""

from django.utils import timezone

from complaints.models import Complaint
from demo.common import Stats
from demo.organisation import Organisation
from demo.pipeline_seed import PipelineSeeder
from demo.plans import Planner
from demo.replay import ServiceSeeder


def complaints_exist() -> bool:
    return Complaint.objects.exists()


def complaints_seed(*, org: Organisation, complaints: int, seed: int, bulk_threshold: int,
                    batch_size: int, progress) -> Stats:
    """Add `complaints` demo complaints; `progress(done, total, elapsed)` follows bulk batches."""
    # Salted with the current count so a second run adds different complaints, while a
    # fresh database always gets the same data for a seed.
    existing = Complaint.objects.count()
    planner = Planner(seed=seed, now=timezone.now(), tz=timezone.get_current_timezone(),
                      salt=str(existing))
    if complaints <= bulk_threshold:
        return ServiceSeeder(planner, org).run(complaints)
    return PipelineSeeder(planner, org, progress, batch_size, first=existing).run(complaints)
