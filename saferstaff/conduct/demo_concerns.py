"""Demo data for KCSIE Part 4: two low-level concerns raised through the door, as anyone would. One about a
class teacher, with its outcome, for the Headteacher; one about the Headteacher, which only the chair of
governors reads. Called by ``load_demo``."""

import datetime

from django.utils import timezone

from saferstaff.conduct import services
from saferstaff.schools.roles import Actor


def load(school, users) -> None:
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
        what="Accepted a friend request from a Year 6 pupil on a personal social media account and has not "
        "ended it.",
        anonymous_to_subject=False,
    )
