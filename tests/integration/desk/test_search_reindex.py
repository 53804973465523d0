"""`manage.py search_reindex` puts the nearest deadlines back after a load that bypassed the
services."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from complaints.models import Complaint
from sla.models import Clock, ClockState
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def test_reindex_recomputes_the_nearest_deadline(is_postgres):
    now = timezone.now()
    with_clocks, without = make_complaint(), make_complaint()
    for metric, due, state in [("resolution", now + timedelta(days=3), ClockState.RUNNING),
                               ("acknowledge", now + timedelta(hours=2), ClockState.MET),
                               ("first_response", now - timedelta(hours=1), ClockState.BREACHED)]:
        Clock.objects.create(complaint=with_clocks, metric=metric, started_at=now, due_at=due,
                             state=state)
    Complaint.objects.filter(pk=without.pk).update(next_due_at=now)  # stale
    out = StringIO()
    call_command("search_reindex", "--batch-size", "1", *(["--rebuild"] if is_postgres else []),
                 stdout=out)
    with_clocks.refresh_from_db()
    without.refresh_from_db()
    assert with_clocks.next_due_at == now - timedelta(hours=1)
    assert without.next_due_at is None
    assert "2 complaints" in out.getvalue()
