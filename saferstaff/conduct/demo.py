"""The demo school's conduct records, made through the doors as anyone's would be (called by ``load_demo``): a
disclosure with advice given (§3), two permissions for a trip (§3, §6) and two low-level concerns (KCSIE)."""

import datetime

from django.utils import timezone

from saferstaff.conduct import services
from saferstaff.conduct.models import ContactChannel, Disclosure, EquipmentPermission
from saferstaff.schools.roles import Actor


def load(school, users) -> None:
    _disclosure(school, users)
    _permissions(school, users)
    _concerns(school, users)


def _disclosure(school, users) -> None:
    """§3: a parent's friend request, told to the Headteacher, who gave advice."""
    disclosure = services.disclose(
        Actor.of(users["teacher"], school), who=Disclosure.Who.FAMILY,
        who_text="The parent of a pupil in my class", channel=ContactChannel.objects.get(school=school, name="Facebook"),
        happened_on=timezone.localdate() - datetime.timedelta(days=3),
        what_happened="A friend request on Facebook from a parent of a pupil in my class.",
        did=[Disclosure.Did.DECLINED],
    )  # fmt: skip
    services.record_outcome(
        Actor.of(users["head"], school), disclosure, outcome=Disclosure.Outcome.ADVICE,
        note="Thank you for telling me. Declining was right: keep in touch with parents through the school's "
        "messaging platform.",
    )  # fmt: skip


def _permissions(school, users) -> None:
    """§3, §6: a teacher's messages to Year 1 about the farm trip on the school's platform, and a teaching
    assistant's own phone on it, for calls only, no photographs."""
    today = timezone.localdate()
    trip = {"starts_on": today, "ends_on": today + datetime.timedelta(days=14)}
    deputy = Actor.of(users["deputy"], school)
    contact = services.request_contact(
        Actor.of(users["teacher"], school),
        channel=ContactChannel.objects.get(school=school, name="The school's messaging platform"),
        purpose="Reminders to Year 1 about the farm trip: kit, times, what to bring",
        year_groups=["1"],
        **trip,
    )
    services.decide(deputy, contact, approve=True)
    phone = services.request_equipment(
        Actor.of(users["agency"], school),
        device_kind=EquipmentPermission.Kind.PHONE,
        make_model="Apple iPhone 13",
        purpose="Calls to the school office from the farm trip",
        conditions=[EquipmentPermission.Condition.CALLS_ONLY, EquipmentPermission.Condition.NO_PHOTOS],
        **trip,
    )
    services.decide(deputy, phone, approve=True)


def _concerns(school, users) -> None:
    """KCSIE Part 4: one concern about a class teacher, with its outcome, for the Headteacher; one about the
    Headteacher, which only the chair of governors reads."""
    today = timezone.localdate()
    member = {local: school.memberships.get(user=user) for local, user in users.items()}
    about_teacher = services.raise_concern(
        Actor.of(users["agency"], school),
        subject=member["teacher"],
        happened_on=today - datetime.timedelta(days=12),
        what="Took photos of the class's science display with pupils in the shot on a personal phone, and said "
        "they would delete them later.",
    )
    services.record_concern_outcome(
        Actor.of(users["head"], school),
        about_teacher,
        rationale="Contrary to §5 and §6 (personal equipment, images of pupils) but below the harm threshold: "
        "no sign of intent to harm; the images were for the display.",
        action="Talked it through; the photos were deleted in front of me; reminded of the school cameras.",
        outcome="advice",
    )
    services.raise_concern(
        Actor.of(users["deputy"], school),
        subject=member["head"],
        happened_on=today - datetime.timedelta(days=3),
        what="Accepted a friend request from a Year 2 pupil's parent on a personal social media account and has not "
        "ended it.",
        anonymous_to_subject=False,
    )
