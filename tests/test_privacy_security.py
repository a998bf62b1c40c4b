"""§8, KCSIE Part 4: the privacy room as a hostile insider would try it — what a subject access checklist and its
bundle show to each reader of the request, whoever found the records first."""

import datetime
import io

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from saferstaff.biometrics import blurring
from saferstaff.biometrics.models import FaceDetection
from saferstaff.faces.standin import StandInEmbedder, draw_face
from saferstaff.incidents.models import Case
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Image
from saferstaff.privacy import destruction, schedule, sharing, sweep
from saferstaff.privacy import requests as doors
from saferstaff.privacy.holdings import RESTRICTED_LABEL
from saferstaff.privacy.models import DueRecord, Found, LegalHold, RetentionRule
from saferstaff.privacy.status import things_to_do
from saferstaff.rules.engine import Refused
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .image_samples import add_device, approved_activity, pupil_with_parents


@pytest.fixture(autouse=True)
def _files(storage, settings, monkeypatch):
    settings.FACE_MODELS = "standin"
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


@pytest.fixture
def amelia(cast):
    return pupil_with_parents(cast.school, "Amelia", "Oakes")[0]


def url(cast, name, **kwargs):
    return reverse(name, kwargs={"school": cast.school.slug, **kwargs})


def allegation_about(cast, member, pupil, *, routed_to="headteacher") -> Case:
    case = Case.objects.create(
        school=cast.school, kind=Case.Kind.ALLEGATION, subject=member, routed_to=routed_to,
        reported_by=cast.slt, happened_on=timezone.localdate(), what_happened="Secret words",
    )  # fmt: skip
    case.involved.create(school=cast.school, role="target", pupil=pupil, added_by=cast.slt)
    return case


