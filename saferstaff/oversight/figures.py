"""§2: the figures governors, inspectors and the trust read, each computed by ONE function here from the function
of the room that owns its definition — the same one that room's own page shows — so a self-review, a governors'
report, an evidence pack and the trust's view can never disagree with the dashboards.

Each returns a ``Measure``: the number(s), a sentence in plain words, where it comes from (the register and the
page a reader can check it on) and the moment it was taken. Counts only: never a name or a pupil."""

import datetime

from django.db.models import Count
from django.utils import timezone

from saferstaff.audit.models import AuditEvent
from saferstaff.conduct.summary import school_term, school_year_counts_for
from saferstaff.consent.decided import coverage_for
from saferstaff.consent.states import GIVEN, NOT_ASKED, NOT_ASKED_YET, given_words
from saferstaff.numbers import counted
from saferstaff.oversight.case_figures import incidents, incidents_for, lado, lado_for
from saferstaff.oversight.measure import Measure
from saferstaff.oversight.measure import percent as _percent
from saferstaff.photos.status import publications_between_for, takedown_summaries
from saferstaff.policies.counts import acceptance_counts
from saferstaff.privacy.seen import READS
from saferstaff.privacy.status import breach_clocks, requests_on_time_for

OVERDUE_DAYS = 30  # acceptance still waiting this many days after a version was published


def acceptance(school, now: datetime.datetime) -> Measure:
    return acceptance_for([school.pk], now)[school.pk]


