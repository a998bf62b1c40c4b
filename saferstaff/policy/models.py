from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from simple_history.models import HistoricalRecords

from saferstaff.audit.log import record
from saferstaff.numbers import parse_int
from saferstaff.policy.diff import compare


class SchoolSettings(models.Model):
    """The handful of settings the school's rules read. Defaults follow the seed guidance."""

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="policy_settings")
    # §5: "images ... should only be held for 2 years".
    image_retention_months = models.PositiveSmallIntegerField(
        default=24,
        help_text="How long images of pupils are kept after they are taken (§5 recommends 2 years).",
    )
    # §5: publicity use needs the age-appropriate consent of the pupil as well as the guardians.
    pupil_voice_age = models.PositiveSmallIntegerField(
        default=12, help_text="From this age a pupil's own view on images of them counts too (§5)."
    )
    # §2: staff are chased until they accept: reminders this many days after publication, then their line
    # manager is told.
    reminder_days = models.CharField(
        max_length=40, default="3,7,14", help_text="Days after publication to remind, e.g. 3,7,14"
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days after publication to tell the line manager"
    )
    # §5 face matching: similarity from which a match is tagged automatically / goes to review. Set by
    # `saferstaff calibrate_faces` from the school's own consented photos.
    face_auto_threshold = models.FloatField(default=0.55)
    face_review_threshold = models.FloatField(default=0.40)
    # §5: a pupil whose consent for a channel is not given is not published there, blurred or not. A school
    # may allow publishing with that pupil's face blurred; each time, senior management approves it.
    publish_blurred_without_consent = models.BooleanField(
        default=False,
        help_text="When a photo shows a pupil without consent for where it is published, allow it with their "
        "face blurred, each time approved by the Headteacher or a senior leader (§5)",
    )
    # §4 "Personal profiles ... should not identify your employer": other names the school goes by, one per
    # line, for the draft checker (short forms and the acronym are worked out from the school's name).
    name_aliases = models.TextField(blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "school settings"

    @property
    def aliases(self) -> list[str]:
        return [line.strip() for line in self.name_aliases.splitlines() if line.strip()]

    @property
    def reminder_marks(self) -> list[int]:
        days = (parse_int(part.strip()) for part in self.reminder_days.split(","))
        return sorted({day for day in days if day is not None})

    @classmethod
    def for_school(cls, school) -> "SchoolSettings":
        obj, _ = cls.objects.get_or_create(school=school)
        return obj


class PolicyKind(models.TextChoices):
    # §2: staff must understand and adhere to this guidance, the code of conduct and the Internet AUP.
    ONLINE_SAFETY = "online_safety", "Online safety and social media guidance"
    CODE_OF_CONDUCT = "code_of_conduct", "Code of conduct"
    ACCEPTABLE_USE = "acceptable_use", "Internet acceptable use policy"
    OTHER = "other", "Other policy"


class Policy(models.Model):
    """One of the school's policy documents; its text lives in numbered versions."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="policies")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PolicyKind.choices, default=PolicyKind.OTHER)
    # §2: staff must read and accept it. A compulsory policy blocks the rest of saferstaff until accepted.
    compulsory = models.BooleanField(default=True)
    # Who must read it: empty lists mean everyone (every role, every kind of employment).
    audience_roles = models.JSONField(default=list, blank=True)
    audience_employment = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "policies"
        constraints = [models.UniqueConstraint(fields=["school", "title"], name="unique_policy_title")]

    def __str__(self) -> str:
        return self.title

    def is_for(self, membership) -> bool:
        """Whether the member is in this policy's audience (by any of their roles and their employment)."""
        return in_audience(self, membership.roles, membership.employment_type)


def in_audience(policy, roles, employment_type: str) -> bool:
    """THE audience test, for a Policy or anything with its two audience lists (the trust page reads them as
    plain tuples): empty lists mean everyone; otherwise any of the roles, and the kind of employment."""
    if policy.audience_roles and not set(policy.audience_roles) & set(roles):
        return False
    return not policy.audience_employment or employment_type in policy.audience_employment


class PolicyVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    source_filename = models.CharField(max_length=200, blank=True)
    text_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A minor change (a typo) keeps the acceptances of the version before; anything else must be accepted again.
    minor_change = models.BooleanField(default=False)
    review_date = models.DateField(null=True, blank=True, help_text="When the school will next review it")
    # What changed, in the publisher's words: shown on "What changed" (and needed when staff must accept a
    # version whose text is the same as the one before it).
    change_note = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "policy", "number"], name="unique_policy_version")
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"

    def previous(self) -> "PolicyVersion | None":
        return (
            PolicyVersion.objects.filter(policy_id=self.policy_id, number__lt=self.number)
            .order_by("-number")
            .first()
        )

    def in_force(self) -> "PolicyVersion | None":
        """The policy's published version (None before its first publication)."""
        return PolicyVersion.objects.filter(policy_id=self.policy_id, status=self.Status.PUBLISHED).first()

    def same_text_as(self, other: "PolicyVersion | None") -> bool:
        """Whether staff would find nothing changed: the same sections, titles and text."""
        if other is None:
            return False
        return not [c for c in compare(other.sections.all(), self.sections.all()) if c.kind != "unchanged"]

    def set_review_date(self, review_date, *, by) -> None:
        """Move the date the school will next review this version (audited: the governors' report prints it)."""
        before = self.review_date
        with transaction.atomic():
            self.review_date = review_date
            self.save(update_fields=["review_date"])
            record(
                "policy.review_date_changed",
                self,
                actor=by,
                detail={"from": before.isoformat() if before else None, "to": review_date.isoformat()},
            )

    def publish(self, *, by, minor_change: bool = False, review_date=None, change_note: str = "") -> None:
        """Publish this draft; the version it replaces is archived. Callers go through
        ``service.publish_version`` (which asks ``rules.may_publish``) or ``service.publish_to_trust``."""
        with transaction.atomic():
            PolicyVersion.objects.filter(policy_id=self.policy_id, status=self.Status.PUBLISHED).update(
                status=self.Status.ARCHIVED
            )
            self.status = self.Status.PUBLISHED
            self.published_at = timezone.now()
            self.published_by = by
            self.minor_change = minor_change
            self.review_date = review_date
            self.change_note = change_note.strip()
            self.save()
            from saferstaff.policy.search import index_version

            transaction.on_commit(lambda: index_version.enqueue(self.pk))  # "Ask the policy" reads it


