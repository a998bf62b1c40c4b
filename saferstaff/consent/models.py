"""§5: the uses images of pupils are put to, and consent to them. Consent is never typed over: every
answer is a new ``ConsentRecord`` and the current state for a pupil and a purpose is derived from them
(``consent.states``)."""

import datetime
import uuid

from django.conf import settings
from django.core import signing
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from saferstaff.audit.models import AppendOnlyModel

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
    history = HistoricalRecords(table_name="images_historicalpurpose")

    class Meta:
        db_table = "images_purpose"  # kept from before the rooms moved (ADR 0007)
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["school", "code"], name="unique_purpose_code")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.code:  # a use the school adds itself: a code from its name, last in the list
            base = slugify(self.name)[:30] or "use"
            taken = set(Purpose.objects.filter(school_id=self.school_id).values_list("code", flat=True))
            code, n = base, 1
            while code in taken:
                n += 1
                code = f"{base}-{n}"
            self.code = code
            self.position = Purpose.objects.filter(school_id=self.school_id).count()
        super().save(*args, **kwargs)


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


class ConsentRecord(AppendOnlyModel):
    """One answer, as given. The latest answer from each source counts; see ``consent.states``."""

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
        db_table = "images_consentrecord"  # kept from before the rooms moved (ADR 0007)
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["school", "pupil", "purpose", "recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(source="guardian", guardian__isnull=False) | ~Q(source="guardian"),
                name="guardian_answer_names_guardian",
            )
        ]

    @property
    def from_guardian(self) -> bool:
        return self.source == self.Source.GUARDIAN

    @property
    def from_senior_management(self) -> bool:
        return self.source == self.Source.SENIOR_LEADER

    @property
    def through_portal(self) -> bool:
        return self.method == self.Method.PORTAL


# A signing salt, not a module path: links already sent stay valid only while it stays as first written.
PORTAL_SALT = "saferstaff.images.portal"


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
        db_table = "images_portallink"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["school", "guardian"])]

    def url(self) -> str:
        """The address the guardian opens: a signed token carrying this row's id and nonce
        (``consent.services.open_portal_link`` checks it)."""
        token = signing.dumps({"l": self.pk, "n": self.nonce.hex}, salt=PORTAL_SALT, compress=True)
        return settings.SITE_URL + reverse("portal", kwargs={"token": token})


class DecidedState(models.Model):
    """A pupil's consent state for one use as ``consent.states.decide`` last decided it, kept so that the count
    of consent across a school or a trust is a count of rows (ADR 0018). Only ``consent.decided.redecide``
    writes it, from ``decide``'s answer; every write that can change a decision calls it. The state holds for
    the dates from ``valid_from`` to ``valid_until`` (either open): outside them an answer lapses or the pupil
    reaches the age of their own say, and the row is decided again (daily, and live by the count meanwhile)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="+")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10)
    valid_from = models.DateField(null=True)
    valid_until = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "pupil", "purpose"], name="one_decided_state")
        ]
        indexes = [
            models.Index(fields=["school", "purpose", "status"]),
            # The states that no longer hold on a date (``consent.decided``: lapsed), found without a scan.
            models.Index(fields=["valid_until"], name="decided_state_until"),
            models.Index(fields=["valid_from"], name="decided_state_from"),
        ]