def acceptance_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§2: who has accepted the guidance in force — ``policies.counts.acceptance_counts`` (counted by the
    ``audience_states`` and ``tally`` the policy dashboard and the trust page count with)."""
    return acceptance_from(acceptance_counts(school_ids), now)


def acceptance_from(counts: dict[int, list[dict]], now: datetime.datetime) -> dict[int, Measure]:
    """The acceptance figure of each school from its ``acceptance_counts``. The counts read no date or time (the
    school's members, roles, versions and acceptances), so the trust's view keeps them for the day; only whether
    a wait is overdue reads ``now``, here."""
    return {pk: _acceptance(items, now) for pk, items in counts.items()}


def _acceptance(overview: list[dict], now: datetime.datetime) -> Measure:
    accepted = sum(item["accepted"] for item in overview)
    audience = sum(item["audience"] for item in overview)
    overdue = sum(
        item["to_accept"]
        for item in overview
        if item["version"].published_at
        and now - item["version"].published_at > datetime.timedelta(days=OVERDUE_DAYS)
    )
    percent = _percent(accepted, audience)
    wording = (
        f"Staff have made {percent}% of the acceptances asked of them ({accepted} of {audience}); "
        f"{counted(overdue, 'is', 'are')} still waiting more than {OVERDUE_DAYS} days after publication"
        if audience
        else "No published policy is addressed to staff yet"
    )
    parts = tuple(
        (
            item["policy"].title,
            f"{item['accepted']} of {item['audience']} accepted version {item['version'].number}",
        )
        for item in overview
    )
    return Measure(
        "acceptance", "Staff who accepted the guidance", {"accepted": accepted, "audience": audience,
        "percent": percent, "overdue": overdue}, wording, "Acceptances of the published policies",
        "policy_dashboard", now, parts,
    )  # fmt: skip


def consent(school, now: datetime.datetime) -> Measure:
    return consent_for([school.pk], now)[school.pk]


def consent_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§5: consent per use of images — ``consent.decided.coverage_for`` (the consent register's states)."""
    return {pk: _consent(rows, now) for pk, rows in coverage_for(school_ids, timezone.localdate(now)).items()}


def _asked(values: dict) -> dict[str, int]:
    """{use: pupils with consent given} for the uses someone was asked about: a use every pupil of which is
    "not asked" (``consent.states.NOT_ASKED``) has no consent to measure yet, so it is never the lowest."""
    pupils, not_asked = values["pupils"], values.get("not_asked", {})
    return {use: n for use, n in values["given"].items() if not_asked.get(use, 0) < pupils}


def lowest_consent(values: dict) -> int | None:
    """The % of pupils with consent given for the use asked about with the fewest (a consent figure's
    ``values``); None when no use was asked about yet, or there are no pupils."""
    asked = _asked(values) if values["pupils"] else {}
    return _percent(min(asked.values()), values["pupils"]) if asked else None


def _consent(rows, now: datetime.datetime) -> Measure:
    values = {
        "pupils": rows[0][2] if rows else 0,
        "given": {purpose.name: counts[GIVEN] for purpose, counts, _ in rows},
        "not_asked": {purpose.name: counts[NOT_ASKED] for purpose, counts, _ in rows},
    }
    pupils, asked = values["pupils"], _asked(values)

    parts = tuple((purpose.name, given_words(counts, n)) for purpose, counts, n in rows)
    unasked = len(rows) - len(asked)
    if not rows or not pupils:
        wording = "No use of images is set up, or no pupils"
    elif not asked:
        wording = f"{counted(len(rows), 'use', 'uses')} of images set up, {NOT_ASKED_YET.lower()} ({counted(pupils, 'pupil', 'pupils')})"
    else:
        wording = (
            f"{counted(len(asked), 'use', 'uses')} of images asked about for {counted(pupils, 'pupil', 'pupils')}; "
            "the lowest has "
            f"consent for {lowest_consent(values)}%"
            + (f"; {counted(unasked, 'use', 'uses')} {NOT_ASKED_YET.lower()}" if unasked else "")
        )
    return Measure(
        "consent", "Consent for images, per use", values, wording, "Consent register", "consent_register", now,
        parts,
    )  # fmt: skip


def takedowns(school, now: datetime.datetime) -> Measure:
    return takedowns_for([school.pk], now)[school.pk]


def takedowns_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§5: images taken down after consent was withdrawn — ``photos.status.takedown_summaries``."""
    return {pk: _takedowns(found, now) for pk, found in takedown_summaries(school_ids, now).items()}


def _takedowns(found: dict, now: datetime.datetime) -> Measure:
    median = found["median_days"]
    wording = (
        f"{counted(found['done'], 'takedown', 'takedowns')} done"
        + (f" (median {median} days to close)" if median is not None else "")
        + f"; {found['open']} open"
    )
    return Measure("takedowns", "Takedowns", found, wording, "Takedowns", "takedown_list", now)


def conduct(school, now: datetime.datetime) -> Measure:
    return conduct_for([school.pk], now)[school.pk]


def conduct_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§3, §4, §6: disclosures of contact with pupils this school year and the permissions in force —
    ``conduct.summary.school_year_counts_for`` (the conduct summary's school-year column)."""
    return {
        pk: _conduct(v, now) for pk, v in school_year_counts_for(school_ids, timezone.localdate(now)).items()
    }


def _conduct(values: dict, now: datetime.datetime) -> Measure:
    wording = (
        f"{counted(values['disclosures'], 'disclosure', 'disclosures')} of contact with pupils this school year; "
        f"{counted(values['contact_permissions'], 'permission', 'permissions')} to contact pupils and "
        f"{values['equipment_permissions']} to use personal equipment in force"
    )
    return Measure(
        "conduct", "Disclosures and permissions", values, wording,
        f"Disclosures and the permission registers ({values['period']})", "conduct_summary", now,
    )  # fmt: skip


def breaches(school, now: datetime.datetime) -> Measure:
    return breaches_for([school.pk], now)[school.pk]


def breaches_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§8: breaches decided within 72 hours — ``privacy.status.breach_clocks``."""
    return {pk: _breaches(found, now) for pk, found in breach_clocks(school_ids, now).items()}


def _breaches(found: dict, now: datetime.datetime) -> Measure:
    decided = found["on_time"] + found["late"]
    wording = (
        f"{found['on_time']} of {decided} breaches decided within 72 hours; {found['overdue']} past it undecided"
        if decided + found["overdue"]
        else "No breach recorded"
    )
    return Measure(
        "breaches", "Breaches decided within 72 hours", found, wording, "Breach log", "privacy_home", now
    )


def subject_access(school, now: datetime.datetime) -> Measure:
    return subject_access_for([school.pk], now)[school.pk]


def subject_access_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§8: subject access requests answered on time — ``privacy.status.requests_on_time_for``."""
    return {pk: _subject_access(found, now) for pk, found in requests_on_time_for(school_ids, now).items()}


def _subject_access(found: dict, now: datetime.datetime) -> Measure:
    answered = found["on_time"] + found["late"]
    wording = (
        f"{found['on_time']} of {answered} subject access requests answered on time; {found['overdue']} overdue"
        if answered + found["overdue"]
        else "No subject access request answered or overdue"
    )
    return Measure("subject_access", "Subject access on time", found, wording, "Subject access requests",
                   "privacy_home", now)  # fmt: skip


def publications(school, now: datetime.datetime) -> Measure:
    return publications_for([school.pk], now)[school.pk]


def publications_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§5: photo activity — copies of images published this term (``conduct.summary.school_term``: autumn,
    spring, summer by fixed dates) and how many of them are already taken down —
    ``photos.status.publications_between_for`` (the publication register lists the same rows with their dates)."""
    term = school_term(timezone.localdate(now))
    found = publications_between_for(school_ids, term.starts, term.ends)
    return {pk: _publications(found[pk], term, now) for pk in school_ids}


def _publications(found: dict, term, now: datetime.datetime) -> Measure:
    wording = (
        f"{counted(found['published'], 'image', 'images')} published this term ({term.label}); "
        f"{found['taken_down']} of them since taken down"
        if found["published"]
        else f"No image published this term ({term.label})"
    )
    parts = tuple((channel, f"{n} published") for channel, n in found["by_channel"].items())
    return Measure(
        "publications", "Photos published this term", {**found, "term": term.label}, wording,
        "Publication register", "publication_list", now, parts,
    )  # fmt: skip


def access_records(school, now: datetime.datetime) -> Measure:
    return access_records_for([school.pk], now)[school.pk]


def access_records_for(school_ids: list[int], now: datetime.datetime) -> dict[int, Measure]:
    """§8: every read of a record is recorded in the audit trail — how many reads (opened, listed, exported,
    downloaded) were recorded at each school in the last 12 months, and by how many people. "A read" is
    ``privacy.seen.READS``, what the "who saw a person's record?" page answers from. One grouped query."""
    since = now - datetime.timedelta(days=365)
    found = {pk: {"reads": 0, "people": 0} for pk in school_ids}
    rows = (
        AuditEvent.objects.filter(school_id__in=school_ids, at__gte=since, at__lte=now, action__regex=READS)
        .order_by()
        .values("school_id")
        .annotate(reads=Count("pk"), people=Count("actor_id", distinct=True))
    )
    for row in rows:
        found[row["school_id"]] = {"reads": row["reads"], "people": row["people"]}
    return {pk: _access_records(values, now) for pk, values in found.items()}


def _access_records(values: dict, now: datetime.datetime) -> Measure:
    wording = (
        f"{counted(values['reads'], 'read', 'reads')} of records recorded in the last 12 months, "
        f"by {counted(values['people'], 'person', 'people')}"
    )
    return Measure(
        "access_records", "Access to records recorded", values, wording, "Audit trail (who saw a record)",
        "seen_search", now,
    )  # fmt: skip


FIGURES = (
    acceptance, consent, publications, takedowns, conduct, incidents, lado, breaches, subject_access,
    access_records,
)  # fmt: skip
# Each figure for many schools at once, in a fixed number of queries however many (the trust's view).
FIGURES_FOR = (
    acceptance_for, consent_for, publications_for, takedowns_for, conduct_for, incidents_for, lado_for,
    breaches_for, subject_access_for, access_records_for,
)  # fmt: skip


def all_figures(school, now: datetime.datetime | None = None) -> dict[str, Measure]:
    return figures_for([school.pk], now)[school.pk]


def figures_for(
    school_ids: list[int], now: datetime.datetime | None = None, of=FIGURES_FOR
) -> dict[int, dict[str, Measure]]:
    """Every figure (or those ``of``) of every school given: {school id: {figure key: Measure}}, in the same
    number of queries for one school or two hundred."""
    now = now or timezone.now()
    table: dict[int, dict[str, Measure]] = {pk: {} for pk in school_ids}
    for figure_for in of:
        for pk, measure in figure_for(school_ids, now).items():
            table[pk][measure.key] = measure
    return table
