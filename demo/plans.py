"""Demo complaint plans for `manage.py seed_demo`: channels, priorities and statuses, and each
complaint's walk through the lifecycle (`ComplaintSpec`, planned by `Planner`).

Pure data and generators, no ORM, no I/O: everything random comes from a `random.Random` the
caller seeds, so one seed always gives the same data set. Field values are the plain strings the
models store (channel, priority), so this module does not need to import the models; a test
checks they match the models' choices and that every walk is allowed by the lifecycle table.
"""

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from itertools import accumulate

from complaints.lifecycle import Action, Status, apply
from demo.people import STORES, SUPERVISOR_USERNAME, Place, agents_of, place
from demo.texts import (
    ESCALATION_PHRASES,
    ESCALATION_SHARE,
    GENERIC_NOTES,
    INTERNAL_NOTES,
    PUBLIC_REPLIES,
    REASONS,
    REGULATOR_PREFIX,
    RESOLUTIONS,
    SUFFIXES,
    TOPIC_CODES,
    TOPICS,
    fill,
)

_TOPIC_CUM = list(accumulate(t.weight for t in TOPICS.values()))

# --- channels, priorities, statuses ---------------------------------------------------------

CHANNEL_WEIGHTS = {"phone": 42, "app": 12, "wechat": 12, "web": 8, "store": 8, "regulator": 7,
                   "sms": 5, "email": 4, "letter": 2}
CHANNELS = tuple(CHANNEL_WEIGHTS)
STATUSES = tuple(Status)
_CHANNEL_CUM = list(accumulate(CHANNEL_WEIGHTS.values()))
# Who records a complaint: the customer types it in, the intake system reads it from a message,
# or an agent takes it (hotline, store counter, letters, regulator transfers).
CUSTOMER_ENTERED_CHANNELS = frozenset({"app", "wechat", "web"})
SYSTEM_INGESTED_CHANNELS = frozenset({"sms", "email"})
SELF_SERVICE_CHANNELS = CUSTOMER_ENTERED_CHANNELS | SYSTEM_INGESTED_CHANNELS

S, A = Status, Action
# Ways to reach each status from NEW; each path is checked against the lifecycle table by a test.
PATHS = {
    S.NEW: [()],
    S.ACKNOWLEDGED: [(A.ACKNOWLEDGE,)],
    S.IN_PROGRESS: [(A.ACKNOWLEDGE, A.START),
                    (A.ACKNOWLEDGE, A.START, A.REQUEST_INFO, A.RECEIVE_INFO),
                    (A.ACKNOWLEDGE, A.START, A.DISPATCH, A.RECEIVE_RESULT)],
    S.WAITING_CUSTOMER: [(A.ACKNOWLEDGE, A.START, A.REQUEST_INFO)],
    S.WAITING_DEPARTMENT: [(A.ACKNOWLEDGE, A.START, A.DISPATCH)],
    S.RESOLVED: [(A.ACKNOWLEDGE, A.RESOLVE), (A.ACKNOWLEDGE, A.START, A.RESOLVE),
                 (A.ACKNOWLEDGE, A.START, A.DISPATCH, A.RECEIVE_RESULT, A.RESOLVE)],
    S.REOPENED: [(A.ACKNOWLEDGE, A.START, A.RESOLVE, A.REOPEN)],
    S.CLOSED: [(A.ACKNOWLEDGE, A.RESOLVE, A.CLOSE), (A.ACKNOWLEDGE, A.START, A.RESOLVE, A.CLOSE),
               (A.ACKNOWLEDGE, A.START, A.DISPATCH, A.RECEIVE_RESULT, A.RESOLVE, A.CLOSE),
               (A.ACKNOWLEDGE, A.START, A.RESOLVE, A.REOPEN, A.START, A.RESOLVE, A.CLOSE)],
    S.MERGED: [(A.MERGE,), (A.ACKNOWLEDGE, A.MERGE)],
    S.CANCELLED: [(A.CANCEL,), (A.ACKNOWLEDGE, A.CANCEL)],
}
# Recent complaints are mostly still open; older ones mostly closed (age in days, weights).
STATUS_WEIGHTS_BY_AGE = [
    (1, {S.NEW: 30, S.ACKNOWLEDGED: 25, S.IN_PROGRESS: 25, S.WAITING_CUSTOMER: 4,
         S.WAITING_DEPARTMENT: 6, S.RESOLVED: 6, S.MERGED: 2, S.CANCELLED: 2}),
    (5, {S.NEW: 4, S.ACKNOWLEDGED: 8, S.IN_PROGRESS: 25, S.WAITING_CUSTOMER: 10,
         S.WAITING_DEPARTMENT: 12, S.RESOLVED: 22, S.REOPENED: 3, S.CLOSED: 10, S.MERGED: 3,
         S.CANCELLED: 3}),
    (float("inf"), {S.NEW: 0.5, S.ACKNOWLEDGED: 1, S.IN_PROGRESS: 4, S.WAITING_CUSTOMER: 2,
                    S.WAITING_DEPARTMENT: 3, S.RESOLVED: 6, S.REOPENED: 1.5, S.CLOSED: 76,
                    S.MERGED: 3, S.CANCELLED: 3}),
]
_STATUS_TABLES = [(age, list(w), list(accumulate(w.values()))) for age, w in STATUS_WEIGHTS_BY_AGE]
# Seconds from the previous step to this action: (shortest, longest).
_H, _D = 3600, 86400
STEP_SECONDS = {
    A.ACKNOWLEDGE: (300, 4 * _H), A.START: (600, _D), A.REQUEST_INFO: (_H, _D),
    A.RECEIVE_INFO: (2 * _H, 2 * _D), A.DISPATCH: (1800, _D), A.RECEIVE_RESULT: (4 * _H, 3 * _D),
    A.RESOLVE: (_H, 2 * _D), A.CLOSE: (_D, 3 * _D), A.REOPEN: (_D, 5 * _D),
    A.MERGE: (600, _D), A.CANCEL: (_H, 2 * _D),
}
# Local hour of day → how many complaints come in (few at night).
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 3, 6, 9, 10, 10, 8, 8, 9, 9, 8, 7, 7, 8, 8, 6, 4, 2]
_HOUR_CUM = list(accumulate(HOUR_WEIGHTS))
del S, A


