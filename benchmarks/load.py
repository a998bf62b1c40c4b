"""The key pages under load: granian as in production, on loopback, against a PostgreSQL database that
benchmarks/datagen.py filled, with ``wrk`` at several numbers of concurrent connections.

    DATABASE_URL=postgres://... SAFERSTAFF_VAR=/some/dir .venv/bin/python benchmarks/load.py \\
        [--seconds 10] [--connections 10,50] [--school 1] [--workers 2] [--threads 4]
    DATABASE_URL=postgres://... .venv/bin/python benchmarks/load.py --smoke     # CI: bounded, fails on any non-200

Migrates and collects the static files first. With ``--smoke`` an empty database is filled with
``datagen.py --small`` and each page gets 3 s at 4 connections; the run fails if any response is not a 200 or a
page answered nothing. Between runs the server finishes what wrk left in it before the next page starts.
Staff of generated school number ``--school`` (and the admin of its trust) are signed in through Django's own
session machinery, with a second factor registered as the sign-in gate asks, and having accepted the school's
policies (datagen.py writes those acceptances). Each page is fetched once in this process with Django's test
client, before the server starts, to count its queries and time it alone (its milliseconds, and its SQL's). The
ceiling, on the same server: the cheapest page that passes through every middleware as signed-in staff of the
school, "check a post" (CEILING below; /healthz does not load the session, the user or a membership).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import machine
from _web import ROOT, THREADS, WORKERS, WRK_REPORT, drain, start, stop, wrk

# (page, url name, who opens it): the school's own pages as the staff who use them, the trust page as its admin.
PAGES = [
    ("school overview", "school_dashboard", "head"),
    ("image library", "image_list", "head"),
    ("consent register", "consent_register", "office"),
    ("pupil list", "pupil_list", "teacher"),
    ("case list", "case_list", "dsl"),
    ("trust page", "trust_dashboard", "trustadmin"),
]
# The cheapest school page that passes through every middleware as signed-in staff (session, user, the access
# map's membership and roles, the MFA gate; the policy gate lets it through without a query, as "check before
# you post" stays open to everyone): an empty form, 13 queries. It is also one of the key pages.
CEILING = ("check a post (ceiling)", "draft_check", "teacher")


def prepare_database(env: dict, smoke: bool) -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["createcachetable"],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        subprocess.run(manage + command, env=env, cwd=ROOT, check=True)
    if smoke:
        has_schools = subprocess.run(
            manage + ["shell", "-c", "from saferstaff.schools.models import School; print(School.objects.exists())"],
            env=env, cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout.strip().endswith("True")  # fmt: skip
        if not has_schools:
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "datagen.py"), "--small"], env=env, check=True
            )


def sign_in(school_no: int):
    """Session cookies of the school's head, DSL, office, a teacher and its trust's admin; the pages' addresses;
    each page's query count (fetched once here, which must give a 200)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from datagen import staff_email
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from saferstaff.accounts.models import User
    from saferstaff.schools.models import School

    school = School.objects.select_related("trust").get(name=f"Datagen School {school_no}")
    trust_no = int(school.trust.name.rsplit(" ", 1)[1])
    clients = {}
    for who in {who for _, _, who in [*PAGES, CEILING]}:
        user = User.objects.get(email=staff_email(trust_no if who == "trustadmin" else school_no, who))
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        clients[who] = Client()
        clients[who].force_login(user)
    pages = {}
    for name, url_name, who in [CEILING, *PAGES]:
        kwargs = {"trust": school.trust.slug} if url_name == "trust_dashboard" else {"school": school.slug}
        path = reverse(url_name, kwargs=kwargs)
        clients[who].get(path)  # the first request of a session writes to it: count the ones after
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            status = clients[who].get(path).status_code
            ms = (time.perf_counter() - t0) * 1000
        if status != 200:
            raise SystemExit(
                f"{name} ({path}) gave {status} to {who}, not 200: the generated data or the sign-in"
            )
        pages[name] = {
            "path": path,
            "who": who,
            "queries": len(queries),
            "ms": ms,
            "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
            "cookie": clients[who].cookies["sessionid"].value,
        }
    return school, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="10,50", help="comma-separated, e.g. 10,50")
    parser.add_argument("--school", type=int, default=1, help="which generated school's staff sign in")
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument(
        "--smoke", action="store_true", help="small data, 3 s per page at 4 connections, fail on any non-200"
    )
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.connections = 3, "4"  # a shared CI machine: a page still answers within the 3 s
    connections = [int(c) for c in args.connections.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on the way out
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit(
            "set DATABASE_URL to a PostgreSQL database (scripts/ci-postgres start DIR prints one)"
        )
    scratch = Path(tempfile.mkdtemp(prefix="saferstaff-load-"))
    os.environ.setdefault("SAFERSTAFF_VAR", str(scratch))
    env = {
        **os.environ,
        "DEBUG": "false",  # as in production
        "PYTHONPATH": str(ROOT),  # this checkout's code, whichever one the venv was installed from
        "LOG_LEVEL": "WARNING",
        "TASKS_BACKEND": "django.tasks.backends.dummy.DummyBackend",  # no worker runs here
    }
    os.environ.update(env)
    lua = scratch / "report.lua"
    lua.write_text(WRK_REPORT)
    try:
        prepare_database(env, args.smoke)
        import _django  # noqa: F401  (Django set up on the same database and folder as the server)
        from _django import database

        school, pages = sign_in(args.school)
        results: dict[int, dict[str, dict]] = {c: {} for c in connections}
        proc, port = start("granian", env, args.workers, args.threads)
        try:
            # Every worker thread opens its connection and fills its caches on its first requests: warm every page
            # once at the most connections before anything is measured, so the first page (the ceiling) is not
            # measured on a cold server.
            for page in pages.values():
                wrk(port, page["path"], page["cookie"], 1 if args.smoke else 2, max(connections), lua)
                drain(port, page["path"], page["cookie"])
            for c in connections:
                for name, page in pages.items():
                    wrk(port, page["path"], page["cookie"], 1 if args.smoke else 2, c, lua)  # warm up
                    drain(port, page["path"], page["cookie"])
                    results[c][name] = r = wrk(port, page["path"], page["cookie"], args.seconds, c, lua)
                    drain(port, page["path"], page["cookie"])
                    print(
                        f"  c={c:<3} {name:22} {r['rps']:7.0f} req/s  non-200 {r['non200']}",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            stop(proc)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    load = os.getloadavg()
    print(f"\n{machine()}; {database()}; granian {args.workers} workers × {args.threads} threads; "
          f"wrk -t2 -d{args.seconds}s; {school.name} (generated)")  # fmt: skip
    print(f"load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min)\n")
    print(
        "| page | signed in as | queries | alone: ms (SQL ms) | connections | requests/s | % of ceiling | p50 ms | p95 ms | p99 ms | non-200 | socket errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    failed = []
    for c in connections:
        ceiling = results[c][CEILING[0]]["rps"]
        for name, page in pages.items():
            r = results[c][name]
            print(f"| {name} | {page['who']} | {page['queries']} | {page['ms']:.0f} ({page['sql_ms']:.0f}) | {c} | {r['rps']:.0f} | {100 * r['rps'] / ceiling:.0f}% "
                  f"| {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['non200']} | {r['errors']} |")  # fmt: skip
            if r["non200"] or not r["requests"]:
                failed.append(
                    f"{name} at {c} connections: {r['non200']} of {r['requests']} responses not 200"
                )
    if failed:
        raise SystemExit("FAILED: " + "; ".join(failed))
    print("\nevery response was a 200")


if __name__ == "__main__":
    main()
