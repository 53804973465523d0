#!/usr/bin/env python3
"""Benchmark: intake throughput through the API (`POST /api/v1/complaints/`) against a minimal
Django view that inserts one row, both served by the same gunicorn, in the same session; and
the "DRF floor" (the product's authentication and permission classes, a serializer, the same
one-row insert), the least any authenticated endpoint does.

Usage (PostgreSQL and Redis on loopback):
    .venv/bin/python bench/intake_api.py [--requests 600] [--concurrency 8] [--rounds 2]

Creates (and drops) the database `complaints_bench_intake`, migrates it, trains the classifier
on the shipped labelled set (as production has one), creates an agent with an API token, starts
gunicorn as docker compose does (`config.wsgi`, 3 sync workers, DEBUG off, Redis cache) with
bench/intake_settings.py (the product's settings plus /bench/minimal/), and fires authenticated
POSTs at concurrency 8 from threads in this process: at the minimal view, the DRF floor and the
API in turn, `--rounds` times each. Every API request is a new complaint (a new call id as
external_ref; new and repeat callers; texts that rules classify and texts left to the
classifier). Prints requests/s, median and p95 latency, the queries one create costs, and the
load average, as Markdown for docs/benchmarks.md.

In the same run, django-helpdesk 2.6.1's ticket-create API (`POST /api/tickets/`), installed
with pip in its own virtualenv `.bench/helpdesk-venv` and served by gunicorn with the same
worker settings (bench/helpdesk.py), driven by the same client threads; `--no-helpdesk` skips
it. `--write-doc` replaces the text between the `intake_api` markers in docs/benchmarks.md with
the run's table (requests/s, p50, p95, statements per create, ratios to the DRF floor and to
helpdesk) and the command.
"""

import argparse
import http.client
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import pg  # noqa: E402

DB = os.environ.get("BENCH_DB", "complaints_bench_intake")  # another name: runs side by side
BASE = pg.BASE
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/14")
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))  # as docker-compose.yml
FLOOR = "/bench/drf-floor/"
HELPDESK = "django-helpdesk 2.6.1"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- intake_api:begin -->", "<!-- intake_api:end -->"

TEXTS = [
    "家里宽带从昨晚开始一直断网，光猫红灯闪烁，重启也没用。",
    "这个月话费多扣了三十元，账单上有一项没订过的增值业务。",
    "小区里手机信号很差，打电话经常没有信号，已经一个多星期了。",
    "营业厅工作人员态度很差，办理业务时互相推诿。",
    "申请携号转网一直提示不符合条件，客服也说不清楚原因。",
    "每天都接到推销电话和垃圾短信，要求停止骚扰。",
    "流量包到期后自动续订了，我没有同意过，要求退款。",
    "装维师傅约好上门却没来，也没有提前通知。",
    "5G套餐的网速还不如以前的4G，视频一直卡。",
    "宽带掉线问题报修三次都没解决，再不处理我就投诉到工信部。",
    "国际漫游回来后被收了高额费用，出国前没有任何提醒。",
    "积分兑换的礼品一直没有发货，查不到物流信息。",
]


def environment(var_dir: str) -> dict:
    return {**os.environ, "DATABASE_URL": f"{BASE}/{DB}", "REDIS_URL": REDIS,
            "CACHE_KEY_PREFIX": "bench-intake", "DJANGO_SETTINGS_MODULE": "bench.intake_settings",
            "DEBUG": "0", "SECRET_KEY": "bench-only-not-secret", "VAR_DIR": var_dir,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "WARNING",
            "SMS_BACKEND": "notifications.backends.DatabaseBackend",
            "PYTHONPATH": str(ROOT)}


