"""§5: images are open to scrutiny, but only their owner and senior management change them. The DSL and the
DPO inspect every photo; on another teacher's activity every write is refused (403) and nothing is written,
while the teacher who owns it succeeds. A new write page in these families must be added here."""

import pytest
from django.urls import get_resolver, reverse

from saferstaff.biometrics.models import FaceDetection, ScreeningRun
from saferstaff.photos.models import Image, ImageTag, Publication
from saferstaff.privacy.models import LegalHold

from .conftest import signed_in
from .image_samples import approved_activity, jpeg, pupil_with_parents, purpose


@pytest.fixture(autouse=True)
def _files(storage, settings, monkeypatch):
    from django.db import transaction

    settings.FACE_MODELS = "standin"
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


@pytest.fixture
def teachers_album(cast):
    from saferstaff.photos.library import add_images

    amelia, _ = pupil_with_parents(cast.school, "Amelia", "Oakes")
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia])
    first, second = add_images(
        activity, [("a.jpg", jpeg()), ("b.jpg", jpeg(colour=(1, 2, 3)))], by=cast.teacher
    )
    tag = ImageTag.objects.create(school=cast.school, image=second, pupil=amelia, tagged_by=cast.teacher)
    detection = FaceDetection.objects.create(
        school=cast.school, image=first, left=1, top=1, width=50, height=50, detector_score=0.9,
        model_version="standin", proposed_pupil=amelia, match_score=0.6, verdict=FaceDetection.Verdict.REVIEW,
    )  # fmt: skip
    return {"activity": activity, "image": first, "tagged": second, "tag": tag, "amelia": amelia,
            "detection": detection}  # fmt: skip


# Every POST that changes an activity, its images or their faces: (url name, which object, the form sent).
def writes(cast, album):
    website = purpose(cast.school, "website").pk
    return [
        ("activity_upload", album["activity"], {"files": [_file()]}),
        ("activity_screen", album["activity"], {}),
        ("face_review", None, {"detection": album["detection"].pk, "choice": "yes"}),
        ("image_tags", album["image"], {"pupil": f"Amelia Oakes #{album['amelia'].pk}"}),
        ("image_tags", album["image"], {"no_pupils": "yes"}),
        ("image_tags", album["tagged"], {"remove": album["tag"].pk}),
        ("image_publish", album["tagged"], {"channel": website, "where": "https://school.example/news"}),
    ]


# Writes only senior management makes at all (the owner gets 403 too). A legal hold on an image is the
# retention schedule's (privacy: hold_add), placed by the DPO or the Headteacher (§8).
SENIOR_ONLY = {"activity_decide", "image_flag"}
READ_ONLY = {"activity_list", "activity_new", "activity_detail", "activity_checklist", "screening_progress",
             "face_crop", "face_reference", "faces_import", "image_list", "image_detail", "image_file",
             "image_thumbnail"}  # fmt: skip


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("c.jpg", jpeg(colour=(9, 9, 9)), content_type="image/jpeg")


def _url(cast, name, obj):
    kwargs = {"school": cast.school.slug}
    if obj is not None:
        kwargs["pk"] = obj.pk
    return reverse(name, kwargs=kwargs)


def _state():
    return (Image.objects.count(), ScreeningRun.objects.count(), ImageTag.objects.count(),
            Publication.objects.count(), list(FaceDetection.objects.values_list("decision", flat=True)),
            list(Image.objects.values_list("no_pupils", flat=True)))  # fmt: skip


def test_every_write_page_of_activities_images_and_faces_is_listed_here(cast, teachers_album):
    families = ("activity_", "image_", "face", "screening_")
    names = {n for n in get_resolver().reverse_dict if isinstance(n, str) and n.startswith(families)}
    listed = {name for name, _, _ in writes(cast, teachers_album)} | SENIOR_ONLY | READ_ONLY
    assert names == listed, f"List each new page in writes(), SENIOR_ONLY or READ_ONLY: {names ^ listed}"


@pytest.mark.parametrize("who", ["dsl", "dpo"])
def test_the_dsl_and_the_dpo_may_inspect_but_not_change_another_teachers_activity(cast, teachers_album, who):
    client = signed_in(getattr(cast, who))
    image = teachers_album["image"]
    assert client.get(_url(cast, "activity_detail", teachers_album["activity"])).status_code == 200
    page = client.get(_url(cast, "image_detail", image))
    assert page.status_code == 200 and b'name="no_pupils"' not in page.content
    assert client.get(_url(cast, "image_file", image)).status_code == 200
    before = _state()
    for name, obj, data in writes(cast, teachers_album):
        response = client.post(_url(cast, name, obj), data)
        assert response.status_code == 403, f"{who} {name} {data}: {response.status_code}"
    for name in SENIOR_ONLY:
        assert client.post(_url(cast, name, teachers_album["activity" if "activity" in name else "image"]),
                           {"decision": "approve", "note": "x"}).status_code == 403  # fmt: skip
    assert _state() == before, "nothing is written"
    assert client.get(reverse("face_review", kwargs={"school": cast.school.slug})).status_code in (200, 403)
    assert b"Amelia" not in client.get(reverse("face_review", kwargs={"school": cast.school.slug})).content


def test_the_owner_makes_every_one_of_those_writes(cast, teachers_album):
    client = signed_in(cast.teacher)
    for name, obj, data in writes(cast, teachers_album):
        response = client.post(_url(cast, name, obj), data)
        assert response.status_code in (200, 302, 409), f"{name} {data}: {response.status_code}"
    assert Image.objects.count() == 3 and ScreeningRun.objects.exists()
    assert FaceDetection.objects.get().decision == "confirmed"


def test_senior_management_changes_another_teachers_activity(cast, teachers_album):
    client = signed_in(cast.slt)
    response = client.post(_url(cast, "activity_upload", teachers_album["activity"]), {"files": [_file()]})
    assert response.status_code == 302 and Image.objects.count() == 3


def test_the_dpo_places_a_legal_hold_on_any_image_it_inspects(cast, teachers_album):
    image = teachers_album["image"]
    response = signed_in(cast.dpo).post(
        reverse("hold_add", kwargs={"school": cast.school.slug}),
        {"scope": "record", "record_kind": "images", "record_id": str(image.pk),
         "reason": "Subject access request 12"},
    )  # fmt: skip
    assert response.status_code == 302
    assert LegalHold.objects.filter(scope="record", record_type="images", record_id=str(image.pk)).exists()
