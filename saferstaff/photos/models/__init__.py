"""§5 (and §6): the school's cameras, photo activities, the image library, where images were published, the
takedowns a withdrawal of consent raises, and the destruction of old images. Consent itself is the consent
room's (``consent.models``, ``consent.states``)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.states import ConsentState, states_for

USER = settings.AUTH_USER_MODEL


def make_and_model(make: str, model: str) -> str:
    """ "Canon PowerShot SX740": cameras often repeat their make in the model name ("Canon" + "Canon EOS
    R50"), so the make is said once."""
    make, model = (make or "").strip(), (model or "").strip()
    if not make or model.casefold().startswith(make.casefold()):
        return model or make
    return f"{make} {model}".strip()


class Device(models.Model):
    """A school camera, tablet or phone (§5: school equipment only). A device can be lent to a member of
    staff; photos whose camera details match no device here are flagged as possibly personal (§6)."""

    class Kind(models.TextChoices):
        CAMERA = "camera", "Camera"
        TABLET = "tablet", "Tablet"
        PHONE = "phone", "School phone"
        OTHER = "other", "Other"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="devices")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CAMERA)
    make = models.CharField(max_length=60)
    model = models.CharField(max_length=60)
    serial = models.CharField(
        max_length=60, blank=True, help_text="Written in each photo by most cameras; leave blank if unknown"
    )
    asset_tag = models.CharField(max_length=30)
    lent_to = models.ForeignKey(
        "schools.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="devices_held"
    )
    retired_on = models.DateField(null=True, blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(table_name="images_historicaldevice")

    class Meta:
        db_table = "images_device"  # kept from before the rooms moved (ADR 0007)
        ordering = ["asset_tag"]
        constraints = [
            models.UniqueConstraint(fields=["school", "asset_tag"], name="unique_device_asset_tag")
        ]

    def __str__(self) -> str:
        return f"{self.asset_tag} — {self.make_and_model}"

    @property
    def make_and_model(self) -> str:
        return make_and_model(self.make, self.model)


class Activity(models.Model):
    """A planned photo session, requested by the photographer and approved by senior management (§5)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Not approved"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="photo_activities")
    title = models.CharField(max_length=120)
    purposes = models.ManyToManyField(Purpose, related_name="activities")
    happens_on = models.DateField()
    place = models.CharField(max_length=120)
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="activities")
    after_use = models.CharField(
        "What happens to the images afterwards", max_length=500, help_text="§5: say what happens to them"
    )
    not_one_to_one = models.BooleanField(default=False)
    pupils = models.ManyToManyField("schools.Pupil", through="ActivityPupil", related_name="+")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    history = HistoricalRecords(table_name="images_historicalactivity", m2m_fields=[purposes])

    class Meta:
        db_table = "images_activity"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-happens_on", "-pk"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_requested(self) -> bool:
        """Waiting for senior management's approval."""
        return self.status == self.Status.REQUESTED

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    def photograph_list(self) -> list[tuple]:
        """For the photographer's printable list: each pupil of the group with whether they may be in photos
        for every purpose of the activity, and the reasons when not (not audited per pupil: it is one list)."""
        purposes = list(self.purposes.all())
        taking = Purpose.objects.filter(school_id=self.school_id, code="learning_records").first()
        needed = purposes + ([taking] if taking and taking not in purposes else [])
        pupils = list(self.pupils.order_by("legal_surname", "legal_forename"))
        states = states_for(self.school, pupils, needed)
        out = []
        for pupil in pupils:
            refused = [r for purpose in needed for r in states[(pupil.pk, purpose.pk)].reasons
                       if not states[(pupil.pk, purpose.pk)].allowed]  # fmt: skip
            out.append((pupil, not refused, refused))
        return out

    @property
    def self_approved(self) -> bool:
        """The Headteacher approved their own request (allowed only with no other senior leader, §5)."""
        return self.status == self.Status.APPROVED and self.decided_by_id == self.requested_by_id


class ActivityPupil(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE)
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "images_activitypupil"  # kept from before the rooms moved (ADR 0007)
        constraints = [
            models.UniqueConstraint(fields=["school", "activity", "pupil"], name="unique_activity_pupil")
        ]


def _original_path(image, filename):
    return f"images/{image.school_id}/originals/{uuid.uuid4().hex}"


def _thumb_path(image, filename):
    return f"images/{image.school_id}/thumbnails/{uuid.uuid4().hex}.jpg"


class Image(models.Model):
    """A photo or short video in the library. The original is served only to signed-in staff, and each
    time it is served is recorded; published copies are made from it without any metadata."""

    class Kind(models.TextChoices):
        PHOTO = "photo", "Photo"
        VIDEO = "video", "Video"

    class Flag(models.TextChoices):
        NONE = "", "None"
        UNREGISTERED = "unregistered", "Camera not in the school's device register"
        NO_CAMERA = "no_camera", "No camera details in the file"
        # §5, §6: the camera matches a member of staff's personal device with permission to be used at work.
        PERSONAL = "personal", "Taken on a personal device"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="images")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="images")
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.PHOTO)
    original = models.FileField(upload_to=_original_path, max_length=200)
    thumbnail = models.FileField(upload_to=_thumb_path, max_length=200, blank=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    captured_at = models.DateTimeField()
    camera_make = models.CharField(max_length=60, blank=True)
    camera_model = models.CharField(max_length=60, blank=True)
    camera_serial = models.CharField(max_length=60, blank=True)
    had_gps = models.BooleanField(default=False)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="images"
    )
    flag = models.CharField(max_length=12, choices=Flag.choices, blank=True, default="")
    # The personal-equipment permission (§6) whose device took a PERSONAL photo: the flag's reason.
    equipment_permission = models.ForeignKey(
        "conduct.EquipmentPermission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flag_cleared_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flag_cleared_at = models.DateTimeField(null=True, blank=True)
    flag_note = models.CharField(max_length=300, blank=True)
    # Someone has checked the photo and no pupil appears in it (e.g. a display of work).
    no_pupils = models.BooleanField(default=False)
    no_pupils_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Set while the retention schedule lists the image as due for destruction (privacy.sweep, through
    # ``takedowns.mark_due``): it is not published again, and its live publications are taken down (§5, §8).
    destruction_queued_at = models.DateTimeField(null=True, blank=True)
    # The face model version this image was screened with (empty: not yet). Screening skips images already
    # screened with the current version, so an interrupted album resumes where it stopped.
    faces_screened_with = models.CharField(max_length=40, blank=True)

    class Meta:
        db_table = "images_image"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-captured_at", "-pk"]
        indexes = [
            models.Index(fields=["school", "activity"]),
            models.Index(fields=["school", "destruction_queued_at"]),
            # The library's page: a school's newest first, read from the index without sorting them all.
            models.Index(fields=["school", "-captured_at", "-id"], name="image_newest_first"),
            # The library's "uploaded by" choices: one probe per member of staff, not a read of every image.
            models.Index(fields=["school", "uploaded_by"], name="image_by_uploader"),
            # Flagged images not yet cleared: a handful, counted on the library and the Overview.
            models.Index(
                fields=["school"],
                name="image_flag_open",
                condition=models.Q(flag_cleared_at__isnull=True) & ~models.Q(flag=""),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["school", "activity", "sha256"], name="unique_image_in_activity")
        ]

    def __str__(self) -> str:
        return f"Image {self.pk}"

    @property
    def camera(self) -> str:
        return make_and_model(self.camera_make, self.camera_model)

    @property
    def flag_open(self) -> bool:
        return bool(self.flag) and self.flag_cleared_at is None

    @property
    def taken_on_personal_device(self) -> bool:
        return self.flag == self.Flag.PERSONAL

    @property
    def is_video(self) -> bool:
        return self.kind == self.Kind.VIDEO

    def consent_on(self, channel) -> dict[tuple[int, int], ConsentState]:
        """Each tagged pupil's consent state for publishing on ``channel`` (a Purpose), by (pupil id, channel
        id): the one place it is computed for the publishing rules (``rules.images.can_publish``), which read
        the tags themselves and find a state missing for any of them (or for another channel) an error."""
        pupils = [t.pupil for t in self.tags.select_related("pupil")]
        return states_for(self.school, pupils, [channel]) if pupils else {}


class ImageTag(models.Model):
    """A pupil who appears in an image. ``source`` says whether a person tagged them, the face matcher did,
    or a person confirmed the matcher's proposal; every change is recorded in the audit trail. Tags are
    made only through ``photos.services.tag``."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Tagged by staff"
        MACHINE = "machine", "Face matching"
        REVIEWED = "reviewed", "Face match confirmed by staff"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="tags")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="image_tags")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    tagged_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    tagged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "images_imagetag"  # kept from before the rooms moved (ADR 0007)
        constraints = [models.UniqueConstraint(fields=["school", "image", "pupil"], name="unique_image_tag")]
        indexes = [models.Index(fields=["pupil", "image"])]


def _published_path(publication, filename):
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "jpg"
    return f"images/{publication.school_id}/published/{uuid.uuid4().hex}.{extension}"


class Publication(models.Model):
    """Where a copy of an image went (§5: the register that lets it come down again)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="publications"
    )
    image_ref = models.PositiveBigIntegerField(help_text="The image's number, kept after it is destroyed")
    channel = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="publications")
    where = models.CharField(max_length=300, help_text="The web address, newsletter issue or display board")
    copy = models.FileField(upload_to=_published_path, max_length=200, blank=True)
    published_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    taken_down_at = models.DateTimeField(null=True, blank=True)
    # Faces blurred in the copy and why: [{"box": [l, t, w, h], "why": "unknown" | "no_consent", "pupil": id}]
    faces_blurred = models.JSONField(default=list, blank=True)
    # The copy's fingerprint (``imagematch.Fingerprint.to_bytes``, 226-258 bytes, no pixels): what a check of
    # its places compares found images with, kept after the copy is deleted. Blank for a video and for a copy
    # published before fingerprints were kept until ``fingerprint_publications`` fills it.
    fingerprint = models.BinaryField(blank=True, default=b"")

    class Meta:
        db_table = "images_publication"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["image", "channel"])]


