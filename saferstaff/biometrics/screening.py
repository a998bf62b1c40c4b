"""Screening an album for faces (§5): each photo's faces are found and matched against the school's enrolled
pupils; a confident match becomes a machine tag, an uncertain one waits for a person in the review queue,
and the rest are unknown — treated as without consent when publishing.

The job runs in the worker, several photos at once (one per core), recording each photo in its own
transaction, in order: a worker stopped half-way resumes where it stopped (photos already screened with the
current model are skipped) and never tags twice."""

import functools
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.biometrics.enrolment import face_models, vector_of
from saferstaff.biometrics.models import FaceDetection, FaceTemplate, ScreeningRun
from saferstaff.faces import FaceError
from saferstaff.faces.match import AUTO, Gallery, Thresholds
from saferstaff.faces.pipeline import describe_all, find_and_describe
from saferstaff.photos import services
from saferstaff.photos.models import Image, ImageTag
from saferstaff.schools.models import Pupil, SchoolSettings

log = logging.getLogger(__name__)
STOPPED = "The screening stopped before the end. Photos already screened keep their faces; carry on to screen the rest."


def gallery_for(school) -> Gallery:
    """Every enrolled template of the school (templates exist only with biometric consent), with the
    school's calibrated thresholds."""
    settings = SchoolSettings.for_school(school)
    templates = list(FaceTemplate.objects.filter(school=school))
    return Gallery(
        [t.pupil_id for t in templates],
        [vector_of(t) for t in templates],
        Thresholds(auto=settings.face_auto_threshold, review=settings.face_review_threshold),
    )


def to_screen(activity, version: str):
    return activity.images.filter(kind=Image.Kind.PHOTO).exclude(faces_screened_with=version).order_by("pk")


def start(activity, *, by) -> ScreeningRun:
    """Queue a screening of the album, or return the one already under way (pressing the button twice
    starts one screening). A screening that stopped moving — its worker was stopped — is marked so and a
    new one carries on from where it stopped."""
    _detector, embedder = face_models()
    with transaction.atomic():
        type(activity).objects.select_for_update().filter(pk=activity.pk).first()  # one click at a time
        for run in ScreeningRun.objects.select_for_update().filter(
            activity=activity, status__in=[ScreeningRun.Status.QUEUED, ScreeningRun.Status.RUNNING]
        ):
            if not run.stalled:
                return run
            run.status, run.problem = ScreeningRun.Status.FAILED, STOPPED
            run.save(update_fields=["status", "problem"])
            record("faces.screening.stalled", run, detail={"activity": activity.pk, "done": run.done})
        return _queue(activity, by, embedder.version)


def _queue(activity, by, version: str) -> ScreeningRun:
    run = ScreeningRun.objects.create(
        school_id=activity.school_id,
        activity=activity,
        started_by=by,
        total=to_screen(activity, version).count(),
    )
    record("faces.screening.started", run, detail={"activity": activity.pk, "images": run.total})
    transaction.on_commit(lambda: screen_album.enqueue(run.pk))
    return run


@task()
def screen_album(run_id: int) -> None:
    run = ScreeningRun.objects.select_related("activity", "school").filter(pk=run_id).first()
    if run is None or not run.live:
        return  # finished, or given up as stopped and carried on by a newer screening
    with acting_as(actor_id=run.started_by_id, school_id=run.school_id):
        if not ScreeningRun.objects.filter(pk=run.pk, status=ScreeningRun.Status.QUEUED).update(
            status=ScreeningRun.Status.RUNNING, moved_at=timezone.now()
        ):
            return  # another worker took it, or it was given up meanwhile
        version = face_models()[1].version
        gallery = gallery_for(run.school)
        images = list(to_screen(run.activity, version))
        try:
            found = describe_all(
                (functools.partial(_read, image) for image in images),
                face_models,
                workers=settings.FACE_WORKERS or None,
            )
            mine = ScreeningRun.objects.filter(pk=run.pk, status=ScreeningRun.Status.RUNNING)
            for image, faces in zip(images, found, strict=True):
                if isinstance(faces, FaceError):
                    log.warning("screening run %s: image %s could not be read", run.pk, image.pk)
                    faces = []
                n = record_faces(image, faces, gallery, version)
                if not mine.update(done=F("done") + 1, faces=F("faces") + n, moved_at=timezone.now()):
                    return  # given up as stopped while this worker was busy: the newer screening carries on
        except Exception:
            log.exception("screening run %s stopped", run.pk)
            ScreeningRun.objects.filter(pk=run.pk).update(status=ScreeningRun.Status.FAILED, problem=STOPPED)
            raise
        ScreeningRun.objects.filter(pk=run.pk, status=ScreeningRun.Status.RUNNING).update(
            status=ScreeningRun.Status.DONE, finished_at=timezone.now()
        )


