"""Closing sweeps and answers racing on real PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from complaints.lifecycle import Status
from complaints.models import Activity, Complaint
from followup.auto_close import auto_close_sweep
from followup.common import add_working_days
from followup.models import FeedbackChannel, ResultConfirmation
from followup.result_notice import result_answer
from tests.builders import complaint_in
from tests.threads import in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def resolved_complaints(n, agent):
    return [complaint_in(Status.RESOLVED, actor=agent, description=f"宽带掉线 {i}",
                         resolution_summary="已更换光猫。") for i in range(n)]


def test_two_auto_close_sweeps_at_once_close_each_complaint_once(agent, settings):
    settings.CALLBACK_SAMPLE_RATE = 0
    complaints = resolved_complaints(12, agent)
    later = add_working_days(
        Complaint.objects.get(pk=complaints[-1].pk).resolved_at, 3) + timedelta(hours=1)
    start = threading.Barrier(2)

    @in_thread
    def sweep(_):
        start.wait()
        return auto_close_sweep(now=later, batch_size=5)

    with ThreadPoolExecutor(2) as pool:
        closed = list(pool.map(sweep, range(2)))
    assert sum(closed) == 12
    assert set(Complaint.objects.values_list("status", flat=True)) == {Status.CLOSED}
    closes = Activity.objects.filter(kind="status_change", data__action="close")
    assert closes.count() == 12


def test_two_answers_at_once_one_is_kept(agent, settings):
    settings.CALLBACK_SAMPLE_RATE = 0
    (complaint,) = resolved_complaints(1, agent)
    start = threading.Barrier(2)

    @in_thread
    def answer(value):
        start.wait()
        try:
            result_answer(complaint_id=complaint.id, answer=value,
                                  channel=FeedbackChannel.TRACKING_PAGE)
            return "ok"
        except Exception as error:  # noqa: BLE001 - the loser's refusal is the point
            return type(error).__name__

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(answer, ["solved", "not_solved"]))
    assert outcomes[0] in {"AlreadyAnswered", "InvalidInput"} and outcomes[1] == "ok"
    assert ResultConfirmation.objects.filter(complaint=complaint).count() == 1
    kept = ResultConfirmation.objects.get(complaint=complaint).answer
    expected = Status.CLOSED if kept == "solved" else Status.REOPENED
    assert Complaint.objects.get(pk=complaint.pk).status == expected


def test_auto_close_refreshes_the_report_figures_once_for_all_it_closes(agent, settings):
    """Auto-close is one unit of work: the figures of every complaint it closed are
    recomputed together when it ends (after every close), not once per complaint's event."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.models import ComplaintFact

    settings.CALLBACK_SAMPLE_RATE = 0
    complaints = resolved_complaints(4, agent)
    later = add_working_days(
        Complaint.objects.get(pk=complaints[-1].pk).resolved_at, 3) + timedelta(hours=1)
    with CaptureQueriesContext(connection) as queries:
        assert auto_close_sweep(now=later) == 4
    writes = [q for q in queries.captured_queries
              if 'INSERT INTO "reports_complaintfact"' in q["sql"]]
    assert len(writes) == 1
    for complaint in Complaint.objects.filter(pk__in=[c.pk for c in complaints]):
        assert complaint.status == Status.CLOSED
        assert ComplaintFact.objects.get(complaint=complaint).refreshed_at >= complaint.closed_at
