"""§9 and KCSIE Part 4: the figures counted from the school's cases — incidents by kind and allegations referred to
the LADO on time — and the same figures less the cases about given readers (``without_cases_about``): no one
counts a case about themselves, not even as a number. Counts only: never a name."""

import datetime

from django.utils import timezone

from saferstaff import clocks
from saferstaff.incidents.models import Case
from saferstaff.incidents.trends import (
    LADO_COUNTS,
    SMALL,
    by_school_kind_and_month,
    lado_referrals,
    lado_referrals_by_school,
    last_twelve_months,
)
from saferstaff.incidents.trends import about as cases_about
from saferstaff.oversight.measure import Measure


def _cases(school_ids, now):
    months = last_twelve_months(timezone.localdate(now))
    since = datetime.datetime.combine(months[0], datetime.time(), tzinfo=clocks.UK)
    return Case.objects.filter(school_id__in=school_ids), months, since


def _shown(n: int, blur: bool) -> str:
    return f"fewer than {SMALL}" if blur and 0 < n < SMALL else str(n)


def incidents(school, now: datetime.datetime) -> Measure:
    return incidents_for([school.pk], now)[school.pk]


def incidents_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§9: cases reported in the last 12 months by kind (counts only) —
    ``incidents.trends.by_school_kind_and_month`` (the incident trends page's ``by_kind_and_month``)."""
    cases, months, _ = _cases(school_ids, now)
    found = by_school_kind_and_month(cases, months)
    return {pk: _incidents(_by_kind(found.get(pk, {})), now) for pk in school_ids}


def _by_kind(found: dict) -> dict[str, int]:
    """{(month, kind): n} as {kind: n}, every kind present."""
    return {kind: sum(n for (_, k), n in found.items() if k == kind) for kind, _ in Case.Kind.choices}


def _incidents(by_kind: dict[str, int], now: datetime.datetime) -> Measure:
    total = sum(by_kind.values())

    def parts(blur):
        return tuple((label, _shown(by_kind[kind], blur)) for kind, label in Case.Kind.choices)

    def words(blur):
        plural = "s" if total != 1 or (blur and total < SMALL) else ""
        return f"{_shown(total, blur)} case{plural} reported in the last 12 months"

    return Measure(
        "incidents", "Incidents by kind", by_kind, words(False), "Incidents and allegations", "incident_trends",
        now, parts(False), words(True), parts(True),
    )  # fmt: skip


def lado(school, now: datetime.datetime) -> Measure:
    return lado_for([school.pk], now)[school.pk]


def lado_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """KCSIE Part 4: allegations referred to the LADO within one working day —
    ``incidents.trends.lado_referrals_by_school`` (the trend page's ``lado_referrals``)."""
    cases, _, since = _cases(school_ids, now)
    found = lado_referrals_by_school(cases, since, now)
    return {pk: _lado(found.get(pk, dict.fromkeys(LADO_COUNTS, 0)), now) for pk in school_ids}


def _lado(found: dict, now: datetime.datetime) -> Measure:
    next_due = found.get("next_due")
    values = {key: found[key] for key in LADO_COUNTS} | {
        "next_due": next_due.isoformat() if isinstance(next_due, datetime.datetime) else next_due
    }

    def words(blur):
        v, said = values, []
        if v["on_time"] + v["late"] + v["overdue"]:
            said.append(
                f"{_shown(v['on_time'], blur)} of {_shown(v['on_time'] + v['late'], blur)} allegations referred "
                f"to the LADO on time; {_shown(v['overdue'], blur)} overdue"
            )
        if v["waiting"] and v["next_due"]:
            one = v["waiting"] == 1 and not blur  # blurred, 1 and 2 read alike
            said.append(
                f"{_shown(v['waiting'], blur)} allegation{'' if one else 's'} awaiting referral, "
                f"{'due' if one else 'the first due'} {_date(v['next_due'])}"
            )
        return "; ".join(said) or "No allegation needed referring to the LADO in the last 12 months"

    return Measure(
        "lado", "LADO referrals on time", values, words(False), "Allegations", "incident_trends", now,
        blurred_wording=words(True),
    )  # fmt: skip


def _date(iso: str) -> str:
    """A moment kept as ISO, as a date in a sentence: "8 December 2026" (UK time)."""
    return f"{clocks.local(datetime.datetime.fromisoformat(iso)):%-d %B %Y}"


def without_cases_about(school_id: int, members, stored: dict) -> dict:
    """The figures ``stored`` (``as_stored``: today's, or those kept with a completed review or a report) less
    every case at the school about any of ``members`` (membership ids, a list or a query of them: one reader, or
    everyone who may read a report), as those cases stood when the figures were taken: no one counts a case
    about themselves, not even as a number (``incidents.trends.about``, by which the incident trends page's
    ``counted_for`` leaves out the cases about its reader)."""
    about = Case.objects.filter(school_id=school_id).filter(cases_about(members))
    if not about.exists():
        return stored
    out = dict(stored)
    if "incidents" in stored:
        taken = datetime.datetime.fromisoformat(stored["incidents"]["taken_at"])
        months = last_twelve_months(timezone.localdate(taken))
        found = by_school_kind_and_month(about.filter(reported_at__lte=taken), months)
        own = _by_kind(found.get(school_id, {}))
        left = {kind: max(0, n - own.get(kind, 0)) for kind, n in stored["incidents"]["values"].items()}
        out["incidents"] = _incidents(left, taken).as_stored()
    if "lado" in stored:
        taken = datetime.datetime.fromisoformat(stored["lado"]["taken_at"])
        _, _, since = _cases([], taken)
        own = lado_referrals(about.filter(reported_at__lte=taken), since, taken)
        kept = stored["lado"]["values"]
        left = {key: max(0, kept.get(key, 0) - own[key]) for key in LADO_COUNTS}
        # The first due of those left: the kept one, unless one of the reader's own cases was waiting.
        left["next_due"] = kept.get("next_due") if not own["waiting"] else _next_due(about, since, taken)
        out["lado"] = _lado(left, taken).as_stored()
    return out


def _next_due(about, since, taken) -> datetime.datetime | None:
    """When the first allegation waiting for referral at ``taken`` is due, less the cases ``about``."""
    school_ids = about.values("school_id")
    others = Case.objects.filter(school_id__in=school_ids).exclude(pk__in=about.values("pk"))
    found = lado_referrals_by_school(others.filter(reported_at__lte=taken), since, taken)
    return next((row["next_due"] for row in found.values()), None)
