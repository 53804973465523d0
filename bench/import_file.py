#!/usr/bin/env python3
"""Benchmark: `manage.py import_complaints` of a generated history file.

Usage (PostgreSQL on loopback):
    .venv/bin/python bench/import_file.py [--rows 100000] [--format csv|jsonl] [--batch-size 1000]
                                          [--keep-file PATH] [--write-doc]

Creates (and drops) the database `import_bench`, migrates it, writes a file of `--rows`
complaints (three in four closed in 2025 with their resolved and closed times, one in eight
resolved, the rest open since October 2026; realistic Chinese texts, categories by name and by
code, 5,000 repeat callers), then runs the command in a child process (as an operator would)
and reports rows/s and the child's peak RSS. Nothing is written to docs/benchmarks.md unless
`--write-doc` (then the Markdown row is appended under "import_complaints").
"""

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import pg  # noqa: E402

DB = "import_bench"
HEADER = ["工单编号", "受理时间", "解决时间", "关闭时间", "最终状态", "客户姓名", "联系电话",
          "投诉类别", "渠道", "标题", "投诉内容", "处理结果"]
TEXTS = [
    ("宽带断网/网速慢", "家里宽带从昨晚开始一直断网，光猫红灯闪烁，重启也没用。"),
    ("billing-unknown-charge", "这个月话费多扣了三十元，账单上有一项没订过的增值业务。"),
    ("信号覆盖弱/无信号", "小区里手机信号很差，打电话经常没有信号，已经一个多星期了。"),
    ("", "营业厅工作人员态度很差，办理业务时互相推诿。"),
    ("携号转网受阻", "申请携号转网一直提示不符合条件，客服也说不清楚原因。"),
    ("营销外呼/短信骚扰", "每天都接到推销电话和垃圾短信，要求停止骚扰。"),
    ("billing-refund", "流量包到期后自动续订了，我没有同意过，要求退款。"),
    ("宽带故障修复超时", "装维师傅约好上门却没来，也没有提前通知。"),
    ("移动上网慢", "5G套餐的网速还不如以前的4G，视频一直卡。"),
    ("国际漫游费用", "国际漫游回来后被收了高额费用，出国前没有任何提醒。"),
]
NAMES = "张伟 王芳 李娜 刘洋 陈静 杨帆 赵敏 黄磊 周杰 吴霞 郑浩 孙丽".split()
CHANNELS = ["热线", "热线", "热线", "短信", "网站", "营业厅", "客户端", "工信部"]


def generate(path: str, rows: int, fmt: str, seed: int = 14) -> None:
    rng = random.Random(seed)
    start_2025 = datetime(2025, 1, 1, 8, 0)
    open_since = datetime(2026, 10, 1, 8, 0)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle) if fmt == "csv" else None
        if writer:
            writer.writerow(HEADER)
        for i in range(rows):
            category, text = TEXTS[i % len(TEXTS)]
            kind = rng.random()
            if kind < 0.875:
                received = start_2025 + timedelta(minutes=rng.randrange(0, 360 * 24 * 60))
                resolved = received + timedelta(hours=rng.choice([2, 6, 20, 30, 80, 200]))
                closed = resolved + timedelta(days=3) if kind < 0.75 else None
                status = "已关闭" if closed else "已解决"
            else:
                received = open_since + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
                resolved = closed = None
                status = rng.choice(["新建", "已受理", "处理中"])
            fmt_time = (lambda m: m.strftime("%Y-%m-%d %H:%M") if m else "")
            values = [f"BENCH-{i:08d}", fmt_time(received), fmt_time(resolved),
                      fmt_time(closed), status, rng.choice(NAMES),
                      f"1{rng.choice('3578')}{rng.randrange(0, 5000):09d}", category,
                      rng.choice(CHANNELS), text[:12], f"{text}（{i}）",
                      "已核实处理，客户认可。" if resolved else ""]
            if writer:
                writer.writerow(values)
            else:
                handle.write(json.dumps(dict(zip(HEADER, values)), ensure_ascii=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--keep-file", default="")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--database", default=DB, help="created and dropped (default %(default)s)")
    args = parser.parse_args()

    env = dict(os.environ, DATABASE_URL=f"{pg.BASE}/{args.database}",
               DJANGO_SETTINGS_MODULE="config.settings")
    env.pop("REDIS_URL", None)  # the filesystem broker and a local cache: nothing shared
    python = str(ROOT / ".venv" / "bin" / "python")
    pg.recreate_database(args.database)
    try:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env,
                       check=True)
        with tempfile.TemporaryDirectory() as tmp:
            path = args.keep_file or os.path.join(tmp, f"history.{args.format}")
            generate(path, args.rows, args.format)
            size = os.path.getsize(path)
            started = time.perf_counter()
            done = subprocess.run(
                [python, "manage.py", "import_complaints", path, "--no-progress",
                 "--batch-size", str(args.batch_size), "--report", os.path.join(tmp, "r.csv")],
                cwd=ROOT, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(done.stdout.strip(), done.stderr.strip()[-2000:], sep="\n")
        if done.returncode != 0:
            sys.exit(f"import_complaints exited {done.returncode}")
    finally:
        pg.drop_database(args.database)
    line = (f"| {args.rows:,} | {args.format} | {size / 1e6:.1f} MB | {args.batch_size} | "
            f"{elapsed:.1f} s | {args.rows / elapsed:.0f} | {peak_mb:.0f} MB |")
    header = ("| rows | format | file | batch | time | rows/s | peak RSS |\n"
              "|---:|---|---:|---:|---:|---:|---:|")
    print(f"\n{platform.node()}, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n{header}\n{line}")
    if args.write_doc:
        doc = ROOT / "docs" / "benchmarks.md"
        text = doc.read_text(encoding="utf-8")
        if "## import_complaints" not in text:
            text += ("\n## import_complaints\n\nCommand: `.venv/bin/python bench/import_file.py "
                     "--rows N` (a generated history file; see the script's docstring).\n\n"
                     f"{header}\n")
        doc.write_text(text.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
