"""§3, §4 and §6 of the guidance, and KCSIE Part 4 on concerns about staff: the records of contact with
pupils, of permissions to contact them or to use personal equipment, and of low-level concerns.

Every write goes through a door in ``conduct.services`` that asks its rule (``rules.conduct``). Disclosures
and concerns are special records: only the people the rules name read them (``conduct.access``)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class ContactChannel(models.Model):
    """A platform or way of being in touch (Instagram, a gaming site, the school's messaging app, a phone call).
    The school's list starts with SEED_CHANNELS and the school can add to it."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="contact_channels")
    name = models.CharField(max_length=80)
    # §4: contact with pupils on social media needs the Headteacher's prior permission.
    is_social_media = models.BooleanField(default=False)
    # A channel the school runs (its messaging platform, the school phone): offered for contact permissions.
    run_by_school = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="unique_contact_channel")]

    def __str__(self) -> str:
        return self.name


# (name, social media, run by the school)
SEED_CHANNELS = [
    ("Instagram", True, False),
    ("Snapchat", True, False),
    ("TikTok", True, False),
    ("Facebook", True, False),
    ("WhatsApp", True, False),
    ("X (Twitter)", True, False),
    ("YouTube", True, False),
    ("Online gaming (e.g. Roblox, Fortnite, Minecraft)", True, False),
    ("Text message or phone call", False, False),
    ("Personal email", False, False),
    ("Met in person outside school (a club, a shop, an event)", False, False),
    ("The school's messaging platform", False, True),
    ("The school's email", False, True),
    ("A school phone (e.g. on a trip or residential)", False, True),
    ("A class blog or learning platform", False, True),
    ("The school's social media accounts", True, True),
    ("Something else", False, False),
]


def seed_channels(school) -> None:
    for position, (name, social, school_run) in enumerate(SEED_CHANNELS):
        ContactChannel.objects.get_or_create(
            school=school,
            name=name,
            defaults={"is_social_media": social, "run_by_school": school_run, "position": position},
        )


class RoutedTo(models.TextChoices):
    """Who reads a disclosure or concern: the Headteacher, or the chair of governors when it is about the
    Headteacher (KCSIE Part 4)."""

    HEADTEACHER = "headteacher", "The Headteacher"
    CHAIR = "chair", "The chair of governors"


