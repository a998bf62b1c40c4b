"""Screening an album (§5): faces matched to enrolled pupils become machine tags, uncertain ones wait in the
review queue with the person's decision stored beside the machine's, the job resumes after a stop without
tagging twice — all with the deterministic stand-in models."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image as PILImage

from saferstaff.biometrics import enrolment, screening
from saferstaff.biometrics.models import FaceDetection, ScreeningRun
from saferstaff.consent.services import Answer, record_answers
from saferstaff.faces.standin import draw_face
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Image, ImageTag
from saferstaff.publishing import services as publishing
from saferstaff.rules.engine import Refused

from .conftest import signed_in
from .image_samples import approved_activity, pupil_with_parents, purpose


@pytest.fixture(autouse=True)
def _standin(settings, monkeypatch, storage):
    from django.db import transaction

    settings.FACE_MODELS = "standin"
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


def photo(people: dict[int, tuple], colour=80) -> bytes:
    image = np.full((300, 400, 3), colour, dtype=np.uint8)
    for person, box in people.items():
        draw_face(image, box, person)
    out = io.BytesIO()
    PILImage.fromarray(image[:, :, ::-1]).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def album(cast):
    """Amelia (person 7) is enrolled; Noah has no biometric consent; person 42 is a visitor."""
    amelia, (mum,) = pupil_with_parents(cast.school, "Amelia", "Oakes")
    noah, _ = pupil_with_parents(cast.school, "Noah", "Reed")
    record_answers(cast.school, [Answer(amelia, purpose(cast.school, "biometric"), "yes")],
                           source="guardian", method="paper", guardian=mum)  # fmt: skip
    enrolment.enrol(amelia, photo({7: (50, 50, 96, 96)}), by=cast.office)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia, noah])
    images = add_images(
        activity,
        [
            ("a.png", photo({7: (20, 20, 80, 80), 42: (200, 100, 80, 80)})),
            ("b.png", photo({42: (100, 100, 80, 80)}, colour=81)),
            ("c.png", photo({}, colour=82)),
        ],
        by=cast.teacher,
    )
    Image.objects.update(flag="")  # made-up PNGs carry no camera data; the device check is not tested here
    images = list(Image.objects.filter(pk__in=[i.pk for i in images]).order_by("pk"))
    return {"activity": activity, "amelia": amelia, "images": images}


def test_an_album_is_screened_with_a_progress_record_and_enrolled_pupils_are_tagged(cast, album):
    response = signed_in(cast.teacher).post(
        reverse("activity_screen", kwargs={"school": cast.school.slug, "pk": album["activity"].pk})
    )
    run = ScreeningRun.objects.get()
    assert response.status_code == 302 and str(run.pk) in response["Location"]
    assert (run.status, run.total, run.done, run.faces) == ("done", 3, 3, 3)
    first = album["images"][0]
    assert ImageTag.objects.get(image=first).source == ImageTag.Source.MACHINE
    assert ImageTag.objects.get(image=first).pupil == album["amelia"]
    verdicts = sorted(FaceDetection.objects.values_list("verdict", flat=True))
    assert verdicts == ["auto", "unknown", "unknown"]
    page = signed_in(cast.teacher).get(
        reverse("screening_progress", kwargs={"school": cast.school.slug, "pk": run.pk})
    )
    assert b"3 of 3 photos" in page.content and b'http-equiv="refresh"' not in page.content


def test_a_stopped_screening_resumes_without_tagging_twice(cast, album, monkeypatch):
    real = screening.record_faces
    calls = {"n": 0}

    def dies_after_one(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(screening, "record_faces", dies_after_one)
    screening.start(album["activity"], by=cast.teacher)  # the worker records the task as failed
    assert ScreeningRun.objects.get().status == "failed"
    assert Image.objects.exclude(faces_screened_with="").count() == 1
    monkeypatch.setattr(screening, "record_faces", real)
    run = screening.start(album["activity"], by=cast.teacher)
    run.refresh_from_db()
    assert (run.total, run.done, run.status) == (2, 2, "done")
    assert ImageTag.objects.count() == 1 and FaceDetection.objects.count() == 3
    screening.start(album["activity"], by=cast.teacher)  # again: nothing left to do, nothing duplicated
    assert ImageTag.objects.count() == 1 and FaceDetection.objects.count() == 3


def test_uncertain_faces_wait_for_a_person_whose_decision_is_kept_beside_the_machines(
    cast, album, monkeypatch
):
    from saferstaff.schools.models import SchoolSettings

    # As if calibration had found the school's photos less certain: nothing is tagged automatically.
    SchoolSettings.objects.filter(school=cast.school).update(
        face_auto_threshold=1.01, face_review_threshold=0.5
    )
    screening.start(album["activity"], by=cast.teacher)
    pending = FaceDetection.objects.get(verdict="review")
    assert not ImageTag.objects.exists()
    client = signed_in(cast.teacher)
    queue = client.get(reverse("face_review", kwargs={"school": cast.school.slug}))
    assert b"Yes, it is Amelia" in queue.content
    crop = client.get(reverse("face_crop", kwargs={"school": cast.school.slug, "pk": pending.pk}))
    assert crop["Content-Type"] == "image/jpeg"
    reference = client.get(
        reverse("face_reference", kwargs={"school": cast.school.slug, "pk": album["amelia"].pk})
    )
    assert reference.content[:3] == b"\xff\xd8\xff"
    client.post(
        reverse("face_review", kwargs={"school": cast.school.slug}),
        {"detection": pending.pk, "choice": "yes"},
    )
    pending.refresh_from_db()
    assert (pending.verdict, pending.decision, pending.decided_by) == ("review", "confirmed", cast.teacher)
    assert pending.proposed_pupil == pending.decided_pupil == album["amelia"]
    assert ImageTag.objects.get().pupil == album["amelia"]
    assert (
        b"Nothing to review"
        in client.get(reverse("face_review", kwargs={"school": cast.school.slug})).content
    )


def test_someone_else_cannot_review_or_see_the_faces_of_an_album_that_is_not_theirs(cast, album, monkeypatch):
    screening.start(album["activity"], by=cast.teacher)
    detection = FaceDetection.objects.first()
    crop = reverse("face_crop", kwargs={"school": cast.school.slug, "pk": detection.pk})
    assert signed_in(cast.volunteer).get(crop).status_code == 403


def _copy_faces(pub):
    from saferstaff.faces.images import load_image
    from saferstaff.faces.standin import StandInDetector

    with pub.copy.open("rb") as f:
        return StandInDetector().detect(load_image(f.read()))


def test_publishing_blurs_the_unknown_face_and_keeps_the_consented_pupil(cast, album):
    from saferstaff.photos.models import Publication, PublicationPupil

    amelia, mum = album["amelia"], album["amelia"].guardianships.get().guardian
    record_answers(cast.school, [Answer(amelia, purpose(cast.school, "website"), "yes")],
                           source="guardian", method="portal", guardian=mum)  # fmt: skip
    screening.start(album["activity"], by=cast.teacher)
    image = album["images"][0]
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": image.pk})
    teacher = signed_in(cast.teacher)
    response = teacher.post(
        url,
        {
            "channel": purpose(cast.school, "website").pk,
            "where": "https://school.example/news",
            "blur_faces": "on",
        },
    )
    assert response.status_code == 302 and not Publication.objects.exists()
    # Before anything is published, the page lists every face found: who, and whether it is blurred.
    page = teacher.get(response["Location"]).content.decode()
    assert "Face 1: Amelia Oakes — consent given" in page and "Face 2: not named — unknown" in page
    assert page.count("Blurred") == 1 and page.count("Shown as it is") == 1
    crop = teacher.get(response["Location"] + "faces/1.jpg")
    assert crop.status_code == 200 and crop["Content-Type"] == "image/jpeg"
    assert signed_in(cast.volunteer).get(response["Location"] + "faces/1.jpg").status_code == 403
    assert teacher.post(response["Location"], {"action": "publish"}).status_code == 302
    pub = Publication.objects.get()
    assert [(f["why"], f["pupil"]) for f in pub.faces_blurred] == [("unknown", None)]
    assert len(_copy_faces(pub)) == 1  # Amelia's face is still there; the visitor's is not
    assert set(PublicationPupil.objects.values_list("pupil_id", flat=True)) == {amelia.pk}


def test_a_pupil_without_consent_is_refused_even_blurred_naming_the_child_and_the_consent(cast, album):
    from saferstaff.photos.models import Publication

    screening.start(album["activity"], by=cast.teacher)  # Amelia tagged by the machine; no website consent
    image = Image.objects.get(pk=album["images"][0].pk)
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": image.pk})
    teacher = signed_in(cast.teacher)
    response = teacher.post(
        url, {"channel": purpose(cast.school, "website").pk, "where": "web", "blur_faces": "on"}
    )
    assert response.status_code == 409  # refused at once: no faces found could change it
    page = response.content.decode()
    assert "cannot be published" in page
    assert "Amelia O. — no written guardian consent for &#x27;School website&#x27;" in page
    assert "does not replace consent" in page and 'value="publish"' not in page
    assert not Publication.objects.exists()


def test_where_the_school_allows_it_a_pupil_without_consent_is_published_blurred_once_approved(cast, album):
    from saferstaff.notifications.models import Notification
    from saferstaff.photos.models import Publication, PublicationPupil, Takedown
    from saferstaff.publishing.models import PublicationRequest
    from saferstaff.schools.models import SchoolSettings

    SchoolSettings.objects.filter(school=cast.school).update(publish_blurred_without_consent=True)
    amelia = album["amelia"]
    screening.start(album["activity"], by=cast.teacher)
    image = Image.objects.get(pk=album["images"][0].pk)
    website = purpose(cast.school, "website")
    with pytest.raises(Refused, match="senior management must approve"):
        publishing.check_and_publish(image, website, "web", by=cast.teacher, blur_faces=True)
    teacher = signed_in(cast.teacher)
    response = teacher.post(
        reverse("image_publish", kwargs={"school": cast.school.slug, "pk": image.pk}),
        {"channel": website.pk, "where": "web", "blur_faces": "on"},
    )
    req_url = response["Location"]
    page = teacher.get(req_url).content.decode()
    # The publisher sees the reason (the child, the consent) and confirms explicitly.
    assert "Amelia O. — no written guardian consent" in page and "senior management must approve" in page
    assert teacher.post(req_url, {"action": "ask"}).status_code == 400  # not confirmed
    assert teacher.post(req_url, {"action": "publish"}).status_code == 400  # not ready: nothing published
    teacher.post(req_url, {"action": "ask", "confirm": "yes"})
    req = PublicationRequest.objects.get(pk=int(req_url.rstrip("/").rsplit("/", 1)[1]))
    assert req.status == "waiting" and not Publication.objects.exists()
    assert Notification.objects.filter(kind="images.publication.approval", user=cast.slt).exists()
    assert teacher.post(req_url, {"action": "approve"}).status_code == 400  # not theirs to approve
    slt = signed_in(cast.slt)
    assert b"Face 1 in image" in slt.get(req_url).content
    assert slt.get(req_url + "faces/0.jpg")["Content-Type"] == "image/jpeg"
    slt.post(req_url, {"action": "approve"})
    pub = Publication.objects.get()
    assert pub.published_by == cast.teacher and pub.request.decided_by == cast.slt
    assert sorted((f["why"], f["pupil"]) for f in pub.faces_blurred) == [
        ("no_consent", amelia.pk),
        ("unknown", None),
    ]
    assert _copy_faces(pub) == []
    assert not PublicationPupil.objects.filter(publication=pub).exists()
    assert Notification.objects.filter(kind="images.publication.decided", user=cast.teacher).exists()
    mum = amelia.guardianships.get().guardian
    record_answers(cast.school, [Answer(amelia, website, "no")], source="guardian",
                           method="portal", guardian=mum)  # fmt: skip
    assert not Takedown.objects.exists() and Publication.objects.get().taken_down_at is None


def test_an_unknown_face_shown_unblurred_needs_another_senior_persons_approval(cast, album):
    from saferstaff.photos.models import Publication
    from saferstaff.publishing.models import PublicationRequest

    screening.start(album["activity"], by=cast.teacher)
    image = Image.objects.get(pk=album["images"][1].pk)  # only the visitor's face, unknown
    Image.objects.filter(pk=image.pk).update(no_pupils=True, no_pupils_by=cast.teacher)
    website = purpose(cast.school, "website")
    # The head publishes, unticking "blur": the unknown face needs someone else senior to approve.
    req = publishing.start(Image.objects.get(pk=image.pk), website, "web", by=cast.head, blur_faces=False)
    assert req.status == "approval" and "1 face that could not be named" in req.reasons[0][0]
    assert [(f["why"], f["blurred"]) for f in req.faces] == [("unknown", False)]
    publishing.ask_approval(req, by=cast.head)
    req.refresh_from_db()
    with pytest.raises(Refused, match="other than the publisher"):
        publishing.decide(req, by=cast.head, approve=True)
    declined = signed_in(cast.slt).post(
        reverse("publication_request", kwargs={"school": cast.school.slug, "pk": req.pk}),
        {"action": "decline"},
    )
    assert declined.status_code == 400 and b"Say why it is not approved" in declined.content
    publishing.decide(req, by=cast.slt, approve=True)
    pub = Publication.objects.get()
    assert pub.published_by == cast.head and pub.faces_blurred == []
    assert PublicationRequest.objects.get().status == "published"


def test_a_photo_nobody_screened_is_screened_before_it_is_published_unblurred(cast, album):
    """No "find faces" was ever pressed for the album: publishing without blurring still finds the
    visitor's face, unknown, and asks senior management first — it is never simply ready."""
    image = album["images"][1]  # only the visitor's face
    assert not Image.objects.get(pk=image.pk).faces_screened_with
    Image.objects.filter(pk=image.pk).update(no_pupils=True, no_pupils_by=cast.slt)
    website = purpose(cast.school, "website")
    req = publishing.start(Image.objects.get(pk=image.pk), website, "web", by=cast.teacher, blur_faces=False)
    assert req.status == "approval" and [(f["why"], f["blurred"]) for f in req.faces] == [("unknown", False)]
    assert Image.objects.get(pk=image.pk).faces_screened_with  # screened on the way
    with pytest.raises(Refused):
        publishing.publish(req, by=cast.teacher)


