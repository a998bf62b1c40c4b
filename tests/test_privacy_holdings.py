"""§8, UK GDPR art. 15: ``holdings.held_about`` finds everything saferstaff holds about one pupil or one member
of staff, from every room, one query per kind (not per record); other people's data is flagged; a record the
reader may not open (an allegation about staff, a low-level concern: KCSIE Part 4) is listed without content."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from saferstaff.biometrics.models import FaceDetection
from saferstaff.conduct.models import (
    ContactChannel,
    ContactPermission,
    ContactPermissionPupil,
    Disclosure,
    LowLevelConcern,
)
from saferstaff.consent.models import ConsentRecord
from saferstaff.incidents.models import Case, Evidence, Involved
from saferstaff.notifications.models import Notification
from saferstaff.photos.models import Image, ImageTag
from saferstaff.postcheck.models import SavedCheck
from saferstaff.privacy.holdings import RESTRICTED_LABEL, held_about
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import Sharing
from saferstaff.schools.roles import Actor

from .image_samples import approved_activity, pupil_with_parents, purpose


def _image(cast, activity, n):
    return Image.objects.create(
        school=cast.school, activity=activity, original=f"x/{n}.jpg", sha256=f"{n:064d}", size=1,
        uploaded_by=cast.teacher, captured_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def world(cast):
    amelia, (mum,) = pupil_with_parents(cast.school, "Amelia", "Oakes")
    noah, _ = pupil_with_parents(cast.school, "Noah", "Reed")
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia, noah])
    alone, together, matched, rejected = (_image(cast, activity, n) for n in range(4))
    ImageTag.objects.create(school=cast.school, image=alone, pupil=amelia, tagged_by=cast.teacher)
    ImageTag.objects.create(school=cast.school, image=together, pupil=amelia, tagged_by=cast.teacher)
    ImageTag.objects.create(school=cast.school, image=together, pupil=noah, tagged_by=cast.teacher)
    face = dict(school=cast.school, left=1, top=1, width=40, height=40, detector_score=0.9, model_version="m")
    FaceDetection.objects.create(image=matched, proposed_pupil=amelia, verdict="auto", **face)
    FaceDetection.objects.create(
        image=rejected, proposed_pupil=amelia, verdict="auto", decision="rejected", **face
    )
    ConsentRecord.objects.create(
        school=cast.school, pupil=amelia, purpose=purpose(cast.school, "website"), answer="yes",
        source="guardian", guardian=mum, recorded_by=cast.office,
    )  # fmt: skip
    disclosure = Disclosure.objects.create(
        school=cast.school, discloser=cast.teacher, who="pupil", pupil=amelia, happened_on=timezone.localdate(),
        what_happened="Replied to a message", routed_to="headteacher", channel=ContactChannel.objects.first(),
    )  # fmt: skip
    permission = ContactPermission.objects.create(
        school=cast.school, requested_by=cast.teacher, channel=ContactChannel.objects.first(), purpose="Residential trip", starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )  # fmt: skip
    ContactPermissionPupil.objects.create(school=cast.school, permission=permission, pupil=amelia)
    case = Case.objects.create(
        school=cast.school, kind=Case.Kind.BULLYING_OF_STAFF, reported_by=cast.teacher,
        happened_on=timezone.localdate(), what_happened="Walk",
    )  # fmt: skip
    Involved.objects.create(school=cast.school, case=case, role="target", pupil=amelia, added_by=cast.dsl)
    SavedCheck.objects.create(
        school=cast.school, author=cast.teacher, text="Well done amelia oakes in the play!"
    )
    SavedCheck.objects.create(school=cast.school, author=cast.teacher, text="Well done Noah!")
    entry = Sharing.objects.create(school=cast.school, recipient="Police", what="Report")
    entry.about_pupils.set([amelia, noah])
    return {"amelia": amelia, "noah": noah, "images": (alone, together, matched, rejected), "case": case,
            "disclosure": disclosure, "permission": permission, "entry": entry}  # fmt: skip


def test_a_pupil_is_found_in_every_room(cast, world):
    held = held_about(cast.school, pupil=world["amelia"])
    kinds = {h.kind for h in held}
    assert kinds >= {
        "pupils", "guardians", "consent_answers", "images", "activities", "disclosures", "contact_permissions",
        "incident_cases", "sharing_log", "draft_checks",
    }  # fmt: skip
    assert sum(1 for h in held if h.kind == "draft_checks") == 1
    alone, together, matched, rejected = world["images"]
    images = {h.record_id: h for h in held if h.kind == "images"}
    # Tagged, or matched with confidence; a face a person said is not theirs is not theirs.
    assert set(images) == {alone.pk, together.pk, matched.pk}
    assert images[together.pk].others_in_it and not images[alone.pk].others_in_it
    assert next(h for h in held if h.kind == "sharing_log").others_in_it
    assert all(h.kind in KINDS and h.audit[0] and h.room for h in held)
    case = next(h for h in held if h.kind == "incident_cases")
    assert case.audit == ("incidents.case", str(world["case"].pk))


def test_one_query_per_kind_not_per_record(cast, world):
    amelia = world["amelia"]
    with CaptureQueriesContext(connection) as few:
        held_about(cast.school, pupil=amelia)
    activity = world["images"][0].activity
    for n in range(10, 30):
        ImageTag.objects.create(
            school=cast.school, image=_image(cast, activity, n), pupil=amelia, tagged_by=cast.teacher
        )
    with CaptureQueriesContext(connection) as many:
        held = held_about(cast.school, pupil=amelia)
    assert sum(1 for h in held if h.kind == "images") == 23
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_member_of_staff_and_what_the_reader_may_not_open(cast, world):
    teacher = cast.member(cast.teacher)
    allegation = Case.objects.create(
        school=cast.school, kind=Case.Kind.ALLEGATION, subject=teacher, routed_to="headteacher", reported_by=cast.slt,
        happened_on=timezone.localdate(), what_happened="Secret words",
    )  # fmt: skip
    Evidence.objects.create(school=cast.school, case=allegation, sha256="0" * 64, size=1, added_by=cast.slt)
    LowLevelConcern.objects.create(
        school=cast.school, subject=teacher, raised_by=cast.slt, happened_on=timezone.localdate(), what="Late",
        routed_to="headteacher",
    )  # fmt: skip
    SavedCheck.objects.create(school=cast.school, author=cast.teacher, text="Draft")
    Notification.objects.create(school=cast.school, user=cast.teacher, kind="x", title="Hello")
    dpo = Actor.of(cast.dpo, cast.school)
    held = held_about(cast.school, member=teacher, reader=dpo)
    kinds = {h.kind for h in held}
    assert kinds >= {"staff", "disclosures", "contact_permissions", "allegations", "low_level_concerns",
                     "draft_checks", "notifications", "incident_cases"}  # fmt: skip
    secret = next(h for h in held if h.kind == "allegations")
    assert secret.restricted and secret.label == RESTRICTED_LABEL and "Secret" not in secret.label
    assert len(secret.parts) == 1  # its evidence, for "who saw"
    assert next(h for h in held if h.kind == "low_level_concerns").restricted
    # The Headteacher, who manages the allegation and reads the concern, sees what they are.
    head = held_about(cast.school, member=teacher, reader=Actor.of(cast.head, cast.school))
    assert not next(h for h in head if h.kind == "allegations").restricted
    # Their own disclosure is theirs: never restricted for a request about them.
    assert not next(h for h in held if h.kind == "disclosures").restricted


def test_one_person_at_a_time(cast, world):
    with pytest.raises(ValueError):
        held_about(cast.school)
    with pytest.raises(ValueError):
        held_about(cast.school, pupil=world["amelia"], member=cast.member(cast.teacher))
