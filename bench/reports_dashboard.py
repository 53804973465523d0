"""Benchmark: the reports dashboard at 1,000,000 complaints on PostgreSQL.

Usage (PostgreSQL on loopback):
    # on a database made by the product, shared with the desk and sweep benchmarks
    .venv/bin/python bench/million.py --prepare --complaints 1000000 --database DB
    .venv/bin/python bench/reports_dashboard.py --database DB [--runs 7]
    # or its own database (complaints_bench_reports, or $BENCH_DB)
    .venv/bin/python bench/reports_dashboard.py --prepare --complaints 5000 --runs 2  # smoke

--prepare creates the database, migrates and runs `seed_demo --complaints N`, which sends the
complaints through the intake pipeline: each has its clocks, timeline and report figures
(per-complaint and daily), so no `reports_rebuild` is needed. Without --prepare the script only
reads. Each case is timed as a supervisor's full page request through Django's test client
(view, selectors, template) and as the API call, with the query count. The seed spreads
complaints over the last 90 days; today is always counted live from the per-complaint figures.
Prints Markdown table rows for docs/benchmarks.md, then checks that each case's median and
90th percentile (from the daily duration buckets) equal percentile_cont over the facts, and
that its deadline compliance (from the daily figures) equals a count over sla_clock.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import pg  # noqa: E402

BASE = pg.BASE
DB = os.environ.get("BENCH_DB", "complaints_bench_reports")


def prepare(database: str, complaints: int = 1_000_000):
    pg.recreate_database(database)
    env = {**os.environ, "DATABASE_URL": f"{BASE}/{database}"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "-v0"], ["seed_demo", "--complaints", str(complaints)]):
        started = time.perf_counter()
        subprocess.run(manage + args, env=env, check=True)
        print(f"{' '.join(args)}: {time.perf_counter() - started:.0f} s", flush=True)


def cases(today, total: int):
    from datetime import timedelta

    week = {"received_after": (today - timedelta(days=6)).isoformat(),
            "received_before": today.isoformat()}
    month = {"received_after": (today - timedelta(days=29)).isoformat(),
             "received_before": today.isoformat()}
    quarter = {"received_after": (today - timedelta(days=89)).isoformat(),
               "received_before": today.isoformat()}
    return [
        ("last 7 days (the default)", {}),
        ("last 30 days", month),
        (f"last 90 days (all {total:,})", quarter),
        ("7 days, one department", {**week, "department": "bj"}),
        ("30 days, channel hotline + category billing", {**month, "channel": "phone",
                                                         "category": "billing"}),
    ]


def report_filter(params: dict, today):
    from datetime import date

    from reports.filters import ReportFilter

    if not params:
        return ReportFilter.default(today)
    return ReportFilter(date.fromisoformat(params["received_after"]),
                        date.fromisoformat(params["received_before"]),
                        department=params.get("department", ""),
                        channel=params.get("channel", ""), category=params.get("category", ""))


def check_exact(label: str, params: dict, today) -> None:
    """The bucketed median and 90th percentile against percentile_cont over every fact."""
    from reports import percentiles

    f = report_filter(params, today)
    started = time.perf_counter()
    bucketed = percentiles.duration_points(f)
    bucketed_ms = (time.perf_counter() - started) * 1000
    resolved = f.resolved()
    started = time.perf_counter()
    exact = {key: percentiles._exact_points(resolved, d.column)
             for key, d in percentiles.DURATIONS.items()}
    exact_ms = (time.perf_counter() - started) * 1000
    assert bucketed == exact, (label, bucketed, exact)
    print(f"exact: {label}: {bucketed} (buckets {bucketed_ms:.0f} ms, percentile_cont "
          f"{exact_ms:.0f} ms)", flush=True)
    check_compliance(label, f)


def check_compliance(label: str, f) -> None:
    """The dashboard's compliance (daily figures) against a count over sla_clock."""
    from django.db.models import Count
    from django.utils import timezone

    from reports.filters import clock_breached, clock_met
    from reports.selectors import dashboard
    from sla.models import Clock

    started = time.perf_counter()
    shown = {c["metric"]: (c["met"], c["breached"]) for c in dashboard(f)["compliance"]}
    shown_ms = (time.perf_counter() - started) * 1000
    resolved, now = f.resolved(), timezone.now()
    started = time.perf_counter()
    rows = Clock.objects.filter(resolved.fact_q("complaint__report_fact__")).order_by().values(
        "metric").annotate(
        breached=Count("complaint", distinct=True, filter=clock_breached(now)),
        decided=Count("complaint", distinct=True, filter=clock_breached(now) | clock_met()))
    live = dict.fromkeys(shown, (0, 0)) | {
        r["metric"]: (r["decided"] - r["breached"], r["breached"]) for r in rows}
    live_ms = (time.perf_counter() - started) * 1000
    assert shown == live, (label, shown, live)
    print(f"compliance: {label}: equal to sla_clock (whole dashboard {shown_ms:.0f} ms, "
          f"the count over sla_clock alone {live_ms:.0f} ms)", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--complaints", type=int, default=1_000_000,
                        help="With --prepare: how many complaints to seed.")
    parser.add_argument("--database", default=DB)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.database, args.complaints)

    os.environ["DATABASE_URL"] = f"{BASE}/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Default settings (DEBUG on, as `make run` and bench/seed_demo.py use them): no
    # collectstatic manifest needed; the SQL log costs little for these few queries.
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from complaints.models import Complaint, Department
    from reports.models import ComplaintFact, DailyFigure

    total = Complaint.objects.count()
    print(f"{total:,} complaints, {ComplaintFact.objects.count():,} complaint figures, "
          f"{DailyFigure.objects.count():,} daily rows")
    department = Department.objects.filter(parent__isnull=False).order_by("code").first()
    supervisor = get_user_model().objects.get(username="supervisor")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(supervisor)
    today = timezone.localdate()
    checked = []
    for label, params in cases(today, total):
        if "department" in params:
            params = {**params, "department": department.code}
            label = f"7 days, department {department.code}"
        checked.append((label, params))
        for name, url in (("page", "/reports/"), ("API", "/api/v1/reports/dashboard/")):
            timings = []
            for _ in range(args.runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url, params)
                    timings.append(time.perf_counter() - started)
                assert response.status_code == 200, (url, response.status_code)
            median = statistics.median(timings)
            print(f"| {label} | {name} | **{median * 1000:.0f} ms** | "
                  f"{', '.join(f'{t * 1000:.0f}' for t in timings)} | {len(captured)} |",
                  flush=True)
            if os.environ.get("BENCH_VERBOSE"):
                for q in sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:5]:
                    print("   ", q["time"], q["sql"][:200])
    for label, params in checked:
        check_exact(label, params, today)


if __name__ == "__main__":
    main()
