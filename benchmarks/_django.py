"""The start every Django benchmark shares: importing this module sets the environment (a scratch
SAFERSTAFF_VAR, a throwaway SQLite database unless DATABASE_URL is set, DEBUG off as in production, quiet
logs) and calls ``django.setup()``. Benchmarks are run as scripts, so this folder is on ``sys.path``."""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRATCH = tempfile.mkdtemp(prefix="saferstaff-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saferstaff.settings")
os.environ.setdefault("SAFERSTAFF_VAR", SCRATCH)
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "false")  # as in production: no per-query debug bookkeeping
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{SCRATCH}/bench.sqlite3"

django.setup()

from django.db import connection, reset_queries  # noqa: E402  (after setup)
from django.test.utils import CaptureQueriesContext  # noqa: E402


def database() -> str:
    """The database the benchmark ran on, with its version."""
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file under {Path(connection.settings_dict['NAME']).parent})"
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return f"PostgreSQL {cur.fetchone()[0]}"


def timed(fn, runs: int) -> tuple[float, float, int]:
    """Median wall and CPU milliseconds of ``runs`` calls of ``fn``, and the queries of the last one. SQLite
    runs in this process, so its work is in the CPU time too; on a shared, loaded machine the CPU time is the
    steadier figure. Each run's queries are counted from an empty log (Django keeps only the last 9,000)."""
    times, cpu, queries = [], [], 0
    for _ in range(runs):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        queries = len(ctx.captured_queries)
    return statistics.median(times) * 1000, statistics.median(cpu) * 1000, queries
