#!/usr/bin/env python3
"""Benchmark: the desk's queue page at 1,000,000 complaints on PostgreSQL.

    # once: a database made by the product (seed_demo through the intake pipeline: every
    # complaint with its clocks, classification, timeline and report figures; the loader
    # analyses what it wrote), then one catch-up sweep; see bench/million.py
    .venv/bin/python bench/million.py --prepare --complaints 1000000 --database DB
    # then, as often as wanted (this script writes nothing)
    .venv/bin/python bench/desk_queue.py --database DB [--runs 15]

It requests /desk/ through Django's test client, logged in as the demo agent `agent1` and the
`supervisor`, the whole request (middleware, queries, template), and prints the median over
--runs runs after one warm-up, with the number of queries, as Markdown rows for
docs/benchmarks.md. (Before seed_demo went through the pipeline, this script gave open
complaints a resolution clock in SQL and ran ANALYZE; it no longer writes anything.)
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


def samples() -> dict:
    """A real reference, a customer's last four digits, words of the demo texts."""
    from complaints.models import Complaint

    newest = Complaint.objects.order_by("-id").select_related("customer").first()
    return {"reference": newest.reference, "last4": newest.customer.phone[-4:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="complaints_bench_million")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    setup(args.database)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from complaints.models import Complaint

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
    print("| user | page | median | min | max | queries | SQL (last run) | rows |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
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
              f"{min(timings):.0f} | {max(timings):.0f} | {len(queries)} | "
              f"{sum(float(q['time']) for q in queries.captured_queries) * 1000:.0f} ms | "
              f"{rows} |",
              flush=True)
        if os.environ.get("BENCH_VERBOSE"):
            for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]:
                print("   ", q["time"], q["sql"][:300])
    return 0


if __name__ == "__main__":
    sys.exit(main())