def _database_url() -> str:
    """The test database, for a worker in another process."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "FACE_MODELS": "standin",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    exe = Path(sys.executable).with_name("saferstaff")
    return subprocess.Popen([exe, "db_worker", "--interval", "0.1", "--no-reload"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def _wait_for(condition, worker, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert worker.poll() is None, f"the worker died: {worker.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.005)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_album_is_carried_on_by_the_next_without_tagging_twice(cast, settings):
    """A real worker process, killed (SIGKILL) part-way through an album, wherever it happens to be (even
    inside a transaction); a new worker carries on from where it stopped. No photo is screened twice, no pupil
    tagged twice."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    amelia, (mum,) = pupil_with_parents(cast.school, "Amelia", "Oakes")
    record_answers(cast.school, [Answer(amelia, purpose(cast.school, "biometric"), "yes")],
                           source="guardian", method="paper", guardian=mum)  # fmt: skip
    enrolment.enrol(amelia, photo({7: (50, 50, 96, 96)}), by=cast.office)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[amelia])
    photos = [
        (f"{n:02d}.png", photo({7: (20 + n, 20, 80, 80), 42: (220, 100, 80, 80)}, colour=n))
        for n in range(60)
    ]
    add_images(activity, photos, by=cast.teacher)

    first = _worker(settings)
    try:
        run = screening.start(activity, by=cast.teacher)
        _wait_for(lambda: ScreeningRun.objects.get(pk=run.pk).done >= 3, first)
        # Freeze it at once, then kill it. (Taking a lock first to catch it waiting was a race on SQLite: a fast
        # worker kept winning the lock between its own writes and finished the album before it was killed.)
        first.send_signal(signal.SIGSTOP)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    run.refresh_from_db()
    screened = Image.objects.filter(activity=activity).exclude(faces_screened_with="").count()
    assert run.status == "running" and 3 <= run.done < 60 and screened < 60

    # Pressing the button again at once does not start a second screening beside the first ...
    assert screening.start(activity, by=cast.teacher).pk == run.pk
    # ... but once nothing has moved for longer than a screening ever waits, it carries on in a new one.
    ScreeningRun.objects.filter(pk=run.pk).update(moved_at=run.moved_at - ScreeningRun.STALL * 2)
    second = _worker(settings)
    try:
        again = screening.start(activity, by=cast.teacher)
        assert again.pk != run.pk and again.total == 60 - screened
        _wait_for(lambda: ScreeningRun.objects.get(pk=again.pk).status == "done", second)
    finally:
        second.kill()
        second.wait(timeout=10)
    run.refresh_from_db()
    assert run.status == "failed" and run.problem == screening.STOPPED
    assert Image.objects.filter(activity=activity, faces_screened_with="").count() == 0
    assert FaceDetection.objects.filter(image__activity=activity).count() == 2 * 60
    assert ImageTag.objects.filter(image__activity=activity, pupil=amelia).count() == 60
    assert ImageTag.objects.filter(image__activity=activity).count() == 60


