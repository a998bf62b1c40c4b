"""§5 end to end in Django: activities and approval, the do-not-photograph list, tagging, publishing through
the engine, withdrawal takedowns, retention and destruction, scrutiny and subject access."""

import datetime
import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from saferstaff.audit.models import AuditEvent
from saferstaff.clocks import add_months
from saferstaff.consent.services import Answer, record_answers
from saferstaff.notifications.models import Notification
from saferstaff.photos import services, takedowns
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Activity, Image, ImageTag, Publication, Takedown
from saferstaff.privacy import destruction, sweep
from saferstaff.privacy.models import DestructionCertificate, DueRecord, LegalHold
from saferstaff.publishing import services as publishing
from saferstaff.publishing.models import PublicationRequest
from saferstaff.rules.engine import Refused
from saferstaff.rules.images import can_publish
from saferstaff.schools.roles import Actor

from .conftest import signed_in
from .image_samples import (
    PERSONAL_PHONE,
    SCHOOL_CAMERA,
    add_device,
    approved_activity,
    jpeg,
    pupil_with_parents,
    purpose,
    video,
)


def _can_publish(user, image, channel):
    """The publishing rule, asked as a service asks it: with the consent states of the one helper."""
    return can_publish(
        Actor.of(user, image.school), subject=image, channel=channel, consent=image.consent_on(channel)
    )


SCHOOL_CAMERA_ONLY = {"make": SCHOOL_CAMERA["make"], "model": SCHOOL_CAMERA["model"]}  # a video has no serial


@pytest.fixture(autouse=True)
def _files(storage, monkeypatch):
    from django.db import transaction

    # File deletions and emails run after commit; in a test nothing commits, so run them at once.
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
    return storage


def consent(pupil, guardian, code, value="yes", method="paper"):
    record_answers(
        pupil.school, [Answer(pupil, purpose(pupil.school, code), value)],
        source="guardian", method=method, guardian=guardian,
    )  # fmt: skip


@pytest.fixture
def class_photo(cast):
    """Amelia (website refused) and Noah (website given) in one approved activity, one photo of each."""
    amelia, (amelia_mum,) = pupil_with_parents(cast.school, "Amelia", "Oakes")
    noah, (noah_dad,) = pupil_with_parents(cast.school, "Noah", "Reed")
    for p, g in ((amelia, amelia_mum), (noah, noah_dad)):
        consent(p, g, "learning_records")
    consent(amelia, amelia_mum, "website", "no", "portal")
    consent(noah, noah_dad, "website", "yes", "portal")
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia, noah])
    with_amelia, with_noah = add_images(
        activity, [("a.jpg", jpeg(gps=True)), ("n.jpg", jpeg(colour=(1, 1, 1)))], by=cast.teacher
    )
    ImageTag.objects.create(school=cast.school, image=with_amelia, pupil=amelia, tagged_by=cast.teacher)
    ImageTag.objects.create(school=cast.school, image=with_noah, pupil=noah, tagged_by=cast.teacher)
    return {"activity": activity, "amelia": amelia, "noah": noah, "mum": amelia_mum, "dad": noah_dad,
            "with_amelia": with_amelia, "with_noah": with_noah}  # fmt: skip


def test_a_teacher_requests_an_activity_and_a_senior_leader_approves_it(cast):
    from saferstaff.schools.models import Pupil

    Pupil.objects.create(school=cast.school, legal_forename="A", legal_surname="B", year_group="2",
                         date_of_birth=datetime.date(2018, 5, 1))  # fmt: skip
    device = add_device(cast.school)
    teacher = signed_in(cast.teacher)
    data = {"title": "Sports day", "happens_on": "2026-12-10", "place": "Field", "device": device.pk,
            "purposes": [purpose(cast.school, "website").pk], "year_groups": ["2"],
            "after_use": "Deleted from the camera once uploaded"}  # fmt: skip
    refused = teacher.post(reverse("activity_new", kwargs={"school": cast.school.slug}), data)
    assert refused.status_code == 200 and b"one-to-one" in refused.content and not Activity.objects.exists()
    response = teacher.post(
        reverse("activity_new", kwargs={"school": cast.school.slug}), {**data, "not_one_to_one": "on"}
    )
    activity = Activity.objects.get()
    assert response.status_code == 302 and activity.status == Activity.Status.REQUESTED
    assert activity.pupils.count() == 1
    note = Notification.objects.get(user=cast.slt, kind="images.activity")
    assert note.title == "Sports day on 10 December 2026 is waiting for your approval (§5)"
    upload = reverse("activity_upload", kwargs={"school": cast.school.slug, "pk": activity.pk})
    assert teacher.get(upload).status_code == 302  # not before approval
    decide = reverse("activity_decide", kwargs={"school": cast.school.slug, "pk": activity.pk})
    assert teacher.post(decide, {"decision": "approve"}).status_code == 403
    signed_in(cast.slt).post(decide, {"decision": "approve", "note": "Fine"})
    activity.refresh_from_db()
    assert activity.status == Activity.Status.APPROVED and activity.decided_by == cast.slt
    assert teacher.get(upload).status_code == 200


