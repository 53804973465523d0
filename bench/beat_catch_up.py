#!/usr/bin/env python3
"""What the beat would have done in the hours after a bulk load, run at once: the product's own
periodic work, nothing written by hand. Used by bench/million.py --prepare after seed_demo.

    DATABASE_URL=postgres://…/DB .venv/bin/python bench/beat_catch_up.py

1. `sla.sweep.sla_sweep()` (the beat: every minute, SLA_SWEEP_BATCH clocks a batch): the
   clocks that fell due during the load (open complaints received days ago start their clocks
   from their received time) are warned, breached and escalated.
2. `reports.aggregates.facts_catch_up()` (every ten minutes; up to 60,000 complaints a call),
   until it finds nothing: figures of complaints changed without an event, and those the sweep
   marked breached, so the dashboard's read-time set of overdue deadlines stays small.
3. `reports.aggregates.dirty_rebuild()` (every minute; 60 days a call), until no past day is
   dirty: the daily figures the dashboard sums (the seed marks every day it wrote dirty).

Prints one line per step with its time and what it did (JSON on the last line).
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MAX_CALLS = 1000  # a bound, far above what 1,000,000 complaints need


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from reports.aggregates import dirty_rebuild, facts_catch_up
    from reports.models import DirtyDay
    from sla.sweep import sla_sweep

    done = {}
    started = time.perf_counter()
    done["sweep"] = sla_sweep(batch_size=settings.SLA_SWEEP_BATCH).as_dict()  # as the beat
    done["sweep_s"] = round(time.perf_counter() - started, 1)
    print(f"sla_sweep: {done['sweep']} in {done['sweep_s']} s", flush=True)

    started, refreshed, calls = time.perf_counter(), 0, 0
    while calls < MAX_CALLS:
        calls += 1
        n = facts_catch_up()
        refreshed += n
        if not n:
            break
    done["facts_catch_up"] = {"complaints": refreshed, "calls": calls}
    done["facts_catch_up_s"] = round(time.perf_counter() - started, 1)
    print(f"facts_catch_up: {refreshed:,} complaint figures in {calls} calls, "
          f"{done['facts_catch_up_s']} s", flush=True)

    started, rows, calls = time.perf_counter(), 0, 0
    today = timezone.localdate()
    while calls < MAX_CALLS and DirtyDay.objects.filter(day__lt=today).exists():
        calls += 1
        rows += dirty_rebuild()
    done["dirty_rebuild"] = {"daily_rows": rows, "calls": calls}
    done["dirty_rebuild_s"] = round(time.perf_counter() - started, 1)
    print(f"dirty_rebuild: {rows:,} daily rows in {calls} calls, {done['dirty_rebuild_s']} s",
          flush=True)
    print(json.dumps(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