class PublicationPupil(models.Model):
    """Who was in the image when it was published (and anyone tagged since): takedowns are raised from
    these, so removing a tag or destroying the original never hides a live publication."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="pupils")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "images_publicationpupil"  # kept from before the rooms moved (ADR 0007)
        constraints = [
            models.UniqueConstraint(
                fields=["school", "publication", "pupil"], name="unique_publication_pupil"
            )
        ]
        indexes = [models.Index(fields=["pupil", "publication"])]


class Takedown(models.Model):
    """A published copy that must come down (§5): consent for its channel was withdrawn (``pupil``), or the
    image is past its keep-until date, or the publisher or senior management took it down by hand
    (``raised_by``; no pupil)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="takedowns")
    pupil = models.ForeignKey(
        "schools.Pupil", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    raised_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The answer that withdrew consent; empty when the pupil was tagged after publication without consent.
    consent_record = models.ForeignKey(
        ConsentRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    assigned_to = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_chased_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    evidence_note = models.CharField(max_length=500, blank=True)
    evidence = models.FileField(upload_to="takedown-evidence/%Y/%m/", blank=True)
    # Closed on the evidence of its checks: every place's latest check found it gone (``PlaceCheck``).
    closed_on_checks = models.BooleanField(default=False)

    class Meta:
        db_table = "images_takedown"  # kept from before the rooms moved (ADR 0007)
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "publication", "pupil"], name="unique_takedown")
        ]
        # (publication, pupil): "already raised?" stays fast however many takedowns a pupil has had.
        indexes = [models.Index(fields=["school", "done_at"]), models.Index(fields=["publication", "pupil"])]


class PendingDeletion(models.Model):
    """A stored file of the school's that must go (a destroyed image, a copy taken down) but whose deletion
    failed, e.g. the S3 server was unreachable. The daily job retries until storage confirms it is gone. A
    school cannot be deleted while one of its files is still waiting (the only record that it exists)."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    since = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "images_pendingdeletion"  # kept from before the rooms moved (ADR 0007)
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="unique_pending_deletion")]


# Where copies were published, the checks that they came down, and the sweeps of the school's own websites.
from saferstaff.photos.models.checks import PlaceCheck, PublicationPlace, SchoolSite, SiteSweep  # noqa: E402, F401
