"""The demo school's data-protection records, made through the doors as anyone's would be (called by
``load_demo``): a guardian's subject access request about a pupil who appears in the demo photos, a breach the
office reported this morning (a report emailed to the wrong parent), and a disclosure the DSL logged (§8)."""

import datetime

from django.utils import timezone

from saferstaff.photos.models import ImageTag
from saferstaff.privacy import breaches, requests, sharing
from saferstaff.privacy.models import Category, LawfulBasis, Sharing
from saferstaff.schools.models import Guardianship
from saferstaff.schools.roles import Actor


def load(school, users) -> None:
    dpo, office, dsl = (Actor.of(users[who], school) for who in ("dpo", "office", "dsl"))
    now = timezone.now()
    tag = ImageTag.objects.filter(image__school=school).select_related("pupil").order_by("pk").first()
    if tag is not None:
        pupil = tag.pupil
        guardianship = Guardianship.objects.filter(pupil=pupil).select_related("guardian").first()
        requests.log_request(
            dpo, requester_kind="guardian",
            requester_name=str(guardianship.guardian) if guardianship else "A parent",
            requester_contact="By email to the school office", about_pupil=pupil,
            received_at=now - datetime.timedelta(days=3),
            what_asked="Copies of every photo of my child the school holds and what it says about them.",
        )  # fmt: skip
        sharing.log_sharing(
            dsl, shared_at=now - datetime.timedelta(days=1), recipient="The school nurse",
            organisation="The local school nursing service", what="Name, date of birth and the concern raised",
            pupils=[pupil], lawful_basis=LawfulBasis.PUBLIC_TASK,
            special_condition="DPA 2018 Sch. 1 para. 18: safeguarding of children and of individuals at risk",
            why="A health concern the nurse needed to follow up with the family", how=Sharing.How.SECURE_EMAIL,
            approved_by=dsl.membership,
        )  # fmt: skip
    breaches.report_breach(
        office, what="A Year 2 report was emailed to the wrong parent; they have been asked to delete it.",
        aware_at=now - datetime.timedelta(hours=2), happened_at=now - datetime.timedelta(hours=3), people_count=1,
        categories=[Category.IDENTITY, Category.EDUCATION], contained="Asked the parent to delete it; they have.",
    )  # fmt: skip
