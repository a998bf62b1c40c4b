"""§1–2 and §7: the school's policies (the online-safety guidance, the code of conduct, the acceptable-use
policy), each version and its sections, the questions staff answer, and who read and accepted which version."""

from django.conf import settings
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from simple_history.models import HistoricalRecords

from saferstaff.audit.log import record
from saferstaff.audit.models import AppendOnlyModel
from saferstaff.policies.diff import compare

# Sent when a version is published (``version=``), inside the transaction that publishes it: "Ask the policy"
# indexes the version (``policies.search``, connected in PoliciesConfig.ready; it imports these models).
version_published = Signal()


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
    history = HistoricalRecords(table_name="policy_historicalpolicy")

    class Meta:
        db_table = "policy_policy"  # kept from before the rooms moved (ADR 0007)
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
    history = HistoricalRecords(table_name="policy_historicalpolicyversion")

    class Meta:
        db_table = "policy_policyversion"  # kept from before the rooms moved (ADR 0007)
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "policy", "number"], name="unique_policy_version")
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_published(self) -> bool:
        """The version in force (not a draft, not archived)."""
        return self.status == self.Status.PUBLISHED

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
            version_published.send(sender=PolicyVersion, version=self)


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
        db_table = "policy_policysection"  # kept from before the rooms moved (ADR 0007)
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
        db_table = "policy_quizquestion"  # kept from before the rooms moved (ADR 0007)
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["school", "version", "position"], name="unique_quiz_position")
        ]

    def __str__(self) -> str:
        return self.text


# --- Read and accept ---------------------------------------------------------------------------------------
# Read-and-accept of every policy version (seed §2: staff must understand and adhere to the guidance, the
# code of conduct and the Internet acceptable use policy; §7). A row is never changed: accepting a new version
# adds one, so the record shows who accepted which text, when.


def evidence_path(instance, filename: str) -> str:
    # ``filename`` is already saferstaff.scans.stored_name(): random, with the extension of the sniffed type.
    return f"schools/{instance.school_id}/acceptances/{filename}"


class Acceptance(AppendOnlyModel):
    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"  # only for optional policies, with a reason

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "policies.PolicyVersion", on_delete=models.PROTECT, related_name="acceptances"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="acceptances")
    typed_name = models.CharField(max_length=200)
    accepted_at = models.DateTimeField(default=timezone.now)
    # The version's text as it was read: a later edit of the stored text could not pass for it.
    text_sha256 = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ACCEPTED)
    decline_reason = models.TextField(blank=True)
    # Recorded by the Headteacher for someone else (e.g. a volunteer's signed paper form).
    on_behalf_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    evidence = models.FileField(upload_to=evidence_path, blank=True)

    class Meta:
        db_table = "acknowledgements_acceptance"  # kept from before the rooms moved (ADR 0007)
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["school", "user"])]
        constraints = [
            # One acceptance (and at most one decline) per person and version: a resubmitted form, the Back
            # button or a second paper form cannot record the same thing twice (``status.accept`` returns
            # the row already there).
            models.UniqueConstraint(
                fields=["school", "version", "user", "outcome"], name="one_outcome_per_person_and_version"
            )
        ]


class Reminder(models.Model):
    """One reminder or escalation sent, so the daily run never sends the same one twice."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "Reminder to accept"
        ESCALATION = "escalation", "Line manager told"
        REVIEW = "review", "Review date coming up"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("policies.PolicyVersion", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "schools.Membership", null=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    day_mark = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "acknowledgements_reminder"  # kept from before the rooms moved (ADR 0007)
        constraints = [
            models.UniqueConstraint(
                fields=["school", "version", "membership", "kind", "day_mark"], name="unique_reminder"
            ),
            # A reminder to the school as a whole (the review date) has no membership, and NULLs never clash
            # in a unique constraint: this one makes it once per version and date, race-free, too.
            models.UniqueConstraint(
                fields=["school", "version", "kind", "day_mark"],
                condition=models.Q(membership__isnull=True),
                name="unique_school_reminder",
            ),
        ]
