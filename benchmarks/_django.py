"""The start every Django benchmark shares: importing this module sets the environment (a scratch
SAFERSTAFF_VAR, a throwaway SQLite database unless DATABASE_URL is set, DEBUG off as in production, quiet
logs) and calls ``django.setup()``. Benchmarks are run as scripts, so this folder is on ``sys.path``."""

import os
import sys
import tempfile
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


def database() -> str:
    """The database the benchmark ran on, with its version."""
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file under {Path(connection.settings_dict['NAME']).parent})"
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        return f"PostgreSQL {cur.fetchone()[0]}"