def _pick(rng: random.Random, items, cum: list[float]):
    return items[bisect_right(cum, rng.random() * cum[-1])]


def pick_status(rng: random.Random, age_days: float) -> Status:
    for max_age, statuses, cum in _STATUS_TABLES:
        if age_days < max_age:
            return _pick(rng, statuses, cum)
    raise AssertionError("the last age bucket is unbounded")


def pick_priority(rng: random.Random, pressing: bool) -> str:
    roll = rng.random()
    urgent, major = (0.35, 0.1) if pressing else (0.1, 0.03)
    return "major" if roll < major else "urgent" if roll < major + urgent else "ordinary"


def department_for(category_code: str, where: Place, rng: random.Random) -> str:
    """Which department handles a complaint: by what it is about and where the customer is."""
    top = category_code.split("-")[0]
    if category_code in {"network-coverage", "network-call-drop", "network-mobile-data",
                         "network-base-station"}:
        return "gd-noc" if rng.random() < 0.5 else where.department_code
    if top == "network" or category_code == "service-installer":
        return where.department_code
    if top == "billing":
        return "gd-billing"
    if top == "business":
        return "gd-marketing" if rng.random() < 0.6 else STORES[where.city_code][0]
    if category_code == "service-store":
        return STORES[where.city_code][0]
    return "gd-csc"

# --- complaint plans ------------------------------------------------------------------------


@dataclass
class ComplaintSpec:
    """Everything about one demo complaint, before it touches the database."""

    index: int
    customer_key: int
    is_repeat: bool
    channel: str
    category_code: str
    product_line: str
    priority: str
    subject: str
    description: str
    location: str
    escalation_risk: bool
    received_at: datetime
    created_at: datetime  # when an agent or the system recorded it (bulk rows only)
    status: Status
    path: tuple[Action, ...]
    times: list[datetime]  # one per action in `path`
    department_code: str
    agent_username: str
    intake_username: str | None  # the agent who recorded it; None when self-service
    resolution: str = ""
    reasons: dict[Action, str] = field(default_factory=dict)
    notes: list[tuple[str, bool]] = field(default_factory=list)  # (body, public)
    duplicate_of: int | None = None  # position in the same batch of the complaint it repeats

    @property
    def intake_actor_type(self) -> str:
        if self.intake_username:
            return "staff"
        return "customer" if self.channel in CUSTOMER_ENTERED_CHANNELS else "system"

    @property
    def actor_username(self) -> str:
        """Who performs the lifecycle actions: cancelling needs a supervisor."""
        return SUPERVISOR_USERNAME if Action.CANCEL in self.path else self.agent_username


