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
from saferstaff.notifications.service import chase_once_a_day, notify
from saferstaff.rules.conduct import CHAIR, HEADTEACHER, chair_decides_now, chair_of_governors, readers
from saferstaff.schools.models import School, SchoolSettings, TrustAdmin
from saferstaff.schools.roles import GOV, H, members_holding

# Told at once when it arrives; chased from the next day, every day, while it waits.
CHASE_AFTER = datetime.timedelta(hours=20)
CHASE_KIND = "conduct.chase"
NO_CHAIR_KIND = "conduct.no_chair"


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


def waits_for_a_chair(school, now: datetime.datetime) -> bool:
    """Does anything routed to the chair of governors wait (a disclosure, request or concern of the
    Headteacher's, or about them) while the school has no chair recorded to read or decide it?"""
    if chair_of_governors(school.pk) is not None:
        return False
    before = now - CHASE_AFTER
    waiting_for = {
        Disclosure: {"outcome": "", "created_at__lt": before},
        LowLevelConcern: {"outcome": "", "created_at__lt": before},
        ContactPermission: {"status": Decided.REQUESTED, "requested_at__lt": before},
        EquipmentPermission: {"status": Decided.REQUESTED, "requested_at__lt": before},
    }
    return any(
        model.objects.filter(school=school, routed_to=CHAIR, **state).exists()
        for model, state in waiting_for.items()
    )


def _no_chair(school, now: datetime.datetime) -> int:
    """Tell the governors (never a Headteacher: what waits is theirs, or about them) and the trust's admins,
    who can record a chair, once a day that something waits for one. The notice names nobody."""
    if not waits_for_a_chair(school, now):
        return 0
    heads = members_holding(school.pk, {H}).values("pk")
    people = {m.user for m in members_holding(school.pk, {GOV}).exclude(pk__in=heads).select_related("user")}
    if school.trust_id:
        people |= {a.user for a in TrustAdmin.objects.filter(trust_id=school.trust_id).select_related("user")}
    today = timezone.localdate(now)
    sent = 0
    for user in people:
        if not Notification.objects.filter(
            user=user, kind=NO_CHAIR_KIND, school=school, created_at__date=today
        ).exists():
            notify(
                user,
                kind=NO_CHAIR_KIND,
                title=f"Something waits for the chair of governors at {school.name}, and none is recorded: "
                "the Headteacher or the trust records one on the staff page (KCSIE)",
                url=reverse("school_dashboard", kwargs={"school": school.slug}),
                school=school,
            )
            sent += 1
    return sent


def chase(school, now: datetime.datetime | None = None) -> int:
    """One notice a day to each person with something waiting (not one per item: a list, not a flood); and
    when something waits for a chair of governors the school has not recorded, to those who can see to it."""
    now = now or timezone.now()
    url = reverse("conduct_waiting", kwargs={"school": school.slug})
    sent = _no_chair(school, now)
    return sent + chase_once_a_day(
        school, waiting(school, now), kind=CHASE_KIND, url=url, now=now,
        title=lambda count: f"Still waiting for you: {count} disclosure{'s' if count != 1 else ''}, request"
        f"{'s' if count != 1 else ''} or concern{'s' if count != 1 else ''} (§3, §6, KCSIE)",
    )  # fmt: skip


def daily() -> Iterator[str]:
    sent = 0
    for school in School.objects.all():
        with acting_as(school_id=school.pk):
            sent += chase(school)
    yield f"{sent} people chased about disclosures, requests and concerns waiting for them"
