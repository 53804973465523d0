"""kernel.memo: settings read once per unit of work, report work gathered to its end."""

import logging

import pytest

from kernel import memo


def counting_loader():
    calls = []

    def load():
        calls.append(1)
        return {"loaded": len(calls)}

    return load, calls


def test_outside_a_scope_every_call_loads():
    load, calls = counting_loader()
    assert memo.get("k", load) == {"loaded": 1}
    assert memo.get("k", load) == {"loaded": 2}
    assert len(calls) == 2


def test_inside_a_scope_one_load_serves_every_caller_and_ends_with_the_block():
    load, calls = counting_loader()
    with memo.scope():
        first = memo.get("k", load)
        with memo.scope():  # a nested scope shares the outer one
            assert memo.get("k", load) is first
        assert memo.get("k", load) is first
    assert len(calls) == 1
    assert memo.get("k", load) == {"loaded": 2}  # the block ended: loaded again


def test_batched_work_runs_once_at_the_end_of_the_scope_with_each_item_once():
    flushed = []
    with memo.scope():
        for item in (3, 1, 3):
            memo.batch("figures", item, flushed.append)
        assert flushed == []  # nothing before the block ends
    assert flushed == [[3, 1]]
    memo.batch("figures", 7, flushed.append)  # outside a scope: at once
    assert flushed == [[3, 1], [7]]


def test_a_failing_batch_is_logged_and_the_others_still_run(caplog):
    flushed = []

    def broken(items):
        raise RuntimeError("database went away")

    with caplog.at_level(logging.ERROR, logger="kernel.memo"):
        with memo.scope():
            memo.batch("broken", 1, broken)
            memo.batch("figures", 2, flushed.append)
    assert flushed == [[2]]
    assert "deferred broken failed" in caplog.text


def test_an_error_in_the_block_still_runs_what_was_batched():
    flushed = []
    with pytest.raises(ValueError):
        with memo.scope():
            memo.batch("figures", 5, flushed.append)
            raise ValueError("after the commit")
    assert flushed == [[5]]


@pytest.mark.usefixtures("migration_seeds")
def test_saving_a_registered_setting_inside_a_scope_reads_it_again():
    from sla.models import SlaPolicy
    from sla.selectors import policy_rules

    with memo.scope():
        before = policy_rules()
        policy = SlaPolicy.objects.filter(is_active=True).first()
        policy.is_active = False
        policy.save()
        after = policy_rules()
    assert policy.id in {r.id for r in before}
    assert policy.id not in {r.id for r in after}