def request_about(cast, pupil):
    return doors.log_request(
        Actor.of(cast.dpo, cast.school), requester_kind="guardian", requester_name="Mrs Oakes",
        about_pupil=pupil, received_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def pages(monkeypatch):
    """What the bundle's PDFs were made from: the index's items and the records' pages."""
    made = {}
    original = doors.render_to_string

    def spy(template, context=None, *args, **kwargs):
        made[template] = context
        return original(template, context, *args, **kwargs)

    monkeypatch.setattr(doors, "render_to_string", spy)
    return made


def _decide_all(actor, req):
    for f in req.found.all():
        doors.decide_found(actor, f, decision=Found.Decision.DISCLOSE)


def test_a_checklist_row_found_by_the_case_manager_says_nothing_to_an_officer_who_may_not_read_it(
    cast, amelia
):
    """The Headteacher manages an allegation about a teacher that involves the pupil; the DPO may not read it.
    Whoever opens the checklist first, the DPO never reads the case's label."""
    case = allegation_about(cast, cast.member(cast.teacher), amelia)
    req = request_about(cast, amelia)
    assert signed_in(cast.head).get(url(cast, "sar_checklist", pk=req.pk)).status_code == 200
    page = signed_in(cast.dpo).get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    assert f"Case {case.pk}:" not in page and "allegation about a member of staff" not in page
    assert RESTRICTED_LABEL in page


def test_disclosing_everything_not_yet_decided_leaves_a_record_a_reader_may_not_open(cast, amelia):
    """An allegation the DPO may not read is never disclosed in bulk, whoever presses the button: its case
    manager decides it one by one."""
    case = allegation_about(cast, cast.member(cast.teacher), amelia)
    req = request_about(cast, amelia)
    head = Actor.of(cast.head, cast.school)
    doors.refresh_checklist(head, req)
    # Even with no one else's data in it (so not proposed for redaction), it is left for its manager.
    req.found.filter(record_type="allegations").update(others_in_it=False, decision="undecided", exemption="")
    result = doors.disclose_undecided(head, req)
    row = req.found.get(record_type="allegations", record_id=str(case.pk))
    assert row.decision == Found.Decision.UNDECIDED and result.routed == 1 and result.disclosed >= 1
    page = signed_in(cast.dpo).get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    assert "not yet decided</button>" not in page  # nothing left that the button would disclose


@pytest.mark.parametrize("maker", ["head", "dpo"])
def test_a_bundle_never_describes_a_record_one_of_its_readers_may_not_open(cast, amelia, pages, maker):
    """The bundle is read by every officer of the request: a record any of them may not open (an allegation
    the DPO may not read) is not described in it, whoever made it."""
    allegation_about(cast, cast.member(cast.teacher), amelia)
    req = request_about(cast, amelia)
    head = Actor.of(cast.head, cast.school)
    doors.refresh_checklist(head, req)  # found by the case manager, who reads it
    actor = Actor.of(getattr(cast, maker), cast.school)
    _decide_all(actor, req)
    doors.make_bundle(actor, req)
    records = pages.get("privacy/sar_records_pdf.html", {"pages": []})["pages"]
    assert not [p for p in records if p["kind"].startswith("Allegations")]
    assert "Secret words" not in str(records)


def test_the_subject_of_an_allegation_learns_nothing_of_it_from_a_checklist_or_a_bundle(cast, amelia, pages):
    """An allegation about the Headteacher (managed by the chair) involves the pupil a guardian asks about: the
    Headteacher, an officer of the request, is not told that kind of record exists."""
    allegation_about(cast, cast.member(cast.head), amelia, routed_to="chair")
    req = request_about(cast, amelia)
    client = signed_in(cast.head)
    page = client.get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    assert req.found.filter(record_type="allegations").exists()  # a request considers everything held
    assert "Allegations about staff" not in page and ">Incidents</h2>" not in page
    head = Actor.of(cast.head, cast.school)
    _decide_all(head, req)
    doors.make_bundle(head, req)
    index = pages["privacy/sar_bundle_pdf.html"]["items"]
    assert not [i for i in index if "Allegation" in i.title or i.room == "Incidents"]


def test_the_counts_an_officer_sees_leave_out_what_is_about_them(cast):
    """A request about the Headteacher and an allegation about them due for destruction: the room's home and
    the Overview count neither for them (the DPO's counts show both are there)."""
    head = cast.member(cast.head)
    doors.log_request(
        Actor.of(cast.dpo, cast.school), requester_kind="staff", requester_name="Helen Head", about_member=head,
        received_at=timezone.now(),
    )  # fmt: skip
    case = allegation_about(
        cast, head, pupil_with_parents(cast.school, "Amelia", "Oakes")[0], routed_to="chair"
    )
    DueRecord.objects.create(
        school=cast.school, record_type="allegations", record_id=str(case.pk), due_on=timezone.localdate()
    )
    home = signed_in(cast.head).get(url(cast, "privacy_home")).content.decode()
    assert "0 open" in home and "0 records" in home
    assert "1 open" in signed_in(cast.dpo).get(url(cast, "privacy_home")).content.decode()
    assert not [t for t, _ in things_to_do(Actor.of(cast.head, cast.school), cast.school) if "retention" in t]
    assert [t for t, _ in things_to_do(Actor.of(cast.dpo, cast.school), cast.school) if "retention" in t]


def test_when_the_matcher_names_two_faces_as_the_subject_only_the_one_a_person_confirmed_stays_visible(
    cast, amelia
):
    """One pupil has one face: a second face the matcher took for theirs is someone else's, and is blurred in
    their copy of the photo."""
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia])
    picture = np.full((300, 600, 3), 80, dtype=np.uint8)
    boxes = (40, 60, 120, 120), (400, 60, 120, 120)
    for n, box in enumerate(boxes):
        draw_face(picture, box, 7 + n)
    out = io.BytesIO()
    PILImage.fromarray(picture[:, :, ::-1]).save(out, "JPEG", quality=95)
    (image,) = add_images(activity, [("two.jpg", out.getvalue())], by=cast.teacher)
    image.faces_screened_with = StandInEmbedder.version
    image.save(update_fields=["faces_screened_with"])
    for box, named in zip(boxes, ({"decision": "confirmed", "decided_pupil": amelia, "verdict": "review"},
                                  {"verdict": "auto", "proposed_pupil": amelia}), strict=True):  # fmt: skip
        FaceDetection.objects.create(
            school=cast.school, image=image, left=box[0], top=box[1], width=box[2], height=box[3],
            detector_score=0.9, model_version=StandInEmbedder.version, **named,
        )  # fmt: skip
    plan = blurring.plan_for_subject(image, amelia.pk, picture)
    visible = [f["box"] for f in plan.faces if not f["blurred"]]
    assert len(visible) == 1 and blurring.same_face(visible[0], boxes[0])
    assert any(blurring.same_face(f["box"], boxes[1]) for f in plan.blur)


