"""Benchmark: the conduct room's daily chase and the Headteacher's pattern view, for a trust of 200 schools
× 40 staff, each with disclosures, permission requests and low-level concerns waiting and a year of history.

    .venv/bin/python benchmarks/conduct.py [--schools 200] [--staff 40] [--concerns 300] [--runs 5]

Uses a throwaway SQLite database under /tmp unless DATABASE_URL is set. Side by side in the same run with the
named baselines: "per item" — who reads or decides asked once per waiting item (how the chase was first
written) — and "count in Python" — every concern loaded and counted per person."""

import argparse
import datetime
import os
import time
from collections import Counter

import _django  # noqa: F401  (sets up Django: before any Django import)
from _django import database, timed  # noqa: E402
from _machine import machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from saferstaff.accounts.models import User  # noqa: E402
from saferstaff.conduct.daily import CHASE_AFTER, waiting  # noqa: E402
from saferstaff.conduct.models import (  # noqa: E402
    ContactChannel,
    ContactPermission,
    Decided,
    Disclosure,
    EquipmentPermission,
    LowLevelConcern,
)
from saferstaff.conduct.registers import patterns  # noqa: E402
from saferstaff.conduct.services import deciders  # noqa: E402
from saferstaff.rules.conduct import readers  # noqa: E402
from saferstaff.schools.models import Membership, Role, RoleGrant, School, SchoolSettings, Trust  # noqa: E402
from saferstaff.schools.roles import Actor  # noqa: E402

ROLES = [Role.STAFF] * 30 + [Role.LINE_MANAGER] * 4 + [Role.SENIOR_LEADER] * 3 + [Role.DSL, Role.GOVERNOR]


