"""The key pages of the demo school against the ceiling, now and at a named baseline, side by side in one run.

Under granian as `make run` serves them (2 workers × 4 threads), on loopback, signed in as the demo Headteacher
(the trust page as the demo trust admin). The ceiling is a page that answers "ok" and does nothing else, at the
demo school, for the same signed-in Headteacher: every middleware runs for it (session, access map with the
school's roles, second factor, compulsory policies, audit context), so a page's share of the ceiling is what the
page itself costs, not the middleware (``_ping_urls``: a URL conf only this benchmark loads). Prints per page
and side: requests/s at 10 connections (wrk), p50/p95/p99 latency, the share of that side's ceiling, queries
per page, the CPU time per request of a loop of in-process requests (the steadier figure on a shared
machine), and the server's own CPU time per served request (its processes' user + system time over the wrk run
divided by its requests): the two should be close, a gap is work the server does that the loop does not. Each side runs its own checkout (the baseline from ``git archive``) on its own copy of the demo.

    .venv/bin/python benchmarks/pages.py [--baseline 57247ab] [--seconds 8] [--rounds 2] [--connections 10]

Needs Debian's ``wrk``. About 2 × 8 pages × (2 + seconds) s per round, plus ~1 min to load the demo twice.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _machine import machine
from _web import THREADS, WORKERS, WRK_REPORT, cpu_seconds, start, stop, wrk

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent

# Run in each side's own checkout (manage.py shell): signs the two people in, checks every page answers 200,
# counts its queries and times a loop of requests in the process.
PROBE = """
import json, time, statistics
from django.db import connection
from django.test import Client
from django.urls import reverse
from saferstaff.accounts.models import User
from saferstaff.schools.models import School

school = School.objects.get(name="Westfield Infant School (demo)")
s = {"school": school.slug}
head, admin = Client(), Client()
head.force_login(User.objects.get(email="head@demo.example"))
admin.force_login(User.objects.get(email="trustadmin@demo.example"))
pages = {
    "ceiling (ok, signed in)": (head, reverse("bench_ping", kwargs=s)),
    "school overview": (head, reverse("school_dashboard", kwargs=s)),
    "image library": (head, reverse("image_list", kwargs=s)),
    "consent register": (head, reverse("consent_register", kwargs=s)),
    "pupil list": (head, reverse("pupil_list", kwargs=s)),
    "case list": (head, reverse("case_list", kwargs=s)),
    "trust page": (admin, reverse("trust_dashboard", kwargs={"trust": school.trust.slug})),
    "check a post": (head, reverse("draft_check", kwargs=s)),
}
found = {}
for name, (client, url) in pages.items():
    assert client.get(url).status_code == 200, name
    sql = []
    def count(execute, *args):
        sql.append(1)
        return execute(*args)
    with connection.execute_wrapper(count):
        status = client.get(url).status_code
    assert status == 200, f"{name}: {status} (must be reached without a redirect)"
    cpu = []
    for _ in range(RUNS):
        c0 = time.process_time()
        client.get(url)
        cpu.append(time.process_time() - c0)
    found[name] = {"url": url, "queries": len(sql), "cpu_ms": statistics.median(cpu) * 1000,
                   "cookie": client.cookies["sessionid"].value}
