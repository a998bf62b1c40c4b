"""What the conduct room does each day (``run_daily``): chase every disclosure still without an outcome (§3),
every permission request still undecided (§3, §4, §6) and every concern still without one (KCSIE), until it
has one. Chased by state, never by whether a notice was opened: opening it takes nothing off the list."""

import datetime
from collections import Counter
from collections.abc import Iterator

from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.context import acting_as
from saferstaff.conduct.models import (
    ContactPermission,
    Decided,
    Disclosure,
    EquipmentPermission,
    LowLevelConcern,
)
from saferstaff.conduct.services import deciders
from saferstaff.notifications.models import Notification
from saferstaff.notifications.service import notify
from saferstaff.rules.conduct import CHAIR, HEADTEACHER, chair_decides_now, readers
from saferstaff.schools.models import School, SchoolSettings
from saferstaff.schools.roles import H, members_holding

# Told at once when it arrives; chased from the next day, every day, while it waits.
CHASE_AFTER = datetime.timedelta(hours=20)
CHASE_KIND = "conduct.chase"


def waiting(school, now: datetime.datetime) -> Counter:
    """For each user (by id), how many of what they must act on have waited longer than CHASE_AFTER.
    Who reads or decides each route is asked once per school, not once per item (benchmarks/conduct.py)."""
    before = now - CHASE_AFTER
    owed: Counter = Counter()
    dsl = SchoolSettings.for_school(school).disclosures_to_dsl
    people: dict[tuple, list[tuple[int, int]]] = {}

    def members(kind: str, route: str) -> list[tuple[int, int]]:
        """(membership id, user id) of who reads a disclosure (``kind`` "read") or a concern ("concern")
        routed to ``route``, or decides a request ("decide"). The DSL reads disclosures the school shares,
        never a concern that is not escalated (escalated ones have an outcome: not chased)."""
        if (kind, route) not in people:
            if kind == "decide":
                found = deciders(school.pk, route, requester_id=None)
            else:
                found = readers(school.pk, route, dsl_too=kind == "read" and dsl and route == HEADTEACHER)
            people[kind, route] = list(found.values_list("pk", "user_id"))
        return people[kind, route]

    heads = list(members_holding(school.pk, {H}).values_list("pk", "user_id"))

    def to_read(kind: str, routed_to: str, about_head: bool) -> set[tuple[int, int]]:
        """Its route's readers, and the chair when the person it is by or about has become a Headteacher
        (``rules.conduct.chair_reads_too``)."""
        found = set(members(kind, routed_to))
        return found | set(members(kind, CHAIR)) if routed_to == HEADTEACHER and about_head else found

    disclosures = Disclosure.objects.filter(school=school, outcome="", created_at__lt=before)
    for routed_to, discloser_id in disclosures.values_list("routed_to", "discloser_id"):
        for _, user_id in to_read("read", routed_to, any(discloser_id == u for _, u in heads)):
            if user_id != discloser_id:
                owed[user_id] += 1
    for model in (ContactPermission, EquipmentPermission):
        requests = model.objects.filter(school=school, status=Decided.REQUESTED, requested_at__lt=before)
        for routed_to, requester_id in requests.values_list("routed_to", "requested_by_id"):
            deciding = set(members("decide", routed_to))
            if any(requester_id == u for _, u in heads) and chair_decides_now(
                school.pk, routed_to, requester_id
            ):
                deciding |= set(members("decide", CHAIR))
            for _, user_id in deciding:
                if user_id != requester_id:
                    owed[user_id] += 1
    concerns = LowLevelConcern.objects.filter(school=school, outcome="", created_at__lt=before)
    for routed_to, subject_id in concerns.values_list("routed_to", "subject_id"):
        for membership_id, user_id in to_read("concern", routed_to, any(subject_id == m for m, _ in heads)):
            if membership_id != subject_id:
                owed[user_id] += 1
    return owed


def chase(school, now: datetime.datetime | None = None) -> int:
    """One notice a day to each person with something waiting (not one per item: a list, not a flood)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    url = reverse("conduct_waiting", kwargs={"school": school.slug})
    sent = 0
    for user_id, count in waiting(school, now).items():
        if Notification.objects.filter(
            user_id=user_id, kind=CHASE_KIND, school=school, created_at__date=today
        ).exists():
            continue
        notify(
            school.memberships.get(user_id=user_id).user,
            kind=CHASE_KIND,
            title=f"Still waiting for you: {count} disclosure{'s' if count != 1 else ''}, request"
            f"{'s' if count != 1 else ''} or concern{'s' if count != 1 else ''} (§3, §6, KCSIE)",
            url=url,
            school=school,
        )
        sent += 1
    return sent


def daily() -> Iterator[str]:
    sent = 0
    for school in School.objects.all():
        with acting_as(school_id=school.pk):
            sent += chase(school)
    yield f"{sent} people chased about disclosures, requests and concerns waiting for them"
