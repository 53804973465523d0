from django.core.management.base import BaseCommand, CommandError

from kernel.errors import InvalidInput
from sla.calendar_services import calendar_load_official


class Command(BaseCommand):
    help = ("Load China's official days off and make-up working days (调休) from the installed "
            "chinesecalendar package into the calendar table. Days an admin entered are kept. "
            "Without --year: every year the package knows.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years", metavar="YEAR",
                            help="a year to load; repeat for several")

    def handle(self, *args, years, **options):
        try:
            result = calendar_load_official(years=years)
        except InvalidInput as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Source: {result['source']}")
        for year, c in result["years"].items():
            self.stdout.write(
                f"{year}: {c['holidays']} days off, {c['workdays']} make-up working days "
                f"(added {c['created']}, updated {c['updated']}, unchanged {c['unchanged']}, "
                f"removed {c['removed']}, kept {c['kept_admin']} entered by hand)")
