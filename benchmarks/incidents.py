"""Benchmark: the incidents room's trends page (counts by kind and month, open cases by age, median time to first
triage, LADO referrals on time) for a school with a few years of cases, and the signed chronology PDF of one case
with 50 events.

    .venv/bin/python benchmarks/incidents.py [--cases 2000] [--events 50] [--runs 5]

Uses a throwaway SQLite database under /tmp unless DATABASE_URL is set. Side by side in the same run with the named
baselines: "per case" — each figure worked out case by case, a query or two for each (how a first version of a
report is often written) — "record by record" — the chronology's records read with each person looked up one at
a time — and, for the PDF, the same PDF unsigned (what the signature costs: a ratio below 1)."""

import argparse
import datetime
import os
import statistics
import time
from collections import Counter

import _django  # noqa: F401  (sets up Django: before any Django import)
from _django import database, timed  # noqa: E402
from _machine import machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone  # noqa: E402
from weasyprint import HTML  # noqa: E402

from saferstaff import clocks  # noqa: E402
from saferstaff.accounts.models import User  # noqa: E402
from saferstaff.incidents import signing  # noqa: E402
from saferstaff.incidents.chronology import Viewer, manifest, timeline  # noqa: E402
from saferstaff.incidents.models import Action, Case, Contact, Evidence, Note  # noqa: E402
from saferstaff.incidents.trends import AGE_BANDS, last_twelve_months, trends  # noqa: E402
from saferstaff.schools.models import Membership, Role, RoleGrant, School, SchoolSettings  # noqa: E402
from saferstaff.schools.roles import Actor  # noqa: E402

KINDS = [k for k, _ in Case.Kind.choices]


