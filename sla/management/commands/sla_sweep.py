import json

from django.conf import settings
from django.core.management.base import BaseCommand

from sla.sweep import sla_sweep


class Command(BaseCommand):
    help = "Run one SLA sweep now (what the beat task runs every minute): warnings, breaches, escalations."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=settings.SLA_SWEEP_BATCH)

    def handle(self, *args, batch_size, **options):
        result = sla_sweep(batch_size=batch_size)
        self.stdout.write(json.dumps(result.as_dict()))
