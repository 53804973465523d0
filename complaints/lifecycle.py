"""The complaint lifecycle as one table. Pure: no ORM, no I/O.

The UI and the API both read `allowed_actions`, and the service enforces `apply`, so what is
offered and what is accepted cannot drift apart.
"""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from kernel.errors import DomainError


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_DEPARTMENT = "waiting_department"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    MERGED = "merged"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.NEW: _("New"),
    Status.ACKNOWLEDGED: _("Acknowledged"),
    Status.IN_PROGRESS: _("In progress"),
    Status.WAITING_CUSTOMER: _("Waiting for customer"),
    Status.WAITING_DEPARTMENT: _("Waiting for department"),
    Status.RESOLVED: _("Resolved"),
    Status.REOPENED: _("Reopened"),
    Status.CLOSED: _("Closed"),
    Status.MERGED: _("Merged"),
    Status.CANCELLED: _("Cancelled"),
}


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    REQUEST_INFO = "request_info"
    RECEIVE_INFO = "receive_info"
    DISPATCH = "dispatch"
    RECEIVE_RESULT = "receive_result"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    MERGE = "merge"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    Action.ACKNOWLEDGE: _("Acknowledge"),
    Action.START: _("Start handling"),
    Action.REQUEST_INFO: _("Ask customer for information"),
    Action.RECEIVE_INFO: _("Customer information received"),
    Action.DISPATCH: _("Dispatch to department"),
    Action.RECEIVE_RESULT: _("Department result received"),
    Action.RESOLVE: _("Resolve"),
    Action.CLOSE: _("Close"),
    Action.REOPEN: _("Reopen"),
    Action.MERGE: _("Merge as duplicate"),
    Action.CANCEL: _("Cancel"),
}

S, A = Status, Action
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.NEW, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.NEW, A.MERGE): S.MERGED,
    (S.NEW, A.CANCEL): S.CANCELLED,
    (S.ACKNOWLEDGED, A.START): S.IN_PROGRESS,
    # Settled during the first contact (first-contact resolution).
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
del S, A

# Actions that must say why; the reason goes into the timeline.
REASON_REQUIRED = frozenset({Action.REQUEST_INFO, Action.REOPEN, Action.MERGE, Action.CANCEL})
OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ACKNOWLEDGED,
        Status.IN_PROGRESS,
        Status.WAITING_CUSTOMER,
        Status.WAITING_DEPARTMENT,
        Status.REOPENED,
    }
)
FINAL_STATUSES = frozenset({Status.CLOSED, Status.MERGED, Status.CANCELLED})


class InvalidTransition(DomainError):
    status_code = 409
    code = "invalid_transition"

    def __init__(self, status: Status, action: Action):
        self.status, self.action = Status(status), Action(action)
        super().__init__(
            _("Action “%(action)s” is not allowed on a complaint that is “%(status)s”.")
            % {"action": self.action.label, "status": self.status.label}
        )


def apply(status: Status | str, action: Action | str) -> Status:
    """The status after `action`, or InvalidTransition."""
    status, action = Status(status), Action(action)
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise InvalidTransition(status, action) from None


def allowed_actions(status: Status | str) -> list[Action]:
    status = Status(status)
    return [action for (source, action) in TRANSITIONS if source == status]