class Disclosure(models.Model):
    """§3/§4: contact with a pupil (or their family) that happened coincidentally, told to the Headteacher
    at once. Written by its discloser; once the Headteacher records an outcome it is never changed."""

    class Who(models.TextChoices):
        PUPIL = "pupil", "A pupil at this school"
        THINK_PUPIL = "think_pupil", "Someone I think is a pupil"
        FAMILY = "family", "A pupil's family member"

    class Did(models.TextChoices):
        DECLINED = "declined", "Declined or ignored the request"
        BLOCKED = "blocked", "Blocked them"
        ENDED = "ended", "Ended the friendship or unfollowed"
        REPLIED = "replied", "Replied briefly to end the contact"
        TOLD_PARENT = "told_parent", "Told a parent or carer"
        REPORTED = "reported", "Reported it to the platform"
        NOTHING_YET = "nothing_yet", "Nothing yet — I want advice"

    class Outcome(models.TextChoices):
        ADVICE = "advice", "Advice given"
        NO_ACTION = "no_action", "No further action"
        CONCERN = "concern", "Recorded as a low-level concern"
        DSL = "dsl", "Referred to the designated safeguarding lead"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    discloser = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    who = models.CharField(max_length=12, choices=Who.choices)
    pupil = models.ForeignKey(
        "schools.Pupil", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    who_text = models.CharField("Who they are", max_length=200, blank=True)
    channel = models.ForeignKey(ContactChannel, on_delete=models.PROTECT, related_name="+")
    happened_on = models.DateField()
    what_happened = models.TextField(max_length=2000)
    did = models.JSONField(default=list)  # Did codes
    did_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    routed_to = models.CharField(max_length=12, choices=RoutedTo.choices, default=RoutedTo.HEADTEACHER)
    # The form's own number (a hidden field): the same form sent twice (a double click, a browser resending
    # after a dropped connection) is one disclosure (``services.disclose``).
    submission = models.UUIDField(null=True, blank=True, editable=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(max_length=2000, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    concern = models.ForeignKey(
        "LowLevelConcern", null=True, blank=True, on_delete=models.SET_NULL, related_name="disclosures"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "outcome"]), models.Index(fields=["school", "discloser"])]
        constraints = [
            models.UniqueConstraint(fields=["school", "submission"], name="unique_disclosure_submission")
        ]

    def __str__(self) -> str:
        return f"Disclosure {self.pk}"

    @property
    def is_decided(self) -> bool:
        return bool(self.outcome)

    def did_labels(self) -> list[str]:
        return [str(self.Did(code).label) for code in self.did if code in self.Did.values]


class Decided(models.TextChoices):
    REQUESTED = "requested", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Not approved"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Permission(models.Model):
    """What a permission to contact pupils and a permission to use personal equipment share: who asked, for
    when, and who decided."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    purpose = models.CharField(max_length=300)
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=Decided.choices, default=Decided.REQUESTED)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    # Who decides (ROUTED_TO): senior leadership, the Headteacher, or the chair of governors.
    routed_to = models.CharField(max_length=12, default="senior")
    reason = models.CharField(max_length=500, blank=True)  # why it was refused (required) or a note

    class Meta:
        abstract = True
        ordering = ["-requested_at", "-pk"]

    @property
    def is_requested(self) -> bool:
        return self.status == Decided.REQUESTED

    def is_current(self, on: datetime.date | None = None) -> bool:
        """Approved and in force on ``on`` (today): what the registers show."""
        on = on or timezone.localdate()
        return self.status == Decided.APPROVED and self.starts_on <= on <= self.ends_on

    @property
    def state_label(self) -> str:
        if self.status == Decided.APPROVED:
            today = timezone.localdate()
            if self.ends_on < today:
                return "Expired"
            if self.starts_on > today:
                return "Approved (not started yet)"
        return self.get_status_display()


class ContactPermission(Permission):
    """§3/§4: permission to contact pupils through a channel, for a purpose, a group of pupils and a time."""

    channel = models.ForeignKey(ContactChannel, on_delete=models.PROTECT, related_name="+")
    # Who the contact is with: year groups (as the roster spells them), a named group, and/or named pupils.
    year_groups = models.JSONField(default=list, blank=True)
    group_name = models.CharField("Class, club or group", max_length=120, blank=True)
    pupils = models.ManyToManyField("schools.Pupil", through="ContactPermissionPupil", related_name="+")

    class Meta(Permission.Meta):
        indexes = [models.Index(fields=["school", "status", "ends_on"])]

    def __str__(self) -> str:
        return f"Contact permission {self.pk}"


class ContactPermissionPupil(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    permission = models.ForeignKey(ContactPermission, on_delete=models.CASCADE)
    pupil = models.ForeignKey("schools.Pupil", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "permission", "pupil"], name="unique_contact_pupil")
        ]


class EquipmentPermission(Permission):
    """§6: permission to use a personal device that records images or sound or reaches the internet in work
    time. §5: personal equipment is never used to record images of pupils."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Mobile phone"
        TABLET = "tablet", "Tablet"
        WATCH = "watch", "Smartwatch"
        CAMERA = "camera", "Camera"
        LAPTOP = "laptop", "Laptop"
        OTHER = "other", "Something else"

    class Condition(models.TextChoices):
        CALLS_ONLY = "calls_only", "Calls and messages only"
        NO_PHOTOS = "no_photos", "No photographs or recordings"
        NO_INTERNET = "no_internet", "No internet use"
        OUT_OF_SIGHT = "out_of_sight", "Used out of sight of pupils"

    device_kind = models.CharField(max_length=8, choices=Kind.choices)
    # As the device names itself (its settings, or the camera details in its photos): "Apple iPhone 13".
    make_model = models.CharField("Make and model", max_length=120, blank=True)
    conditions = models.JSONField(default=list, blank=True)  # Condition codes
    conditions_note = models.CharField(max_length=300, blank=True)

    class Meta(Permission.Meta):
        indexes = [models.Index(fields=["school", "status", "ends_on"])]

    def __str__(self) -> str:
        return f"Equipment permission {self.pk}"

    def condition_labels(self) -> list[str]:
        labels = [str(self.Condition(c).label) for c in self.conditions if c in self.Condition.values]
        return labels + ([self.conditions_note] if self.conditions_note else [])

    @property
    def forbids_photos(self) -> bool:
        """Do its conditions rule out taking photographs? (§5 rules it out for pupils in any case.)"""
        return bool({self.Condition.CALLS_ONLY, self.Condition.NO_PHOTOS} & set(self.conditions))


class LowLevelConcern(models.Model):
    """KCSIE Part 4: a concern about a member of staff below the harm threshold — conduct inconsistent with
    the guidance, however small. Read only by the Headteacher (the chair of governors when it is about the
    Headteacher); never by its subject, by any page or URL."""

    class Outcome(models.TextChoices):
        ADVICE = "advice", "Conversation and advice"
        TRAINING = "training", "Support or training"
        NO_ACTION = "no_action", "No further action"
        ESCALATED = "escalated", "Escalated to the allegations process"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey("schools.Membership", on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    # Whether the subject may be told who raised it (never hides the raiser from the person who reads it).
    anonymous_to_subject = models.BooleanField(default=True)
    happened_on = models.DateField()
    what = models.TextField(max_length=3000)
    created_at = models.DateTimeField(default=timezone.now)
    routed_to = models.CharField(max_length=12, choices=RoutedTo.choices, default=RoutedTo.HEADTEACHER)
    rationale = models.TextField("Why it is a low-level concern", max_length=2000, blank=True)
    action = models.TextField("Action taken", max_length=2000, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    escalated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "subject", "created_at"])]

    def __str__(self) -> str:
        return f"Low-level concern {self.pk}"

    @property
    def is_decided(self) -> bool:
        return bool(self.outcome)
