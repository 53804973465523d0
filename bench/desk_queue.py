#!/usr/bin/env python3
"""Benchmark: the desk's queue page at 1,000,000 complaints on PostgreSQL.

    # once, ~20 minutes on a 2-core VM: a database seeded with the demo generator
    createdb complaints_bench_desk
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/complaints_bench_desk \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/complaints_bench_desk \\
        .venv/bin/python manage.py seed_demo --complaints 1000000
    # then, as often as wanted
    .venv/bin/python bench/desk_queue.py [--database complaints_bench_desk] [--runs 15]

The bulk seeder writes complaints without deadlines (clocks come from the services), so the
first run gives every open complaint a running resolution clock (due 1, 3 or 5 days after it was
received, by priority; paused while waiting for the customer) and the nearest deadline, and
escalates the complaints overdue by more than a day, all in SQL. Then it requests /desk/ through
Django's test client, logged in as the demo agent `agent1` and the `supervisor`, the whole
request (middleware, queries, template), and prints the median over --runs runs after one
warm-up, with the number of queries, as Markdown rows for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def setup(database: str) -> None:
    os.environ["DATABASE_URL"] = f"{BASE}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update({"DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only"),
                       "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0"})
    import django

    django.setup()
    from django.conf import settings

    # Production storage needs collectstatic's manifest; the page's timing does not.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def prepare() -> None:
    """Deadlines for the bulk-seeded open complaints (once), then fresh statistics."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM sla_clock)")
        if not cur.fetchone()[0]:
            started = time.perf_counter()
            cur.execute("""
                INSERT INTO sla_clock (complaint_id, metric, cycle, state, started_at, due_at,
                    warn_at, due_verified, paused_total, escalation_level, next_check_at,
                    paused_at, policy_id, calendar_id)
                SELECT c.id, 'resolution', 1,
                       CASE WHEN c.status = 'waiting_customer' THEN 'paused' ELSE 'running' END,
                       c.received_at,
                       c.received_at + CASE c.priority WHEN 'major' THEN interval '1 day'
                                       WHEN 'urgent' THEN interval '3 days'
                                       ELSE interval '5 days' END,
                       NULL, true, interval '0', 0, NULL,
                       CASE WHEN c.status = 'waiting_customer' THEN c.updated_at END,
                       NULL, NULL
                FROM complaints_complaint c
                WHERE c.status IN ('new', 'acknowledged', 'in_progress', 'waiting_customer',
                                   'waiting_department', 'reopened')
            """)
            import importlib

            migration = importlib.import_module("complaints.migrations.0006_search")
            cur.execute(migration.NEXT_DUE_SQL)
            cur.execute("""UPDATE complaints_complaint SET escalation_level = 1
                           WHERE next_due_at < now() - interval '1 day'""")
            print(f"deadlines for open complaints: {time.perf_counter() - started:.1f} s")
        cur.execute("ANALYZE")


def samples() -> dict:
    """A real reference, a customer's last four digits, words of the demo texts."""
    from complaints.models import Complaint

    newest = Complaint.objects.order_by("-id").select_related("customer").first()
    return {"reference": newest.reference, "last4": newest.customer.phone[-4:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="complaints_bench_desk")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    setup(args.database)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from complaints.models import Complaint

    prepare()
    total = Complaint.objects.count()
    s = samples()
    users = {name: get_user_model().objects.get(username=name)
             for name in ("agent1", "supervisor")}
    cases = [
        ("agent1", "my open complaints", {"tab": "mine"}),
        ("agent1", "my departments", {"tab": "department"}),
        ("agent1", "unassigned", {"tab": "unassigned"}),
        ("agent1", "due soon", {"tab": "due_soon"}),
        ("agent1", "overdue", {"tab": "overdue"}),
        ("supervisor", "overdue (everyone's)", {"tab": "overdue"}),
        ("supervisor", "escalated", {"tab": "escalated"}),
        ("agent1", "waiting for customer", {"tab": "waiting"}),
        ("agent1", "recently resolved", {"tab": "resolved"}),
        ("supervisor", "all, newest first", {"tab": "all"}),
        ("supervisor", "all, page 2 (keyset)", {"tab": "all", "_page": 2}),
        ("supervisor", "filter: major, billing, hotline", {
            "tab": "all", "priority": "major", "category": "billing", "channel": "phone"}),
        ("agent1", "filter: department tab, urgent, VIP", {
            "tab": "department", "priority": "urgent", "flag": "vip"}),
        ("supervisor", "search: reference", {"q": s["reference"]}),
        ("supervisor", f"search: last 4 phone digits ({s['last4']})", {"q": s["last4"]}),
        ("supervisor", "search: 2-character word (光猫)", {"q": "光猫"}),
        ("supervisor", "search: 1-character word (卡)", {"q": "卡"}),
        ("supervisor", "search: phrase (手机信号很差)", {"q": "手机信号很差"}),
        ("supervisor", "search: 4-character word (携号转网)", {"q": "携号转网"}),
        ("agent1", "search: no match (辐射) in a tab", {"q": "辐射", "tab": "department"}),
        ("supervisor", "team workload (/desk/team/)", {"_url": "/desk/team/"}),
    ]
    print(f"\n{total:,} complaints; median of {args.runs} runs after one warm-up, "
          "whole request through the test client\n")
    print("| user | page | median | min | max | queries | rows |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for username, label, params in cases:
        client = Client()
        client.force_login(users[username])
        params = dict(params)
        page = params.pop("_page", 1)
        url = params.pop("_url", "/desk/")
        if page == 2:
            import re

            first = client.get(url, params).content.decode()
            url = "/desk/?" + re.search(r'href="\?([^"]*)" rel="next"', first).group(1) \
                .replace("&amp;", "&")
            params = {}
        client.get(url, params)  # warm-up
        timings = []
        for _run in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        html = response.content.decode()
        rows = html.count('class="desk-pick"') or html.count('<th scope="row">')
        print(f"| {username} | {label} | **{statistics.median(timings):.0f} ms** | "
              f"{min(timings):.0f} | {max(timings):.0f} | {len(queries)} | {rows} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
