"""§5 and the Protection of Freedoms Act: pupils' face templates (made only with biometric consent), the
screening of albums for faces, and each face found."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from saferstaff.photos.models import Activity, Image

USER = settings.AUTH_USER_MODEL


class FaceTemplate(models.Model):
    """A pupil's face as numbers, for matching in school photos (§5; biometric data): made only with
    biometric consent, stored encrypted (``vector`` and the small ``reference`` crop are Fernet tokens),
    never exported, erased when consent goes or the pupil leaves (``biometrics.enrolment``)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="face_templates")
    vector = models.BinaryField()
    reference = models.BinaryField()
    source_sha256 = models.CharField(max_length=64, blank=True)  # of the photo it was made from: never twice
    model_version = models.CharField(max_length=40)
    enrolled_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    enrolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "images_facetemplate"  # kept from before the rooms moved (ADR 0007)
        indexes = [models.Index(fields=["school", "pupil"])]


class ScreeningRun(models.Model):
    """One screening of an album (an activity's images) for faces: its progress, for the progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Screening"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped with a problem"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="screenings")
    started_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    faces = models.PositiveIntegerField(default=0)
    problem = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    moved_at = models.DateTimeField(
        default=timezone.now
    )  # the last sign of life: queued, started, a photo done
    finished_at = models.DateTimeField(null=True, blank=True)

    STALL = datetime.timedelta(minutes=5)  # a photo takes about a second: this long without one, it stopped
    STALL_QUEUED = datetime.timedelta(minutes=30)  # waiting behind other albums, or no worker running

    class Meta:
        db_table = "images_screeningrun"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-created_at", "-pk"]

    @property
    def live(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def stalled(self) -> bool:
        """Queued or running, but nothing has moved for a while: the worker stopped (or is not running)."""
        limit = self.STALL if self.status == self.Status.RUNNING else self.STALL_QUEUED
        return self.live and timezone.now() - self.moved_at > limit

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else (100 if self.status == "done" else 0)


class FaceDetection(models.Model):
    """A face found in an image, with the machine's proposal and, beside it (never over it), the decision of
    the person who reviewed it."""

    class Verdict(models.TextChoices):
        AUTO = "auto", "Tagged automatically"
        REVIEW = "review", "Waiting for review"
        UNKNOWN = "unknown", "Unknown"

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Not this pupil"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="faces")
    left = models.PositiveIntegerField()
    top = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    detector_score = models.FloatField()
    model_version = models.CharField(max_length=40)
    proposed_pupil = models.ForeignKey(
        "schools.Pupil", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    match_score = models.FloatField(default=0.0)
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_pupil = models.ForeignKey(
        "schools.Pupil", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "images_facedetection"  # kept from before the rooms moved (ADR 0007)
        ordering = ["image_id", "left"]
        indexes = [models.Index(fields=["school", "verdict", "decision"])]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.width, self.height)
