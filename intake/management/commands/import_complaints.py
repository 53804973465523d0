"""Import an operator's complaint history: `manage.py import_complaints FILE` (README, "Importing
complaint history"). The work is intake/importing.py; this command reads the options, shows
the progress bar on stderr, writes the per-row report and sets the exit status:

0  every row imported (or, with --dry-run, valid), or imported before
1  some rows were refused; each is in the report with its line number and reason
2  the file itself cannot be imported (missing, unknown format, unreadable, required columns
   missing): nothing was imported
"""

import csv

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from intake.importing import ERROR, HistoryFileError, import_file
from kernel.display import formula_safe

REPORT_HEADER = ["line", "external_id", "outcome", "reference", "message"]


class Command(BaseCommand):
    help = ("Import complaint history from a CSV, XLSX or JSON Lines file; each row is "
            "stored once, with its lifecycle and deadlines as they happened.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV, .xlsx or .jsonl file")
        parser.add_argument("--format", choices=["csv", "xlsx", "jsonl"], default="",
                            help="the file's format, when its name does not say it")
        parser.add_argument("--batch-size", type=int, default=1000,
                            help="rows read and stored per batch (default 1000)")
        parser.add_argument("--dry-run", action="store_true",
                            help="read and check every row, report, store nothing")
        parser.add_argument("--report", metavar="PATH",
                            help="write a CSV report: one line per row with its outcome")
        parser.add_argument("--actor", metavar="USERNAME", default="",
                            help="the user the import is recorded as (default: the system)")
        parser.add_argument("--no-progress", action="store_true",
                            help="no progress bar on stderr")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=2)
        actor = self._actor(options["actor"])
        report = _Report(options["report"]) if options["report"] else None
        bar = None

        def on_total(total):
            nonlocal bar
            bar = tqdm(total=total, unit="row", disable=options["no_progress"],
                       file=self.stderr._out, dynamic_ncols=True, mininterval=0.5)

        def on_row(outcome):
            bar.update(1)
            if report is not None:
                report.write(outcome)
            if outcome.outcome == ERROR and options["verbosity"] >= 2:
                self.stderr.write(f"line {outcome.line}: {outcome.message}")

        try:
            summary = import_file(options["file"], format=options["format"],
                                  batch_size=options["batch_size"],
                                  dry_run=options["dry_run"], actor=actor, on_row=on_row,
                                  on_total=on_total)
        except HistoryFileError as error:
            raise CommandError(f"{options['file']}: {error}", returncode=2) from error
        finally:
            if bar is not None:
                bar.close()
            if report is not None:
                report.close()
        counts = summary.counts
        if summary.dry_run:
            line = (f"Dry run, nothing stored: {summary.rows} rows, {counts['valid']} valid, "
                    f"{counts['duplicate']} imported before, {counts['error']} refused.")
        else:
            line = (f"{summary.rows} rows: {counts['created']} created, {counts['duplicate']} "
                    f"imported before, {counts['error']} refused.")
            if summary.analysed:
                line += f" Analysed {len(summary.analysed)} tables."
        self.stdout.write(line)
        if summary.exit_code:
            where = f" (see {options['report']})" if report is not None else \
                " (rerun with --report PATH or -v 2 for each row's reason)"
            raise CommandError(f"{counts['error']} rows were refused{where}.",
                               returncode=summary.exit_code)

    def _actor(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.", returncode=2)
        return user


class _Report:
    def __init__(self, path):
        try:
            self.handle = open(path, "w", encoding="utf-8-sig", newline="")  # Excel reads it
        except OSError as error:
            raise CommandError(f"Cannot write the report {path}: {error}",
                               returncode=2) from error
        self.writer = csv.writer(self.handle)
        self.writer.writerow(REPORT_HEADER)

    def write(self, outcome):
        self.writer.writerow([outcome.line, formula_safe(outcome.external_id), outcome.outcome,
                              outcome.reference, formula_safe(outcome.message)])

    def close(self):
        self.handle.close()
