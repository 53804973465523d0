"""Soak (issue 16): steady intake and agents' work while Redis, workers, beat, PostgreSQL, the
SMS gateway and the SMTP server fail.

It starts its own PostgreSQL cluster (initdb + pg_ctl on a spare port, as the `postgres` user when
run as root), its own redis-server on a spare port, the web under gunicorn (2 workers), two
Celery workers and beat, a local SMS gateway and an SMTP server (aiosmtpd), both recording every
message by its outbox id, and a deadline policy of minutes (the SLA sweep and the send run every
10 s), so clocks warn and escalate during the run. Load, at a steady rate: API creates with an
`external_ref`, signed webhooks with an `Idempotency-Key`, public-form posts, an email piped to
`manage.py ingest_email` every few seconds (acknowledged by email), and agents acknowledging,
replying to and resolving a third of the complaints through the API; clients retry on timeouts
and 5xx with the same keys, as a real integrator does (an MTA retries exit status 75). While
they run: beat is started a second time; a worker is SIGKILLed (and started again); the gateway
answers 500, then hangs, while the SMTP server is down; Redis is killed and restarted;
PostgreSQL is restarted (fast shutdown); a pg_dump is taken. /healthz is polled all along. After
a bounded time for the sweeps to settle:

- every request that got a 2xx (or exit status 0) is stored exactly once, with its reference;
- a retry with the same key created nothing new; nothing stored without a 2xx;
- every agent's action answered 2xx is on the timeline once (a retry after it was applied gets
  409, stale version), every reply once;
- every acknowledgement reached the gateway or the SMTP server once, or its failure shows in the
  outbox; no message reached a customer twice (the gateway drops a repeated message id, as real
  gateways do with client message ids: counted apart);
- every clock that fell due has one warning and one escalation per level, at the level its
  lateness calls for; no clock, message or open complaint is left where no sweep moves it;
- /healthz reported each outage (database, broker, cache) while it lasted;
- the backup drill: the pg_dump restored into a new database, its search index and report
  figures rebuilt there: every restored complaint is live, a sample matches field by field.

    /work/main/.venv/bin/python bench/soak.py [--seconds 90] [--rate 3] [--converge 150]

Exit status 0 when every check holds. Results and what is not covered: docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import PG_BIN  # noqa: E402

from soak_parts import (  # noqa: E402 - run as a script: bench/ is on the path
    PYTHON,
    RETRIES,
    Stack,
    request,
    Load,
    Agents,
)


class HealthWatch:
    """Polls /healthz every half second and keeps which parts it reported down."""

    def __init__(self, port: int):
        self.port = port
        self.seen: Counter = Counter()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            status, body = request(self.port, "GET", "/healthz", timeout=10)
            if status:
                try:
                    report = json.loads(body)
                except ValueError:
                    report = {}
                for part in ("database", "broker", "cache"):
                    if isinstance(report.get(part), dict) and not report[part].get("ok"):
                        self.seen[part] += 1
            time.sleep(0.5)


def faults(stack: Stack, phase: float, log: list) -> dict:
    def note(what):
        log.append((round(time.monotonic() - t0, 1), what))
        print(f"  [{log[-1][0]:6.1f}s] {what}", flush=True)

    t0 = time.monotonic()
    note("beat started a second time")
    stack.start_celery("beat2")
    time.sleep(phase / 2)
    note("worker1 SIGKILLed")
    stack.kill_celery("worker1")
    stack.start_celery("worker1")
    note("sms gateway answering 500; smtp server down")
    stack.sms.mode = "500"
    stack.smtp.stop()
    time.sleep(phase / 2)
    note("sms gateway hanging")
    stack.sms.mode = "hang"
    time.sleep(phase / 2)
    stack.sms.mode = "ok"
    stack.smtp.start()
    note("sms gateway and smtp server back; second beat stopped")
    stack.kill_celery("beat2", signal.SIGTERM)
    note("redis killed")
    stack.redis.kill()
    time.sleep(phase)
    stack.redis.start()
    note("redis restarted")
    time.sleep(phase)
    note("postgresql stopping (fast)")
    stack.pg.stop()
    time.sleep(phase / 2)
    stack.pg.start()
    note("postgresql restarted")
    time.sleep(phase / 2)
    drill = backup_drill(stack, note)
    time.sleep(phase / 2)
    return drill


SAMPLE = (
    "import json\n"
    "from complaints.models import Complaint\n"
    "rows = Complaint.objects.order_by('reference').values_list("
    "'reference', 'description', 'channel', 'received_at', 'customer__phone')\n"
    "print(json.dumps([[str(v) for v in r] for r in rows]))\n")


def backup_drill(stack: Stack, note) -> dict:
    """pg_dump while the load runs, restore into a new database, rebuild the search index and the
    report figures there; then the restored complaints must be the live ones of the dump's
    moment: each restored row equal to its live row (docs/operations.md)."""
    dump = stack.workdir / "soak.dump"
    target = ["-h", "127.0.0.1", "-p", str(stack.pg.port), "-U", "postgres"]
    note("pg_dump under load")
    subprocess.run([str(PG_BIN / "pg_dump"), *target, "-Fc", "-f", str(dump), "soak"],
                   check=True)
    subprocess.run([str(PG_BIN / "createdb"), *target, "soak_restored"], check=True)
    subprocess.run([str(PG_BIN / "pg_restore"), *target, "--no-owner", "-d", "soak_restored",
                    str(dump)], check=True)
    restored_env = {**stack.env, "DATABASE_URL": stack.env["DATABASE_URL"].rsplit("/", 1)[0]
                    + "/soak_restored"}
    for command in (["search_reindex", "--rebuild"], ["reports_rebuild"]):
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=restored_env, check=True,
                       capture_output=True)
    note("restored, search index and report figures rebuilt")
    restored = json.loads(subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SAMPLE], cwd=ROOT, env=restored_env, check=True,
        capture_output=True, text=True).stdout.strip().splitlines()[-1])
    return {"dump_bytes": dump.stat().st_size, "restored_complaints": len(restored),
            "restored": restored}


def drill_figures(stack: Stack, drill: dict) -> dict:
    live = {r[0]: r for r in json.loads(stack.manage_shell(SAMPLE).strip().splitlines()[-1])}
    restored = drill.pop("restored")
    sample = random.Random(16).sample(restored, min(50, len(restored)))
    return {**drill, "live_complaints": len(live),
            "restored_not_live": sum(1 for r in restored if r[0] not in live),
            "sample_checked": len(sample),
            "sample_mismatches": sum(1 for r in sample if live.get(r[0]) != r)}


STATE = """
import json, re
from collections import Counter
from datetime import timedelta
from django.utils import timezone
from complaints.lifecycle import OPEN_STATUSES
from complaints.models import Activity, ActivityKind, Complaint
from notifications.models import OutboundMessage
from sla.models import Clock, SlaEvent
from sla.policy import level_at
from sla.services import Context