def test_a_hold_on_a_pupil_holds_the_images_their_face_was_found_in_untagged(cast, amelia):
    """An image is about the pupils whose faces are in it, as the subject access checklist finds them (tagged,
    confirmed by a person, or named by the matcher): a hold on the pupil keeps every one of them."""
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    old = timezone.now() - datetime.timedelta(days=1000)

    def image(n):
        return Image.objects.create(
            school=cast.school, activity=activity, original=f"test/{n}.jpg", original_name="x.jpg",
            content_type="image/jpeg", size=1, sha256=f"{n:064d}", captured_at=old,
        )  # fmt: skip

    confirmed, matched, nobody = image(1), image(2), image(3)
    for img, named in ((confirmed, {"decision": "confirmed", "decided_pupil": amelia, "verdict": "review"}),
                       (matched, {"verdict": "auto", "proposed_pupil": amelia})):  # fmt: skip
        FaceDetection.objects.create(
            school=cast.school, image=img, left=0, top=0, width=10, height=10, detector_score=0.9,
            model_version=StandInEmbedder.version, **named,
        )  # fmt: skip
    destruction.place_hold(cast.school, by=cast.dpo, scope="pupil", pupil=amelia, reason="Police inquiry")
    sweep.sweep()
    listed = set(DueRecord.objects.filter(record_type="images").values_list("record_id", flat=True))
    assert str(nobody.pk) in listed
    assert not {str(confirmed.pk), str(matched.pk)} & listed
    assert sweep.held("images", confirmed.pk, school_id=cast.school.pk)


def test_an_officer_neither_sees_nor_releases_a_hold_on_themselves_or_a_case_about_them(cast, amelia):
    """An inquiry into the Headteacher: the DPO holds the Headteacher's records and the allegation about them.
    The Headteacher, an officer, does not see those holds, and cannot release them — by the page or the door."""
    head = cast.member(cast.head)
    case = allegation_about(cast, head, amelia, routed_to="chair")
    on_them = destruction.place_hold(
        cast.school, by=cast.dpo, scope="member", member=head, reason="Inquiry into Hxx"
    )
    on_case = destruction.place_hold(cast.school, by=cast.dpo, scope="case", case=case, reason="Case inquiry")
    on_record = destruction.place_hold(
        cast.school, by=cast.dpo, scope="record", record_type="allegations", record_id=str(case.pk),
        reason="Record inquiry",
    )  # fmt: skip
    client = signed_in(cast.head)
    page = client.get(url(cast, "hold_list")).content.decode()
    assert "Inquiry into Hxx" not in page and "Case inquiry" not in page and "Record inquiry" not in page
    for hold in (on_them, on_case, on_record):
        assert client.get(url(cast, "hold_release", pk=hold.pk)).status_code == 404
        assert client.post(url(cast, "hold_release", pk=hold.pk)).status_code == 404
        with pytest.raises(Refused):
            destruction.release_hold(hold, by=cast.head)
    assert not LegalHold.objects.filter(released_at__isnull=False).exists()
    assert "Inquiry into Hxx" in signed_in(cast.dpo).get(url(cast, "hold_list")).content.decode()


def test_a_school_keeps_an_allegation_longer_than_kcsie_says_never_shorter(cast):
    """KCSIE Part 4 sets the least an allegation about staff is kept: an officer shortening it (so that one about
    them would come up for destruction) is refused; a longer period is the school's choice."""
    with pytest.raises(Refused) as refused:
        schedule.change_retention(cast.school, key="allegations", months=1, why="Tidy up", by=cast.head)
    assert refused.value.decision.reasons[0].field == "months"
    assert not RetentionRule.objects.exists()
    schedule.change_retention(
        cast.school, key="allegations", months=150, why="Our insurer asks", by=cast.head
    )
    assert RetentionRule.objects.get().months == 150


def test_the_due_list_keeps_from_an_officer_the_disclosures_and_requests_about_them(cast, amelia):
    """The LADO referral about the Headteacher and a subject access request about them, past their periods: the
    Headteacher does not see them due, and confirming every row of the kind leaves them for the DPO."""
    head = cast.member(cast.head)
    case = allegation_about(cast, head, amelia, routed_to="chair")
    entry = sharing.open_prefilled(
        school_id=cast.school.pk, source="incident", source_ref="1", actor=Actor.of(cast.dpo, cast.school),
        case=case, members=[head.pk], recipient="LADO", what="The referral",
    )  # fmt: skip
    req = doors.log_request(
        Actor.of(cast.dpo, cast.school), requester_kind="staff", requester_name="Helen Head", about_member=head,
        received_at=timezone.now(),
    )  # fmt: skip
    for kind, pk in (("sharing_log", entry.pk), ("access_requests", req.pk)):
        DueRecord.objects.create(
            school=cast.school, record_type=kind, record_id=str(pk), due_on=timezone.localdate()
        )
    page = signed_in(cast.head).get(url(cast, "retention_due")).content.decode()
    assert "The sharing log" not in page and "Subject access requests" not in page
    for kind in ("sharing_log", "access_requests"):
        assert destruction.confirm_destruction(cast.school, by=cast.head, record_type=kind) == 0
    assert not DueRecord.objects.filter(status="confirmed").exists()
    assert destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="access_requests") == 1


