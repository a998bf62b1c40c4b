"""What the incidents room does each day (``run_daily``): re-hash every stored item of evidence and tell the
DSLs of any that no longer matches what was received (§9: evidence kept intact); then chase, once a day each,
the owners of overdue actions and the case managers of allegations whose LADO referral is due or overdue
(KCSIE Part 4). Chased by state, never by whether a notice was opened: opening it takes nothing off."""

from collections import Counter
from collections.abc import Iterator

from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.context import acting_as
from saferstaff.incidents.models import Action, Case
from saferstaff.incidents.registers import actions_of
from saferstaff.incidents.services import altered, give_up_lost_captures, managers, verify_all
from saferstaff.incidents.status import lado_waiting
from saferstaff.notifications.service import chase_once_a_day
from saferstaff.schools.models import Membership, School
from saferstaff.schools.roles import Actor

CHASE_KIND = "incidents.chase"


def owed(school, now) -> Counter:
    """For each user (by id), how many overdue actions and allegations due for LADO referral wait for them."""
    today = timezone.localdate(now)
    counts: Counter = Counter()
    overdue = Action.objects.filter(school=school, done_at__isnull=True, due_on__lt=today)
    for owner in Membership.objects.filter(pk__in=overdue.values("owner")).select_related("user"):
        # only what they may still read: never an action on a case that has since named them (§9)
        if late := actions_of(Actor.of(owner.user, school)).filter(due_on__lt=today).count():
            counts[owner.user_id] += late
    # Due today or before: the clock ends at the close of a working day, so today's is chased this morning.
    allegations = lado_waiting(Case.objects.filter(school=school)).filter(lado_due__date__lte=today)
    for case in allegations.select_related("school"):
        for user_id in managers(case).values_list("user_id", flat=True):
            counts[user_id] += 1
    return counts


def chase(school, now=None) -> int:
    """One notice a day to each person with something waiting (a list, not one notice per item)."""
    now = now or timezone.now()
    return chase_once_a_day(
        school, owed(school, now), kind=CHASE_KIND, now=now,
        url=reverse("case_list", kwargs={"school": school.slug}),
        title=lambda count: f"Still waiting for you: {count} overdue action{'s' if count != 1 else ''} or LADO "
        f"referral{'s' if count != 1 else ''} on cases (§9, KCSIE Part 4)",
    )  # fmt: skip


def daily() -> Iterator[str]:
    bad = verify_all()
    for item in bad:
        with acting_as(school_id=item.school_id):
            altered(item)
    yield f"{len(bad)} items of evidence not matching their hash (DSLs told)"
    yield f"{give_up_lost_captures()} page captures given up after an hour waiting (their requesters told)"
    sent = 0
    for school in School.objects.all():
        with acting_as(school_id=school.pk):
            sent += chase(school)
    yield f"{sent} people chased about overdue actions and LADO referrals"
