"""§9: incidents and cyberbullying reported to the designated person, with evidence kept intact; KCSIE Part 4:
allegations about staff, a narrower tier. Every write goes through a door in ``incidents.services`` that asks its
rule (``rules.incidents``); a case is read only by the people the rules name (``incidents.access``)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from saferstaff.audit.models import AppendOnlyModel

USER = settings.AUTH_USER_MODEL


class Case(models.Model):
    """One report and the casework on it."""

    class Kind(models.TextChoices):
        BULLYING_OF_STAFF = "bullying", "Cyberbullying or harassment of staff"
        PUPILS_ONLINE = "pupils", "An online-safety incident involving pupils"
        BREACH = "breach", "A breach of the guidance"
        ALLEGATION = "allegation", "An allegation about a member of staff"

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    happened_on = models.DateField()
    what_happened = models.TextField(max_length=5000)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.NEW)
    # Allegations: read by the case manager — the Headteacher, or the chair of governors when it is about the
    # Headteacher (rules.conduct.route_for decides, once, and it is kept here).
    routed_to = models.CharField(max_length=12, default="designated")
    closed_reason = models.TextField(max_length=2000, blank=True)
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        indexes = [models.Index(fields=["school", "status"]), models.Index(fields=["school", "kind"])]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    @property
    def is_allegation(self) -> bool:
        return self.kind == self.Kind.ALLEGATION

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class CaseMember(models.Model):
    """Need to know (§8, §9): a member of staff a designated person has added to a case, who may then read it."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey("schools.Membership", on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField("Why they need to know", max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "case", "member"], name="one_case_member")]


def _evidence_path(item, filename):
    return f"evidence/{item.school_id}/{uuid.uuid4().hex}"


class Evidence(AppendOnlyModel):
    """One item of evidence, kept exactly as received: hashed (SHA-256) on receipt, stored once under a name
    nobody chooses, never changed or deleted; every download re-hashes it (``services.open_evidence``). Sealing
    it from view is a separate row (``EvidenceSeal``), so the item itself is never touched."""

    class Kind(models.TextChoices):
        FILE = "file", "File or screenshot"
        EMAIL = "email", "Email (.eml)"
        PAGE = "page", "Web page captured by its address"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    stored = models.FileField(upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)  # sniffed from the bytes, never taken from the sender
    extension = models.CharField(max_length=10)  # from the sniffed type: what a download is named with
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    source_url = models.URLField(max_length=2000, blank=True)  # for a captured page
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        indexes = [models.Index(fields=["school", "case"])]

    def __str__(self) -> str:
        return f"Evidence {self.pk}"

    @property
    def is_sealed(self) -> bool:
        return self.seals.exists()


class EvidenceSeal(AppendOnlyModel):
    """The designated person seals an item from view, with a reason (it stays in the vault, intact)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="seals")
    reason = models.CharField(max_length=500)
    sealed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "evidence"], name="one_seal_per_item")]
