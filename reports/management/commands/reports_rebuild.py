"""`manage.py reports_rebuild`: every report fact and daily figure from scratch."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from reports.aggregates import rebuild_all


class Command(BaseCommand):
    help = _("Rebuild the report figures (per complaint and per day) from the complaints.")

    def handle(self, *args, **options):
        started = time.monotonic()
        facts, figures = rebuild_all(stdout=self.stdout if options["verbosity"] > 1 else None)
        self.stdout.write(_("Rebuilt %(facts)s complaint figures and %(figures)s daily rows in "
                            "%(seconds).1f s.") % {"facts": f"{facts:,}", "figures": f"{figures:,}",
                                                   "seconds": time.monotonic() - started})