print(json.dumps(found))
"""


def prepare(side_root: Path, env: dict, runs: int) -> dict:
    manage = [sys.executable, str(side_root / "manage.py")]
    for command in (["migrate", "--no-input", "-v", "0"], ["createcachetable"], ["load_demo"]):
        subprocess.run(manage + command, env=env, cwd=side_root, check=True, capture_output=True)
    out = subprocess.run(
        manage + ["shell", "-c", PROBE.replace("RUNS", str(runs))],
        env=env,
        cwd=side_root,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def side_env(side_root: Path, scratch: Path) -> dict:
    (scratch / "var").mkdir(parents=True)
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SAFERSTAFF_", "DATABASE_URL", "DJANGO_"))
        },
        "SAFERSTAFF_VAR": str(scratch / "var"),
        "DATABASE_URL": f"sqlite:///{scratch}/demo.sqlite3",
        "DJANGO_SETTINGS_MODULE": "_ping_settings",
        "DEBUG": "false",  # as in production
        "PYTHONPATH": f"{side_root}:{HERE}",  # that checkout's code, and this benchmark's URL conf
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",  # no worker runs here
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", default="57247ab", help="a commit of this repository (default: 57247ab)"
    )
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument(
        "--rounds", type=int, default=2, help="wrk runs per page and side; the median is shown"
    )
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--cpu-runs", type=int, default=30, help="in-process requests timed per page")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    scratch = Path(tempfile.mkdtemp(prefix="saferstaff-pages-"))
    baseline_root = scratch / "baseline-code"
    baseline_root.mkdir()
    archive = subprocess.run(
        ["git", "archive", args.baseline], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(baseline_root)], input=archive, check=True)
    sides = {f"baseline {args.baseline}": baseline_root, "now": ROOT}
    lua = scratch / "report.lua"
    lua.write_text(WRK_REPORT)
    load_before = os.getloadavg()
    running, found, results = {}, {}, {}
    try:
        for side, root in sides.items():
            env = side_env(root, scratch / side.replace(" ", "-"))
            print(f"loading the demo for {side} …", file=sys.stderr, flush=True)
            found[side] = prepare(root, env, args.cpu_runs)
            running[side] = start("granian", env, args.workers, args.threads, cwd=root)
        for round_ in range(args.rounds):
            for page in found["now"]:
                for side, (_, port) in running.items():
                    probe = found[side][page]
                    wrk(port, probe["url"], probe["cookie"], 2, args.connections, lua)  # warm up
                    before = cpu_seconds(running[side][0])
                    r = wrk(port, probe["url"], probe["cookie"], args.seconds, args.connections, lua)
                    r["served_cpu_ms"] = 1000 * (cpu_seconds(running[side][0]) - before) / r["requests"]
                    results.setdefault((side, page), []).append(r)
                    print(
                        f"  {round_ + 1} {side:16} {page:24} {r['rps']:7.0f} req/s",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        for proc, _ in running.values():
            stop(proc)
        shutil.rmtree(scratch, ignore_errors=True)

    def median(side, page, key):
        return statistics.median(r[key] for r in results[(side, page)])

    load_after = os.getloadavg()
    print(
        f"\n{machine()}; SQLite; granian {args.workers} workers × {args.threads} threads; wrk -t2 "
        f"-c{args.connections} -d{args.seconds}s, median of {args.rounds} rounds"
    )
    print(
        f"load average (1, 5, 15 min): before {'/'.join(f'{x:.1f}' for x in load_before)}, after "
        f"{'/'.join(f'{x:.1f}' for x in load_after)} (the machine is shared; both sides alternate page by page)\n"
    )
    print(
        "| page | side | requests/s | % of its ceiling | p50 ms | p95 ms | p99 ms | errors | queries "
        "| CPU ms/request | served CPU ms/request |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ceiling = next(iter(found["now"]))
    for page in found["now"]:
        for side in sides:
            rps = median(side, page, "rps")
            share = 100 * rps / median(side, ceiling, "rps")
            errors = sum(r["non2xx"] + r["errors"] for r in results[(side, page)])
            probe = found[side][page]
            print(
                f"| {page} | {side} | {rps:.0f} | {share:.0f}% | {median(side, page, 'p50'):.1f} "
                f"| {median(side, page, 'p95'):.1f} | {median(side, page, 'p99'):.1f} | {errors} "
                f"| {probe['queries']} | {probe['cpu_ms']:.1f} | {median(side, page, 'served_cpu_ms'):.1f} |"
            )


if __name__ == "__main__":
    main()