def prepare() -> str:
    """Migrate, train the classifier, create the agent; the agent's token."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from bench.intake_urls import TABLE_SQL
    from kernel.roles import AGENT, ensure_roles

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("train_classifier", "--labelled-only", verbosity=0)
    print(f"classifier trained in {time.perf_counter() - started:.0f} s", flush=True)
    ensure_roles()
    agent = get_user_model().objects.create_user("bench_agent", password=None)
    agent.groups.add(Group.objects.get(name=AGENT))
    with connection.cursor() as cursor:
        cursor.execute(TABLE_SQL)
    return Token.objects.create(user=agent).key


def queries_per_create(token: str, path: str = "/api/v1/complaints/") -> tuple[int, list[str]]:
    """The queries one API create costs, counted in this process (everything that runs after
    commit included: classification, routing, deadlines, the acknowledgement)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.post(path, payload(0, "warm"), format="json", secure=True)  # caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path, payload(1, "count"), format="json", secure=True)
    assert response.status_code == 201, response.content
    return len(captured), [q["sql"] for q in captured.captured_queries]


def counted(count: int, queries: list[str]) -> str:
    """Statements per create, with the round trips when writes went together (several
    statements in one execute, kernel.db.writes_together)."""
    statements = sum(len(sql.split(";\n")) for sql in queries)
    return str(count) if statements == count else f"{statements} in {count} round trips"


def profile(token: str, n: int) -> None:
    import cProfile
    import pstats

    from django.db import connection
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for i in range(5):  # warm: the classifier, jieba, caches
        client.post("/api/v1/complaints/", payload(i, "warm"), format="json", secure=True)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for i in range(n):
        client.post("/api/v1/complaints/", payload(i, "profile"), format="json", secure=True)
    profiler.disable()
    print(f"{n} creates in process: {(time.perf_counter() - started) / n * 1000:.0f} ms each")
    stats = pstats.Stats(profiler)
    stats.sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(
        os.environ.get("BENCH_FILTER", ""), 45)
    connection.close()
    pg.drop_database(DB)


def payload(i: int, run: str) -> dict:
    rng = random.Random(f"{run}-{i}")
    # A third are repeat callers (one of 50 numbers); the rest call for the first time.
    phone = (f"1390000{rng.randrange(50):04d}" if rng.random() < 0.33
             else f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}")
    return {"channel": "phone", "external_ref": f"CALL-{run}-{i}",
            "customer": {"name": "客户" + str(i), "phone": phone, "email": ""},
            "description": rng.choice(TEXTS)}


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not come up")