def test_an_activity_is_asked_for_only_through_its_door(cast):
    """The page above and the demo loader (test_commands) ask through ``request_activity``; so does any other
    caller, and a date senior management could not approve is refused there too, with nothing saved."""
    from saferstaff.schools.models import Pupil

    pupil = Pupil.objects.create(school=cast.school, legal_forename="A", legal_surname="B", year_group="2",
                                 date_of_birth=datetime.date(2018, 5, 1))  # fmt: skip
    details = {"school": cast.school, "title": "Sports day", "place": "Field", "device": add_device(cast.school),
               "after_use": "Deleted", "not_one_to_one": True}  # fmt: skip
    far = Activity(**details, happens_on=timezone.localdate() + datetime.timedelta(days=3650))
    with pytest.raises(Refused):
        services.request_activity(
            far, purposes=[purpose(cast.school, "website")], pupils=[pupil], by=cast.teacher
        )
    assert not Activity.objects.exists() and not Notification.objects.exists()
    soon = Activity(**details, happens_on=timezone.localdate() + datetime.timedelta(days=7))
    activity = services.request_activity(soon, purposes=[purpose(cast.school, "website")], pupils=[pupil],
                                         by=cast.teacher)  # fmt: skip
    assert (activity.status, activity.requested_by, list(activity.pupils.all())) == (
        Activity.Status.REQUESTED, cast.teacher, [pupil])  # fmt: skip
    assert AuditEvent.objects.filter(action="images.activity.requested", object_id=str(activity.pk)).exists()
    assert Notification.objects.filter(user=cast.slt, kind="images.activity").exists()
    assert not Notification.objects.filter(user=cast.teacher, kind="images.activity").exists()


def test_a_senior_leader_cannot_approve_their_own_request_but_the_head_can(cast):
    activity = approved_activity(cast.school, cast.slt, None)
    Activity.objects.filter(pk=activity.pk).update(status=Activity.Status.REQUESTED)
    decide = reverse("activity_decide", kwargs={"school": cast.school.slug, "pk": activity.pk})
    signed_in(cast.slt).post(decide, {"decision": "approve"})
    assert Activity.objects.get().status == Activity.Status.REQUESTED
    signed_in(cast.head).post(decide, {"decision": "approve"})
    assert Activity.objects.get().status == Activity.Status.APPROVED


def test_the_check_list_names_who_must_not_be_photographed_and_why(cast, class_photo):
    url = reverse("activity_checklist", kwargs={"school": cast.school.slug, "pk": class_photo["activity"].pk})
    page = signed_in(cast.teacher).get(url).content.decode()
    do_not = page.split("must not be photographed</caption>")[1].split("may be photographed")[0]
    assert "Oakes" in do_not and "Reed" not in do_not
    assert "Amelia O. — guardian consent for &#x27;School website&#x27; refused on" in do_not


def test_publishing_a_photo_of_a_pupil_whose_guardian_refused_is_refused_with_the_reason(cast, class_photo):
    website = purpose(cast.school, "website")
    decision = _can_publish(cast.teacher, class_photo["with_amelia"], website)
    assert not decision and decision.sections == ["§5"]
    assert any(
        r.text.startswith("Amelia O. — guardian consent for 'School website' refused on")
        for r in decision.reasons
    )
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": class_photo["with_amelia"].pk})
    response = signed_in(cast.teacher).post(
        url, {"channel": website.pk, "where": "https://school.example/news"}
    )
    assert response.status_code == 409, response.content.decode()[-4000:]
    assert b"Refused" in response.content and b"Amelia O." in response.content
    assert not Publication.objects.exists()
    assert AuditEvent.objects.filter(action="policy.decision", detail__rule="images.publish",
                                     detail__allowed=False).exists()  # fmt: skip


def test_a_consented_photo_is_published_without_metadata_and_registered(cast, class_photo):
    website = purpose(cast.school, "website")
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": class_photo["with_noah"].pk})
    teacher = signed_in(cast.teacher)
    response = teacher.post(url, {"channel": website.pk, "where": "https://school.example/news"})
    assert response.status_code == 302 and not Publication.objects.exists()
    # Checked: no face was found (the photo was not screened); the tagged pupil has consent.
    assert b"Ready to publish" in teacher.get(response["Location"]).content
    assert signed_in(cast.volunteer).get(response["Location"]).status_code == 403
    assert signed_in(cast.other_teacher).get(response["Location"]).status_code == 404
    published = teacher.post(response["Location"], {"action": "publish"})
    assert published.status_code == 302
    assert teacher.post(response["Location"], {"action": "publish"}).status_code == 400  # not twice
    pub = Publication.objects.get()
    assert (pub.channel, pub.published_by, pub.image_ref) == (
        website,
        cast.teacher,
        class_photo["with_noah"].pk,
    )
    with pub.copy.open("rb") as f:
        copy = PILImage.open(io.BytesIO(f.read()))
    assert not copy.getexif()
    page = signed_in(cast.head).get(reverse("publication_list", kwargs={"school": cast.school.slug}))
    assert b"https://school.example/news" in page.content