now = timezone.now()
ctx = Context.load()
events = {}
for clock_id, kind, level in SlaEvent.objects.values_list('clock_id', 'kind', 'level'):
    events.setdefault(clock_id, []).append((kind, level))
clocks = []
for c in Clock.objects.select_related('complaint').order_by('id'):
    rule, target = ctx.rule_and_target(c)
    cal = ctx.calendar(c.calendar_id)
    end = c.completed_at or now
    mine = events.get(c.id, [])
    clocks.append({
        'reference': c.complaint.reference, 'metric': c.metric, 'state': c.state,
        'due_at': c.due_at.isoformat(), 'completed': c.completed_at is not None,
        'next_check_at': c.next_check_at and c.next_check_at.isoformat(),
        # Found overdue by a sweep, or overdue and still running: these must have been warned.
        'due': c.breached_at is not None or (c.completed_at is None and c.due_at <= end),
        'met_late_unseen': (c.completed_at is not None and c.breached_at is None
                            and c.completed_at > c.due_at),
        'warnings': sum(1 for k, _l in mine if k == 'warning'),
        'levels': sorted(l for k, l in mine if k == 'escalation'),
        'level': c.escalation_level,
        'expected_low': level_at(end - timedelta(seconds=SLACK), c.due_at, rule.breach_level,
                                 rule.escalation_step_hours, target, cal),
        'expected_high': level_at(end, c.due_at, rule.breach_level, rule.escalation_step_hours,
                                  target, cal),
        'stuck': c.state in ('running', 'breached') and c.completed_at is None and (
            (c.next_check_at is None and (c.state == 'running' or c.escalation_level < 3))
            or (c.next_check_at is not None
                and c.next_check_at < now - timedelta(seconds=2 * SLACK)))})
