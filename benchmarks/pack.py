"""Benchmark: how long the inspection evidence pack (oversight.pack.build: the figures, the CSVs, the PDF, its
signature, the zip) takes to make, for the demo school and for a school of 60 staff, 300 pupils, 500 images and 100
cases made by the load generator (benchmarks/datagen.py).

    .venv/bin/python benchmarks/pack.py [--runs 3]

Uses a throwaway SQLite database under /tmp unless DATABASE_URL is set. Side by side in the same run with the named
baseline "figures only": ``all_figures`` alone, what the self-review page works out — the ratio is what the
registers, the PDF and the signature add. Over about 5 s a pack would be made in the worker instead (README)."""

import argparse
import io
import os
from types import SimpleNamespace

import _django  # noqa: F401  (sets up Django: before any Django import)
from _django import database, timed  # noqa: E402
from _machine import machine  # noqa: E402
from datagen import Generator  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from saferstaff.incidents import signing  # noqa: E402
from saferstaff.oversight.figures import all_figures  # noqa: E402
from saferstaff.oversight.pack import build  # noqa: E402
from saferstaff.schools.models import Membership, Role, School  # noqa: E402
from saferstaff.schools.roles import Actor  # noqa: E402


def _head(school) -> Actor:
    member = Membership.objects.filter(school=school, role_grants__role=Role.HEADTEACHER).first()
    return Actor.of(member.user, school)


def generated_school() -> School:
    args = SimpleNamespace(
        schools=1, schools_per_trust=1, staff=60, pupils=300, images=500, cases=100, baseline_rows=0
    )
    g = Generator(args)
    g.schools_and_trusts()
    for step in (g.people, g.pupils_and_guardians, g.consent, g.policies, g.images, g.cases, g.finish):
        step()
    return g.schools[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())  # its sign-in table is not the point
    demo = School.objects.get(name__startswith="Westfield Infant School")
    big = generated_school()
    signing.ensure_keys()  # made once, before timing: the first pack of a deployment makes the key
    rows = []
    for label, school in (("demo school", demo), ("60 staff, 300 pupils, 500 images, 100 cases", big)):
        actor = _head(school)
        size = len(build(actor).data)
        rows.append(
            (
                label,
                timed(lambda a=actor: build(a), args.runs),
                timed(lambda s=school: all_figures(s, timezone.now()), args.runs),
                size,
            )
        )
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"machine: {machine()}; load average {load}; database: {database()}")
    print()
    print(f"{'school':<44} | {'pack wall / CPU (ms)':>20} | {'queries':>7} | {'zip KB':>6} | "
          f"{'baseline':<12} | {'ms':>6} | {'queries':>7} | ratio")  # fmt: skip
    print("-" * 124)
    for label, (ms, cpu, q), (base_ms, _, base_q), size in rows:
        print(f"{label:<44} | {ms:>13.0f} / {cpu:>4.0f} | {q:>7} | {size / 1024:>6.0f} | {'figures only':<12} | "
              f"{base_ms:>6.0f} | {base_q:>7} | {ms / base_ms:>5.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
