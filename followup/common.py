"""What the closing-the-loop modules share: the comment limit, the "already answered" error
and working-day arithmetic on the standard calendar."""

from __future__ import annotations

from datetime import datetime

from kernel.errors import DomainError
from sla.calendar import add_working_days as calendar_add_working_days
from sla.selectors import standard_calendar

COMMENT_MAX = 2000


class AlreadyAnswered(DomainError):
    status_code = 409
    code = "already_answered"


def working_calendar():
    """The standard working calendar (official holidays and make-up days included)."""
    return standard_calendar()


def add_working_days(start: datetime, days: int) -> datetime:
    return calendar_add_working_days(start, days, working_calendar())