def build(n_cases: int, n_events: int) -> tuple[School, User, Case]:
    school = School.objects.create(name="Bench School", slug="bench", urn="500001", la_number="383",
                                   establishment_number="3001")  # fmt: skip
    SchoolSettings.objects.create(school=school)
    dsl = User.objects.create(email="dsl@bench.example", first_name="Dee", last_name="Esel", password="!")
    staff = User.objects.create(email="t@bench.example", first_name="Tee", last_name="Cher", password="!")
    dsl_m = Membership.objects.create(school=school, user=dsl)
    subject = Membership.objects.create(school=school, user=staff)
    RoleGrant.objects.create(school=school, membership=dsl_m, role=Role.DSL)
    now = timezone.now()
    cases = []
    for i in range(n_cases):
        reported = now - datetime.timedelta(hours=7 * i)  # about two years
        kind = KINDS[i % len(KINDS)]
        closed = i % 3 == 0
        cases.append(
            Case(
                school=school, kind=kind, reported_by=staff, reported_at=reported, happened_on=reported.date(),
                what_happened="x", status="closed" if closed else "open", triaged_at=reported + datetime.timedelta(hours=i % 30),
                triaged_by=dsl, risk="low", subject=subject if kind == "allegation" else None,
                lado_due=clocks.due("lado", reported) if kind == "allegation" else None,
            )
        )  # fmt: skip
    cases = Case.objects.bulk_create(cases, batch_size=1000)
    Contact.objects.bulk_create(
        Contact(school=school, case=c, kind="lado", with_whom="LA", recorded_by=dsl,
                made_at=c.reported_at + datetime.timedelta(hours=10 if c.pk % 2 else 60))
        for c in cases if c.kind == "allegation"
    )  # fmt: skip
    # One case with n_events records: evidence, actions (set and done), notes, contacts.
    case = Case.objects.create(school=school, kind="bullying", reported_by=staff, happened_on=now.date(),
                               what_happened="The case the PDF is made of")  # fmt: skip
    per = max(1, n_events // 4)
    Evidence.objects.bulk_create(
        Evidence(school=school, case=case, kind="file", stored=f"bench/{i}", original_name=f"shot-{i}.png",
                 content_type="image/png", extension="png", size=1000 + i, sha256=f"{i:064x}", added_by=staff)
        for i in range(per)
    )  # fmt: skip
    Action.objects.bulk_create(
        Action(school=school, case=case, what=f"Step {i}", owner=dsl_m, due_on=now.date(), created_by=dsl,
               done_at=now, done_by=dsl)
        for i in range(per // 2)
    )  # fmt: skip
    notes = n_events - 1 - 2 * per - 2 * (per // 2)  # the rest: after the report, evidence, contacts, actions
    Note.objects.bulk_create(
        Note(school=school, case=case, author=dsl, text=f"Note {i}") for i in range(notes)
    )
    Contact.objects.bulk_create(
        Contact(school=school, case=case, kind="platform", with_whom="Platform", reference=f"R{i}", made_at=now,
                recorded_by=dsl)
        for i in range(per)
    )  # fmt: skip
    return school, dsl, case


def trends_per_case(school, now) -> dict:
    """The baseline: every figure worked out case by case (a query for each case's LADO contacts)."""
    months = last_twelve_months(timezone.localdate(now))
    since = datetime.datetime.combine(months[0], datetime.time(), tzinfo=clocks.UK)
    by_month, ages, times, lado = Counter(), Counter(), [], Counter()
    for case in Case.objects.filter(school=school):
        local = timezone.localtime(case.reported_at)
        if case.reported_at >= since:
            by_month[(local.date().replace(day=1), case.kind)] += 1
            if case.triaged_at:
                times.append(case.triaged_at - case.reported_at)
        if case.status != "closed":
            age = (now - case.reported_at).days
            for label, older, younger in AGE_BANDS:
                if age >= older and (younger is None or age < younger):
                    ages[label] += 1
        if case.kind == "allegation" and case.reported_at >= since:
            first = case.contacts.filter(kind="lado").order_by("made_at").first()
            lado["on_time" if first and first.made_at <= case.lado_due else "late" if first else "none"] += 1
    return {
        "months": by_month,
        "ages": ages,
        "median": statistics.median(times) if times else None,
        "lado": lado,
    }


def timeline_per_record_type_per_case(case) -> int:
    """The baseline: each record's people looked up one at a time (no select_related)."""
    n = 0
    for item in Evidence.objects.filter(case=case):
        n += bool(item.added_by.display_name)
    for action in Action.objects.filter(case=case):
        n += bool(action.owner.user.display_name) + bool(action.created_by.display_name)
    for note in Note.objects.filter(case=case):
        n += bool(note.author.display_name)
    for contact in Contact.objects.filter(case=case):
        n += bool(contact.recorded_by.display_name)
    return n


def pdf(case, school, user, entries, *, signed: bool = True) -> bytes:
    html = render_to_string(
        "incidents/chronology_pdf.html",
        {"case": case, "school": school, "entries": entries, "manifest": manifest(case, Viewer()),
         "now": timezone.now(), "by": user, "fingerprint": signing.fingerprint()},
    )  # fmt: skip
    unsigned = HTML(string=html).write_pdf()
    return signing.sign_pdf(unsigned, reason="bench") if signed else unsigned


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    school, dsl, case = build(args.cases, args.events)
    setup = time.perf_counter() - t0
    actor = Actor.of(dsl, school)
    now = timezone.now()
    ours = trends(actor, now)
    base = trends_per_case(school, now)
    # The same answers, or the comparison means nothing.
    assert sum(t.n for _, _, t in ours["months"]) == sum(base["months"].values())
    assert [f.n for _, f in ours["ages"]] == [base["ages"][label] for label, _, _ in AGE_BANDS]
    assert (
        ours["lado"]["on_time"].n == base["lado"]["on_time"]
        and ours["lado"]["late"].n == base["lado"]["late"]
    )
    events = len(timeline([case], Viewer()))
    signing.ensure_keys()  # made once, before timing: the first export of a deployment makes the key

    rows = [
        (
            f"trends page, {args.cases} cases",
            timed(lambda: trends(actor, now), args.runs),
            timed(lambda: trends_per_case(school, now), 1),
            "per case",
        ),
        (
            f"chronology, {events} events",
            timed(lambda: timeline([case], Viewer()), args.runs),
            timed(lambda: timeline_per_record_type_per_case(case), args.runs),
            "record by record",
        ),
        (
            f"signed PDF, {events} events",
            timed(lambda: pdf(case, school, dsl, timeline([case], Viewer())), args.runs),
            timed(lambda: pdf(case, school, dsl, timeline([case], Viewer()), signed=False), args.runs),
            "unsigned PDF",
        ),
    ]  # fmt: skip
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"machine: {machine()}; load average {load}; database: {database()}")
    print(f"data: {args.cases} cases over about two years, a LADO contact for each allegation; one case with "
          f"{events} events (built in {setup:.1f} s)")  # fmt: skip
    print()
    print(
        f"{'step':<32} | {'saferstaff wall / CPU (ms)':>26} | {'queries':>7} | {'baseline':<16} | {'ms':>7} | {'queries':>7} | ratio"
    )
    print("-" * 120)
    for label, (ms, cpu, q), (base_ms, _, base_q), name in rows:
        print(
            f"{label:<32} | {ms:>19.0f} / {cpu:>4.0f} | {q:>7} | {name:<16} | {base_ms:>7.0f} | {base_q:>7} | "
            f"{base_ms / ms:>6.1f}x"
        )


if __name__ == "__main__":
    main()
