"""Read one RFC 822 message from standard input and take it in, for an MTA pipe, e.g. Postfix:

    complaints unix - n n - - pipe
      user=app argv=/app/.venv/bin/python /app/manage.py ingest_email

Each message ends in one line of output (or of error) and one of these exit statuses (sysexits.h;
docs/security.md, "Email intake exit codes"):

0  (EX_OK)       recorded: created, appended, skipped as an auto-reply or bounce, or a redelivery
                 of one already recorded. Over-long text is cut at its cap with a note, not
                 refused (kernel/limits.py).
65 (EX_DATAERR)  the message cannot become a complaint and retrying will not change that (it
                 cannot be read, or the intake refuses it: no text at all, say). The MTA bounces
                 it to the sender.
70 (EX_SOFTWARE) an error in this program; logged with the message id. Not retried (a retry
                 would fail the same way) — the MTA bounces it, and the log says what to fix.
75 (EX_TEMPFAIL) only when the database is unavailable: the MTA keeps the message and tries
                 again later.
"""

import logging
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from intake.email_channel import UnreadableEmail, email_ingest, email_result_text
from kernel.db import database_error_is_temporary
from kernel.errors import DomainError

EX_DATAERR = 65
EX_SOFTWARE = 70
EX_TEMPFAIL = 75

logger = logging.getLogger("intake.ingest_email")


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
            raise self._refuse(f"unreadable message: {error}", EX_DATAERR) from error
        except DomainError as error:
            raise self._refuse(f"refused: {error.message}", EX_DATAERR) from error
        except DatabaseError as error:
            if database_error_is_temporary(error):
                raise self._refuse(f"database unavailable, try again later: "
                                   f"{_one_line(error)}", EX_TEMPFAIL) from error
            raise self._refuse(f"refused by the database: {_one_line(error)}",
                               EX_DATAERR) from error
        except Exception as error:  # noqa: BLE001 - one line and a status, never a traceback
            raise self._refuse(f"internal error: {type(error).__name__}: {_one_line(error)}",
                               EX_SOFTWARE) from error
        self.stdout.write(email_result_text(result))

    def _refuse(self, line: str, status: int) -> CommandError:
        line = _one_line(line)
        logger.warning("ingest_email: exit %d: %s", status, line)
        return CommandError(line, returncode=status)


def _one_line(text) -> str:
    return " ".join(str(text).split())[:500]
