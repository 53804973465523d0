"""Benchmark: one SLA sweep over 1,000,000 open complaints of which 1,000 are due.

Two modes (PostgreSQL and Redis on loopback):

    # on a database made by the product (bench/million.py --prepare: seed_demo through the
    # intake pipeline, then one catch-up sweep); this mode writes nothing to it
    .venv/bin/python bench/sla_sweep.py --database complaints_bench_million [--due 1000] [--runs 3]

    # synthetic (the first measurement): creates and drops `sla_bench`, fills it with
    # generate_series (one running resolution clock per open complaint)
    .venv/bin/python bench/sla_sweep.py [--open 1000000] [--due 1000] [--runs 3]

With --database, the sweep time is chosen so that about the next --due checks fall due: the
distinct `next_check_at` whose count of clocks due by then is nearest to --due (checks tie on
the calendar's opening hours, so not exactly --due). Each run
times `sla.sweep.sla_sweep(now=that time)` on a fresh copy of the database (CREATE DATABASE …
TEMPLATE, dropped afterwards), so runs compare, counts its queries, and checks that nothing due
is left. Prints a Markdown table.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import pg  # noqa: E402

DB = "sla_bench"
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
BASE = pg.BASE


def fill(n_open: int, n_due: int, runs: int):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
            SELECT '!', false, 'boss' || i, '主管' || i, '', 'boss' || i || '@example.com',
                   false, true, now() FROM generate_series(1, 20) i;
            INSERT INTO complaints_department (code, name, level, supervisor_id, is_active)
            SELECT 'dept-' || i, '部门' || i, 'city', i, true FROM generate_series(1, 20) i;
            INSERT INTO complaints_customer (name, phone, email, id_number, service_number,
                                             tier, wechat_openid, last_callback_outcome,
                                             created_at)
            SELECT '客户' || i, (13800000000 + i)::text, '', '', '', 'ordinary', '', '', now()
            FROM generate_series(1, 10000) i;
        """)
        cur.execute("""
            INSERT INTO complaints_complaint (reference, channel, received_at, customer_id,
                product_line, priority, status, subject, description, location, is_repeat,
                is_vip, is_regulator, escalation_risk, regulator_case_no,
                assigned_department_id, responsibility_type, resolution_summary,
                compensation_type, compensation_status, escalation_level, reopen_count,
                version, created_at, updated_at)
            SELECT 'TSB' || lpad(i::text, 11, '0'), 'phone', now() - interval '1 day',
                   1 + i %% 10000, 'mobile', 'ordinary', 'in_progress', '信号差', '信号差',
                   '', false, false, false, false, '', 1 + i %% 20, '', '', '', 'none', 0, 0,
                   1, now(), now()
            FROM generate_series(1, %s) i
        """, [n_open])
        # One running resolution clock each. The first `due` × runs are overdue, but only the
        # slice of the current run is flagged for the sweep (see activate), so every run
        # handles fresh rows, as a real sweep would.
        cur.execute("""
            INSERT INTO sla_clock (complaint_id, metric, cycle, state, started_at, due_at,
                warn_at, due_verified, paused_total, escalation_level, next_check_at,
                policy_id, calendar_id)
            SELECT c.id, 'resolution', 1, 'running', now() - interval '6 days',
                   CASE WHEN c.id <= %(overdue)s THEN now() - interval '1 minute'
                        ELSE now() + interval '3 days' END,
                   now() - interval '2 days', true, interval '0', 0,
                   now() + interval '2 days',
                   (SELECT id FROM sla_slapolicy ORDER BY id LIMIT 1),
                   (SELECT id FROM sla_businesscalendar WHERE code = 'standard')
            FROM complaints_complaint c
        """, {"overdue": n_due * runs})
        cur.execute("ANALYZE")


def activate(run: int, n_due: int):
    """Flag this run's slice of overdue clocks as due for the sweep."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""UPDATE sla_clock SET next_check_at = now() - interval '1 minute'
                       WHERE complaint_id > %s AND complaint_id <= %s""",
                    [run * n_due, (run + 1) * n_due])


def setup_existing(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{BASE}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def due_time(n_due: int):
    """The sweep time at which about the next `n_due` checks fall due, and how many exactly.

    Next checks tie (many fall on the same opening hour of the business calendar), so this is
    the distinct `next_check_at` whose count of clocks due by then is nearest to `n_due`."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            WITH upcoming AS (
                SELECT next_check_at, count(*) AS n FROM sla_clock
                WHERE next_check_at IS NOT NULL
                GROUP BY next_check_at ORDER BY next_check_at LIMIT %s),
            running AS (SELECT next_check_at, sum(n) OVER (ORDER BY next_check_at) AS due
                        FROM upcoming)
            SELECT next_check_at, due FROM running ORDER BY abs(due - %s), next_check_at
            LIMIT 1""", [n_due + 1, n_due])
        row = cur.fetchone()
    if row is None:
        raise SystemExit("no clock has a next check")
    return row[0], int(row[1])