class PolicySection(models.Model):
    """A numbered section of one version. Its ``anchor`` is stable, so any page can cite and link "§5"."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    number = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=300)
    level = models.PositiveSmallIntegerField(default=1)
    anchor = models.SlugField(max_length=60)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["school", "version", "anchor"], name="unique_section_anchor")
        ]

    def __str__(self) -> str:
        return f"§{self.number} {self.title}" if self.number else self.title


class QuizQuestion(models.Model):
    """A question the school asks to check understanding before a version can be accepted (§2: staff must
    *understand* the guidance). Written while the version is a draft; fixed once it is published."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    answers = models.JSONField()  # list of answer texts
    correct = models.PositiveSmallIntegerField()  # index into answers
    section = models.CharField(max_length=20, blank=True, help_text="The section that answers it, e.g. 4")

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["school", "version", "position"], name="unique_quiz_position")
        ]

    def __str__(self) -> str:
        return self.text


class SavedCheck(models.Model):
    """A draft checked before posting (§4) that its author chose to keep. Drafts not saved are never stored;
    saved ones are deleted after ``KEEP_DAYS`` (``saferstaff run_daily``): a draft may name a child."""

    KEEP_DAYS = 90

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    form = models.CharField(max_length=4, default="post")  # post or bio
    text = models.TextField()
    verdict = models.CharField(max_length=6)
    findings = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "author", "-created_at"])]


def delete_old_saved_checks() -> int:
    """Daily: saved checks older than ``SavedCheck.KEEP_DAYS`` are deleted (a count in the audit trail)."""
    import datetime

    from saferstaff.audit.log import record

    cutoff = timezone.now() - datetime.timedelta(days=SavedCheck.KEEP_DAYS)
    expired = SavedCheck.objects.filter(created_at__lt=cutoff)
    total = 0
    for school_id in set(expired.values_list("school_id", flat=True)):
        deleted, _ = expired.filter(school_id=school_id).delete()
        record(
            "drafts.saved_checks_expired",
            ("schools.school", school_id),
            school=school_id,
            detail={"deleted": deleted},
        )
        total += deleted
    return total
