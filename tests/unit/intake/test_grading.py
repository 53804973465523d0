from datetime import UTC, datetime, timedelta

import pytest

from intake.grading import complaints_within, highest, raise_priority, rank


@pytest.mark.parametrize("current, proposed, result", [
    ("ordinary", "urgent", "urgent"),
    ("urgent", "major", "major"),
    ("major", "urgent", "major"),      # never lowered
    ("urgent", "ordinary", "urgent"),
    ("ordinary", "ordinary", "ordinary"),
])
def test_grades_only_rise(current, proposed, result):
    assert raise_priority(current, proposed) == result


def test_order_and_unknown_values():
    assert [rank(p) for p in ("ordinary", "urgent", "major")] == [0, 1, 2]
    assert highest(["urgent", "ordinary"]) == "urgent"
    with pytest.raises(ValueError):
        rank("critical")


def test_complaints_within_counts_the_window_up_to_this_complaint():
    at = datetime(2026, 3, 1, tzinfo=UTC)
    times = [at, at - timedelta(days=10), at - timedelta(days=30), at - timedelta(days=31),
             at + timedelta(days=1)]  # a later complaint does not make this one a repeat
    assert complaints_within(times, at, 30) == 3
    assert complaints_within(times, at, 7) == 1
