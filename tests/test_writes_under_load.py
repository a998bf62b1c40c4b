"""Writes under load, bounded for CI: benchmarks/writes.py with 50 people for 30 seconds through granian (as
``make run`` serves), on PostgreSQL when the suite runs on it (scripts/ci-postgres: the benchmark makes a
database of its own on that server and drops it) and on SQLite otherwise. Every acknowledged disclosure, consent
answer and policy acceptance is in the database once, nothing unacknowledged is, and nothing answered 5xx."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_fifty_people_writing_for_thirty_seconds_are_each_recorded_exactly_once():
    from django.db import connection

    try:
        import aiohttp  # noqa: F401 - the load's clients
        from granian import __version__  # noqa: F401 - the server
    except ImportError:
        skip_or_fail("aiohttp and granian are in requirements.lock: run `make setup`")
    command = [sys.executable, "benchmarks/writes.py", "--users", "50", "--seconds", "30", "--check"]
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        host = db["HOST"] or "localhost"
        command += [
            "--database-url",
            f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/x",
        ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFERSTAFF_")}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "exactly once, no 5xx: yes" in result.stdout
    # The load really happened: each kind was acknowledged at least once under it.
    load = [line for line in result.stdout.splitlines() if line.startswith("| load | 50 |")]
    assert {line.split("|")[4].strip() for line in load} == {"disclosure", "consent", "acceptance"}
    assert all(int(line.split("|")[6]) > 0 for line in load)
