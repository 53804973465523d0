"""Builders: a complaint in the state a test needs, reached the way users reach it.

`complaint_in(status)` creates a complaint through the real service (or takes one) and walks it
with `complaint_transition` along the shortest path the lifecycle table allows, so every step
writes its timeline entry, bumps the version and fires its events as in production. The path is
found in `complaints.lifecycle.TRANSITIONS`, not written down here: when the lifecycle changes,
the builder follows it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from django.db import transaction

from complaints import services
from complaints.lifecycle import REASON_REQUIRED, TRANSITIONS, Action, Status
from complaints.models import Complaint
from tests.factories import make_complaint

logger = logging.getLogger(__name__)

REASON = "测试：按流程推进"
RESOLUTION_SUMMARY = "已为客户处理完毕，问题已解决。"


def path_to(target: Status | str, *, start: Status | str = Status.NEW) -> list[Action]:
    """The shortest list of actions that takes a complaint from `start` to `target` (breadth
    first over the lifecycle table, ties broken by the table's order); ValueError if the table
    offers no way there."""
    start, target = Status(start), Status(target)
    came_from: dict[Status, tuple[Status, Action] | None] = {start: None}
    queue = deque([start])
    while queue:
        status = queue.popleft()
        if status == target:
            break
        for (source, action), result in TRANSITIONS.items():
            if source == status and result not in came_from:
                came_from[result] = (status, action)
                queue.append(result)
    if target not in came_from:
        raise ValueError(f"the lifecycle has no way from {start} to {target}")
    actions: list[Action] = []
    status = target
    while (step := came_from[status]) is not None:
        status, action = step
        actions.append(action)
    return actions[::-1]


def complaint_in(
    status: Status | str,
    *,
    actor=None,
    complaint: Complaint | None = None,
    reason: str = REASON,
    resolution_summary: str = RESOLUTION_SUMMARY,
    after_commit: bool = True,
    **create_kwargs,
) -> Complaint:
    """A complaint in `status`: `complaint` if given, else a new one (`make_complaint(actor=actor,
    **create_kwargs)`), walked there by `actor` one `complaint_transition` at a time.

    Each action gets what the lifecycle asks of it: `reason` where it needs one,
    `resolution_summary` to resolve, a new complaint of the same customer to be merged into.

    `after_commit`: each step is its own request, so what it leaves for after its commit (the
    apps' event receivers: classification, clocks, the result notice, report figures; queued
    tasks) runs before the next step. In a transactional test the services' own commits do that;
    inside a test's transaction (`db`) the builder runs those callbacks itself and takes them off
    the connection's list, so a surrounding `django_capture_on_commit_callbacks(execute=True)`
    does not run them twice. False leaves them unrun, queued as the test's transaction keeps
    them (for a test about what happens when they have not run yet).
    """
    target = Status(status)
    run = _as_a_request if after_commit else _call
    if complaint is None:
        complaint = run(make_complaint, actor=actor, **create_kwargs)
    elif create_kwargs:
        raise TypeError(f"complaint_in got an existing complaint and creation arguments "
                        f"{sorted(create_kwargs)}")
    complaint.refresh_from_db()  # receivers (classification, clocks) may have changed it
    for action in path_to(target, start=complaint.status):
        arguments = {}
        if action in REASON_REQUIRED:
            arguments["reason"] = reason
        if action == Action.RESOLVE:
            arguments["resolution_summary"] = resolution_summary
        if action == Action.MERGE:
            survivor = run(make_complaint, customer=complaint.customer, actor=actor,
                           description=f"{complaint.description}（重复投诉）")
            arguments["merged_into_reference"] = survivor.reference
        run(services.complaint_transition, complaint_id=complaint.id, action=action,
            actor=actor, expected_version=complaint.version, **arguments)
        complaint.refresh_from_db()
    return complaint


def _call(fn: Callable, /, **kwargs):
    return fn(**kwargs)


def _as_a_request(fn: Callable, /, **kwargs):
    """fn(**kwargs), then the callbacks it registered for after its commit, as the commit of the
    request that called it would run them."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return fn(**kwargs)  # autocommit: fn's own transaction committed and ran them
    start = len(connection.run_on_commit)
    result = fn(**kwargs)
    # A callback may register more (a receiver that queues a task): run until none is left.
    while len(connection.run_on_commit) > start:
        _savepoints, callback, robust = connection.run_on_commit.pop(start)
        if not robust:
            callback()
            continue
        try:
            callback()
        except Exception:  # as Django does for on_commit(robust=True)
            logger.exception("after-commit callback %r failed", callback)
    return result
