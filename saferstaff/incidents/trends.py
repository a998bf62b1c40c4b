"""§9 and KCSIE Part 4: how incidents are handled, in numbers, for the designated persons and governors — counts by
kind and month (the last 12 months), open cases by age, the median time to first triage, and LADO referrals made
on time or late. One query per figure, whatever the number of cases (``benchmarks/incidents.py``).

Never a name or a word of what happened. Two more guards (README: "Incident trends"):
- no one counts a case about themselves: a case whose subject (or alleged doer) is the viewer is left out of
  every figure, as the conduct summary leaves out concerns about its reader;
- governors see small numbers blurred: 1 or 2 is shown as "fewer than 3" (and a median of fewer than 3 cases is
  not shown), so a count of one in a small school does not point at a person."""

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone

from saferstaff import clocks
from saferstaff.incidents.models import Case, Contact, Involved
from saferstaff.numbers import how_long
from saferstaff.rules.incidents import is_designated
from saferstaff.schools.roles import Actor

SMALL = 3  # governors see 1 .. SMALL-1 as "fewer than SMALL"
# (label, more than this many days old, up to this many days old)
AGE_BANDS = [
    ("Up to a week", 0, 7),
    ("1 to 4 weeks", 7, 28),
    ("1 to 3 months", 28, 91),
    ("Over 3 months", 91, None),
]


@dataclass(frozen=True)
class Figure:
    n: int
    shown: str  # what the page prints: the number, or "fewer than 3" for governors


def about(members) -> Q:
    """THE test of a case being about any of ``members`` (membership ids, a list or a query of them): one of
    them is its subject, or is named in it as having done it (``rules.incidents.is_about`` asks it of one case)."""
    alleged = Involved.objects.filter(member__in=members, role=Involved.Role.ALLEGED).values("case_id")
    return Q(subject__in=members) | Q(pk__in=alleged)


def counted_for(actor: Actor):
    """Every case at the actor's school except those about the actor themselves."""
    cases = Case.objects.filter(school=actor.school)
    member = actor.membership
    if member is None:
        return cases
    return cases.exclude(about([member.pk]))


def last_twelve_months(today: datetime.date) -> list[datetime.date]:
    """The first day of each of the last 12 months, oldest first (this month last)."""
    months, year, month = [], today.year, today.month
    for _ in range(12):
        months.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def by_kind_and_month(cases, months) -> dict[tuple[datetime.date, str], int]:
    """Cases reported since the first of ``months``, per (month, kind), over every school ``cases`` holds."""
    total: dict[tuple[datetime.date, str], int] = {}
    for counts in by_school_kind_and_month(cases, months).values():
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n
    return total


def by_school_kind_and_month(cases, months) -> dict[int, dict[tuple[datetime.date, str], int]]:
    """``by_kind_and_month`` school by school (the trust's view): one grouped query."""
    start = datetime.datetime.combine(months[0], datetime.time(), tzinfo=clocks.UK)
    rows = (
        cases.filter(reported_at__gte=start)
        .annotate(month=TruncMonth("reported_at", tzinfo=clocks.UK))
        .order_by()
        .values_list("school_id", "month", "kind")
        .annotate(n=Count("pk"))
    )
    found: dict[int, dict[tuple[datetime.date, str], int]] = {}
    for school_id, m, kind, n in rows:
        found.setdefault(school_id, {})[(m.date() if isinstance(m, datetime.datetime) else m, kind)] = n
    return found


def open_by_age(cases, now: datetime.datetime) -> list[tuple[str, int]]:
    counts = {}
    for i, (_, older, younger) in enumerate(AGE_BANDS):
        when = Q(reported_at__lte=now - datetime.timedelta(days=older))
        if younger is not None:
            when &= Q(reported_at__gt=now - datetime.timedelta(days=younger))
        counts[f"band{i}"] = Count("pk", filter=when)
    found = cases.exclude(status=Case.Status.CLOSED).aggregate(**counts)
    return [(label, found[f"band{i}"]) for i, (label, _, _) in enumerate(AGE_BANDS)]


def triage_times(cases, since: datetime.datetime) -> list[datetime.timedelta]:
    pairs = cases.filter(reported_at__gte=since, triaged_at__isnull=False).values_list(
        "reported_at", "triaged_at"
    )
    return [triaged - reported for reported, triaged in pairs]


LADO_COUNTS = ("on_time", "late", "overdue", "waiting")


def lado_referrals(cases, since: datetime.datetime, now: datetime.datetime) -> dict[str, int]:
    """Allegations received since ``since``: referred to the LADO on time (by ``lado_due``), late, not yet
    referred though due, and not yet due — over every school ``cases`` holds, as known at ``now`` (a referral recorded later does not count)."""
    total = dict.fromkeys(LADO_COUNTS, 0)
    for counts in lado_referrals_by_school(cases, since, now).values():
        for key in LADO_COUNTS:
            total[key] += counts[key]
    return total


def lado_referrals_by_school(cases, since: datetime.datetime, now: datetime.datetime) -> dict[int, dict]:
    """``lado_referrals`` school by school (the trust's view): one grouped query; with each school's counts,
    ``next_due``, when the first allegation still waiting must be referred (None when none waits)."""
    first = (
        Contact.objects.filter(case=OuterRef("pk"), kind=Contact.Kind.LADO, recorded_at__lte=now)
        .order_by("made_at")
        .values("made_at")[:1]
    )
    rows = (
        cases.filter(kind=Case.Kind.ALLEGATION, reported_at__gte=since, lado_due__isnull=False)
        .annotate(referred=Subquery(first))
        .order_by()
        .values("school_id")
        .annotate(
            on_time=Count("pk", filter=Q(referred__lte=F("lado_due"))),
            late=Count("pk", filter=Q(referred__gt=F("lado_due"))),
            overdue=Count("pk", filter=Q(referred__isnull=True, lado_due__lt=now)),
            waiting=Count("pk", filter=Q(referred__isnull=True, lado_due__gte=now)),
            next_due=Min("lado_due", filter=Q(referred__isnull=True, lado_due__gte=now)),  # of those waiting
        )
    )
    return {row.pop("school_id"): row for row in rows}


def trends(actor: Actor, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    blur = not is_designated(actor)  # governors: counts only, small ones blurred

    def figure(n: int) -> Figure:
        return Figure(n, f"fewer than {SMALL}" if blur and 0 < n < SMALL else str(n))

    cases = counted_for(actor)
    months = last_twelve_months(timezone.localdate(now))
    since = datetime.datetime.combine(months[0], datetime.time(), tzinfo=clocks.UK)
    counted = by_kind_and_month(cases, months)
    kinds = Case.Kind.choices
    rows = []
    for month in months:
        cells = [figure(counted.get((month, kind), 0)) for kind, _ in kinds]
        rows.append((month, cells, figure(sum(c.n for c in cells))))
    times = triage_times(cases, since)
    median = None
    if times and (not blur or len(times) >= SMALL):
        median = how_long(statistics.median(times).total_seconds() / 86400)
    lado = lado_referrals(cases, since, now)
    return {
        "blurred": blur,
        "small": SMALL,
        "kinds": [label for _, label in kinds],
        "months": rows,
        "ages": [(label, figure(n)) for label, n in open_by_age(cases, now)],
        "triage_median": median,
        "triaged": figure(len(times)),
        "lado": {key: figure(n) for key, n in lado.items()},
        "since": months[0],
    }
