"""granian against gunicorn, serving the same pages of the demo school with the same processes and threads.

Loads the demo (``load_demo``) into a scratch SQLite database, signs a teacher in once (a session cookie), then
starts each server in turn on a loopback port and runs ``wrk`` against three pages: /healthz (the ceiling: a
trivial view through the same middleware), the school overview and the pupil list. Prints requests/s and the
p50/p95/p99 latency per server per page, side by side.

    .venv/bin/python benchmarks/webserver.py [--seconds 10] [--connections 10] [--workers 2] [--threads 4]

Needs Debian's ``wrk`` (``apt-get install -y wrk``) and gunicorn (``pip install`` the version in
requirements.lock). About 10 s per page per server, plus ~30 s to load the demo.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from _machine import machine
from _web import ROOT, THREADS, WORKERS, WRK_REPORT, start, stop, wrk


def prepare(env: dict) -> tuple[str, dict[str, str]]:
    """Migrate, load the demo and sign the demo teacher in: their session cookie and the pages' addresses."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--no-input", "-v", "0"], ["createcachetable"], ["load_demo"]):
        subprocess.run(manage + command, env=env, cwd=ROOT, check=True, capture_output=True)
    script = """
import json
from django.test import Client
from saferstaff.accounts.models import User
from saferstaff.schools.models import School
from django.urls import reverse
school = School.objects.get(name="Westfield Infant School (demo)")
client = Client()
client.force_login(User.objects.get(email="teacher@demo.example"))
pages = {
    "overview": reverse("school_dashboard", kwargs={"school": school.slug}),
    "pupil list": reverse("pupil_list", kwargs={"school": school.slug}),
}
for name, url in pages.items():
    status = client.get(url).status_code
    assert status == 200, f"{name}: {status} (the teacher must reach it without a redirect)"
print(json.dumps({"cookie": client.cookies["sessionid"].value, "pages": pages}))
"""
    out = subprocess.run(
        manage + ["shell", "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    return found["cookie"], {"/healthz (ceiling)": "/healthz", **found["pages"]}


def measure(servers, env, cookie, pages, args, lua) -> dict[str, dict[str, dict]]:
    """Both servers up at once, idle while the other is measured; page by page, one server then the other, so
    a change in the machine's load falls on both alike."""
    running = {}
    try:
        for server in servers:
            running[server] = start(server, env, args.workers, args.threads)
        results = {server: {} for server in servers}
        for name, path in pages.items():
            for server, (_, port) in running.items():
                wrk(port, path, cookie, 2, args.connections, lua)  # warm up: imports, templates, connections
                results[server][name] = r = wrk(port, path, cookie, args.seconds, args.connections, lua)
                print(f"  {server:8} {name:20} {r['rps']:7.0f} req/s", file=sys.stderr, flush=True)
        return results
    finally:
        for proc, _ in running.values():
            stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    scratch = Path(tempfile.mkdtemp(prefix="saferstaff-webserver-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SAFERSTAFF_", "DATABASE_URL"))},
        "SAFERSTAFF_VAR": str(scratch),
        "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3",
        "DEBUG": "false",  # as in production
        "PYTHONPATH": str(ROOT),  # this checkout's code, whichever one the venv was installed from
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",  # no worker runs here
    }
    lua = scratch / "report.lua"
    lua.write_text(WRK_REPORT)
    try:
        cookie, pages = prepare(env)
        results = measure(("granian", "gunicorn"), env, cookie, pages, args, lua)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    load = os.getloadavg()[0]
    print(f"\n{machine()}; SQLite; wrk -t2 -c{args.connections} -d{args.seconds}s, signed in as a teacher")
    print(f"load average at the end: {load:.1f} (other work on the machine slows both servers alike)")
    print(f"both servers: {args.workers} worker processes × {args.threads} threads (gunicorn: gthread)\n")
    print("| page | server | requests/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for name in pages:
        for server, by_page in results.items():
            r = by_page[name]
            errors = r["non2xx"] + r["errors"]
            print(
                f"| {name} | {server} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
                f"| {errors} |"
            )


if __name__ == "__main__":
    main()