@dataclass(frozen=True)
class Outcome:
    """The fields a replay of `path` through the services would leave behind."""

    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    from_status: Status  # the status before the last action


def outcome(spec: ComplaintSpec) -> Outcome:
    status, acknowledged = Status.NEW, None
    resolved = closed = None
    reopens, before = 0, Status.NEW
    for action, when in zip(spec.path, spec.times):
        before, status = status, apply(status, action)
        if action == Action.ACKNOWLEDGE:
            acknowledged = when
        elif action == Action.RESOLVE:
            resolved = when
        elif action == Action.REOPEN:
            reopens, resolved = reopens + 1, None
        elif action == Action.CLOSE:
            closed = when
    return Outcome(acknowledged, resolved, closed, reopens, before)


class Planner:
    """Plans demo complaints in batches, deterministically for a seed.

    The first complaints cycle through every status and channel so even a small data set shows
    them all. A duplicate (merged) complaint always repeats an earlier one of the same batch, so
    the caller can resolve `duplicate_of` without looking further back.
    """

    REPEAT_SHARE = 0.25
    REPEAT_WINDOW = 5000  # repeat callers are picked among the last this many customers
    DAYS = 90

    def __init__(self, *, seed: int, now: datetime, tz: tzinfo, salt: str = ""):
        self.seed, self.now, self.tz = seed, now, tz
        self.rng = random.Random(f"{seed}:{salt}")
        self.today = now.astimezone(tz).date()
        self.index = 0
        self.next_customer = 0

    def oldest_repeatable_customer(self) -> int:
        return max(0, self.next_customer - self.REPEAT_WINDOW)

    def batch(self, size: int) -> list[ComplaintSpec]:
        specs: list[ComplaintSpec] = []
        targets: list[int] = []  # positions that a duplicate may point at
        for _ in range(size):
            spec = self._next(specs, targets)
            if spec.status not in (Status.MERGED, Status.CANCELLED):
                targets.append(len(specs))
            specs.append(spec)
            self.index += 1
        return specs

    def _next(self, specs: list[ComplaintSpec], targets: list[int]) -> ComplaintSpec:
        received = self._received_at()
        status = self._status(received)
        if status == Status.MERGED:
            if targets:
                position = self.rng.choice(targets[-50:])
                return self._duplicate(specs[position], position)
            status = Status.NEW
        return self._original(received, status)

    def _status(self, received: datetime) -> Status:
        if self.index < len(STATUSES):
            return STATUSES[self.index]
        return pick_status(self.rng, (self.now - received).total_seconds() / 86400)

    def _channel(self) -> str:
        if self.index < len(CHANNELS):
            return CHANNELS[self.index]
        return _pick(self.rng, CHANNELS, _CHANNEL_CUM)

    def _customer(self) -> tuple[int, bool]:
        if self.next_customer and self.rng.random() < self.REPEAT_SHARE:
            return self.rng.randrange(self.oldest_repeatable_customer(), self.next_customer), True
        self.next_customer += 1
        return self.next_customer - 1, False

    def _received_at(self) -> datetime:
        """Spread over the last DAYS days, mostly in the daytime (local), never in the future."""
        rng = self.rng
        day = self.today - timedelta(days=rng.randrange(self.DAYS))
        hour = _pick(rng, range(24), _HOUR_CUM)
        local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), self.tz)
        if local > self.now:
            local -= timedelta(days=1)
        return local.astimezone(self.now.tzinfo)

    def _original(self, received: datetime, status: Status) -> ComplaintSpec:
        rng = self.rng
        code = TOPIC_CODES[bisect_right(_TOPIC_CUM, rng.random() * _TOPIC_CUM[-1])]
        topic, where = TOPICS[code], place(rng)
        customer_key, is_repeat = self._customer()
        channel = self._channel()
        values = {"compound": where.compound}
        subject, template = rng.choice(topic.texts)
        description, escalation = self._description(template, values, channel)
        department = department_for(code, where, rng)
        spec = ComplaintSpec(
            index=self.index, customer_key=customer_key, is_repeat=is_repeat, channel=channel,
            category_code=code, product_line=_weighted(rng, topic.product_lines),
            priority=pick_priority(rng, escalation or channel == "regulator"),
            subject=subject, description=description,
            location=where.address if rng.random() < 0.8 else "", escalation_risk=escalation,
            received_at=received, created_at=self._recorded_at(received, channel),
            status=status, path=rng.choice(PATHS[status]), times=[],
            department_code=department, agent_username=rng.choice(agents_of(department)),
            intake_username=self._intake(channel, where))
        self._plan_steps(spec, values)
        return spec

    def _description(self, template: str, values: dict, channel: str) -> tuple[str, bool]:
        rng = self.rng
        text = fill(template, rng, values)
        if rng.random() < 0.4:
            text += fill(rng.choice(SUFFIXES), rng, values)
        escalation = rng.random() < ESCALATION_SHARE
        if escalation:
            text += rng.choice(ESCALATION_PHRASES)
        if channel == "regulator":
            text = REGULATOR_PREFIX + text
        return text, escalation

    def _duplicate(self, target: ComplaintSpec, position: int) -> ComplaintSpec:
        """The same customer complaining again about the same thing, merged into the first."""
        rng = self.rng
        received = min(target.received_at + timedelta(seconds=rng.randint(_H, 2 * _D)),
                       self.now - timedelta(minutes=1))
        received = max(received, target.received_at)
        channel = self._channel()
        spec = ComplaintSpec(
            index=self.index, customer_key=target.customer_key, is_repeat=True, channel=channel,
            category_code=target.category_code, product_line=target.product_line,
            priority=target.priority, subject=target.subject,
            description=_again(target.description, channel),
            location=target.location, escalation_risk=target.escalation_risk,
            received_at=received, created_at=self._recorded_at(received, channel),
            status=Status.MERGED, path=rng.choice(PATHS[Status.MERGED]), times=[],
            department_code=target.department_code, agent_username=target.agent_username,
            intake_username=self._intake(channel, place(rng)), duplicate_of=position)
        self._plan_steps(spec, {"compound": ""})
        return spec

    def _intake(self, channel: str, where: Place) -> str | None:
        if channel in SELF_SERVICE_CHANNELS:
            return None
        desk = STORES[where.city_code][0] if channel == "store" else "gd-csc"
        return self.rng.choice(agents_of(desk))

    def _recorded_at(self, received: datetime, channel: str) -> datetime:
        """Self-service complaints are recorded at once; agents take a little longer, letters and
        regulator transfers longer still."""
        seconds = {"letter": (4 * _H, _D), "regulator": (_H, 4 * _H)}.get(
            channel, (0, 120) if channel in SELF_SERVICE_CHANNELS else (60, 900))
        return min(received + timedelta(seconds=self.rng.randint(*seconds)), self.now)

    def _plan_steps(self, spec: ComplaintSpec, values: dict[str, str]) -> None:
        rng, top = self.rng, spec.category_code.split("-")[0]
        spec.times = self._step_times(spec.created_at, spec.path)
        for action in spec.path:
            # The merge reason keeps its {reference}: the caller fills it in.
            if action == Action.MERGE:
                spec.reasons[action] = REASONS[action][0]
            elif action in REASONS and action not in spec.reasons:
                spec.reasons[action] = fill(rng.choice(REASONS[action]), rng, values)
        if Action.RESOLVE in spec.path:
            spec.resolution = fill(rng.choice(RESOLUTIONS[top]), rng, values)
        if Action.START in spec.path:
            spec.notes.append((fill(rng.choice(INTERNAL_NOTES.get(top, GENERIC_NOTES)), rng,
                                    values), False))
        if spec.path and rng.random() < 0.4:
            spec.notes.append((rng.choice(PUBLIC_REPLIES), True))

    def _step_times(self, start: datetime, path: tuple[Action, ...]) -> list[datetime]:
        """Plausible gaps between steps, squeezed to fit between `start` and now."""
        gaps = [self.rng.uniform(*STEP_SECONDS[action]) for action in path]
        room = (self.now - start).total_seconds() * 0.95
        scale = min(1.0, room / sum(gaps)) if gaps and sum(gaps) > 0 else 1.0
        times, at = [], start
        for gap in gaps:
            at += timedelta(seconds=gap * scale)
            times.append(at)
        return times


def _again(description: str, channel: str) -> str:
    text = "再次反映：" + description.removeprefix(REGULATOR_PREFIX)
    return REGULATOR_PREFIX + text if channel == "regulator" else text


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


def spec_reason(spec: ComplaintSpec, action: Action, references: dict[int, str]) -> str:
    """The reason recorded for `action`, the merge reason naming the complaint it repeats."""
    reason = spec.reasons.get(action, "")
    if action == Action.MERGE:
        reason = reason.replace("{reference}", references.get(spec.duplicate_of, ""))
    return reason
