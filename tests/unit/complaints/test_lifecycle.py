"""Every (status, action) pair: the legal ones land where the process says, the rest refuse."""

import pytest

from complaints.lifecycle import (
    TRANSITIONS,
    Action,
    InvalidTransition,
    Status,
    allowed_actions,
    apply,
)

S, A = Status, Action
EXPECTED = {
    (S.NEW, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.NEW, A.MERGE): S.MERGED,
    (S.NEW, A.CANCEL): S.CANCELLED,
    (S.ACKNOWLEDGED, A.START): S.IN_PROGRESS,
    (S.ACKNOWLEDGED, A.RESOLVE): S.RESOLVED,
    (S.ACKNOWLEDGED, A.MERGE): S.MERGED,
    (S.ACKNOWLEDGED, A.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, A.REQUEST_INFO): S.WAITING_CUSTOMER,
    (S.IN_PROGRESS, A.DISPATCH): S.WAITING_DEPARTMENT,
    (S.IN_PROGRESS, A.RESOLVE): S.RESOLVED,
    (S.WAITING_CUSTOMER, A.RECEIVE_INFO): S.IN_PROGRESS,
    (S.WAITING_DEPARTMENT, A.RECEIVE_RESULT): S.IN_PROGRESS,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.REOPENED, A.START): S.IN_PROGRESS,
}
ALL_PAIRS = [(s, a) for s in Status for a in Action]


def test_the_table_is_exactly_the_documented_process():
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("status", "action"), list(EXPECTED))
def test_legal_transition(status, action):
    assert apply(status, action) == EXPECTED[(status, action)]
    assert action in allowed_actions(status)


@pytest.mark.parametrize(("status", "action"), [p for p in ALL_PAIRS if p not in EXPECTED])
def test_illegal_transition_is_refused_naming_state_and_action(status, action):
    with pytest.raises(InvalidTransition) as excinfo:
        apply(status, action)
    assert excinfo.value.status == status and excinfo.value.action == action
    message = str(excinfo.value)
    assert status.label in message and action.label in message
    assert action not in allowed_actions(status)


@pytest.mark.parametrize("status", [S.CLOSED, S.MERGED, S.CANCELLED])
def test_final_states_offer_nothing(status):
    assert allowed_actions(status) == []


def test_accepts_plain_strings_from_the_database():
    assert apply("resolved", "reopen") == S.REOPENED
