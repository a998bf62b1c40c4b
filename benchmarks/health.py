"""What the health checks cost: /healthz (the process answers) against /readyz (a query, a file written, read
and deleted in storage, the queue's oldest task), through the whole middleware, with Django's test client.

    .venv/bin/python benchmarks/health.py [--requests 300]

Uses a throwaway SQLite database and file storage under /tmp unless DATABASE_URL / STORAGE_BACKEND are set,
with 1,000 finished and 50 waiting tasks in the queue table."""

import argparse
import statistics
import time

import _django  # noqa: F401  (sets up Django: before any Django import)
from _django import database  # noqa: E402
from _machine import machine  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django_tasks_db.models import DBTaskResult, get_date_max  # noqa: E402


def fill_queue(finished: int, waiting: int) -> None:
    row = {"args_kwargs": {"args": [], "kwargs": {}}, "task_path": "bench.nothing", "backend_name": "default"}
    DBTaskResult.objects.bulk_create(
        [DBTaskResult(**row, run_after=get_date_max(), status="SUCCESSFUL") for _ in range(finished)]
        + [DBTaskResult(**row, run_after=get_date_max()) for _ in range(waiting)]
    )


def latencies(client: Client, path: str, n: int) -> list[float]:
    for _ in range(10):  # warm up
        client.get(path)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.content[:200])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    fill_queue(1000, 50)
    client = Client()
    print(f"{machine()}; {database()}; storage: {settings.STORAGE_BACKEND}; {args.requests} requests each\n")
    print("| endpoint | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for path in ("/healthz", "/readyz"):
        times = sorted(latencies(client, path, args.requests))
        p95 = times[int(len(times) * 0.95) - 1]
        print(f"| {path} | {statistics.median(times):.2f} | {p95:.2f} | {times[-1]:.2f} |")


if __name__ == "__main__":
    main()