def _read(image: Image) -> bytes:
    try:
        with image.original.open("rb") as f:
            return f.read()
    except OSError:  # the stored file is missing: screen the rest rather than fail every retry on it
        raise FaceError("The photo's file could not be read from storage.") from None


def screen_image(image: Image, gallery: Gallery, detector, embedder) -> int:
    """Find, match and record one photo's faces (the album job does many at once). Returns the number of
    faces."""
    try:
        found = find_and_describe(_read(image), detector, embedder)
    except FaceError:
        found = []
    return record_faces(image, found, gallery, embedder.version)


def record_faces(image: Image, found: list, gallery: Gallery, version: str) -> int:
    """Match and record the faces found in one photo, in one transaction: a photo is either screened with
    ``version`` or not at all. Returns the number of faces."""
    faces = [face for face, _ in found]
    matches = gallery.match([vector for _, vector in found])
    with transaction.atomic():
        if (
            not Image.objects.select_for_update()
            .filter(pk=image.pk)
            .exclude(faces_screened_with=version)
            .exists()
        ):
            return 0  # another worker finished it meanwhile (the row lock makes the check and the write one step)
        FaceDetection.objects.filter(image=image, model_version=version).delete()
        rows = [
            FaceDetection(
                school_id=image.school_id, image=image, left=face.box[0], top=face.box[1], width=face.box[2],
                height=face.box[3], detector_score=face.score, model_version=version,
                proposed_pupil_id=match.label, match_score=match.score, verdict=match.verdict,
            )
            for face, match in zip(faces, matches, strict=True)
        ]  # fmt: skip
        FaceDetection.objects.bulk_create(rows)
        auto = [row for row in rows if row.verdict == AUTO]
        pupils = Pupil.objects.in_bulk([row.proposed_pupil_id for row in auto])
        for row in auto:
            services.tag(
                image, pupils[row.proposed_pupil_id], by=None, source=ImageTag.Source.MACHINE, box=row.box
            )
        Image.objects.filter(pk=image.pk).update(faces_screened_with=version)
        record(
            "faces.screened",
            image,
            detail={
                "faces": len(rows),
                "auto": [r.proposed_pupil_id for r in rows if r.verdict == AUTO],
                "review": [r.proposed_pupil_id for r in rows if r.verdict == FaceDetection.Verdict.REVIEW],
            },
        )
    return len(rows)


def decide(detection: FaceDetection, *, by, confirmed: bool, pupil=None) -> services.Tagged:
    """A person's decision on a proposed match, stored beside the machine's; a confirmed face is tagged
    through the one tagging door (a takedown at once if the photo is already published without consent)."""
    chosen = (detection.proposed_pupil if confirmed else pupil) if (confirmed or pupil) else None
    with transaction.atomic():
        detection.decision = FaceDetection.Decision.CONFIRMED if chosen else FaceDetection.Decision.REJECTED
        detection.decided_pupil = chosen
        detection.decided_by = by
        detection.decided_at = timezone.now()
        detection.save()
        record(
            "faces.reviewed",
            detection.image,
            detail={
                "detection": detection.pk,
                "proposed": detection.proposed_pupil_id,
                "decided": getattr(chosen, "pk", None),
            },
        )
        if chosen is None:
            return services.Tagged(False)
        return services.tag(
            detection.image, chosen, by=by, source=ImageTag.Source.REVIEWED, box=detection.box
        )
