"""Daily figures are never wrong: a change marks its day, which is then counted live until it
is rebuilt; rebuilt figures equal a live computation."""

from datetime import date

import pytest

from complaints import services
from reports.aggregates import dirty_rebuild, facts_catch_up, grouped_facts
from reports.models import COUNTERS, ComplaintFact, DailyFigure, DirtyDay
from reports.selectors import dashboard

from .conftest import RANGE

pytestmark = pytest.mark.django_db
HOLIDAY = date(2025, 10, 3)


def _stored():
    return sorted((tuple(sorted(r.items())) for r in DailyFigure.objects.values(
        "day", "department_id", "channel", "category_id", *COUNTERS)), key=str)


def _live():
    return sorted((tuple(sorted(r.items())) for r in grouped_facts(ComplaintFact.objects.all())),
                  key=str)


def test_rebuilt_figures_equal_live_computation(dataset):
    assert _stored() == _live()
    assert not DirtyDay.objects.exists()


def test_a_change_is_counted_at_once_and_rebuilt_later(dataset, supervisor,
                                                       django_capture_on_commit_callbacks):
    before = dashboard(RANGE)
    assert before["rates"]["first_contact"]["count"] == 1
    c4 = dataset.c4
    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_transition(complaint_id=c4.pk, action="resolve", actor=supervisor,
                                      expected_version=c4.version, resolution_summary="已解决")
    # The complaint event refreshed C4's facts and marked its received day dirty.
    assert list(DirtyDay.objects.values_list("day", flat=True)) == [HOLIDAY]
    assert _stored() != _live()  # the stored figures of that day are stale …
    after = dashboard(RANGE)  # … but the dashboard counts that day live
    assert before["backlog"]["total"] == 3 and after["backlog"]["total"] == 2
    assert after["rates"]["first_contact"]["count"] == 2
    assert after["rates"]["first_contact"]["of"] == 3
    assert after["durations"]["resolution"]["count"] == 3

    assert dirty_rebuild() > 0
    assert not DirtyDay.objects.exists()
    assert _stored() == _live()
    assert dashboard(RANGE) == after


def test_category_change_moves_the_count(dataset, supervisor,
                                         django_capture_on_commit_callbacks):
    from complaints.models import Category

    with django_capture_on_commit_callbacks(execute=True):
        services.complaint_update_fields(
            complaint_id=dataset.c5.pk, actor=supervisor,
            changes={"category": Category.objects.get(code="billing-refund")})
    billing = dashboard(RANGE.__class__(RANGE.received_after, RANGE.received_before,
                                        category="billing"))
    assert billing["received"]["total"] == 3
    dirty_rebuild()
    assert _stored() == _live()


def test_complaints_loaded_without_events_are_caught_up(dataset):
    ComplaintFact.objects.filter(complaint=dataset.c2).delete()
    assert facts_catch_up() == 1
    dirty_rebuild()
    assert dashboard(RANGE)["received"]["total"] == 5
    assert _stored() == _live()


def test_rebuild_command(dataset):
    from django.core.management import call_command

    DailyFigure.objects.all().delete()
    ComplaintFact.objects.all().delete()
    call_command("reports_rebuild")
    assert ComplaintFact.objects.count() == 6
    assert _stored() == _live()


def test_a_new_complaint_is_in_todays_backlog_at_once(dataset, client, supervisor,
                                                      django_capture_on_commit_callbacks):
    from tests.factories import make_complaint

    with django_capture_on_commit_callbacks(execute=True):
        fresh = make_complaint(channel="web")
    backlog = dashboard(RANGE)["backlog"]
    ages = {a["age"]: a for a in backlog["by_age"]}
    assert ages["lt1"]["count"] == 1 and ages["ge15"]["count"] == 3
    client.force_login(supervisor)
    page = client.get(ages["lt1"]["url"])
    assert [c.reference for c in page.context["page"]] == [fresh.reference]


def test_periodic_tasks_run_the_services(dataset, supervisor):
    from reports import tasks

    ComplaintFact.objects.filter(complaint=dataset.c3).delete()
    assert tasks.catch_up() == 1  # the missing complaint figure is back …
    assert tasks.refresh() > 0  # … and its day rebuilt
    assert not DirtyDay.objects.exists() and _stored() == _live()
    assert len(tasks.send_scheduled()) == 2  # last week's and last month's summaries
    assert tasks.send_scheduled() == []


def test_a_complaint_moved_to_another_day_marks_both_days(db):
    """facts_refresh reads each complaint's current fact day with the complaint (one query):
    the day it leaves is marked as well as the day it moves to; a complaint without a fact
    marks only its own day."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from complaints.models import Complaint
    from reports.aggregates import facts_refresh
    from tests.factories import make_complaint

    complaint = make_complaint()
    DirtyDay.objects.all().delete()
    facts_refresh(complaint_ids=[complaint.pk])
    first = ComplaintFact.objects.get(complaint=complaint).day
    assert list(DirtyDay.objects.values_list("day", flat=True)) == [first]
    DirtyDay.objects.all().delete()
    moved = datetime.combine(first - timedelta(days=3), datetime.min.time().replace(hour=10),
                             tzinfo=ZoneInfo("Asia/Shanghai"))
    Complaint.objects.filter(pk=complaint.pk).update(received_at=moved)
    facts_refresh(complaint_ids=[complaint.pk])
    assert sorted(DirtyDay.objects.values_list("day", flat=True)) == [moved.date(), first]