def test_a_stopped_screening_says_so_and_offers_to_carry_on(cast, album):
    run = screening.start(album["activity"], by=cast.teacher)
    ScreeningRun.objects.filter(pk=run.pk).update(status="running", done=1)
    url = reverse("screening_progress", kwargs={"school": cast.school.slug, "pk": run.pk})
    page = signed_in(cast.teacher).get(url).content.decode()
    assert "Carry on finding faces" not in page and ">Check again</a>" in page
    ScreeningRun.objects.filter(pk=run.pk).update(moved_at=run.moved_at - ScreeningRun.STALL * 2)
    page = signed_in(cast.teacher).get(url).content.decode()
    assert "the screening has stopped" in page and "Carry on finding faces" in page
    assert "Check again" not in page


def test_a_screening_given_up_as_stopped_is_not_finished_by_its_old_worker(cast, album):
    run = screening.start(album["activity"], by=cast.teacher)
    Image.objects.update(faces_screened_with="")
    FaceDetection.objects.all().delete()
    ScreeningRun.objects.filter(pk=run.pk).update(status="failed", problem=screening.STOPPED)
    screening.screen_album.call(run.pk)  # the old task runs late: it does nothing
    run.refresh_from_db()
    assert run.status == "failed" and not FaceDetection.objects.exists()


