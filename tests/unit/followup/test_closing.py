"""The callback sample is a stable hash of the reference: same answer every time, about the
configured share of references, nothing at 0 and everything at 1."""

import pytest

from followup.callbacks import in_sample
from followup.retention import _years_before

REFERENCES = [f"TS20261125{n:06d}" for n in range(1, 5001)]


def test_the_same_reference_always_gets_the_same_answer():
    assert [in_sample(r, 0.2) for r in REFERENCES[:50]] == \
        [in_sample(r, 0.2) for r in REFERENCES[:50]]


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5])
def test_about_the_configured_share_is_sampled(rate):
    share = sum(in_sample(r, rate) for r in REFERENCES) / len(REFERENCES)
    assert abs(share - rate) < 0.03


def test_a_higher_rate_keeps_everyone_a_lower_rate_picked():
    low = {r for r in REFERENCES if in_sample(r, 0.1)}
    high = {r for r in REFERENCES if in_sample(r, 0.3)}
    assert low < high


def test_zero_and_one():
    assert not any(in_sample(r, 0) for r in REFERENCES[:100])
    assert all(in_sample(r, 1) for r in REFERENCES[:100])


def test_retention_years_count_back_from_a_leap_day():
    from datetime import UTC, datetime

    assert _years_before(datetime(2028, 2, 29, tzinfo=UTC), 3) == datetime(2025, 2, 28,
                                                                          tzinfo=UTC)
