"""Read one RFC 822 message from standard input and take it in, for an MTA pipe, e.g. Postfix:

    complaints unix - n n - - pipe
      user=app argv=/app/.venv/bin/python /app/manage.py ingest_email

Exit status: 0 when the message was recorded (created, appended, skipped as an auto-reply or
bounce, or a redelivery of one already recorded); 65 (EX_DATAERR) for a message that cannot be
read, which retrying will not fix; 75 (EX_TEMPFAIL) when the database is unavailable, so the MTA
keeps the message and tries again.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from intake.channels import UnreadableEmail, email_ingest, email_result_text

EX_DATAERR = 65
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Take in one email (RFC 822, read from standard input) as a complaint or a reply."
    base_stealth_options = (*BaseCommand.base_stealth_options, "stdin")

    def handle(self, *args, **options):
        stream = options.get("stdin") or sys.stdin
        raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            result = email_ingest(raw)
        except UnreadableEmail as error:
            raise CommandError(f"unreadable message: {error}", returncode=EX_DATAERR) from error
        except DatabaseError as error:
            raise CommandError(f"database unavailable, try again later: {error}",
                               returncode=EX_TEMPFAIL) from error
        self.stdout.write(email_result_text(result))