# --- A tag from the screening or the review, after publication (one tagging door) -------------------------


def _published_as_having_no_pupils(cast, image):
    """Published before anyone looked for faces (publishing has looked since 2026-12; a copy published
    before then, or a face the screening could not match until a pupil was enrolled later): a senior leader
    said no pupil appears (wrongly)."""
    from django.core.files.base import ContentFile

    from saferstaff.photos.models import Publication

    Image.objects.filter(pk=image.pk).update(no_pupils=True, no_pupils_by=cast.slt)
    pub = Publication(school=cast.school, image=image, image_ref=image.pk, channel=purpose(cast.school, "website"),
                      where="web", published_by=cast.teacher)  # fmt: skip
    pub.copy.save("copy.jpg", ContentFile(b"\xff\xd8\xff copy"), save=False)
    pub.save()
    return pub


def test_a_machine_tag_after_publication_raises_the_takedown_and_joins_the_publication(cast, album):
    from saferstaff.notifications.models import Notification
    from saferstaff.photos.models import PublicationPupil, Takedown

    amelia = album["amelia"]  # no website consent, no consent to be photographed
    pub = _published_as_having_no_pupils(cast, album["images"][0])
    screening.start(album["activity"], by=cast.teacher)
    assert ImageTag.objects.get(image=album["images"][0]).source == ImageTag.Source.MACHINE
    takedown = Takedown.objects.get(publication=pub)
    assert takedown.pupil == amelia and takedown.assigned_to == cast.teacher and "(§5)" in takedown.reason
    assert PublicationPupil.objects.filter(publication=pub, pupil=amelia).exists()
    assert Notification.objects.filter(kind="images.no_consent_tagged", user=cast.head).exists()


