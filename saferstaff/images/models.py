"""§5 (and §6): consent to images of pupils, the school's cameras, photo activities, the image library,
where images were published, the takedowns a withdrawal raises, and the destruction of old images.

Consent is never typed over: every answer is a new ``ConsentRecord`` and the current state for a pupil and
a purpose is derived from them (``images.consent``)."""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from saferstaff.policy.engine import Reason

USER = settings.AUTH_USER_MODEL


class Purpose(models.Model):
    """One thing the school asks guardians' consent for: the school's own list, seeded from §5."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="image_purposes")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80, help_text="What staff see, e.g. 'School website'")
    plain_words = models.CharField(max_length=300, help_text="What guardians read in the portal")
    # Seen outside the school: also needs the pupil's own consent from the school's age (§5).
    publicity = models.BooleanField(default=True)
    # Biometric face matching (Protection of Freedoms Act 2012 ss26–28).
    biometric = models.BooleanField(default=False)
    # Asked again every school year (the answer lapses on 31 August).
    renew_annually = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    # The words guardians answered are kept as they were when they answered.
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="unique_purpose_code")]

    def __str__(self) -> str:
        return self.name


# The school's list starts with these (§5: images created, displayed in public places, on websites and
# in publications; plus video and, for the faces feature, biometric matching).
SEED_PURPOSES = [
    ("learning_records", "Learning records (in school only)", False, False, True,
     "Photos and videos of your child's learning, kept by the school and seen only by staff, your child and you."),
    ("display", "Displays visitors can see", True, False, True,
     "Photos on display boards in parts of the school that visitors can see."),
    ("website", "School website", True, False, True,
     "Photos on the school website, which anyone can see."),
    ("social_media", "School social media", True, False, True,
     "Photos on the school's own social media accounts, which anyone can see and share."),
    ("print", "Newsletter and prospectus", True, False, True,
     "Photos in the printed newsletter and the prospectus, which go to families and visitors."),
    ("press", "Press and media", True, False, True,
     "Photos or film taken by newspapers, TV or other media visiting the school; they may show your child's name."),
    ("video", "Video of events", True, False, True,
     "Video of school events, such as plays and assemblies, shared with families or streamed."),
    ("biometric", "Face matching (biometric)", False, True, False,
     "The school's system recognises your child's face in school photos, only so that photos of children "
     "without consent can be found and blurred. Their face data never leaves the school's system and is "
     "erased when you say no or they leave."),
]  # fmt: skip


def seed_purposes(school) -> None:
    for position, (code, name, publicity, biometric, annual, words) in enumerate(SEED_PURPOSES):
        Purpose.objects.get_or_create(
            school=school,
            code=code,
            defaults={
                "name": name,
                "plain_words": words,
                "publicity": publicity,
                "biometric": biometric,
                "renew_annually": annual,
                "position": position,
            },
        )


def end_of_school_year(on: datetime.date) -> datetime.date:
    """31 August of the school year that ``on`` falls in (English school years start in September)."""
    return datetime.date(on.year if on.month <= 8 else on.year + 1, 8, 31)


class AppendOnly(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError(f"{type(self).__name__} rows are never changed: add a new one")
        super().save(*args, **kwargs)


class ConsentRecord(AppendOnly):
    """One answer, as given. The latest answer from each source counts; see ``images.consent``."""

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"

    class Source(models.TextChoices):
        GUARDIAN = "guardian", "Guardian with parental responsibility"
        PUPIL = "pupil", "The pupil"
        SENIOR_LEADER = "senior_leader", "Senior leader"

    class Method(models.TextChoices):
        PORTAL = "portal", "Guardian portal"
        PAPER = "paper", "Paper form (scanned)"
        PHONE = "phone", "Phone call (noted)"
        IN_PERSON = "in_person", "In person (noted)"

    # §5 asks for *written* consent: a yes by phone or in person is noted but does not count until it is
    # confirmed on paper or in the portal. A no counts however it is given.
    WRITTEN = frozenset({Method.PORTAL, Method.PAPER})

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="consent_records")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="records")
    answer = models.CharField(max_length=3, choices=Answer.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    guardian = models.ForeignKey(
        "schools.Guardian", null=True, blank=True, on_delete=models.PROTECT, related_name="consent_records"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    expires_on = models.DateField(null=True, blank=True)
    evidence = models.FileField(upload_to="consent-evidence/%Y/%m/", blank=True)
    note = models.CharField(max_length=300, blank=True)
    # The portal receipt this answer was part of (one receipt per submission).
    receipt = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["school", "pupil", "purpose", "recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="guardian", guardian__isnull=False) | ~Q(source="guardian"),
                name="guardian_answer_names_guardian",
            )
        ]

    @property
    def is_written(self) -> bool:
        return self.method in self.WRITTEN


class PortalLink(models.Model):
    """A signed link sent to one guardian. The token carries this row's id and nonce; the row lets the
    school see what was sent and revoke a link (a new link revokes the guardian's older ones)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    guardian = models.ForeignKey("schools.Guardian", on_delete=models.CASCADE, related_name="portal_links")
    nonce = models.UUIDField(default=uuid.uuid4, editable=False)
    sent_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The address it went to: if the school's record of the guardian's email changes, the link stops working.
    sent_to = models.EmailField(blank=True)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["school", "guardian"])]


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
    history = HistoricalRecords()

    class Meta:
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
    history = HistoricalRecords(m2m_fields=[purposes])

    class Meta:
        ordering = ["-happens_on", "-pk"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def self_approved(self) -> bool:
        """The Headteacher approved their own request (allowed only with no other senior leader, §5)."""
        return self.status == self.Status.APPROVED and self.decided_by_id == self.requested_by_id


class ActivityPupil(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE)
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="+")

    class Meta:
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
    flag_cleared_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flag_cleared_at = models.DateTimeField(null=True, blank=True)
    flag_note = models.CharField(max_length=300, blank=True)
    # Someone has checked the photo and no pupil appears in it (e.g. a display of work).
    no_pupils = models.BooleanField(default=False)
    no_pupils_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    keep_until = models.DateField()
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.CharField(max_length=200, blank=True)
    destruction_queued_at = models.DateTimeField(null=True, blank=True)
    # The face model version this image was screened with (empty: not yet). Screening skips images already
    # screened with the current version, so an interrupted album resumes where it stopped.
    faces_screened_with = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-captured_at", "-pk"]
        indexes = [
            models.Index(fields=["school", "activity"]),
            models.Index(fields=["keep_until"], name="image_keep_until"),
            models.Index(fields=["school", "destruction_queued_at"]),
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


class ImageTag(models.Model):
    """A pupil who appears in an image. ``source`` says whether a person tagged them, the face matcher did,
    or a person confirmed the matcher's proposal; every change is recorded in the audit trail. Tags are
    made only through ``images.service.tag``."""

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

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["image", "channel"])]


