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
from saferstaff.rules.conduct import readers
from saferstaff.schools.models import School, SchoolSettings

# Told at once when it arrives; chased from the next day, every day, while it waits.
CHASE_AFTER = datetime.timedelta(hours=20)
CHASE_KIND = "conduct.chase"


def waiting(school, now: datetime.datetime) -> Counter:
    """For each user (by id), how many of what they must act on have waited longer than CHASE_AFTER."""
    before = now - CHASE_AFTER
    owed: Counter = Counter()
    dsl = SchoolSettings.for_school(school).disclosures_to_dsl
    for d in Disclosure.objects.filter(school=school, outcome="", created_at__lt=before):
        for member in readers(school.pk, d.routed_to, dsl_too=dsl and d.routed_to == "headteacher"):
            if member.user_id != d.discloser_id:
                owed[member.user_id] += 1
    for model in (ContactPermission, EquipmentPermission):
        for p in model.objects.filter(school=school, status=Decided.REQUESTED, requested_at__lt=before):
            for member in deciders(school.pk, p.routed_to, requester_id=p.requested_by_id):
                owed[member.user_id] += 1
    for c in LowLevelConcern.objects.filter(school=school, outcome="", created_at__lt=before):
        for member in readers(school.pk, c.routed_to).exclude(pk=c.subject_id):
            owed[member.user_id] += 1
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