def test_a_checklist_says_nothing_to_an_officer_of_a_disclosure_they_may_not_read(cast, amelia, pages):
    """The LADO referral of an allegation about the Headteacher is in the sharing log, about the pupil too: the
    Headteacher working a request about the pupil sees it only as a record routed to someone else, and the
    bundle does not describe it."""
    head = cast.member(cast.head)
    case = allegation_about(cast, head, amelia, routed_to="chair")
    sharing.open_prefilled(
        school_id=cast.school.pk, source="incident", source_ref="1", actor=Actor.of(cast.dpo, cast.school),
        case=case, pupils=[amelia.pk], members=[head.pk], recipient="Ms Lado", organisation="LADO office",
        what="The referral",
    )  # fmt: skip
    req = request_about(cast, amelia)
    page = signed_in(cast.head).get(url(cast, "sar_checklist", pk=req.pk)).content.decode()
    assert req.found.filter(record_type="sharing_log").exists()
    assert "LADO office" not in page and "Ms Lado" not in page and "The sharing log" not in page
    head_actor = Actor.of(cast.head, cast.school)
    _decide_all(head_actor, req)
    doors.make_bundle(head_actor, req)
    records = pages.get("privacy/sar_records_pdf.html", {"pages": []})["pages"]
    assert "LADO" not in str(records) and "The referral" not in str(records)


def test_who_saw_a_pupil_says_nothing_of_reads_of_a_disclosure_the_reader_may_not_read(cast, amelia):
    """The DPO opened the LADO referral about the Headteacher (about the pupil too): the Headteacher asking who
    saw the pupil's records does not learn of it; the DPO's own reads of what the Headteacher may open show."""
    head = cast.member(cast.head)
    case = allegation_about(cast, head, amelia, routed_to="chair")
    entry = sharing.open_prefilled(
        school_id=cast.school.pk, source="incident", source_ref="1", actor=Actor.of(cast.dpo, cast.school),
        case=case, pupils=[amelia.pk], members=[head.pk], recipient="Ms Lado", what="The referral",
    )  # fmt: skip
    dpo = signed_in(cast.dpo)
    assert dpo.get(url(cast, "sharing_detail", pk=entry.pk)).status_code == 200
    page = signed_in(cast.head).get(url(cast, "seen_pupil", pk=amelia.pk)).content.decode()
    assert "Priya Dpo" not in page
    assert dpo.get(url(cast, "pupil_detail", pk=amelia.pk)).status_code == 200
    assert "Priya Dpo" in signed_in(cast.head).get(url(cast, "seen_pupil", pk=amelia.pk)).content.decode()


def test_a_video_whose_row_says_redact_is_not_copied_whole(cast, amelia, monkeypatch, pages):
    """Faces in a video are neither screened nor blurred here: one tagged only with the pupil may still show
    others the tags missed. When the DPO says redact, it is not put in the bundle whole."""
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia])
    video = Image.objects.create(
        school=cast.school, activity=activity, kind=Image.Kind.VIDEO, original="test/v.mp4",
        original_name="v.mp4", content_type="video/mp4", size=1, sha256="1" * 64, captured_at=timezone.now(),
    )  # fmt: skip
    video.tags.create(school=cast.school, pupil=amelia, tagged_by=cast.teacher)
    monkeypatch.setattr(doors, "clean_copy", lambda image: b"the whole video")
    req = request_about(cast, amelia)
    dpo = Actor.of(cast.dpo, cast.school)
    doors.refresh_checklist(dpo, req)
    for f in req.found.all():
        if f.record_type == "images":
            doors.decide_found(dpo, f, decision=Found.Decision.REDACT, exemption="third_party")
        else:
            doors.decide_found(dpo, f, decision=Found.Decision.DISCLOSE)
    doors.make_bundle(dpo, req)
    (item,) = [i for i in pages["privacy/sar_bundle_pdf.html"]["items"] if i.found.record_type == "images"]
    assert not item.file and item.problem