def test_a_video_is_published_as_a_re_encoded_copy_without_its_location_or_camera(cast, class_photo):
    from saferstaff.photos.video import probe

    (clip,) = add_images(
        class_photo["activity"], [("sports.mov", video(**SCHOOL_CAMERA_ONLY))], by=cast.teacher
    )
    assert clip.kind == Image.Kind.VIDEO and not clip.flag and clip.had_gps
    services.tag(clip, class_photo["noah"], by=cast.teacher, source=ImageTag.Source.MANUAL)
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": clip.pk})
    teacher = signed_in(cast.teacher)
    response = teacher.post(url, {"channel": purpose(cast.school, "website").pk, "where": "web"})
    # Faces are not looked for in videos: senior management confirms every pupil seen is tagged.
    page = teacher.get(response["Location"]).content.decode()
    assert "Faces are not looked for in videos" in page
    # The worker re-encoded the copy while checking the request: publishing only registers it.
    req = PublicationRequest.objects.get()
    prepared = req.prepared.name
    assert prepared and default_storage.exists(prepared)
    teacher.post(response["Location"], {"action": "ask", "confirm": "yes"})
    assert signed_in(cast.slt).post(response["Location"], {"action": "approve"}).status_code == 302
    with Publication.objects.get().copy.open("rb") as f:
        copy = f.read()
    assert b"53.87" not in copy and b"Canon" not in copy
    assert probe(copy).streams == ("video", "audio")
    req.refresh_from_db()
    assert not req.prepared and not default_storage.exists(prepared)  # kept once, as the publication's copy


def test_a_video_the_worker_cannot_re_encode_is_refused_with_the_reason(cast, class_photo, monkeypatch):
    from saferstaff.photos.video import VideoProblem
    from saferstaff.publishing import services as publishing

    def cannot(image):
        raise VideoProblem("could not be re-encoded for publishing (it may be damaged).")

    monkeypatch.setattr(publishing, "clean_copy", cannot)
    (clip,) = add_images(
        class_photo["activity"], [("sports.mov", video(**SCHOOL_CAMERA_ONLY))], by=cast.teacher
    )
    services.tag(clip, class_photo["noah"], by=cast.teacher, source=ImageTag.Source.MANUAL)
    req = publishing.start(clip, purpose(cast.school, "website"), "web", by=cast.teacher, blur_faces=False)
    req.refresh_from_db()
    assert req.status == PublicationRequest.Status.REFUSED and not req.prepared
    assert req.reasons == [["The video could not be re-encoded for publishing (it may be damaged).", "§5"]]


@pytest.mark.parametrize(
    "change, words",
    [
        ("not_approved", "not approved by senior management"),
        ("other_purpose", "approved this activity for other uses"),
        ("untagged", "Tag every pupil"),
        ("flagged", "(§6)"),
    ],
)
def test_other_reasons_a_photo_cannot_be_published(cast, class_photo, change, words):
    image = class_photo["with_noah"]
    if change == "not_approved":
        Activity.objects.filter(pk=image.activity_id).update(status=Activity.Status.REQUESTED)
    elif change == "other_purpose":
        image.activity.purposes.set([purpose(cast.school, "learning_records")])
    elif change == "untagged":
        image.tags.all().delete()
    elif change == "flagged":
        Image.objects.filter(pk=image.pk).update(flag=Image.Flag.UNREGISTERED)
    image = Image.objects.get(pk=image.pk)
    decision = _can_publish(cast.teacher, image, purpose(cast.school, "website"))
    assert not decision and words in decision.summary


def test_a_flag_is_cleared_only_by_senior_management_with_a_note(cast):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    (image,) = add_images(activity, [("p.jpg", jpeg(**PERSONAL_PHONE))], by=cast.teacher)
    url = reverse("image_flag", kwargs={"school": cast.school.slug, "pk": image.pk})
    assert signed_in(cast.teacher).post(url, {"note": "mine"}).status_code == 403
    signed_in(cast.slt).post(url, {"note": ""})
    assert Image.objects.get().flag_open
    signed_in(cast.slt).post(url, {"note": "Borrowed school iPad 7, adding it to the register"})
    image = Image.objects.get()
    assert not image.flag_open and image.flag_cleared_by == cast.slt


