"""Reference numbers reserved for several received days at once (an import's batch) follow
on from those each day already gave, without gaps or repeats."""

from datetime import date

import pytest
from django.conf import settings
from django.db import transaction

from complaints.creation import references_reserve, references_reserve_days

pytestmark = pytest.mark.django_db


def test_several_days_at_once_continue_each_days_numbers():
    may, june = date(2025, 5, 6), date(2025, 6, 1)
    prefix = settings.COMPLAINT_REFERENCE_PREFIX
    with transaction.atomic():
        assert references_reserve(count=2, day=may) == [
            f"{prefix}20250506000001", f"{prefix}20250506000002"]
        reserved = references_reserve_days(counts={june: 1, may: 3, date(2025, 7, 1): 0})
    assert reserved == {
        may: [f"{prefix}20250506000003", f"{prefix}20250506000004",
              f"{prefix}20250506000005"],
        june: [f"{prefix}20250601000001"]}
    assert references_reserve(count=1, day=june) == [f"{prefix}20250601000002"]
    assert references_reserve_days(counts={}) == {}