def fire(port: int, path: str, token: str, n: int, concurrency: int, run: str,
         make_payload=None) -> dict:
    """n POSTs at `path` from `concurrency` threads; rate and latencies as the client saw them."""
    make_payload = make_payload or payload
    latencies, failures, lock = [], [], threading.Lock()
    counter = iter(range(n))
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
               "X-Forwarded-Proto": "https"}  # as behind the TLS proxy

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            body = json.dumps(make_payload(i, run), ensure_ascii=False).encode()
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status in (200, 201)
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                ok, response = False, error
            elapsed = time.perf_counter() - started
            with lock:
                (latencies if ok else failures).append(elapsed if ok else str(
                    getattr(response, "status", response)))

    threads = [threading.Thread(target=worker) for _n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"rate": len(latencies) / wall, "median": statistics.median(latencies) * 1000,
            "p95": latencies[int(len(latencies) * 0.95) - 1] * 1000, "ok": len(latencies),
            "failed": len(failures), "errors": sorted(set(failures))[:3], "wall": wall}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="per round and endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--show-queries", action="store_true")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="Profile N in-process creates (cProfile) instead of the run.")
    parser.add_argument("--no-helpdesk", action="store_true",
                        help="Skip django-helpdesk (bench/helpdesk.py).")
    parser.add_argument("--write-doc", nargs="?", const=str(DOC), default=None, metavar="PATH",
                        help="Replace the text between the intake_api markers in "
                             "docs/benchmarks.md (or PATH) with this run's table.")
    args = parser.parse_args()

    pg.recreate_database(DB)
    var_dir = tempfile.mkdtemp(prefix="bench-intake-")
    env = environment(var_dir)
    os.environ.update(env)
    token = prepare()
    count, queries = queries_per_create(token)
    print(f"queries per API create: {counted(count, queries)}", flush=True)
    if args.show_queries:
        for sql in queries:
            print("   ", sql[:150])
    if args.profile:
        profile(token, args.profile)
        return
    statements = {"minimal view": 1, "DRF floor": queries_per_create(token, FLOOR)[0],
                  "intake API": counted(count, queries)}
    port = free_port()
    server = start_gunicorn(env, port)
    targets = {"minimal view": (port, "/bench/minimal/", token, payload),
               "DRF floor": (port, FLOOR, token, payload),
               "intake API": (port, "/api/v1/complaints/", token, payload)}
    results = {name: [] for name in targets}
    with ExitStack() as stack:
        stack.callback(_stop, server)
        if not args.no_helpdesk:
            from bench.helpdesk import helpdesk_server

            desk = stack.enter_context(helpdesk_server(port=free_port(), workers=WORKERS))
            targets[HELPDESK] = (desk.port, desk.path, desk.token, lambda i, run: desk.payload(
                i, random.Random(f"{run}-{i}").choice(TEXTS)))
            statements[HELPDESK] = desk.statements
            results[HELPDESK] = []
        for name, (to, path, key, make) in targets.items():  # warm every worker
            fire(to, path, key, 60, args.concurrency, f"warm-{name}", make)
        load_before = os.getloadavg()
        for round_no in range(args.rounds):
            for name, (to, path, key, make) in targets.items():
                result = fire(to, path, key, args.requests, args.concurrency,
                              f"r{round_no}-{name}", make)
                results[name].append(result)
                print(f"  round {round_no + 1} {name}: {result['rate']:.1f}/s, median "
                      f"{result['median']:.0f} ms, p95 {result['p95']:.0f} ms, "
                      f"{result['failed']} failed {result['errors']}", flush=True)
        load_after = os.getloadavg()

    shown = [a for a in sys.argv[1:] if a != args.write_doc and not a.startswith("--write-doc")]
    command = " ".join(["bench/intake_api.py", *shown])
    text = report(results, statements, args, load_before, load_after, command)
    print("\n" + text)
    if args.write_doc:
        write_doc(Path(args.write_doc), text)
        print(f"written to {args.write_doc}")


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    from django.db import connection

    connection.close()
    pg.drop_database(DB)


def report(results: dict, statements: dict, args, load_before, load_after,
           command: str) -> str:
    """The run as Markdown: machine, command and one row per endpoint."""
    rates = {name: statistics.median(r["rate"] for r in rounds)
             for name, rounds in results.items()}
    floor, desk = rates["DRF floor"], rates.get(HELPDESK)
    lines = [
        f"**Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}** "
        f"(`{command}`): {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"gunicorn with {WORKERS} sync workers for both products, {args.requests} requests "
        f"per round and endpoint at concurrency {args.concurrency}, {args.rounds} round(s); "
        f"load average (1 min) {load_before[0]:.1f} before and {load_after[0]:.1f} after the "
        "timed rounds.",
        "",
        "```sh",
        f".venv/bin/python {command}",
        "```",
        "",
        "| endpoint | requests/s (rounds) | p50 | p95 | statements per create "
        "| ÷ DRF floor | ÷ helpdesk | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rounds in results.items():
        each = ", ".join(f"{r['rate']:.1f}" for r in rounds)
        lines.append(
            f"| {name} | {rates[name]:.1f} ({each}) "
            f"| {statistics.median(r['median'] for r in rounds):.0f} ms "
            f"| {statistics.median(r['p95'] for r in rounds):.0f} ms "
            f"| {statements.get(name, '')} | {rates[name] / floor:.2f} "
            f"| {f'{rates[name] / desk:.2f}' if desk else '–'} "
            f"| {sum(r['failed'] for r in rounds)} |")
    lines += ["", "Targets for the intake API: ≥ 0.40 of the DRF floor, ≥ 3× django-helpdesk, "
              "≤ 15 statements per create."]
    return "\n".join(lines)


def write_doc(path: Path, text: str) -> None:
    doc = path.read_text()
    start, end = doc.find(BEGIN), doc.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: markers {BEGIN} … {END} not found")
    path.write_text(doc[:start + len(BEGIN)] + "\n" + text + "\n" + doc[end:])


if __name__ == "__main__":
    main()