def test_withdrawing_consent_raises_a_takedown_for_every_publication_and_tells_the_publisher(
    cast, class_photo
):
    noah, dad = class_photo["noah"], class_photo["dad"]
    website = purpose(cast.school, "website")
    pub = publishing.check_and_publish(
        class_photo["with_noah"], website, "https://school.example/news", by=cast.teacher
    )
    consent(noah, dad, "website", "no", "portal")
    takedown = Takedown.objects.get()
    assert (takedown.publication, takedown.pupil, takedown.assigned_to) == (pub, noah, cast.teacher)
    note = Notification.objects.get(user=cast.teacher, kind="images.takedown")
    assert "(§5)" in note.title and "Noah" not in note.title
    head_view = signed_in(cast.head).get(reverse("takedown_list", kwargs={"school": cast.school.slug}))
    assert b"school.example/news" in head_view.content
    consent(noah, dad, "website", "no", "phone")  # saying no again raises nothing new
    assert Takedown.objects.count() == 1
    url = reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    assert signed_in(cast.volunteer).get(url).status_code == 403  # not theirs
    copy_name = pub.copy.name
    signed_in(cast.teacher).post(url, {"note": "Removed from the news page"})
    takedown.refresh_from_db()
    pub.refresh_from_db()
    assert takedown.done_by == cast.teacher and pub.taken_down_at is not None
    assert not default_storage.exists(copy_name)


def test_open_takedowns_are_chased_daily_until_done(cast, class_photo):
    pub = publishing.check_and_publish(
        class_photo["with_noah"], purpose(cast.school, "website"), "web", by=cast.teacher
    )
    consent(class_photo["noah"], class_photo["dad"], "website", "no", "portal")
    Takedown.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert takedowns.chase_takedowns() == 1
    assert takedowns.chase_takedowns() == 0  # once a day
    assert Notification.objects.filter(kind="images.takedown.chase", user=cast.teacher).count() == 1
    takedowns.finish_takedown(Takedown.objects.get(), by=cast.teacher, note="done")
    assert takedowns.chase_takedowns(timezone.now() + datetime.timedelta(days=3)) == 0
    assert pub.pk


def _past_their_period() -> datetime.date:
    """A day when every image taken today is past the schedule's two years (§5)."""
    return add_months(timezone.localdate(), 25)


def _destroy_confirmed_images(cast):
    destruction.confirm_destruction(cast.school, by=cast.dpo, record_type="images")
    return destruction.destroy_confirmed(school_id=cast.school.pk)


