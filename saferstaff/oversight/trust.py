"""§2 across a trust: every school's figures side by side (``figures.figures_for``, the same functions as the
self-review and the dashboards), with the schools that need help first. What "needs help" means is decided
by ``oversight.attention`` (the governors' report's "what needs your attention" too), by the thresholds named
there; the page prints them.

Counts only, and incident counts blurred as governors see them (``Measure.blurred_wording``): the trust's
admin is not one of the school's designated persons."""

from dataclasses import dataclass

from django.utils import timezone

from saferstaff.audit.log import kept_each
from saferstaff.incidents.trends import SMALL
from saferstaff.numbers import counted
from saferstaff.oversight.attention import reasons
from saferstaff.oversight.figures import (
    FIGURES_FOR,
    NOT_ASKED_YET,
    Measure,
    acceptance_for,
    acceptance_from,
    consent_for,
    figures_for,
    lowest_consent,
)
from saferstaff.policies.counts import acceptance_counts
from saferstaff.schools.models import School


@dataclass(frozen=True)
class SchoolRow:
    pk: int
    name: str
    slug: str
    figures: dict[str, Measure]
    needs: tuple[str, ...]  # why the school needs help, most pressing first; empty when it does not


def needs_help(figures: dict[str, Measure]) -> tuple[str, ...]:
    """Whether a school needs the trust's help, and why: ``attention.reasons``, the test the governors' report
    reads too (one reason per threshold crossed, most pressing first)."""
    return tuple(reason.short for reason in reasons({key: m.values for key, m in figures.items()}))


def _blurred(n: int) -> str:
    return f"fewer than {SMALL}" if 0 < n < SMALL else str(n)


def short(m: Measure) -> str:
    """The figure in a few words for a table cell (its full sentence is on the school's own pages)."""
    v = m.values
    if m.key == "acceptance":
        return f"{v['percent']}% ({v['overdue']} overdue)" if v["audience"] else "None asked"
    if m.key == "consent":
        lowest = lowest_consent(m.values)
        if lowest is not None:
            return f"Lowest use {lowest}%"
        return NOT_ASKED_YET if v["pupils"] and v["given"] else "None asked"
    if m.key == "publications":
        return f"{v['published']} published; {v['taken_down']} taken down"
    if m.key == "takedowns":
        oldest = f", oldest {v['oldest_open_days']:g} days" if v["open"] else ""
        return f"{v['open']} open{oldest}; {v['done']} done"
    if m.key == "conduct":
        return (
            f"{v['disclosures']} disclosed; {v['contact_permissions'] + v['equipment_permissions']} permitted"
        )
    if m.key == "incidents":
        return _blurred(sum(v.values()))
    if m.key == "lado":
        said = [f"{_blurred(v['on_time'])} on time", f"{_blurred(v['overdue'])} overdue"]
        if v["late"]:
            said.insert(1, f"{_blurred(v['late'])} late")
        if v["waiting"]:  # as the figure words them: allegations whose working day is not over yet
            said.append(f"{_blurred(v['waiting'])} awaiting referral")
        return "; ".join(said)
    if m.key == "access_records":
        return f"{counted(v['reads'], 'read', 'reads')} by {counted(v['people'], 'person', 'people')}"
    # breaches, subject access
    return f"{v['on_time']} on time; {v['late']} late; {v['overdue']} overdue"


def _for_the_day(among, ids: list[int], now) -> tuple[dict, dict]:
    """{school: consent Measure} and {school: acceptance counts} of the trust's schools: most of the page's work,
    and they change only with the school or the date, so they are kept for the day (``kept_each(per_day=True)``)
    — worked out by ``run_daily`` before anyone looks. Acceptance's counts read no date at all; whether a wait
    is overdue reads the time, and is worked out on each view (``acceptance_from``). ``among``: the trust's
    schools as a query of their ids."""
    consent_of = kept_each(
        f"trust-consent:{timezone.localdate(now)}", ids, lambda missing: consent_for(missing, now), among,
        per_day=True,
    )  # fmt: skip
    return consent_of, kept_each("trust-acceptance-counts", ids, acceptance_counts, among, per_day=True)


def work_out_for_the_day(trust) -> int:
    """``run_daily``: work out what the trust's page keeps for the day, so its first view of the day is as quick
    as the next. How many schools."""
    among = School.objects.filter(trust=trust).values("pk")
    ids = [row["pk"] for row in among]
    _for_the_day(among, ids, timezone.now())
    return len(ids)


def trust_rows(trust) -> list[SchoolRow]:
    """One row per school of ``trust``, those that need help first (the most reasons first), then by name.
    Each school's figures are kept per state of that school (``audit.log.kept_each``, ADR 0014) — for the minute;
    consent and acceptance's counts for the day (``_for_the_day``) — and worked out for all the missing ones at
    once by ``figures_for``: the same number of queries for 2 schools or 200."""
    schools = list(School.objects.filter(trust=trust).order_by("name").values_list("pk", "name", "slug"))
    among, ids, now = (
        School.objects.filter(trust=trust).values("pk"),
        [pk for pk, _, _ in schools],
        timezone.now(),
    )
    consent_of, counts_of = _for_the_day(among, ids, now)
    acceptance_of = acceptance_from(counts_of, now)
    others = tuple(f for f in FIGURES_FOR if f not in (consent_for, acceptance_for))
    figures_of = kept_each("trust-figures", ids, lambda missing: figures_for(missing, now, others), among)
    for pk in ids:
        figures_of[pk] = {**figures_of[pk], "consent": consent_of[pk], "acceptance": acceptance_of[pk]}
    rows = [
        SchoolRow(pk, name, slug, figures_of[pk], needs_help(figures_of[pk])) for pk, name, slug in schools
    ]
    return sorted(rows, key=lambda row: -len(row.needs))  # stable: by name within the same need