def database_stats() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT (SELECT count(*) FROM complaints_complaint),
                              (SELECT count(*) FROM sla_clock),
                              (SELECT count(*) FROM sla_clock WHERE state = 'running'),
                              (SELECT count(*) FROM sla_clock WHERE next_check_at IS NOT NULL),
                              (SELECT min(next_check_at) FROM sla_clock)""")
        complaints, clocks, running, checked, first = cur.fetchone()
    return (f"{complaints:,} complaints, {clocks:,} clocks ({running:,} running, "
            f"{checked:,} with a next check, the first at {first:%Y-%m-%d %H:%M} UTC)")


def use_database(name: str) -> None:
    """Point Django's connection at `name` (closed first; it reconnects on the next query)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def run_existing(database: str, n_due: int, runs: int) -> int:
    """The sweep on a pipeline-made database, which it never changes: each run sweeps a fresh
    copy (CREATE DATABASE … TEMPLATE), dropped afterwards, so every run does the same work."""
    setup_existing(database)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.sweep import sla_sweep

    print(database_stats())
    at, due = due_time(n_due)
    with connection.cursor() as cur:
        cur.execute("SELECT now()")
        print(f"sweep at {at:%Y-%m-%d %H:%M:%S} UTC ({at - cur.fetchone()[0]} from now): "
              f"{due:,} clocks due (the next check nearest to {n_due:,} due)", flush=True)
    batch = int(os.environ.get("BENCH_BATCH", settings.SLA_SWEEP_BATCH))
    copy = f"{database}_sweep"
    timings, queries, results = [], [], []
    for _run in range(runs):
        connection.close()  # a template must have no other connections
        started = time.perf_counter()
        pg.copy_database(database, copy)
        copied = time.perf_counter() - started
        use_database(copy)
        try:
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                result = sla_sweep(now=at, batch_size=batch)
                timings.append(time.perf_counter() - started)
            with connection.cursor() as cur:
                cur.execute("SELECT count(*) FROM sla_clock WHERE next_check_at <= %s", [at])
                left = cur.fetchone()[0]
        finally:
            use_database(database)
            pg.drop_database(copy)
        queries.append(len(captured))
        results.append(result.as_dict())
        sql = sum(float(q["time"]) for q in captured.captured_queries)
        print(f"  run: {timings[-1] * 1000:.0f} ms, of which SQL {sql * 1000:.0f} ms, "
              f"{len(captured)} queries; {result.as_dict()}; still due after: {left} "
              f"(copy made in {copied:.1f} s)", flush=True)
        assert left == 0 and result.batches >= 1, (result.as_dict(), left)
    median = statistics.median(timings)
    r = results[0]
    print("\n| complaints | clocks due | median | runs (ms) | queries | warnings | breaches "
          "| escalations | complaints touched |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    print(f"| {total_complaints():,} | {due:,} | **{median * 1000:.0f} ms** | "
          f"{', '.join(f'{t * 1000:.0f}' for t in timings)} | {queries[0]} | "
          f"{r['warnings']:,} | {r['breaches']:,} | {r['escalations']:,} | "
          f"{r['complaints']:,} |")
    return 0


def total_complaints() -> int:
    from complaints.models import Complaint

    return Complaint.objects.count()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--open", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", help="An existing pipeline-made database (read only).")
    args = parser.parse_args()
    if args.database:
        return run_existing(args.database, args.due, args.runs)

    pg.recreate_database(DB)
    os.environ["DATABASE_URL"] = f"{BASE}/{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sla.sweep import sla_sweep

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    fill(args.open, args.due, args.runs)
    print(f"filled {args.open:,} open complaints in {time.perf_counter() - started:.1f} s")
    timings, queries = [], []
    for run in range(args.runs):
        activate(run, args.due)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                result = profiler.runcall(sla_sweep, batch_size=500)
                pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(35)
            else:
                result = sla_sweep(batch_size=BATCH)
            timings.append(time.perf_counter() - started)
        queries.append(len(captured))
        sql_seconds = sum(float(q["time"]) for q in captured.captured_queries)
        print(f"  run: {timings[-1] * 1000:.0f} ms, of which SQL {sql_seconds * 1000:.0f} ms")
        if os.environ.get("BENCH_VERBOSE"):
            slow = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:6]
            for q in slow:
                print(q["time"], q["sql"][:160])
        assert result.escalations == args.due, result
    median = statistics.median(timings)
    print(f"| {args.open:,} | {args.due:,} | {median * 1000:.0f} ms "
          f"(runs: {', '.join(f'{t * 1000:.0f}' for t in timings)}) | {queries[0]} |")
    connection.close()
    pg.drop_database(DB)  # leave nothing behind


if __name__ == "__main__":
    sys.exit(main())