def build(n_schools: int, n_staff: int, n_concerns: int) -> list[School]:
    trust = Trust.objects.create(name="Bench Trust", slug="bench-trust")
    schools = [
        School.objects.create(
            trust=trust,
            name=f"School {i:03d}",
            slug=f"school-{i:03d}",
            urn=f"{400000 + i}",
            la_number="383",
            establishment_number=f"{2000 + i}",
        )  # fmt: skip
        for i in range(n_schools)
    ]
    SchoolSettings.objects.bulk_create(SchoolSettings(school=s) for s in schools)
    users = User.objects.bulk_create(
        User(email=f"c{i}@bench.example", first_name="Staff", last_name=f"{i:05d}", password="!")
        for i in range(n_schools * n_staff)
    )
    members = Membership.objects.bulk_create(
        Membership(school=schools[i // n_staff], user=u, is_chair_of_governors=(i % n_staff == n_staff - 1))
        for i, u in enumerate(users)
    )
    RoleGrant.objects.bulk_create(
        RoleGrant(
            school_id=m.school_id,
            membership=m,
            role=Role.HEADTEACHER
            if i % n_staff == 0
            else (Role.GOVERNOR if i % n_staff == n_staff - 1 else ROLES[i % len(ROLES)]),
        )  # fmt: skip
        for i, m in enumerate(members)
    )
    old = timezone.now() - datetime.timedelta(days=3)
    today = timezone.localdate()
    channels = {c.school_id: c for c in ContactChannel.objects.filter(name="Snapchat")}
    school_channels = {
        c.school_id: c for c in ContactChannel.objects.filter(name="The school's messaging platform")
    }
    disclosures, contact, equipment, concerns = [], [], [], []
    for s in schools:
        staff = [m for m in members if m.school_id == s.pk]
        for j in range(12):  # 3 waiting, 9 decided
            disclosures.append(
                Disclosure(
                    school=s,
                    discloser_id=staff[5 + j].user_id,
                    who="think_pupil",
                    channel=channels[s.pk],
                    happened_on=today,
                    what_happened="x",
                    created_at=old,
                    routed_to="headteacher",
                    outcome="" if j < 3 else "advice",
                )  # fmt: skip
            )
        for j in range(6):
            common = dict(
                school=s, requested_by_id=staff[6 + j].user_id, purpose="Trip", starts_on=today, ends_on=today,
                requested_at=old, status=Decided.REQUESTED if j < 2 else Decided.APPROVED, routed_to="senior",
            )  # fmt: skip
            contact.append(ContactPermission(channel=school_channels[s.pk], **common))
            equipment.append(EquipmentPermission(device_kind="phone", **common))
        per_school = n_concerns if s is schools[0] else 8
        for j in range(per_school):
            concerns.append(
                LowLevelConcern(
                    school=s,
                    subject=staff[1 + j % (n_staff - 2)],
                    raised_by_id=staff[2].user_id,
                    happened_on=today - datetime.timedelta(days=j % 500),
                    what="x",
                    created_at=old,
                    routed_to="headteacher",
                    outcome="" if j % 4 == 0 else "advice",
                )  # fmt: skip
            )
    Disclosure.objects.bulk_create(disclosures, batch_size=2000)
    ContactPermission.objects.bulk_create(contact, batch_size=2000)
    EquipmentPermission.objects.bulk_create(equipment, batch_size=2000)
    LowLevelConcern.objects.bulk_create(concerns, batch_size=2000)
    return schools


def waiting_per_item(school, now) -> Counter:
    """The baseline: who reads or decides asked again for every waiting item."""
    before = now - CHASE_AFTER
    owed: Counter = Counter()
    for d in Disclosure.objects.filter(school=school, outcome="", created_at__lt=before):
        for m in readers(school.pk, d.routed_to):
            if m.user_id != d.discloser_id:
                owed[m.user_id] += 1
    for model in (ContactPermission, EquipmentPermission):
        for p in model.objects.filter(school=school, status=Decided.REQUESTED, requested_at__lt=before):
            for m in deciders(school.pk, p.routed_to, requester_id=p.requested_by_id):
                owed[m.user_id] += 1
    for c in LowLevelConcern.objects.filter(school=school, outcome="", created_at__lt=before):
        for m in readers(school.pk, c.routed_to).exclude(pk=c.subject_id):
            owed[m.user_id] += 1
    return owed


def patterns_in_python(actor) -> list[tuple[int, int]]:
    """The baseline: every concern loaded, counted per person in Python."""
    since = timezone.localdate() - datetime.timedelta(days=365)
    recent: Counter = Counter()
    for c in LowLevelConcern.objects.filter(school=actor.school).exclude(subject=actor.membership):
        if c.routed_to == "headteacher" and c.happened_on > since:
            recent[c.subject_id] += 1
    return sorted(recent.items(), key=lambda kv: -kv[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--staff", type=int, default=40)
    parser.add_argument("--concerns", type=int, default=300, help="low-level concerns at the first school")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    schools = build(args.schools, args.staff, args.concerns)
    setup = time.perf_counter() - t0
    now = timezone.now()
    first = schools[0]
    head = Membership.objects.get(school=first, role_grants__role=Role.HEADTEACHER).user
    actor = Actor.of(head, first)
    # The same answers, or the comparison means nothing.
    assert all(waiting(s, now) == waiting_per_item(s, now) for s in schools[:5])
    ours = {p.subject_id: p.recent for p in patterns(actor) if p.recent}
    assert ours == dict(patterns_in_python(actor))

    rows = [
        (
            f"daily chase, {len(schools)} schools",
            timed(lambda: [waiting(s, now) for s in schools], args.runs),
            timed(lambda: [waiting_per_item(s, now) for s in schools], 1),
            "per item",
        ),
        (
            f"pattern view, {args.concerns} concerns",
            timed(lambda: patterns(actor), args.runs),
            timed(lambda: patterns_in_python(actor), args.runs),
            "count in Python",
        ),
    ]
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"machine: {machine()}; load average {load}; database: {database()}")
    print(
        f"data: {args.schools} schools × {args.staff} staff; per school 12 disclosures (3 waiting), 12 permission "
        f"requests (4 waiting), 8 concerns; {args.concerns} concerns at the first school (built in {setup:.1f} s)"
    )
    print()
    print(
        f"{'step':<32} | {'saferstaff wall / CPU (ms)':>26} | {'queries':>7} | {'baseline':<16} | {'ms':>7} | {'queries':>7} | speed-up"
    )
    print("-" * 120)
    for label, (ms, cpu, q), (base_ms, _, base_q), base in rows:
        print(
            f"{label:<32} | {ms:>19.0f} / {cpu:>4.0f} | {q:>7} | {base:<16} | {base_ms:>7.0f} | {base_q:>7} | "
            f"{base_ms / ms:>6.1f}x"
        )


if __name__ == "__main__":
    main()
