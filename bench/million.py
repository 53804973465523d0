#!/usr/bin/env python3
"""The 1,000,000 benchmarks on one database made by the product: desk, dashboard, SLA sweep.

    # make the database (drops it first), then run the three benchmarks on it
    .venv/bin/python bench/million.py --prepare --complaints 1000000 --database b1m_bench
    # run them again on the database as it is; --write-doc puts the section in docs/benchmarks.md
    .venv/bin/python bench/million.py --database b1m_bench --write-doc
    .venv/bin/python bench/million.py --database b1m_bench --only sweep

--prepare creates the database, runs `manage.py migrate`, then `manage.py seed_demo
--complaints N` as a child process (timed, with its peak RSS): above 2,000 complaints the seed
sends generated messages through the set-based intake pipeline, so every complaint has its
clocks, classification, timeline and report figures, and the loader analyses what it wrote.
Then bench/beat_catch_up.py does at once what the beat would have done in the hours after the
load, with the product's own functions: one SLA sweep (open complaints received days ago start
their clocks from then, so many are due), the report figures' catch-up and the dirty days'
daily figures (not timed as a benchmark; its time is reported, its log in var/). Nothing else
is written: no SQL, no VACUUM or ANALYZE. The facts of the preparation are kept in
var/million-<database>.json for later runs, each benchmark's last output beside it.

The three benchmarks then run as child processes, in this order, and none of them writes to
the database: bench/desk_queue.py (every tab, search, the team page), bench/reports_dashboard.py
(page and API per range, then its equality checks against percentile_cont and sla_clock) and
bench/sla_sweep.py --database (the sweep with --due clocks due, each run on a fresh copy).
Their output is printed as it comes and gathered into Markdown for docs/benchmarks.md, with the
command, the machine and the load average before and after each benchmark.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import pg  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
BENCHMARKS = ("desk", "dashboard", "sweep")
TITLES = {"desk": "Desk: every tab, search and the team page",
          "dashboard": "Reports dashboard: page and API",
          "sweep": "SLA sweep"}


def main() -> int:
    args = parse_args()
    facts_file = ROOT / "var" / f"million-{args.database}.json"
    if args.prepare:
        facts = prepare(args.database, args.complaints)
        facts_file.parent.mkdir(exist_ok=True)
        facts_file.write_text(json.dumps(facts, indent=1))
    elif facts_file.exists():
        facts = json.loads(facts_file.read_text())
    else:
        facts = {}
    # Each benchmark's last result is kept, so `--only sweep` re-runs one and the section
    # still shows the others (with their own dates and load).
    results_file = ROOT / "var" / f"million-{args.database}-results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() and \
        not args.prepare else {}
    for name in args.only:
        results[name] = run_benchmark(name, args)
        results_file.write_text(json.dumps(results, indent=1))
    results = {name: results[name] for name in BENCHMARKS if name in results}
    doc = markdown(args, facts, results)
    print("\n" + doc)
    if args.write_doc:
        write_section(doc)
        print(f"written to {DOC.relative_to(ROOT)}")
    return 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prepare", action="store_true",
                        help="(Re)create the database with seed_demo first.")
    parser.add_argument("--complaints", type=int, default=1_000_000,
                        help="With --prepare: how many complaints to seed.")
    parser.add_argument("--database", default="complaints_bench_million")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, default=list(BENCHMARKS))
    parser.add_argument("--desk-runs", type=int, default=15)
    parser.add_argument("--dashboard-runs", type=int, default=7)
    parser.add_argument("--sweep-runs", type=int, default=3)
    parser.add_argument("--due", type=int, default=1000, help="Clocks due in the timed sweep.")
    parser.add_argument("--write-doc", action="store_true",
                        help="Write (or replace) the section in docs/benchmarks.md.")
    return parser.parse_args()


def manage(database: str, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def child_env(database: str) -> dict:
    return {**os.environ, "DATABASE_URL": f"{pg.BASE}/{database}"}


def prepare(database: str, complaints: int) -> dict:
    """The database as the product makes it: migrate, seed_demo, one sweep."""
    facts = {"complaints": complaints, "started": now_utc(), "load_before": load()}
    pg.recreate_database(database)
    env = child_env(database)
    started = time.perf_counter()
    subprocess.run(manage(database, "migrate", "--noinput", "-v0"), env=env, check=True,
                   cwd=ROOT)
    facts["migrate_s"] = round(time.perf_counter() - started, 1)
    rss_file = ROOT / "var" / f"million-{database}.rss"
    rss_file.parent.mkdir(exist_ok=True)
    command = manage(database, "seed_demo", "--complaints", str(complaints))
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if Path(gnu_time).exists():
        command = [gnu_time, "-f", "%M", "-o", str(rss_file), *command]
    started = time.perf_counter()
    output = stream(command, env)
    facts["seed_s"] = round(time.perf_counter() - started, 1)
    if rss_file.exists():
        facts["seed_peak_rss_mb"] = round(int(rss_file.read_text().split()[-1]) / 1024)
        rss_file.unlink()
    summary = [line.strip() for line in output if line.startswith(("Added", "  new customers",
                                                                    "  by status"))]
    facts["seed_summary"] = summary
    facts["load_after_seed"] = load()
    started = time.perf_counter()
    log = ROOT / "var" / f"million-{database}-catch-up.log"
    with log.open("w") as stderr:  # the sweep logs a line per complaint without a contact
        done = stream([sys.executable, str(ROOT / "bench" / "beat_catch_up.py")], env,
                      stderr=stderr)
    facts["catch_up_s"] = round(time.perf_counter() - started, 1)
    facts["catch_up"] = [line for line in done[:-1] if line.strip()]
    facts["load_after"] = load()
    return facts


def stream(command: list[str], env: dict, stderr=None) -> list[str]:
    """Run `command`, echoing its output as it comes; return its lines."""
    lines = []
    with subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr,
                          text=True, bufsize=1) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            lines.append(line.rstrip("\n"))
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed with exit code {process.returncode}")
    return lines


def run_benchmark(name: str, args) -> dict:
    script = {"desk": ["bench/desk_queue.py", "--runs", str(args.desk_runs)],
              "dashboard": ["bench/reports_dashboard.py", "--runs", str(args.dashboard_runs)],
              "sweep": ["bench/sla_sweep.py", "--runs", str(args.sweep_runs),
                        "--due", str(args.due)]}[name]
    command = [sys.executable, *script, "--database", args.database]
    print(f"\n### {name}: {' '.join(script)} --database {args.database}", flush=True)
    before, started_at = load(), now_utc()
    started = time.perf_counter()
    with (ROOT / "var" / f"million-{args.database}-{name}.log").open("w") as stderr:
        lines = stream(command, {**os.environ}, stderr=stderr)  # stderr: the apps' logging
    return {"command": ".venv/bin/python " + " ".join(script + ["--database", args.database]),
            "lines": lines, "load_before": before, "load_after": load(),
            "started": started_at, "seconds": round(time.perf_counter() - started)}


def markdown(args, facts: dict, results: dict) -> str:
    total = facts.get("complaints") or count_complaints(args.database)
    smoke = total < 1_000_000
    title = f"## {total:,} on pipeline-made data"
    if smoke:
        title += " (smoke size, not the target)"
    out = [title, ""]
    if smoke:
        out += [f"**A smoke size ({total:,} complaints), not the issue's target of 1,000,000**: "
                "it shows the scripts run end to end on data the product made; the figures say "
                "nothing about 1,000,000.", ""]
    prepare_cmd = (f".venv/bin/python bench/million.py --prepare --complaints {total} "
                   f"--database {args.database}")
    out += ["**Run it again:**", "", "```sh", prepare_cmd,
            f".venv/bin/python bench/million.py --database {args.database} --write-doc"
            "   # again on the same data", "```", "",
            f"**Machine:** {machine()}; commit {commit()}.", ""]
    if facts:
        out += ["**Data:** made once by the product, nothing written in SQL, no manual VACUUM "
                "or ANALYZE: " + ", ".join(filter(None, [
                    f"`migrate` {facts.get('migrate_s')} s",
                    f"`seed_demo --complaints {total}` {facts.get('seed_s')} s"
                    + (f" (peak RSS {facts['seed_peak_rss_mb']:,} MB)"
                       if "seed_peak_rss_mb" in facts else ""),
                    f"then what the beat would have done after the load, at once "
                    f"(bench/beat_catch_up.py: one sweep, the report figures' catch-up, the "
                    f"dirty days' daily figures) {facts.get('catch_up_s')} s"]))
                + f". Prepared from {facts.get('started')}, load average "
                f"{facts.get('load_before')} before, {facts.get('load_after_seed')} after the "
                "seed.", ""]
        out += [f"- {line}" for line in facts.get("seed_summary", []) + facts.get(
            "catch_up", [])] + [""]
    for name, result in results.items():
        out += [f"### {TITLES[name]} ({total:,})", "", "```sh", result["command"], "```", "",
                f"Started {result['started']}, {result['seconds']} s in all; load average "
                f"{result['load_before']} before, {result['load_after']} after.", ""]
        out += table_and_notes(result["lines"])
    return "\n".join(out).rstrip() + "\n"


def table_and_notes(lines: list[str]) -> list[str]:
    """A benchmark's Markdown rows as a table (with the header a script printed), every
    other line of its output in a text block below."""
    table = [line for line in lines if line.startswith("|")]
    notes = [line for line in lines if line.strip() and not line.startswith("|")]
    if table and not table[0].startswith("| case") and len(table) > 1 \
            and not re.match(r"\|[-|: ]+\|$", table[1]):
        table = ["| case | request | median | runs (ms) | queries |", "|---|---|---:|---|---:|",
                 *table]
    out = table + [""] if table else []
    if notes:
        out += ["```text", *notes, "```", ""]
    return out


def write_section(doc: str) -> None:
    """Replace the section of the same heading in docs/benchmarks.md, or append it."""
    text = DOC.read_text()
    heading = doc.splitlines()[0]
    start = text.find(heading + "\n")
    if start < 0:
        DOC.write_text(text.rstrip("\n") + "\n\n" + doc)
        return
    following = text.find("\n## ", start + len(heading))
    end = following + 1 if following >= 0 else len(text)
    DOC.write_text(text[:start] + doc + ("\n" if following >= 0 else "") + text[end:])


def count_complaints(database: str) -> int:
    import psycopg2

    with psycopg2.connect(f"{pg.BASE}/{database}") as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaint")
        return cur.fetchone()[0]


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = re.findall(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = models[0] if models else cpu
    server = subprocess.run(["psql", f"{pg.BASE}/postgres", "-Atc", "show server_version"],
                            capture_output=True, text=True).stdout.strip() or "?"
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"PostgreSQL {server.split()[0] if server != '?' else server}, shared with other "
            "work (see the load averages)")


def commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip() or "?"


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


if __name__ == "__main__":
    sys.exit(main())