def test_a_review_confirmation_after_publication_raises_the_takedown_and_joins_the_publication(cast, album):
    from saferstaff.photos.models import PublicationPupil, Takedown
    from saferstaff.schools.models import SchoolSettings

    SchoolSettings.objects.filter(school=cast.school).update(
        face_auto_threshold=1.01, face_review_threshold=0.5
    )
    pub = _published_as_having_no_pupils(cast, album["images"][0])
    screening.start(album["activity"], by=cast.teacher)
    assert not Takedown.objects.exists()  # only proposed so far
    pending = FaceDetection.objects.get(verdict="review")
    page = signed_in(cast.teacher).post(
        reverse("face_review", kwargs={"school": cast.school.slug}),
        {"detection": pending.pk, "choice": "yes"},
        follow=True,
    )
    assert ImageTag.objects.get(image=album["images"][0]).source == ImageTag.Source.REVIEWED
    assert Takedown.objects.get(publication=pub).pupil == album["amelia"]
    assert PublicationPupil.objects.filter(publication=pub, pupil=album["amelia"]).exists()
    assert b"takedown raised" in page.content


def test_a_tag_on_a_face_the_published_copy_blurred_raises_no_takedown(cast, album):
    from saferstaff.photos.models import PublicationPupil, Takedown
    from saferstaff.schools.models import SchoolSettings

    SchoolSettings.objects.filter(school=cast.school).update(
        face_auto_threshold=1.01, face_review_threshold=0.5
    )
    screening.start(album["activity"], by=cast.teacher)  # Amelia's face waits for review: unknown for now
    image = Image.objects.get(pk=album["images"][0].pk)
    Image.objects.filter(pk=image.pk).update(no_pupils=True, no_pupils_by=cast.slt)
    pub = publishing.check_and_publish(
        Image.objects.get(pk=image.pk),
        purpose(cast.school, "website"),
        "web",
        by=cast.teacher,
        blur_faces=True,
    )
    assert len(pub.faces_blurred) == 2  # both faces: nobody named yet
    screening.decide(FaceDetection.objects.get(verdict="review"), by=cast.teacher, confirmed=True)
    assert not Takedown.objects.exists() and not PublicationPupil.objects.filter(publication=pub).exists()