def _prepared_path(request, filename):
    return f"images/{request.school_id}/prepared/{uuid.uuid4().hex}.mp4"


class PublicationRequest(models.Model):
    """One go at publishing a copy of an image (§5): every face found in it (looked for by the worker when
    faces are to be blurred), what the rules decided and, where they ask for it, senior management's
    approval. The publication is made from it, through ``images.publishing.publish``."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Being checked"
        READY = "ready", "Ready to publish"
        NEEDS_APPROVAL = "approval", "Needs senior management's approval"
        WAITING = "waiting", "Waiting for senior management"
        DECLINED = "declined", "Not approved"
        REFUSED = "refused", "Refused"
        PUBLISHED = "published", "Published"
        FAILED = "failed", "Stopped with a problem"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="publication_requests")
    channel = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="+")
    where = models.CharField(max_length=300)
    blur_faces = models.BooleanField(default=True)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    # Every face found: [{"box": [l, t, w, h], "pupil": id or None, "why": "consent" | "no_consent" |
    # "unknown", "blurred": bool}] — ids only; names are looked up when the page is shown.
    faces = models.JSONField(default=list, blank=True)
    # Tagged pupils whose face was not located in the photo.
    unlocated = models.JSONField(default=list, blank=True)
    # Why it was refused, or what senior management is asked to approve: [[text, clause], ...].
    reasons = models.JSONField(default=list, blank=True)
    problem = models.CharField(max_length=300, blank=True)
    # A video's copy, re-encoded by the worker while the request is checked (minutes for a long video: never
    # in a web request); publishing then only registers it. Deleted once published or not approved.
    prepared = models.FileField(upload_to=_prepared_path, max_length=200, blank=True)
    asked_at = models.DateTimeField(null=True, blank=True)  # the publisher confirmed and asked for approval
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    publication = models.OneToOneField(
        Publication, null=True, blank=True, on_delete=models.SET_NULL, related_name="request"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return f"Publication request {self.pk}"

    @property
    def reasons_given(self) -> list[Reason]:
        return [Reason(text, section) for text, section in self.reasons]


class PublicationPupil(models.Model):
    """Who was in the image when it was published (and anyone tagged since): takedowns are raised from
    these, so removing a tag or destroying the original never hides a live publication."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="pupils")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="+")

    class Meta:
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

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "publication", "pupil"], name="unique_takedown")
        ]
        # (publication, pupil): "already raised?" stays fast however many takedowns a pupil has had.
        indexes = [models.Index(fields=["school", "done_at"]), models.Index(fields=["publication", "pupil"])]


class PendingDeletion(models.Model):
    """A stored file that must go (a destroyed image, a copy taken down) but whose deletion failed, e.g. the
    S3 server was unreachable. The daily job retries until storage confirms it is gone."""

    name = models.CharField(max_length=200, unique=True)
    since = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)


class Destruction(models.Model):
    """What was destroyed, when and by whom — never the image itself (§5: kept only as long as needed)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    image_ref = models.PositiveBigIntegerField()
    activity = models.ForeignKey(Activity, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=5)
    sha256 = models.CharField(max_length=64)
    captured_on = models.DateField()
    kept_until = models.DateField()
    queued_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-destroyed_at", "-pk"]


class FaceTemplate(models.Model):
    """A pupil's face as numbers, for matching in school photos (§5; biometric data): made only with
    biometric consent, stored encrypted (``vector`` and the small ``reference`` crop are Fernet tokens),
    never exported, erased when consent goes or the pupil leaves (``images.biometrics``)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="face_templates")
    vector = models.BinaryField()
    reference = models.BinaryField()
    source_sha256 = models.CharField(max_length=64, blank=True)  # of the photo it was made from: never twice
    model_version = models.CharField(max_length=40)
    enrolled_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    enrolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
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
        ordering = ["image_id", "left"]
        indexes = [models.Index(fields=["school", "verdict", "decision"])]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.width, self.height)
