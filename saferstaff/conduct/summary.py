"""The conduct summary for the Headteacher and governors: counts only, never a name (KCSIE Part 4). Read-only.

A concern's subject never learns of a concern about themselves, not even as a number: the counts a person
sees leave out every concern about them (a Headteacher sees the school's counts without the concerns about
the Headteacher, which belong to the chair of governors)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from saferstaff.conduct.models import (
    ContactPermission,
    Decided,
    Disclosure,
    EquipmentPermission,
    LowLevelConcern,
)
from saferstaff.conduct.registers import PATTERN_COUNT, PATTERN_DAYS, in_force
from saferstaff.schools.roles import Actor


@dataclass(frozen=True)
class Period:
    label: str
    starts: datetime.date
    ends: datetime.date  # inclusive


def school_year(on: datetime.date) -> Period:
    """1 September to 31 August."""
    first = on.year if on.month >= 9 else on.year - 1
    return Period(
        f"School year {first} to {first + 1}", datetime.date(first, 9, 1), datetime.date(first + 1, 8, 31)
    )


def school_term(on: datetime.date) -> Period:
    """The term by simple dates, the same for every school: autumn 1 September to 31 December, spring
    1 January to 31 March, summer 1 April to 31 August (holidays fall inside the term they follow)."""
    if on.month >= 9:
        return Period(f"Autumn term {on.year}", datetime.date(on.year, 9, 1), datetime.date(on.year, 12, 31))
    if on.month <= 3:
        return Period(f"Spring term {on.year}", datetime.date(on.year, 1, 1), datetime.date(on.year, 3, 31))
    return Period(f"Summer term {on.year}", datetime.date(on.year, 4, 1), datetime.date(on.year, 8, 31))


def _within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__date__gte": period.starts, f"{field}__date__lte": period.ends})


def _by(queryset, field: str, choices, period: Period, when: str) -> list[tuple[str, int]]:
    """(label, count) for each choice of ``field``, for what was made within ``period``."""
    counted = dict(
        queryset.filter(_within(when, period))
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values_list(field, "n")
    )
    return [(str(label), counted.get(value, 0)) for value, label in choices]


def _disclosures(school, period: Period) -> dict:
    qs = Disclosure.objects.filter(school=school)
    outcomes = [("", "Waiting for an outcome"), *Disclosure.Outcome.choices]
    made = qs.filter(_within("created_at", period))
    return {
        "total": made.count(),
        "by_outcome": _by(qs, "outcome", outcomes, period, "created_at"),
        "by_channel": [
            ("Social media or gaming", made.filter(channel__is_social_media=True).count()),
            ("Other ways (phone, email, in person)", made.filter(channel__is_social_media=False).count()),
        ],
    }


def _permissions(model, school, period: Period, on: datetime.date) -> dict:
    qs = model.objects.filter(school=school)
    return {
        "in_force": in_force(qs, on).count(),
        "waiting": qs.filter(status=Decided.REQUESTED).count(),
        "requested": qs.filter(_within("requested_at", period)).count(),
        "refused": qs.filter(status=Decided.REFUSED).filter(_within("decided_at", period)).count(),
    }


def _concerns(concerns, period: Period) -> dict:
    outcomes = [("", "Waiting for an outcome"), *LowLevelConcern.Outcome.choices]
    return {
        "total": concerns.filter(_within("created_at", period)).count(),
        "by_outcome": _by(concerns, "outcome", outcomes, period, "created_at"),
    }


def people_with_a_pattern(concerns, on: datetime.date) -> int:
    """How many people have three or more concerns that happened in the twelve months to ``on``."""
    since = on - datetime.timedelta(days=PATTERN_DAYS)
    return (
        concerns.filter(happened_on__gt=since)
        .order_by()
        .values("subject_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=PATTERN_COUNT)
        .count()
    )


def concerns_counted_for(actor: Actor):
    """Every concern at the actor's school except those about the actor themselves."""
    qs = LowLevelConcern.objects.filter(school=actor.school)
    return qs.exclude(subject=actor.membership) if actor.membership is not None else qs


def conduct_summary(actor: Actor, on: datetime.date | None = None) -> dict:
    """Counts for this term and this school year: disclosures by outcome and kind of channel, contact and
    equipment permissions, low-level concerns by outcome, and how many people have a pattern (three or more
    concerns in twelve months, counted today)."""
    on = on or timezone.localdate()
    school = actor.school
    concerns = concerns_counted_for(actor)
    periods = []
    for period in (school_term(on), school_year(on)):
        periods.append(
            {
                "period": period,
                "disclosures": _disclosures(school, period),
                "contact": _permissions(ContactPermission, school, period, on),
                "equipment": _permissions(EquipmentPermission, school, period, on),
                "concerns": _concerns(concerns, period),
            }
        )
    return {
        "on": on,
        "periods": periods,
        "people_with_a_pattern": people_with_a_pattern(concerns, on),
        "pattern_count": PATTERN_COUNT,
    }


def school_year_counts(school, on: datetime.date | None = None) -> dict:
    """The school year's disclosures and the permissions in force today, counted as the conduct summary counts
    them (its school-year column): the self-review's figure (oversight.figures.conduct) reads this."""
    return school_year_counts_for([school.pk], on)[school.pk]


def school_year_counts_for(school_ids: list[int], on: datetime.date | None = None) -> dict[int, dict]:
    """``school_year_counts`` for many schools at once (the trust's view): three grouped queries, with the
    summary's own filters (``_within`` the school year, ``in_force``)."""
    on = on or timezone.localdate()
    year = school_year(on)

    def per_school(queryset) -> dict[int, int]:
        return dict(
            queryset.order_by().values("school_id").annotate(n=Count("pk")).values_list("school_id", "n")
        )

    disclosures = per_school(
        Disclosure.objects.filter(school_id__in=school_ids).filter(_within("created_at", year))
    )
    contact = per_school(in_force(ContactPermission.objects.filter(school_id__in=school_ids), on))
    equipment = per_school(in_force(EquipmentPermission.objects.filter(school_id__in=school_ids), on))
    return {
        pk: {
            "period": year.label,
            "disclosures": disclosures.get(pk, 0),
            "contact_permissions": contact.get(pk, 0),
            "equipment_permissions": equipment.get(pk, 0),
        }
        for pk in school_ids
    }