with_clocks = set(Clock.objects.values_list('complaint_id', flat=True))
transitions = Counter(
    f"{ref} {data.get('action')}" for ref, data in Activity.objects.filter(
        kind=ActivityKind.STATUS_CHANGE).values_list('complaint__reference', 'data'))
replies = Counter(m for text in Activity.objects.filter(kind=ActivityKind.PUBLIC_REPLY)
                  .values_list('message', flat=True)
                  for m in re.findall(r'\\[(reply-\\w+)\\]', text))
print(json.dumps({
    'outbox': list(OutboundMessage.objects.values_list(
        'id', 'status', 'complaint__reference', 'purpose', 'attempts', 'last_error',
        'channel')),
    'clocks': clocks,
    'open_without_clocks': list(Complaint.objects.filter(
        status__in=OPEN_STATUSES, received_at__lt=now - timedelta(seconds=SLACK))
        .exclude(pk__in=with_clocks).values_list('reference', flat=True)),
    'complaints': list(Complaint.objects.values_list('reference', 'description')),
    'transitions': transitions, 'replies': replies}))
""".replace("SLACK", "25")


def system_state(stack: Stack) -> dict:
    return json.loads(stack.manage_shell(STATE).strip().splitlines()[-1])


def unsettled(state: dict) -> int:
    """What the sweeps still have to do: messages never tried, clocks left behind, open
    complaints without clocks. (A message that failed waits minutes for its retry, with its
    error shown in the outbox: not waited for.)"""
    return (sum(1 for r in state["outbox"] if r[1] == "queued" and not r[4]
                or r[1] == "sending")
            + sum(1 for c in state["clocks"] if c["stuck"])
            + len(state["open_without_clocks"]))


def converge(stack: Stack, limit: float, settle: float) -> dict:
    """Wait (at least `settle`, at most `limit` seconds) until nothing is left for the sweeps;
    the state then. `settle` gives the last complaints' clocks time to fall due and escalate.

    A message that failed waits for its retry (2, 4, 8, 16 minutes): queued with its attempts
    and error shown in the outbox, which staff see; only one never tried is stuck."""
    started = time.monotonic()
    while True:
        state = system_state(stack)
        elapsed = time.monotonic() - started
        if elapsed > limit or (elapsed > settle and not unsettled(state)):
            return state
        time.sleep(5)


KEY = re.compile(r"\[(soak-[a-z]+-[0-9a-f]+)\]")


def delivered(stack: Stack, row: list) -> int:
    """How often the message reached the customer, by the gateway's or the SMTP server's
    records."""
    return (stack.sms.received if row[6] == "sms" else stack.smtp.received)[row[0]]


def level_off(clock: dict) -> bool:
    """Its level is not the one its lateness calls for: a still running or breached clock within
    the sweep's lag (25 s); a completed one at most the level of its completion time (escalating
    a complaint already handled serves nobody; one met late while no sweep ran, during an
    outage, is counted as late by the reports from its times, not escalated)."""
    if clock["completed"]:
        return clock["level"] > clock["expected_high"]
    return not clock["expected_low"] <= clock["level"] <= clock["expected_high"]


def check(stack: Stack, results: list[dict], agents: Agents, health: HealthWatch,
          state: dict) -> dict:
    outbox = state["outbox"]
    acks = [r for r in outbox if r[3] == "acknowledgement"]
    keys = [r["key"] for r in results]
    stored = Counter()
    references = {}
    for reference, description in state["complaints"]:
        found = KEY.search(description)
        key = found.group(1) if found else None
        stored[key] += 1
        references[key] = reference
    accepted = [r for r in results if r["statuses"][-1] in (200, 201)]
    done = [a for a in agents.actions if a["statuses"] and a["statuses"][-1] in (200, 201)
            or (a["statuses"][-1:] == [409] and len(a["statuses"]) > 1)]
    due = [c for c in state["clocks"] if c["due"]]
    figures = {
        "requests": sum(len(r["statuses"]) for r in results),
        "operations": len(results),
        "operations_by_kind": dict(Counter(r["kind"] for r in results)),
        "accepted": len(accepted),
        "retried": sum(1 for r in results if len(r["statuses"]) > 1),
        "answered_5xx_or_no_answer": sum(1 for r in results for s in r["statuses"]
                                         if s == 0 or s >= 500),
        "lost": sum(1 for r in accepted if stored[r["key"]] == 0),
        "duplicated": sum(1 for k in keys if stored[k] > 1),
        "wrong_reference": sum(1 for r in accepted if references.get(r["key"]) != r["reference"]),
        "stored_without_2xx": sum(1 for r in results if r not in accepted and stored[r["key"]]),
        "not_answered_in_the_end": len(results) - len(accepted),
        "agent_actions": dict(Counter(a["action"] for a in agents.actions)),
        "agent_requests": sum(len(a["statuses"]) for a in agents.actions),
        "agent_actions_retried": sum(1 for a in agents.actions if len(a["statuses"]) > 1),
        "agent_actions_refused": sorted({f"{a['action']} {a['statuses']}"
                                         for a in agents.actions if a not in done})[:5],
        "agent_actions_not_applied_once": sum(
            1 for a in done if a["action"] != "reply"
            and state["transitions"].get(f"{a['reference']} {a['action']}", 0) != 1),
        "agent_replies_not_stored_once": sum(
            1 for a in done if a["action"] == "reply"
            and state["replies"].get(a["token"], 0) != 1),
        # Each reply is sent a second time with its key, as after a lost answer.
        "agent_reply_retries_not_answered_as_the_first": sum(
            1 for a in done if a["action"] == "reply" and not a["answered_as_the_first"]),
        "health_reported_down": dict(health.seen),
        "acknowledgements": len(acks),
        "acknowledgements_by_channel": dict(Counter(r[6] for r in acks)),
        "acknowledgements_sent_once": sum(1 for r in acks if delivered(stack, r) == 1),
        "acknowledgements_visibly_failed": sum(1 for r in acks if r[1] in ("failed", "unknown")
                                               and delivered(stack, r) == 0),
        "acknowledgements_waiting_retry_with_error_shown": sum(
            1 for r in acks if r[1] == "queued" and r[4] and r[5]),
        "acknowledgements_stuck": sum(1 for r in acks if r[1] == "queued" and not r[4]),
        "messages": len(outbox),
        "messages_by_purpose": dict(Counter(r[3] for r in outbox)),
        "messages_sent_twice": sum(1 for count in [*stack.sms.received.values(),
                                                   *stack.smtp.received.values()] if count > 1),
        "sms_repeats_dropped_by_gateway": sum(stack.sms.repeats.values()),
        "messages_stuck": sum(1 for r in outbox if r[1] == "queued" and not r[4]
                              or r[1] == "sending"),
        # Cut off in flight: an email is never resent by itself, it shows as "delivery unknown"
        # (whether the SMTP server got it is counted apart); an SMS goes again with its id.
        "messages_delivery_unknown": sum(1 for r in outbox if r[1] == "unknown"),
        "messages_delivery_unknown_that_arrived": sum(1 for r in outbox if r[1] == "unknown"
                                                      and delivered(stack, r)),
        "messages_that_failed_then_went_out": sum(1 for r in outbox
                                                  if r[1] == "sent" and r[4] > 1),
        "messages_attempts_failed": sum(r[4] - (r[1] == "sent") for r in outbox),
        "staff_emails": stack.smtp.other,
        "complaints_without_acknowledgement": len({r["reference"] for r in accepted}
                                                  - {r[2] for r in acks}),
        "clocks": len(state["clocks"]),
        "clocks_due": len(due),
        "clocks_due_by_metric": dict(Counter(c["metric"] for c in due)),
        "clocks_due_without_one_warning": sum(1 for c in due if c["warnings"] != 1),
        "clocks_warned_twice": sum(1 for c in state["clocks"] if c["warnings"] > 1),
        "escalations": sum(len(c["levels"]) for c in state["clocks"]),
        "clocks_escalations_not_once_per_level": sum(
            1 for c in state["clocks"] if c["levels"] != list(range(1, c["level"] + 1))),
        "clocks_level_off": sum(1 for c in state["clocks"] if level_off(c)),
        "clocks_met_late_while_no_sweep_ran": sum(1 for c in state["clocks"]
                                                  if c["met_late_unseen"]),
        "clocks_stuck": sum(1 for c in state["clocks"] if c["stuck"]),
        "open_complaints_without_clocks": len(state["open_without_clocks"]),
        "complaints_caught_up_by_sla_start_missing_clocks": sum(
            int(n) for log in stack.workdir.glob("worker*.log")
            for n in re.findall(r"started the missing clocks of (\d+) complaints",
                                log.read_text(errors="replace"))),
        "receiver_failures_not_recorded": sum(
            log.read_text(errors="replace").count("could not record the failure of receiver")
            for log in stack.workdir.glob("*.log")),
        "clock_samples": [c for c in state["clocks"] if c["stuck"] or level_off(c)
                          or (c["due"] and c["warnings"] != 1)][:5],
        "open_complaints_without_clocks_samples": state["open_without_clocks"][:5],
        "final_answers": dict(Counter(f"{r['kind']} {r['statuses'][-1]}" for r in results)),
        "refused_samples": sorted({f"{r['kind']} {r['statuses'][-1]}: {r['answer']}"
                                   for r in results if r not in accepted})[:5],
    }
    return figures


ZEROS = ("lost", "duplicated", "wrong_reference", "stored_without_2xx",
         "not_answered_in_the_end", "messages_sent_twice", "messages_stuck",
         "acknowledgements_stuck", "complaints_without_acknowledgement",
         "agent_actions_not_applied_once", "agent_replies_not_stored_once",
         "agent_reply_retries_not_answered_as_the_first",
         "clocks_due_without_one_warning", "clocks_warned_twice",
         "clocks_escalations_not_once_per_level", "clocks_level_off", "clocks_stuck",
         "open_complaints_without_clocks")


def holds(figures: dict) -> list[str]:
    """The checks that failed (empty when all hold)."""
    failed = [name for name in ZEROS if figures[name]]
    if (figures["acknowledgements_sent_once"] + figures["acknowledgements_visibly_failed"]
            + figures["acknowledgements_waiting_retry_with_error_shown"]
            != figures["acknowledgements"]):
        failed.append("acknowledgements: neither sent once nor visibly failed")
    if not {"database", "broker", "cache"} <= set(figures["health_reported_down"]):
        failed.append("health: an outage not reported")
    if not figures["clocks_due"] or not figures["escalations"]:
        failed.append("no clock fell due: the deadline policy of minutes did not apply")
    drill = figures["backup_drill"]
    if not drill["restored_complaints"] or drill["restored_not_live"] or \
            drill["sample_mismatches"]:
        failed.append("backup drill")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=90, help="length of the faulted load")
    parser.add_argument("--rate", type=float, default=3, help="operations per second, in all")
    parser.add_argument("--converge", type=float, default=150,
                        help="at most this long for the sweeps to settle after the faults")
    parser.add_argument("--settle", type=float, default=45,
                        help="at least this long after the load for the last clocks to fall due")
    parser.add_argument("--agents-every", type=float, default=1.5,
                        help="seconds between two agents' pickings")
    parser.add_argument("--workdir", default=str(ROOT / "var" / f"soak-{os.getpid()}"))
    args = parser.parse_args(argv)
    stack = Stack(Path(args.workdir))
    started = time.monotonic()
    try:
        token = stack.start()
        print(f"stack up in {time.monotonic() - started:.0f} s", flush=True)
        load = Load(stack.web_port, token, args.rate, stack.env)
        agents = Agents(stack.web_port, token, load, args.agents_every)
        health = HealthWatch(stack.web_port)
        health.thread.start()
        load.start()
        agents.thread.start()
        fault_log: list = []
        drill = faults(stack, args.seconds / 5, fault_log)
        converging = time.monotonic()
        load.stop()
        agents.stopping.set()
        agents.thread.join(timeout=RETRIES * 20)
        state = converge(stack, args.converge, args.settle)
        converged = time.monotonic() - converging
        health.stopping.set()
        figures = check(stack, load.results, agents, health, state)
        figures["seconds_to_converge"] = round(converged, 1)
        figures["backup_drill"] = drill_figures(stack, drill)
        figures["faults"] = fault_log
    finally:
        stack.stop()
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    failed = holds(figures)
    print("soak: all checks hold" if not failed else f"soak: CHECKS FAILED: {failed}",
          flush=True)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
