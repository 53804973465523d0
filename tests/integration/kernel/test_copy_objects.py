"""kernel.db.copy_objects (COPY on PostgreSQL, bulk_create elsewhere) stores the same rows as
bulk_create: texts with tabs, new lines and backslashes, JSON, nulls, booleans, durations,
aware times, and a related object saved after it was set."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Activity, ActivityKind, ActorType, Complaint, Visibility
from kernel.db import copy_objects
from sla.models import Clock, ClockState
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEXT = "tab\there\nnew line\r\\back\\slash \\N 中文 \u2028 'quote\" end"


def _entries(complaint, tag):
    return [Activity(complaint=complaint, kind=ActivityKind.INTERNAL_NOTE,
                     actor_type=ActorType.SYSTEM, visibility=Visibility.INTERNAL,
                     message=f"{tag} {TEXT} {n}", version=n,
                     data={"text": TEXT, "n": n, "nested": [None, True, 1.5, {"k": "\\"}],
                           "tag": tag},
                     created_at=datetime(2025, 3, 4, 5, 6, 7, 890123, tzinfo=SHANGHAI))
            for n in range(3)]


def _activity_rows(tag):
    return sorted((a.kind, a.actor_type, a.visibility, a.message.replace(tag, ""), a.version,
                   {**a.data, "tag": ""}, a.created_at)
                  for a in Activity.objects.filter(data__tag=tag))


def test_activities_as_bulk_create_stores_them():
    complaint = make_complaint()
    Activity.objects.bulk_create(_entries(complaint, "bulk"))
    copy_objects(Activity, _entries(complaint, "copy"))
    assert _activity_rows("copy") == _activity_rows("bulk")
    assert len(_activity_rows("copy")) == 3


def test_clocks_with_nulls_booleans_and_durations():
    complaint = make_complaint()
    start = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)

    def clocks(cycle):
        return [Clock(complaint=complaint, metric="resolution", cycle=cycle, state=state,
                      started_at=start, due_at=start + timedelta(days=2), warn_at=None,
                      due_verified=cycle % 2 == 0,
                      paused_total=timedelta(days=1, seconds=3661, microseconds=7),
                      remaining_when_paused=None if cycle % 2 else timedelta(minutes=90))
                for cycle, state in ((cycle, ClockState.RUNNING), (cycle + 1, ClockState.MET))]

    Clock.objects.bulk_create(clocks(101))
    copy_objects(Clock, clocks(111))
    fields = ["metric", "state", "started_at", "due_at", "warn_at", "due_verified",
              "paused_total", "remaining_when_paused", "escalation_level", "next_check_at"]
    rows = {c.cycle: [getattr(c, f) for f in fields]
            for c in Clock.objects.filter(cycle__gt=100)}
    assert rows[111] == rows[101] and rows[112] == rows[102]
    assert rows[112][fields.index("due_verified")] is True


def test_a_related_object_saved_after_it_was_set():
    complaint = make_complaint()
    planned = Complaint.objects.get(pk=complaint.pk)
    planned.pk = None  # as batch intake plans entries before its complaints have ids
    entries = _entries(planned, "late")
    assert entries[0].complaint_id is None
    planned.pk = complaint.pk  # then the complaints' INSERT gives them theirs
    copy_objects(Activity, entries)
    assert Activity.objects.filter(data__tag="late", complaint=complaint).count() == 3


def test_an_unsaved_related_object_is_refused():
    planned = Complaint.objects.get(pk=make_complaint().pk)
    planned.pk = None
    with pytest.raises(ValueError):
        copy_objects(Activity, _entries(planned, "never"))


def test_with_ids_the_instances_get_the_ids_of_their_rows():
    complaint = make_complaint()
    entries = _entries(complaint, "ids")
    copy_objects(Activity, entries, with_ids=True)
    ids = [e.pk for e in entries]
    assert None not in ids and ids == sorted(ids)
    stored = Activity.objects.in_bulk(ids)
    assert [stored[e.pk].version for e in entries] == [0, 1, 2]
    assert not entries[0]._state.adding
    later = Activity.objects.create(complaint=complaint, kind=ActivityKind.INTERNAL_NOTE,
                                    actor_type=ActorType.SYSTEM, message="after")
    assert later.pk > max(ids)  # the sequence moved past them
