"""Percentiles from duration buckets, as pure functions: the bucket a rank falls in, and the
look-up it implies, give exactly percentile_cont's answer (`measures.percentile`)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.measures import (
    DURATION_EDGES,
    bucket_is_one_value,
    duration_bucket,
    interpolate,
    percentile,
    percentile_ranks,
    rank_bucket,
)


@pytest.mark.parametrize("seconds, bucket", [
    (0, 0), (1, 1), (59, 1), (60, 2), (3599, 8), (3600, 9), (32399, 17), (32400, 18),
    (971999, len(DURATION_EDGES) - 2), (972000, len(DURATION_EDGES) - 1),
    (10**9, len(DURATION_EDGES) - 1),
])
def test_duration_bucket_edges_belong_to_the_bucket_above(seconds, bucket):
    assert duration_bucket(seconds) == bucket


def test_edges_increase_and_only_zero_is_a_single_value():
    assert list(DURATION_EDGES) == sorted(set(DURATION_EDGES)) and DURATION_EDGES[0] == 0
    assert [b for b in range(len(DURATION_EDGES)) if bucket_is_one_value(b)] == [0]


@pytest.mark.parametrize("count, fraction, ranks", [
    (1, 0.5, (0, 0, 0.0)), (1, 0.9, (0, 0, 0.0)),
    (2, 0.5, (0, 1, 0.5)), (3, 0.5, (1, 1, 0.0)), (4, 0.5, (1, 2, 0.5)),
    (11, 0.9, (9, 9, 0.0)), (10, 0.9, (8, 9, 0.9 * 9 - 8)),
])
def test_percentile_ranks_are_percentile_conts(count, fraction, ranks):
    assert percentile_ranks(count, fraction) == ranks


@pytest.mark.parametrize("histogram, rank, expected", [
    ([3, 0, 2], 0, (0, 0)), ([3, 0, 2], 2, (0, 0)), ([3, 0, 2], 3, (2, 3)),
    ([3, 0, 2], 4, (2, 3)), ([0, 0, 1], 0, (2, 0)),
])
def test_rank_bucket_skips_empty_buckets(histogram, rank, expected):
    assert rank_bucket(histogram, rank) == expected


def test_rank_beyond_the_histogram_is_an_error():
    with pytest.raises(ValueError):
        rank_bucket([1, 1], 2)


def bucketed_percentile(values: list[int], fraction: float) -> float | None:
    """What the selector does, on a list: count per bucket, find the rank's bucket, read the
    values from its lower edge on, skipping the ones below the rank."""
    if not values:
        return None
    histogram = [0] * len(DURATION_EDGES)
    for v in values:
        histogram[duration_bucket(v)] += 1
    low, high, weight = percentile_ranks(len(values), fraction)
    bucket, below = rank_bucket(histogram, low)
    if bucket_is_one_value(bucket) and high < below + histogram[bucket]:
        return interpolate(DURATION_EDGES[bucket], DURATION_EDGES[bucket], weight)
    read = sorted(v for v in values if v >= DURATION_EDGES[bucket])[low - below:high - below + 1]
    return interpolate(read[0], read[-1], weight)


durations = st.one_of(st.sampled_from(DURATION_EDGES), st.integers(0, 3),
                      st.integers(0, 2_000_000))


@given(st.lists(durations, max_size=60), st.sampled_from([0.5, 0.9, 0.0, 1.0, 0.25]))
def test_bucketed_percentile_is_exactly_percentile_cont(values, fraction):
    assert bucketed_percentile(values, fraction) == percentile(sorted(values), fraction)


@pytest.mark.parametrize("values", [
    [0] * 7 + [5],  # mostly ties at zero
    [3600] * 9,  # all equal
    [42],  # one value
    [0, 59, 60, 61],  # on and around an edge
    [972000, 10**7, 10**8],  # the open last bucket
])
def test_bucketed_percentile_examples(values):
    for fraction in (0.5, 0.9):
        assert bucketed_percentile(values, fraction) == percentile(sorted(values), fraction)
