"""Benchmark: the trust's view of every school's figures (§2) for 200 schools of one trust (target: < 300 ms cold,
in a number of queries that does not grow with the schools), beside the named baseline "per-school loop": the
self-review's ``all_figures`` called once per school.

    .venv/bin/python benchmarks/trust_figures.py [--schools 200] [--staff 60] [--pupils 300] [--runs 5]
    scripts/ci-postgres run .venv/bin/python benchmarks/trust_figures.py     # on a throwaway PostgreSQL 15

The data are the load generator's (benchmarks/datagen.py: staff, pupils and guardians, a consent answer per
pupil and use, 5 policies × 3 versions with their acceptances, incident cases), all 200 schools in one trust,
with fewer images than its default (the view reads none) and, per school, 3 breaches and 3 subject access
requests (one of each overdue), which the generator does not write. "Cold" is the page with the kept figures
(``audit.log.kept_each``) cleared before every run, those kept for the day in the database too (as after a
restore); "the first of the day" is the page after ``run_daily`` has worked out what is kept for the day; "the next minute" works out again what is kept for the minute
(every figure but consent and acceptance's counts, which are kept for the day); "warm" reads them all kept. Consent is counted from each pupil's kept state per use (ADR 0018); the named
baseline "decided live" is the count as it was before, ``decide`` for every pupil and use. A throwaway SQLite database
under /tmp unless DATABASE_URL is set."""

import argparse
import datetime
import functools
import itertools
import os
import time

import _django  # noqa: F401  (sets up Django: before any Django import)
import datagen
from _django import database, timed
from _machine import machine
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from saferstaff.accounts.models import User
from saferstaff.audit import log as audit_log
from saferstaff.audit.models import KeptForTheDay
from saferstaff.consent import decided
from saferstaff.oversight import figures
from saferstaff.oversight.figures import FIGURES_FOR, all_figures, figures_for
from saferstaff.oversight.trust import work_out_for_the_day
from saferstaff.privacy.models import AccessRequest, Breach
from saferstaff.schools.models import School

TARGET_MS = 300


def extras(schools: list[School], now) -> None:
    """What the generator leaves out and the figures read: breaches and subject access requests."""
    hours, days = datetime.timedelta(hours=1), datetime.timedelta(days=1)
    Breach.objects.bulk_create(
        Breach(school=s, what="Bench", aware_at=now - 100 * hours, ico_due=now - 28 * hours,
               decided_at=now - 90 * hours if k else None, decision="dont_report" if k else "undecided")
        for s in schools for k in range(3)
    )  # fmt: skip
    AccessRequest.objects.bulk_create(
        AccessRequest(school=s, status="answered" if k else "open", requester_kind="pupil", requester_name="Bench",
                      received_at=now - 40 * days, due_at=now - 5 * days, closed_at=now - 10 * days if k else None)
        for s in schools for k in range(3)
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--staff", type=int, default=60)
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--images", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    t0 = time.perf_counter()
    gen = argparse.Namespace(schools=args.schools, schools_per_trust=args.schools, staff=args.staff,
                             pupils=args.pupils, images=args.images, cases=args.cases)  # fmt: skip
    datagen.generate(datagen.Generator(gen))
    schools = list(School.objects.filter(name__startswith="Datagen School").order_by("pk"))
    now = timezone.now()
    extras(schools, now)
    setup = time.perf_counter() - t0
    trust, ids = schools[0].trust, [s.pk for s in schools]
    admin = User.objects.get(email=datagen.staff_email(1, "trustadmin"))
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(admin, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(admin)
    url = f"/trusts/{trust.slug}/oversight/"
    assert client.get(url).status_code == 200

    def cold_page():
        caches["overview"].clear()
        KeptForTheDay.objects.all().delete()
        assert client.get(url).status_code == 200

    def first_of_the_day():  # run_daily has worked out what is kept for the day; nothing else is kept
        caches["overview"].clear()
        KeptForTheDay.objects.all().delete()
        work_out_for_the_day(trust)
        caches["overview"].clear()
        return timed(lambda: client.get(url), 1)

    # Before ADR 0018: consent decided for every pupil and use on every count (``live=True``), the named
    # baseline "decided live", beside the kept states counted.
    today = timezone.localdate(now)
    assert decided.coverage_for(ids, today) == decided.coverage_for(ids, today, live=True)
    kept = timed(lambda: decided.coverage_for(ids, today), args.runs)
    live = timed(lambda: decided.coverage_for(ids, today, live=True), args.runs)
    real_coverage = figures.coverage_for
    figures.coverage_for = functools.partial(real_coverage, live=True)
    cold_live = timed(cold_page, args.runs)
    figures.coverage_for = real_coverage
    set_based = timed(lambda: figures_for(ids, now), args.runs)
    loop = timed(lambda: [all_figures(s, now) for s in schools], 1)
    cold = timed(cold_page, args.runs)
    firsts = sorted((first_of_the_day() for _ in range(args.runs)), key=lambda r: r[0])
    first = firsts[len(firsts) // 2]
    client.get(url)
    warm = timed(lambda: client.get(url), args.runs)
    # The next minute: the figures kept for the minute are worked out again; consent and acceptance's counts
    # (kept for the day) are not.
    real, tick = audit_log._minute_parts, itertools.count()
    audit_log._minute_parts = lambda: (real()[0], f"{real()[1]}+{next(tick)}")
    minute = timed(lambda: client.get(url), args.runs)
    audit_log._minute_parts = real
    each = [(f"  of which {f.__name__}", timed(lambda f=f: f(ids, now), args.runs)) for f in FIGURES_FOR]
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\nmachine: {machine()}; load average {load}; database: {database()}")
    print(f"data: {args.schools} schools of one trust × ({args.staff} staff, {args.pupils} pupils); datagen "
          f"{args.images:,} images, {args.cases:,} cases; built in {setup:.0f} s. Median of {args.runs} runs; "
          "the baseline 1 run.\n")  # fmt: skip
    print("| step | wall ms | CPU ms | queries |\n|---|---|---|---|")
    for label, (ms, cpu, q) in (
        ("per-school loop (baseline): all_figures × each school", loop),
        ("consent decided live (baseline): decide × every pupil and use", live),
        ("consent counted from the kept states: coverage_for", kept),
        ("set-based: figures_for(every school)", set_based),
        *each,
        ("trust view page, cold, consent decided live (baseline: before ADR 0018)", cold_live),
        ("trust view page, cold (kept figures cleared)", cold),
        ("trust view page, the first of the day (run_daily worked out what is kept for the day)", first),
        ("trust view page, the next minute (consent and acceptance counts kept for the day)", minute),
        ("trust view page, warm (figures kept per school)", warm),
    ):
        print(f"| {label} | {ms:.0f} | {cpu:.0f} | {q} |")
    print(
        f"\nset-based vs the loop: {loop[0] / set_based[0]:.1f}× faster, {loop[2]} → {set_based[2]} queries"
    )
    print(f"consent, kept vs decided live: {live[0] / kept[0]:.1f}× faster; cold page {cold_live[0]:.0f} → "
          f"{cold[0]:.0f} ms")  # fmt: skip
    for label, (ms, _, _) in (("cold, nothing kept", cold), ("the first of the day", first),
                              ("the next minute", minute), ("warm", warm)):  # fmt: skip
        print(
            f"target (page under {TARGET_MS} ms), {label}: {'met' if ms < TARGET_MS else 'NOT met'} ({ms:.0f} ms)"
        )


if __name__ == "__main__":
    main()
