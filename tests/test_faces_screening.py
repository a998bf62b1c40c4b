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

from saferstaff.faces.standin import draw_face
from saferstaff.images import biometrics, screening, service
from saferstaff.images.library import add_images
from saferstaff.images.models import FaceDetection, Image, ImageTag, ScreeningRun

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
    service.record_answers(cast.school, [service.Answer(amelia, purpose(cast.school, "biometric"), "yes")],
                           source="guardian", method="paper", guardian=mum)  # fmt: skip
    biometrics.enrol(amelia, photo({7: (50, 50, 96, 96)}), by=cast.office)
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
    from saferstaff.policy.models import SchoolSettings

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
    from saferstaff.images.models import Publication, PublicationPupil

    amelia, mum = album["amelia"], album["amelia"].guardianships.get().guardian
    service.record_answers(cast.school, [service.Answer(amelia, purpose(cast.school, "website"), "yes")],
                           source="guardian", method="portal", guardian=mum)  # fmt: skip
    screening.start(album["activity"], by=cast.teacher)
    image = album["images"][0]
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": image.pk})
    response = signed_in(cast.teacher).post(
        url,
        {
            "channel": purpose(cast.school, "website").pk,
            "where": "https://school.example/news",
            "blur_faces": "on",
        },
    )
    assert response.status_code == 302
    pub = Publication.objects.get()
    assert [(f["why"], f["pupil"]) for f in pub.faces_blurred] == [("unknown", None)]
    assert len(_copy_faces(pub)) == 1  # Amelia's face is still there; the visitor's is not
    assert set(PublicationPupil.objects.values_list("pupil_id", flat=True)) == {amelia.pk}


def test_a_pupil_without_consent_is_blurred_and_their_later_withdrawal_takes_nothing_down(cast, album):
    from saferstaff.images.models import Publication, PublicationPupil, Takedown

    amelia = album["amelia"]
    screening.start(album["activity"], by=cast.teacher)  # Amelia tagged by the machine; no website consent
    image = Image.objects.get(pk=album["images"][0].pk)
    website = purpose(cast.school, "website")
    with pytest.raises(service.Refused, match="Amelia O."):
        service.publish(image, website, "web", by=cast.teacher)
    pub = service.publish(image, website, "web", by=cast.teacher, blur_faces=True)
    assert sorted((f["why"], f["pupil"]) for f in pub.faces_blurred) == [
        ("no_consent", amelia.pk),
        ("unknown", None),
    ]
    assert _copy_faces(pub) == []
    assert not PublicationPupil.objects.filter(publication=pub).exists()
    mum = amelia.guardianships.get().guardian
    service.record_answers(cast.school, [service.Answer(amelia, website, "no")], source="guardian",
                           method="portal", guardian=mum)  # fmt: skip
    assert not Takedown.objects.exists() and Publication.objects.get().taken_down_at is None


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
    """A real worker process, killed (SIGKILL) part-way through an album while it waits to record progress;
    a new worker carries on from where it stopped. No photo is screened twice, no pupil tagged twice."""
    from django.db import transaction

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    amelia, (mum,) = pupil_with_parents(cast.school, "Amelia", "Oakes")
    service.record_answers(cast.school, [service.Answer(amelia, purpose(cast.school, "biometric"), "yes")],
                           source="guardian", method="paper", guardian=mum)  # fmt: skip
    biometrics.enrol(amelia, photo({7: (50, 50, 96, 96)}), by=cast.office)
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
        # Hold the run's row (on SQLite, the database) so the worker waits to record progress, then kill it.
        with transaction.atomic():
            ScreeningRun.objects.select_for_update().filter(pk=run.pk).update(problem="")
            time.sleep(0.3)
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
