"""`manage.py reports_rebuild`: every report fact and daily figure from scratch."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from reports.aggregates import daily_rebuild_all, rebuild_all


class Command(BaseCommand):
    help = _("Rebuild the report figures (per complaint and per day) from the complaints.")

    def add_arguments(self, parser):
        parser.add_argument("--daily-only", action="store_true",
                            help=_("Only the daily figures, from the per-complaint figures as "
                                   "they are (after a migration added a daily counter)."))

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["daily_only"]:
            facts, figures = 0, daily_rebuild_all()
        else:
            facts, figures = rebuild_all(
                stdout=self.stdout if options["verbosity"] > 1 else None)
        self.stdout.write(_("Rebuilt %(facts)s complaint figures and %(figures)s daily rows in "
                            "%(seconds).1f s.") % {"facts": f"{facts:,}", "figures": f"{figures:,}",
                                                   "seconds": time.monotonic() - started})
