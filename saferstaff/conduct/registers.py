"""What the registers show and what other rooms ask of them: who may contact whom, how and until when (§3,
§4); who may use which personal device now and on what conditions (§6); and how many low-level concerns each
person has had (KCSIE Part 4). Read-only: writes go through ``conduct.services``."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from saferstaff.conduct.models import (
    ContactPermission,
    Decided,
    Disclosure,
    EquipmentPermission,
    LowLevelConcern,
)
from saferstaff.rules.conduct import CHAIR, HEADTEACHER, SENIOR, is_chair
from saferstaff.schools.models import SchoolSettings
from saferstaff.schools.roles import DSL, SENIOR_MANAGEMENT, Actor, H, members_holding

# KCSIE asks leaders to notice a pattern: this many concerns about one person within PATTERN_MONTHS.
PATTERN_COUNT = 3
PATTERN_DAYS = 365


def in_force(queryset: QuerySet, on: datetime.date | None = None) -> QuerySet:
    on = on or timezone.localdate()
    return queryset.filter(status=Decided.APPROVED, starts_on__lte=on, ends_on__gte=on)


def contact_register(school, on: datetime.date | None = None) -> QuerySet[ContactPermission]:
    """The approved-channels register: permissions to contact pupils in force on ``on`` (today)."""
    return (
        in_force(ContactPermission.objects.filter(school=school), on)
        .select_related("requested_by", "channel", "decided_by")
        .prefetch_related("pupils")
        .order_by("ends_on", "pk")
    )


def equipment_register(school, on: datetime.date | None = None) -> QuerySet[EquipmentPermission]:
    """Who may use which personal device in work time on ``on`` (today), and on what conditions."""
    return (
        in_force(EquipmentPermission.objects.filter(school=school), on)
        .select_related("requested_by", "decided_by")
        .order_by("ends_on", "pk")
    )


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def personal_device_permission(school, *, camera: str, model: str = "", on: datetime.date):
    """The approved personal-equipment permission whose device matches a photo's camera (its make and model
    as ``photos.models.make_and_model`` says them, or the model alone) on the day it was taken, if any."""
    wanted = {_norm(camera), _norm(model)} - {""}
    if not wanted:
        return None
    candidates = (
        EquipmentPermission.objects.filter(
            school=school, status=Decided.APPROVED, starts_on__lte=on, ends_on__gte=on
        )
        .exclude(make_model="")
        .select_related("requested_by")
        .order_by("-starts_on", "-pk")
    )
    for permission in candidates:
        if _norm(permission.make_model) in wanted:
            return permission
    return None


def concerns_readable_by(actor: Actor) -> QuerySet[LowLevelConcern]:
    """The concerns ``actor`` reads at their school: those routed to them, never any about themselves
    (the same answer as ``rules.conduct.may_read_concern`` for each)."""
    school = actor.school
    qs = LowLevelConcern.objects.filter(school=school)
    if actor.membership is not None:
        qs = qs.exclude(subject=actor.membership)
    seen = Q(pk__in=[])
    if actor.is_head:
        seen |= Q(routed_to=HEADTEACHER)
    if is_chair(actor):
        # ``rules.conduct.chair_reads_too``: routed to the Headteacher, about someone who has become one.
        heads = members_holding(school.pk, {H}).values("pk")
        seen |= Q(routed_to=CHAIR) | Q(routed_to=HEADTEACHER, subject__in=heads)
    if actor.holds(DSL):
        seen |= Q(escalated_at__isnull=False)
    return qs.filter(seen)


def reads_disclosures_to_the_head(actor: Actor) -> bool:
    """The Headteacher, and the DSL when the school shares disclosures with them (§3)."""
    return actor.is_head or (actor.holds(DSL) and SchoolSettings.for_school(actor.school).disclosures_to_dsl)


def disclosures_readable_by(actor: Actor) -> QuerySet[Disclosure]:
    """The disclosures routed (or referred, for the DSL) to ``actor`` at their school, never their own (those
    are on their My conduct page): the same answer as ``rules.conduct.may_read_disclosure``, less their own."""
    seen = Q(pk__in=[])
    if reads_disclosures_to_the_head(actor):
        seen |= Q(routed_to=HEADTEACHER)
    if actor.holds(DSL):
        seen |= Q(outcome=Disclosure.Outcome.DSL)
    if is_chair(actor):
        # ``rules.conduct.chair_reads_too``: routed to the Headteacher, by someone who has become one.
        heads = members_holding(actor.school.pk, {H}).values("user_id")
        seen |= Q(routed_to=CHAIR) | Q(routed_to=HEADTEACHER, discloser__in=heads)
    return Disclosure.objects.filter(seen, school=actor.school).exclude(discloser=actor.user)


def requests_decided_by(actor: Actor, model) -> QuerySet:
    """The requests (``model``: ContactPermission or EquipmentPermission) still waiting for a decision that
    ``actor`` may decide: the same people ``services.deciders`` tells (never their own request)."""
    routes = [
        r
        for r, yes in ((SENIOR, actor.is_senior), (HEADTEACHER, actor.is_head), (CHAIR, is_chair(actor)))
        if yes
    ]
    seen = Q(routed_to__in=routes)
    if is_chair(actor):  # ``rules.conduct.chair_decides_now``: asked before the asker became a Headteacher
        heads = members_holding(actor.school.pk, {H}).values("user_id")
        seen |= Q(routed_to=HEADTEACHER, requested_by__in=heads)
        senior = list(members_holding(actor.school.pk, SENIOR_MANAGEMENT).values_list("user_id", flat=True))
        if len(senior) == 1:  # a Headteacher with no other senior leader to decide their request
            seen |= Q(routed_to=SENIOR, requested_by__in=heads.filter(user_id=senior[0]))
    return model.objects.filter(seen, school=actor.school, status=Decided.REQUESTED).exclude(
        requested_by=actor.user
    )


@dataclass(frozen=True)
class Pattern:
    subject_id: int
    name: str
    recent: int  # in the last PATTERN_DAYS
    total: int

    @property
    def prominent(self) -> bool:
        return self.recent >= PATTERN_COUNT


def patterns(actor: Actor, on: datetime.date | None = None) -> list[Pattern]:
    """Per person, how many concerns ``actor`` can read, in the last year and in all: those with a pattern
    (three or more in twelve months) first."""
    on = on or timezone.localdate()
    since = on - datetime.timedelta(days=PATTERN_DAYS)
    rows = (
        concerns_readable_by(actor)
        .values(
            "subject_id", "subject__user__first_name", "subject__user__last_name", "subject__invited_name"
        )
        .annotate(total=Count("pk"), recent=Count("pk", filter=Q(happened_on__gt=since)))
    )
    found = [
        Pattern(
            r["subject_id"],
            f"{r['subject__user__first_name']} {r['subject__user__last_name']}".strip()
            or r["subject__invited_name"],
            r["recent"],
            r["total"],
        )
        for r in rows
    ]
    return sorted(found, key=lambda p: (-p.recent, -p.total, p.name))