def test_faces_to_blur_are_found_by_the_worker_not_in_the_request(cast, album, monkeypatch):
    """The request that asks to publish with blurring only queues the check; until the worker has done it
    the page says so, with a button to look again (no refresh of its own); then it lists the faces."""
    from saferstaff.publishing.models import PublicationRequest

    queued = []
    monkeypatch.setattr(
        publishing, "check_request", type("Queue", (), {"enqueue": staticmethod(queued.append)})
    )
    monkeypatch.setattr(screening, "screen_image", lambda *a, **k: pytest.fail("faces found in the request"))
    image = album["images"][0]
    teacher = signed_in(cast.teacher)
    response = teacher.post(
        reverse("image_publish", kwargs={"school": cast.school.slug, "pk": image.pk}),
        {"channel": purpose(cast.school, "website").pk, "where": "web", "blur_faces": "on"},
    )
    req = PublicationRequest.objects.get()
    assert response.status_code == 302 and queued == [req.pk] and req.status == "checking"
    page = teacher.get(response["Location"]).content.decode()
    assert "Check again" in page and 'http-equiv="refresh"' not in page and 'value="publish"' not in page
    monkeypatch.undo()
    publishing.check_request.call(req.pk)  # the worker
    req.refresh_from_db()
    assert req.status == "refused" and len(req.faces) == 2  # Amelia has no website consent
    assert "Face 2: not named" in teacher.get(response["Location"]).content.decode()


def test_a_check_that_fails_in_the_worker_says_so(cast, album, monkeypatch):
    from saferstaff.publishing.models import PublicationRequest

    worker = publishing.check_request
    monkeypatch.setattr(
        publishing, "check_request", type("Queue", (), {"enqueue": staticmethod(lambda pk: None)})
    )
    req = publishing.start(
        album["images"][0], purpose(cast.school, "website"), "web", by=cast.teacher, blur_faces=True
    )
    monkeypatch.setattr(publishing, "check", lambda req: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        worker.call(req.pk)
    req = PublicationRequest.objects.get()
    assert req.status == "failed" and "Try publishing again" in req.problem


def test_the_headteacher_chooses_in_the_settings_whether_a_pupil_without_consent_may_be_published_blurred(
    cast,
):
    from saferstaff.schools.models import SchoolSettings

    url = reverse("school_settings", kwargs={"school": cast.school.slug})
    head = signed_in(cast.head, confirmed=True)
    assert b"Allow publishing a photo with a pupil without consent blurred" in head.get(url).content
    assert not SchoolSettings.for_school(cast.school).publish_blurred_without_consent  # refused by default
    form = {"pupil_voice_age": 12, "reminder_days": "3,7,14",
            "escalate_after_days": 14, "name_aliases": "", "publish_blurred_without_consent": "on"}  # fmt: skip
    assert head.post(url, form).status_code == 302
    assert SchoolSettings.for_school(cast.school).publish_blurred_without_consent
