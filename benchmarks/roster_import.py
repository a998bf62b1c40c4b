"""Benchmark: importing a 2,000-pupil CTF with 2 contacts each (target: parse + first import under 5 s
on the 2-core reference machine).

    .venv/bin/python benchmarks/roster_import.py [--pupils 2000] [--runs 3] [--baseline-runs 1]

Uses a throwaway SQLite database under /tmp unless DATABASE_URL is set (point it at a scratch Postgres
database to measure that). Each step runs ``--runs`` times on a fresh school and the median is shown,
next to a naive ORM baseline run in the same process on the same data: the obvious per-row
``update_or_create`` for every pupil, guardian and link (with django-simple-history recording each
save, as it does for any ordinary save). The baseline takes about 40 s a run on the reference machine,
so by default it runs once (keeping the whole benchmark near a minute); ``--baseline-runs 3`` gives
its median of three too."""

import argparse
import shutil
import statistics
import time
from dataclasses import replace

from _django import (
    SCRATCH,  # noqa: E402  (sets up Django)
    database,  # noqa: E402
)
from _machine import machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from saferstaff.schools.models import Guardian, Guardianship, Pupil, School  # noqa: E402
from saferstaff.schools.rosters.detect import parse_roster  # noqa: E402
from saferstaff.schools.rosters.plan import apply_plan, guardian_match_key, plan_import  # noqa: E402
from tests.roster_samples import ctf_xml, sample_pupils  # noqa: E402

# --- The naive baseline -------------------------------------------------------------------------------


def naive_import(school: School, parsed) -> None:
    """What one would write first: update_or_create row by row (in one transaction, to be fair)."""
    today = timezone.localdate()
    with transaction.atomic():
        seen = set()
        for rec in parsed.pupils:
            pupil, _ = Pupil.objects.update_or_create(
                school=school,
                upn=rec.upn,
                defaults={
                    "legal_forename": rec.legal_forename,
                    "legal_surname": rec.legal_surname,
                    "preferred_forename": rec.preferred_forename,
                    "preferred_surname": rec.preferred_surname,
                    "date_of_birth": rec.date_of_birth,
                    "year_group": rec.year_group,
                    "leaving_date": None,
                },
            )
            seen.add(pupil.pk)
            for g in rec.guardians:
                guardian, _ = Guardian.objects.update_or_create(
                    school=school,
                    match_key=guardian_match_key(g, rec),
                    defaults={
                        "title": g.title,
                        "forename": g.forename,
                        "surname": g.surname,
                        "email": g.email,
                        "phone": g.phone,
                    },
                )
                Guardianship.objects.update_or_create(
                    school=school,
                    pupil=pupil,
                    guardian=guardian,
                    defaults={
                        "relationship": g.relationship,
                        "parental_responsibility": g.parental_responsibility,
                        "contact_order": g.contact_order,
                    },
                )
        for pupil in Pupil.objects.filter(school=school, leaving_date__isnull=True).exclude(pk__in=seen):
            pupil.leaving_date = today
            pupil.save()


def saferstaff_import(school: School, parsed) -> dict:
    return apply_plan(plan_import(school, parsed))


# --- Measuring ----------------------------------------------------------------------------------------


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


_school_number = 0


def fresh_school() -> School:
    global _school_number
    _school_number += 1
    n = _school_number
    return School.objects.create(
        name=f"Benchmark school {n}",
        slug=f"bench-{n}",
        urn=f"9{n:05d}",
        la_number="999",
        establishment_number=f"{n:04d}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="runs of saferstaff's import (median shown)")
    parser.add_argument("--baseline-runs", type=int, default=1, help="runs of the naive baseline (slow)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    print(f"machine: {machine()}; database: {database()}")

    pupils = sample_pupils(args.pupils, contacts=2)
    changed = [
        replace(p, year=str(int(p.year) % 6 + 1)) if i % 10 == 0 else p
        for i, p in enumerate(pupils)
        if i % 20 != 19  # 5% leave
    ]
    first = ctf_xml(pupils).encode()
    second = ctf_xml(changed).encode()
    print(
        f"file: CTF, {len(pupils):,} pupils, {2 * len(pupils):,} contacts, {len(first) / 1_048_576:.1f} MB; "
        f"then the same file; then 10% of pupils changed and 5% gone. Median of {args.runs} runs for "
        f"saferstaff, {args.baseline_runs} for the naive baseline.\n"
    )

    times: dict[str, list[float]] = {}

    def note(key: str, seconds: float) -> None:
        times.setdefault(key, []).append(seconds)

    for _run in range(max(args.runs, args.baseline_runs)):
        seconds, parsed_first = timed(parse_roster, "export.xml", first)
        note("parse", seconds)
        parsed_second = parse_roster("export.xml", second)

        school = fresh_school()
        seconds, plan = timed(plan_import, school, parsed_first)
        note("plan", seconds)
        seconds, counts = timed(apply_plan, plan)
        note("apply", seconds)
        note("first", times["plan"][-1] + times["apply"][-1])
        assert counts["new"] == len(pupils), counts
        seconds, counts = timed(saferstaff_import, school, parsed_first)
        note("again", seconds)
        assert counts["new"] == counts["updated"] == counts["guardians_new"] == 0, counts
        seconds, counts = timed(saferstaff_import, school, parsed_second)
        note("changed", seconds)
        assert counts["leaving"] == len(pupils) - len(changed), counts

        if _run >= args.baseline_runs:
            continue
        naive = fresh_school()
        note("naive first", timed(naive_import, naive, parsed_first)[0])
        note("naive again", timed(naive_import, naive, parsed_first)[0])
        note("naive changed", timed(naive_import, naive, parsed_second)[0])
        # Both end in the same place.
        for model in (Pupil, Guardian, Guardianship):
            assert model.objects.filter(school=naive).count() == model.objects.filter(school=school).count()
        assert (
            Pupil.objects.current().filter(school=naive).count()
            == Pupil.objects.current().filter(school=school).count()
        )

    median = {key: statistics.median(values) for key, values in times.items()}
    rows = [
        ("parse CTF", median["parse"], None),
        ("plan (preview) against an empty school", median["plan"], None),
        ("apply into an empty school", median["apply"], None),
        ("first import (plan + apply)", median["first"], median.get("naive first")),
        ("re-import same file (all unchanged)", median["again"], median.get("naive again")),
        ("re-import: 10% changed, 5% leaving", median["changed"], median.get("naive changed")),
        (
            "parse + first import (target < 5 s)",
            median["parse"] + median["first"],
            median["parse"] + median["naive first"] if "naive first" in median else None,
        ),
    ]
    headings = ("step", "saferstaff (s)", "naive baseline (s)", "speed-up")
    table = [
        (
            name,
            f"{ours:.2f}",
            f"{base:.2f}" if base is not None else "-",
            f"{base / ours:.1f}x" if base else "-",
        )
        for name, ours, base in rows
    ]
    widths = [max(len(row[i]) for row in [headings, *table]) for i in range(4)]
    line = " | ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in table:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    target = median["parse"] + median["first"]
    print(f"\ntarget (parse + first import under 5 s): {'met' if target < 5 else 'NOT met'} ({target:.2f} s)")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
