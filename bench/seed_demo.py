#!/usr/bin/env python3
"""Benchmark `manage.py seed_demo --complaints N` on a fresh SQLite file and a fresh PostgreSQL
database, and print the figures as Markdown rows for docs/benchmarks.md.

    .venv/bin/python bench/seed_demo.py                      # 100,000 on SQLite and PostgreSQL
    .venv/bin/python bench/seed_demo.py --million            # also 1,000,000 on PostgreSQL
    .venv/bin/python bench/seed_demo.py --sizes 20000 --databases sqlite

Each run starts from an empty database: SQLite in a temporary VAR_DIR, PostgreSQL in a database
created with `createdb` and dropped afterwards. Wall time covers the whole command (process start,
staff, customers, complaints, timeline), not `migrate`. Rows = complaints + customers + timeline
entries, as the command reports them.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
MILLION_IF_100K_UNDER = 60.0  # seconds: only then is 1,000,000 worth the wait


def main() -> int:
    args = parse_args()
    print_machine(args.pg_server)
    print("| database | complaints | wall time | complaints/s | rows | rows/s | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for database in args.databases:
        for n in args.sizes:
            result = run(database, n, args)
            print(result.markdown(), flush=True)
            if (args.million and database == "postgres" and n == 100_000
                    and result.wall < MILLION_IF_100K_UNDER):
                print(run(database, 1_000_000, args).markdown(), flush=True)
            elif args.million and database == "postgres" and n == 100_000:
                print(f"(1,000,000 skipped: 100,000 took {result.wall:.0f} s, over "
                      f"{MILLION_IF_100K_UNDER:.0f} s)")
    return 0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgres"],
                        choices=["sqlite", "postgres"])
    parser.add_argument("--pg-server", default=os.environ.get(
        "PG_SERVER", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--pg-database", default="seedbench")
    parser.add_argument("--million", action="store_true",
                        help="Also seed 1,000,000 on PostgreSQL if 100,000 took under "
                             f"{MILLION_IF_100K_UNDER:.0f} s.")
    return parser.parse_args()


class Result:
    def __init__(self, database: str, n: int, wall: float, rows: int, rss_mb: float | None):
        self.database, self.n, self.wall, self.rows, self.rss_mb = database, n, wall, rows, rss_mb

    def markdown(self) -> str:
        rss = f"{self.rss_mb:,.0f} MB" if self.rss_mb else "-"
        return (f"| {self.database} | {self.n:,} | {self.wall:,.1f} s | "
                f"{self.n / self.wall:,.0f} | {self.rows:,} | {self.rows / self.wall:,.0f} | "
                f"{rss} |")


def run(database: str, n: int, args) -> Result:
    var_dir = tempfile.mkdtemp(prefix="seedbench-")
    env = {**os.environ, "VAR_DIR": var_dir, "DEBUG": os.environ.get("DEBUG", "1")}
    env.pop("DATABASE_URL", None)
    try:
        if database == "postgres":
            env["DATABASE_URL"] = f"{args.pg_server.rstrip('/')}/{args.pg_database}"
            postgres_tool("dropdb", args, "--if-exists")
            postgres_tool("createdb", args)
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                       check=True)
        return timed_seed(database, n, env, var_dir)
    finally:
        if database == "postgres":
            postgres_tool("dropdb", args, "--if-exists")
        shutil.rmtree(var_dir, ignore_errors=True)


def timed_seed(database: str, n: int, env: dict, var_dir: str) -> Result:
    command = [PYTHON, "manage.py", "seed_demo", "--complaints", str(n)]
    rss_file = Path(var_dir) / "rss"
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists()
                                         else None)
    if gnu_time:
        command = [gnu_time, "-f", "%M", "-o", str(rss_file), *command]
    started = time.perf_counter()
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True,
                            text=True).stdout
    wall = time.perf_counter() - started
    sys.stderr.write(output)
    rss_mb = int(rss_file.read_text().split()[-1]) / 1024 if rss_file.exists() else None
    return Result(database, n, wall, rows_written(output), rss_mb)


def rows_written(output: str) -> int:
    """Complaints + new customers + timeline entries, from the command's summary."""
    def number(pattern: str) -> int:
        match = re.search(pattern, output)
        return int(match.group(1).replace(",", "")) if match else 0

    return (number(r"Added ([\d,]+) complaints") + number(r"new customers: ([\d,]+)")
            + number(r"timeline entries: ([\d,]+)"))


def postgres_tool(tool: str, args, *options: str) -> None:
    url = urlparse(args.pg_server)
    command = [tool, "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432),
               "-U", url.username or "postgres", *options, args.pg_database]
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    subprocess.run(command, check=True, env=env)


def print_machine(pg_server: str) -> None:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = re.findall(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = models[0] if models else cpu
    sqlite = subprocess.run([PYTHON, "-c", "import sqlite3; print(sqlite3.sqlite_version)"],
                            capture_output=True, text=True).stdout.strip()
    server = subprocess.run(["psql", pg_server, "-Atc", "show server_version"],
                            capture_output=True, text=True).stdout.strip() or "?"
    print(f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
          f"SQLite {sqlite}, PostgreSQL {server}")
    print()


if __name__ == "__main__":
    sys.exit(main())
