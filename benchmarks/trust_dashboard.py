"""Benchmark: the trust's policy-acceptance dashboard for 200 schools × 60 staff × 5 policies × 3 versions
(target: < 200 ms with a query count that does not grow with the data).

    .venv/bin/python benchmarks/trust_dashboard.py [--schools 200] [--staff 60] [--runs 5]

Uses a throwaway SQLite database under /tmp unless DATABASE_URL is set. Side by side in the same run with
the named baseline "per-school overview": the school dashboard's own ``school_overview`` called once per
school (what a trust page would do without its own aggregate)."""

import argparse
import os
import time

import _django  # noqa: F401  (sets up Django: before any Django import)
from _django import database, timed  # noqa: E402
from _machine import machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from saferstaff.accounts.models import User  # noqa: E402
from saferstaff.policies.counts import trust_overview  # noqa: E402
from saferstaff.policies.models import (  # noqa: E402
    Acceptance,  # noqa: E402
    Policy,
    PolicyVersion,
)
from saferstaff.policies.status import school_overview  # noqa: E402
from saferstaff.schools.models import Membership, Role, RoleGrant, School, Trust, TrustAdmin  # noqa: E402

ROLES = [Role.STAFF] * 8 + [Role.LINE_MANAGER, Role.SENIOR_LEADER, Role.GOVERNOR, Role.DSL]
KINDS = ["employee"] * 7 + ["agency", "contractor", "volunteer"]


def build(n_schools: int, n_staff: int) -> Trust:
    trust = Trust.objects.create(name="Bench Trust", slug="bench-trust")
    schools = School.objects.bulk_create(
        School(
            trust=trust,
            name=f"School {i:03d}",
            slug=f"school-{i:03d}",
            urn=f"{300000 + i}",
            la_number="383",
            establishment_number=f"{1000 + i}",
        )
        for i in range(n_schools)
    )
    users = User.objects.bulk_create(
        User(email=f"s{i}@bench.example", first_name="Staff", last_name=f"{i:05d}", password="!")
        for i in range(n_schools * n_staff)
    )
    memberships = Membership.objects.bulk_create(
        Membership(school=schools[i // n_staff], user=u, employment_type=KINDS[i % len(KINDS)])
        for i, u in enumerate(users)
    )
    RoleGrant.objects.bulk_create(
        RoleGrant(school_id=m.school_id, membership=m, role=ROLES[i % len(ROLES)])
        for i, m in enumerate(memberships)
    )
    policies = Policy.objects.bulk_create(
        Policy(
            school=s, title=title, audience_employment=["volunteer"] if title == "Volunteers' code" else []
        )
        for s in schools
        for title in (
            "Online Safety",
            "Code of Conduct",
            "Acceptable Use",
            "Data Protection",
            "Volunteers' code",
        )
    )
    now = timezone.now()
    versions = PolicyVersion.objects.bulk_create(
        PolicyVersion(
            school_id=p.school_id,
            policy=p,
            number=n,
            text_sha256="0" * 64,
            minor_change=(n == 3),
            status="published" if n == 3 else "archived",
            published_at=now,
        )
        for p in policies
        for n in (1, 2, 3)
    )
    by_school_members: dict[int, list[Membership]] = {}
    for m in memberships:
        by_school_members.setdefault(m.school_id, []).append(m)
    rows = []
    for v in versions:
        if v.number == 1:
            continue
        for j, m in enumerate(by_school_members[v.school_id]):
            if (j + v.policy_id + v.number) % 3 != 0:  # about two thirds accept each of versions 2 and 3
                rows.append(
                    Acceptance(
                        school_id=v.school_id,
                        version=v,
                        user_id=m.user_id,
                        typed_name="x",
                        text_sha256="0" * 64,
                    )
                )
    Acceptance.objects.bulk_create(rows, batch_size=2000)
    admin = User.objects.create_user(email="admin@bench.example", password="bench-password-1234")
    TrustAdmin.objects.create(trust=trust, user=admin)
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(admin, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return trust


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--staff", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    t0 = time.perf_counter()
    trust = build(args.schools, args.staff)
    setup = time.perf_counter() - t0
    client = Client()
    client.force_login(User.objects.get(email="admin@bench.example"))
    url = f"/trusts/{trust.slug}/"
    assert client.get(url).status_code == 200

    rows = [
        (
            "trust_overview (the aggregate)",
            timed(lambda: trust_overview(trust), args.runs),
            timed(lambda: [school_overview(s) for s in School.objects.filter(trust=trust)], 1),
        ),
    ]
    page_ms, page_cpu, page_q = timed(lambda: client.get(url), args.runs)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"machine: {machine()}; load average {load}; database: {database()}")
    print(
        f"data: {args.schools} schools × {args.staff} staff × 5 policies × 3 versions, "
        f"{Acceptance.objects.count():,} acceptances (built in {setup:.1f} s). Median of {args.runs} runs; baseline 1 run."
    )
    print()
    print(
        f"{'step':<34} | {'saferstaff wall / CPU (ms)':>26} | {'queries':>7} | "
        f"{'per-school baseline (ms)':>24} | {'queries':>7} | speed-up"
    )
    print("-" * 123)
    for label, (ms, cpu, q), (base_ms, _, base_q) in rows:
        print(
            f"{label:<34} | {ms:>19.0f} / {cpu:>4.0f} | {q:>7} | {base_ms:>24.0f} | {base_q:>7} | "
            f"{base_ms / ms:>6.1f}x"
        )
    print(
        f"{'trust dashboard page (GET, HTML)':<34} | {page_ms:>19.0f} / {page_cpu:>4.0f} | {page_q:>7} | "
        f"{'-':>24} | {'-':>7} |"
    )
    print()
    print(f"target (page under 200 ms): {'met' if page_ms < 200 else 'NOT met'} ({page_ms:.0f} ms)")


if __name__ == "__main__":
    main()