def test_the_retention_sweep_lists_old_images_unless_on_hold_and_destruction_leaves_a_certificate(
    cast, class_photo, django_capture_on_commit_callbacks
):
    old, held = class_photo["with_amelia"], class_photo["with_noah"]
    destruction.place_hold(cast.school, by=cast.dpo, scope="record", record_type="images", record_id=str(held.pk),
                           reason="Police investigation ref 42")  # fmt: skip
    sweep.sweep(_past_their_period())
    assert set(DueRecord.objects.values_list("record_id", flat=True)) == {str(old.pk)}
    assert sweep.sweep(_past_their_period())["images"] == 0  # idempotent
    old.refresh_from_db()
    assert old.destruction_queued_at is not None
    names = [old.original.name, old.thumbnail.name]
    due = reverse("retention_due", kwargs={"school": cast.school.slug})
    assert signed_in(cast.teacher).post(due, {"kind": "images", "all": "1"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(cast.dpo, confirmed=True).post(due, {"kind": "images", "all": "1"})
    assert not Image.objects.filter(pk=old.pk).exists() and Image.objects.filter(pk=held.pk).exists()
    certificate = DestructionCertificate.objects.get()
    assert (certificate.record_id, certificate.confirmed_by) == (str(old.pk), cast.dpo)
    assert not any(default_storage.exists(n) for n in names)


def test_a_legal_hold_placed_after_confirmation_stops_destruction(cast, class_photo):
    image = class_photo["with_noah"]
    DueRecord.objects.create(school=cast.school, record_type="images", record_id=str(image.pk),
                             due_on=timezone.localdate(), status="confirmed")  # fmt: skip
    LegalHold.objects.create(school=cast.school, scope="pupil", pupil=class_photo["noah"], reason="Claim")
    assert destruction.destroy_confirmed(school_id=cast.school.pk)["held"] == 1
    assert Image.objects.filter(pk=image.pk).exists() and not DestructionCertificate.objects.exists()


def test_staff_see_only_their_own_images_and_senior_management_sees_all(cast, class_photo):
    image = class_photo["with_amelia"]
    url = reverse("image_detail", kwargs={"school": cast.school.slug, "pk": image.pk})
    assert signed_in(cast.teacher).get(url).status_code == 200
    assert signed_in(cast.volunteer).get(url).status_code == 403
    assert signed_in(cast.slt).get(url).status_code == 200
    library = signed_in(cast.head).get(
        reverse("image_list", kwargs={"school": cast.school.slug}) + "?flagged=1"
    )
    assert library.status_code == 200
    assert AuditEvent.objects.filter(action="images.viewed", object_id=str(image.pk)).count() == 2


def test_every_download_and_tag_change_is_recorded(cast, class_photo):
    image, noah = class_photo["with_amelia"], class_photo["noah"]
    client = signed_in(cast.teacher)
    response = client.get(reverse("image_file", kwargs={"school": cast.school.slug, "pk": image.pk}))
    assert response.status_code == 200 and b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    tags = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": image.pk})
    client.post(tags, {"pupil": f"Noah Reed (Year 1) #{noah.pk}"})
    assert image.tags.filter(pupil=noah).exists()
    client.post(tags, {"remove": image.tags.get(pupil=noah).pk})
    assert image.tags.filter(pupil=noah).exists()  # not by the photographer alone
    signed_in(cast.slt).post(tags, {"remove": image.tags.get(pupil=noah).pk})
    assert not image.tags.filter(pupil=noah).exists()
    actions = set(AuditEvent.objects.filter(object_id=str(image.pk)).values_list("action", flat=True))
    assert {"images.downloaded", "images.tag.added", "images.tag.removed"} <= actions
    added = AuditEvent.objects.get(action="images.tag.added")
    assert added.detail == {"pupil": noah.pk, "source": "manual"}  # ids, never names


def test_a_pupil_of_another_school_cannot_be_tagged(cast, class_photo):
    stranger, _ = pupil_with_parents(cast.other_school, "Zed", "Other")
    tags = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": class_photo["with_noah"].pk})
    signed_in(cast.teacher).post(tags, {"pupil": f"Zed Other #{stranger.pk}"})
    assert not ImageTag.objects.filter(pupil=stranger).exists()


def test_a_upn_typed_into_the_tag_box_finds_nobody_for_a_teacher_who_may_not_see_upns(cast, class_photo):
    from saferstaff.schools.models import Pupil

    image, noah = class_photo["with_amelia"], class_photo["noah"]
    Pupil.objects.filter(pk=noah.pk).update(upn="Y383210523001")
    tags = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": image.pk})
    teacher = signed_in(cast.teacher)
    teacher.post(tags, {"pupil": "Y383210523001"})
    assert not image.tags.filter(pupil=noah).exists()  # §8: the tag box is no UPN lookup
    teacher.post(tags, {"pupil": "Noah Reed"})
    assert image.tags.filter(pupil=noah).exists()


def test_an_upload_through_the_page_with_an_unregistered_camera(cast, class_photo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("activity_upload", kwargs={"school": cast.school.slug, "pk": class_photo["activity"].pk})
    files = [SimpleUploadedFile("x.jpg", jpeg(colour=(4, 4, 4)), "image/jpeg"),
             SimpleUploadedFile("y.jpg", jpeg(colour=(6, 6, 6), **PERSONAL_PHONE), "image/jpeg")]  # fmt: skip
    response = signed_in(cast.teacher).post(url, {"files": files}, follow=True)
    assert b"Added 2 images. 1 came from a camera not in the device register" in response.content


def test_the_daily_command_runs_every_daily_job(cast, class_photo):
    from django.core.management import call_command

    Image.objects.update(captured_at=timezone.now() - datetime.timedelta(days=800))
    out = io.StringIO()
    call_command("run_daily", stdout=out)
    assert "2 records newly due for destruction" in out.getvalue()


def test_the_overview_lists_what_needs_doing_about_images(cast, class_photo):
    publishing.check_and_publish(
        class_photo["with_noah"], purpose(cast.school, "website"), "web", by=cast.teacher
    )
    consent(class_photo["noah"], class_photo["dad"], "website", "no", "portal")
    Activity.objects.create(school=cast.school, title="Trip", happens_on=timezone.localdate(), place="Farm",
                            device=class_photo["activity"].device, after_use="x", not_one_to_one=True,
                            requested_by=cast.teacher)  # fmt: skip
    url = reverse("school_dashboard", kwargs={"school": cast.school.slug})
    teacher = signed_in(cast.teacher).get(url).content.decode()
    assert "1 published image to take down" in teacher and "waiting for approval" not in teacher
    head = signed_in(cast.head).get(url).content.decode()
    assert "1 photo activity waiting for approval (§5)" in head and "1 takedown still open (§5)" in head


# --- Found by the security review ---------------------------------------------------------------------------------


def test_the_photographer_cannot_get_round_consent_by_untagging_or_saying_no_pupil_appears(cast, class_photo):
    image, amelia = class_photo["with_amelia"], class_photo["amelia"]
    website = purpose(cast.school, "website")
    teacher = signed_in(cast.teacher)
    tags = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": image.pk})
    teacher.post(tags, {"remove": image.tags.get(pupil=amelia).pk})
    assert image.tags.filter(pupil=amelia).exists()
    # A photo with nobody tagged, confirmed "no pupil appears" by the person publishing it: refused.
    ImageTag.objects.filter(image=image).delete()
    teacher.post(tags, {"no_pupils": "yes"})
    image.refresh_from_db()
    assert image.no_pupils and image.no_pupils_by == cast.teacher
    decision = _can_publish(cast.teacher, image, website)
    assert not decision and "Someone other than the publisher" in decision.summary
    assert _can_publish(cast.slt, image, website)


def test_the_dsl_scrutinises_every_image_but_changes_only_their_own(cast, class_photo):
    image = class_photo["with_noah"]
    dsl = signed_in(cast.dsl)
    assert (
        dsl.get(reverse("image_detail", kwargs={"school": cast.school.slug, "pk": image.pk})).status_code
        == 200
    )
    assert (
        dsl.post(
            reverse("image_tags", kwargs={"school": cast.school.slug, "pk": image.pk}), {"pupil": "x"}
        ).status_code
        == 403
    )
    publish = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": image.pk})
    assert dsl.post(publish, {"channel": purpose(cast.school, "website").pk, "where": "w"}).status_code == 403


def test_a_withdrawal_finds_publications_even_after_the_tag_was_removed(cast, class_photo):
    noah, image = class_photo["noah"], class_photo["with_noah"]
    publishing.check_and_publish(image, purpose(cast.school, "website"), "web", by=cast.teacher)
    ImageTag.objects.filter(image=image, pupil=noah).delete()
    consent(noah, class_photo["dad"], "website", "no", "portal")
    assert Takedown.objects.filter(pupil=noah).count() == 1


def test_tagging_a_pupil_without_consent_in_a_published_image_raises_a_takedown_at_once(cast, class_photo):
    image, amelia = class_photo["with_noah"], class_photo["amelia"]
    publishing.check_and_publish(image, purpose(cast.school, "website"), "web", by=cast.teacher)
    tags = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": image.pk})
    page = signed_in(cast.teacher).post(tags, {"pupil": f"Amelia #{amelia.pk}"}, follow=True)
    takedown = Takedown.objects.get(pupil=amelia)
    assert takedown.consent_record is None and "refused" in takedown.reason
    assert b"takedown raised" in page.content


def test_tagging_a_pupil_with_no_consent_to_be_photographed_tells_senior_management(cast, class_photo):
    nobody_asked, _ = pupil_with_parents(cast.school, "Ivy", "Lane")
    tags = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": class_photo["with_noah"].pk})
    page = signed_in(cast.teacher).post(tags, {"pupil": f"Ivy #{nobody_asked.pk}"}, follow=True)
    assert b"has no consent to be photographed" in page.content
    note = Notification.objects.get(kind="images.no_consent_tagged", user=cast.head)
    assert note.title.startswith("Ivy L., who has no consent to be photographed, was tagged in image ")


def test_a_published_image_is_not_destroyed_until_it_is_taken_down(cast, class_photo):
    image = class_photo["with_noah"]
    publishing.check_and_publish(
        image, purpose(cast.school, "website"), "https://school.example/news", by=cast.teacher
    )
    DueRecord.objects.create(school=cast.school, record_type="images", record_id=str(image.pk),
                             due_on=timezone.localdate(), status="confirmed")  # fmt: skip
    assert destruction.destroy_confirmed(school_id=cast.school.pk)["kept"] == 1
    assert Image.objects.filter(pk=image.pk).exists()
    assert DueRecord.objects.get().status == "due"  # back on the list until it is taken down


def test_a_good_photo_then_a_bad_zip_leaves_nothing_in_storage(cast, class_photo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_images_files import stored_files

    before = set(stored_files())
    url = reverse("activity_upload", kwargs={"school": cast.school.slug, "pk": class_photo["activity"].pk})
    files = [SimpleUploadedFile("good.jpg", jpeg(colour=(8, 8, 8)), "image/jpeg"),
             SimpleUploadedFile("bad.zip", b"not a zip at all", "application/zip")]  # fmt: skip
    response = signed_in(cast.teacher).post(url, {"files": files})
    assert response.status_code == 400 and b"not a zip file" in response.content
    assert set(stored_files()) == before and Image.objects.count() == 2


def test_a_storage_failure_while_destroying_is_retried_by_the_daily_job(
    cast, class_photo, monkeypatch, django_capture_on_commit_callbacks
):
    from saferstaff.photos.models import PendingDeletion

    image = class_photo["with_amelia"]
    DueRecord.objects.create(school=cast.school, record_type="images", record_id=str(image.pk),
                             due_on=timezone.localdate(), status="confirmed")  # fmt: skip
    names = [image.original.name, image.thumbnail.name]
    default_storage.exists(names[0])  # the lazy storage object is set up
    storage = default_storage._wrapped

    def unreachable(name):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(storage, "delete", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        done = destruction.destroy_confirmed(school_id=cast.school.pk)["destroyed"]
    assert done == 1 and PendingDeletion.objects.count() == 2
    assert set(PendingDeletion.objects.values_list("school_id", flat=True)) == {cast.school.pk}
    monkeypatch.undo()
    assert services.retry_deletions() == 2
    assert not PendingDeletion.objects.exists() and not any(default_storage.exists(n) for n in names)


def test_a_senior_leader_cannot_clear_the_flag_on_their_own_upload(cast):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.slt, cast.head)
    (image,) = add_images(activity, [("p.jpg", jpeg(**PERSONAL_PHONE))], by=cast.slt)
    url = reverse("image_flag", kwargs={"school": cast.school.slug, "pk": image.pk})
    signed_in(cast.slt).post(url, {"note": "fine"})
    assert Image.objects.get().flag_open
    signed_in(cast.head).post(url, {"note": "Checked: school phone"})
    assert not Image.objects.get().flag_open


def test_bad_ids_in_forms_are_ignored_not_a_server_error(cast, class_photo):
    queue = reverse("retention_due", kwargs={"school": cast.school.slug})
    assert (
        signed_in(cast.dpo, confirmed=True)
        .post(queue, {"kind": "images", "row": ["x", "1; drop", "99999999999999999999999"]})
        .status_code
        == 302
    )
    links = reverse("portal_links", kwargs={"school": cast.school.slug})
    assert (
        signed_in(cast.office, confirmed=True)
        .post(links, {"send": "selected", "guardian": ["abc"]})
        .status_code
        == 302
    )


# --- Taking a publication down by hand, and at the end of its retention ------------------------------------


def test_the_publisher_or_senior_management_takes_a_publication_down_with_a_reason(cast, class_photo):
    image = class_photo["with_noah"]
    pub = publishing.check_and_publish(
        image, purpose(cast.school, "website"), "https://s.example/n", by=cast.teacher
    )
    url = reverse("publication_take_down", kwargs={"school": cast.school.slug, "pk": pub.pk})
    assert signed_in(cast.volunteer).post(url, {"reason": "mine"}).status_code == 403  # not theirs
    assert signed_in(cast.other_teacher).post(url, {"reason": "x"}).status_code == 404
    signed_in(cast.slt).post(url, {"reason": ""})
    assert not Takedown.objects.exists()  # a reason is needed
    signed_in(cast.slt).post(url, {"reason": "A parent rang: wrong event"})
    takedown = Takedown.objects.get()
    assert (takedown.pupil, takedown.raised_by, takedown.assigned_to) == (None, cast.slt, cast.teacher)
    assert takedown.reason == "A parent rang: wrong event"
    assert Notification.objects.filter(user=cast.teacher, kind="images.takedown").exists()
    assert AuditEvent.objects.filter(action="images.takedown.raised", detail__by_hand=True).exists()
    page = signed_in(cast.teacher).get(
        reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    )
    assert b"Sam Slt is taking it down: A parent rang: wrong event" in page.content
    signed_in(cast.teacher).post(page.request["PATH_INFO"], {"note": "Removed from the news page"})
    pub.refresh_from_db()
    assert pub.taken_down_at is not None and not pub.copy
    # The publisher takes down their own: straight to saying what they did.
    second = publishing.check_and_publish(
        image, purpose(cast.school, "website"), "https://s.example/2", by=cast.teacher
    )
    response = signed_in(cast.teacher).post(
        reverse("publication_take_down", kwargs={"school": cast.school.slug, "pk": second.pk}),
        {"reason": "Old news"},
    )
    assert response["Location"].endswith(f"/takedowns/{Takedown.objects.get(publication=second).pk}/")


def test_the_retention_sweep_takes_down_live_publications_so_the_image_can_then_be_destroyed(
    cast, class_photo
):
    image = class_photo["with_noah"]
    pub = publishing.check_and_publish(
        image, purpose(cast.school, "website"), "https://s.example/n", by=cast.teacher
    )
    sweep.sweep(_past_their_period())
    takedown = Takedown.objects.get()
    assert takedown.publication == pub and takedown.pupil is None and takedown.assigned_to == cast.teacher
    assert "retention period" in takedown.reason
    assert Notification.objects.filter(
        user=cast.teacher, title__startswith="Past its retention period"
    ).exists()
    sweep.sweep(_past_their_period())  # the next day: nothing raised twice
    assert Takedown.objects.count() == 1
    _destroy_confirmed_images(cast)  # still published: it waits on the due list
    assert Image.objects.filter(pk=image.pk).exists()
    assert DueRecord.objects.get(record_type="images", record_id=str(image.pk)).status == "due"
    takedowns.finish_takedown(takedown, by=cast.teacher, note="Removed from the website")
    _destroy_confirmed_images(cast)
    assert not Image.objects.filter(pk=image.pk).exists()
    assert DestructionCertificate.objects.filter(record_type="images", record_id=str(image.pk)).exists()


# --- The library's doors: a tag removed, no pupil confirmed, a flag cleared, a legal hold --------------------
# Each write is a service that checks its rule, writes and records; the page calls it. Refused: nothing changes.


def _recorded(action, image):
    return list(
        AuditEvent.objects.filter(action=action, object_id=str(image.pk)).values_list("detail", flat=True)
    )


def test_removing_a_tag_goes_through_its_door(cast, class_photo):
    image, amelia = class_photo["with_amelia"], class_photo["amelia"]
    tag = image.tags.get(pupil=amelia)
    with pytest.raises(Refused, match="Ask a senior leader to remove a tag"):
        services.remove_tag(image, tag.pk, by=cast.teacher)
    assert image.tags.exists() and not _recorded("images.tag.removed", image)
    assert (
        services.remove_tag(image, class_photo["with_noah"].tags.get().pk, by=cast.slt) is False
    )  # not its tag
    assert services.remove_tag(image, tag.pk, by=cast.slt) is True
    assert not image.tags.exists() and _recorded("images.tag.removed", image) == [{"pupil": amelia.pk}]


def test_no_pupil_is_confirmed_only_for_an_image_with_nobody_tagged(cast, class_photo):
    image = class_photo["with_amelia"]
    tags = reverse("image_tags", kwargs={"school": cast.school.slug, "pk": image.pk})
    response = signed_in(cast.teacher).post(tags, {"no_pupils": "yes"}, follow=True)
    assert "Pupils are tagged in this image" in response.content.decode()
    with pytest.raises(Refused):
        services.confirm_no_pupils(image, by=cast.teacher)
    image.refresh_from_db()
    assert not image.no_pupils and not _recorded("images.no_pupils", image)
    image.tags.all().delete()
    services.confirm_no_pupils(image, by=cast.teacher)
    image.refresh_from_db()
    assert image.no_pupils and image.no_pupils_by == cast.teacher
    assert _recorded("images.no_pupils", image) == [{"no_pupils": True}]


def test_clearing_a_flag_goes_through_its_door(cast):
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt)
    (image,) = add_images(activity, [("p.jpg", jpeg(**PERSONAL_PHONE))], by=cast.teacher)
    with pytest.raises(Refused, match="Only senior management"):
        services.clear_flag(image, by=cast.teacher, note="mine")
    assert Image.objects.get().flag_open and not _recorded("images.flag.cleared", image)
    services.clear_flag(image, by=cast.slt, note="School iPad 7")
    image = Image.objects.get()
    assert not image.flag_open and (image.flag_cleared_by, image.flag_note) == (cast.slt, "School iPad 7")
    assert _recorded("images.flag.cleared", image) == [{}]


def test_a_legal_hold_on_an_image_is_the_schedules_placed_and_released_by_the_officers(cast, class_photo):
    image = class_photo["with_noah"]
    page = reverse("image_detail", kwargs={"school": cast.school.slug, "pk": image.pk})
    assert "Place a legal hold on this image" not in signed_in(cast.dsl).get(page).content.decode()
    with pytest.raises(Refused):
        destruction.place_hold(cast.school, by=cast.dsl, scope="record", record_type="images",
                               record_id=str(image.pk), reason="Police investigation ref 42")  # fmt: skip
    shown = signed_in(cast.dpo).get(page).content.decode()
    link = f"?scope=record&amp;record_type=images&amp;record_id={image.pk}"
    assert link in shown and "a legal hold keeps it" not in shown
    add = reverse("hold_add", kwargs={"school": cast.school.slug})
    form = signed_in(cast.dpo).get(add + link.replace("&amp;", "&")).content.decode()
    assert f'value="{image.pk}"' in form
    signed_in(cast.dpo).post(add, {"scope": "record", "record_kind": "images", "record_id": str(image.pk),
                                   "reason": "Police investigation ref 42"})  # fmt: skip
    hold = LegalHold.objects.get()
    assert "a legal hold keeps it" in signed_in(cast.dpo).get(page).content.decode()
    with pytest.raises(Refused):
        destruction.release_hold(hold, by=cast.dsl)
    destruction.release_hold(hold, by=cast.head)
    assert "a legal hold keeps it" not in signed_in(cast.dpo).get(page).content.decode()
