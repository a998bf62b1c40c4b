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
    """One report and the casework on it. Allegations about staff (KCSIE Part 4) are the same record in a
    narrower tier: read by their case manager (``routed_to``), never by their subject."""

    class Kind(models.TextChoices):
        BULLYING_OF_STAFF = "bullying", "Cyberbullying or harassment of me or a colleague"
        PUPILS_ONLINE = "pupils", "An online-safety incident involving pupils"
        BREACH = "breach", "A breach of the online-safety guidance"
        ALLEGATION = "allegation", "An allegation about a member of staff"

    class By(models.TextChoices):
        PUPILS = "pupils", "Pupils"
        PARENTS = "parents", "Parents or carers"
        PUBLIC = "public", "Members of the public"
        STAFF = "staff", "Staff"
        UNKNOWN = "unknown", "I don't know"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SOCIAL = "social", "Social media"
        MESSAGING = "messaging", "Messaging apps"
        PHONE = "phone", "Phone calls or texts"
        IMPERSONATION = "impersonation", "Someone pretending to be me or the school"
        DOCTORED = "doctored", "Doctored or faked images"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        NEW = "new", "New: waiting for triage"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Route(models.TextChoices):
        DESIGNATED = "designated", "The designated persons"
        HEADTEACHER = "headteacher", "The Headteacher (case manager)"
        CHAIR = "chair", "The chair of governors (case manager)"

    class Outcome(models.TextChoices):
        """KCSIE Part 4's words for how an allegation ends; other cases record a written outcome only."""

        SUBSTANTIATED = "substantiated", "Substantiated"
        MALICIOUS = "malicious", "Malicious"
        FALSE = "false", "False"
        UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
        UNFOUNDED = "unfounded", "Unfounded"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    by_whom = models.CharField("Who did it", max_length=8, choices=By.choices, blank=True)
    channel = models.CharField("How", max_length=14, choices=Channel.choices, blank=True)
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)
    happened_on = models.DateField()
    what_happened = models.TextField(max_length=5000)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.NEW)
    # Allegations: the member of staff it is about (never a reader of it) and who manages it — the Headteacher,
    # or the chair of governors when it is about the Headteacher (rules.conduct.route_for decides, once).
    subject = models.ForeignKey(
        "schools.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routed_to = models.CharField(max_length=12, choices=Route.choices, default=Route.DESIGNATED)
    from_concern = models.OneToOneField(
        "conduct.LowLevelConcern", null=True, blank=True, on_delete=models.PROTECT, related_name="allegation"
    )
    lado_due = models.DateTimeField(null=True, blank=True)  # KCSIE: referred within one working day
    # Triage by a designated person (or the case manager).
    risk = models.CharField(max_length=6, choices=Risk.choices, blank=True)
    assigned_to = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triaged_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=15, choices=Outcome.choices, blank=True)
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


class Capture(models.Model):
    """A page someone asked the server to capture by its address: queued in a request, fetched by the worker
    (``incidents.tasks.capture_page``), which either keeps it as evidence or records why it could not."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to be captured"
        KEPT = "kept", "Captured and kept"
        REFUSED = "refused", "Could not be captured"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="captures")
    url = models.URLField(max_length=2000)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=7, choices=State.choices, default=State.WAITING)
    problem = models.CharField(max_length=300, blank=True)
    evidence = models.OneToOneField(
        Evidence, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "pk"]


class EvidenceSeal(AppendOnlyModel):
    """The designated person seals an item from view, with a reason (it stays in the vault, intact)."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="seals")
    reason = models.CharField(max_length=500)
    sealed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "evidence"], name="one_seal_per_item")]


class Involved(models.Model):
    """Who a case involves: a member of staff, a pupil, or someone outside school described in words — linked
    records, not initials (§9)."""

    class Role(models.TextChoices):
        TARGET = "target", "Targeted"
        ALLEGED = "alleged", "Said to have done it"
        WITNESS = "witness", "Witness"
        OTHER = "other", "Otherwise involved"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="involved")
    role = models.CharField(max_length=8, choices=Role.choices)
    member = models.ForeignKey(
        "schools.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pupil = models.ForeignKey(
        "schools.Pupil", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outsider = models.CharField("Someone outside school", max_length=300, blank=True)
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "pk"]
        indexes = [models.Index(fields=["school", "member"]), models.Index(fields=["school", "pupil"])]
        constraints = [
            models.CheckConstraint(
                name="involved_is_one_person",
                condition=(
                    models.Q(member__isnull=False, pupil__isnull=True, outsider="")
                    | models.Q(member__isnull=True, pupil__isnull=False, outsider="")
                    | (models.Q(member__isnull=True, pupil__isnull=True) & ~models.Q(outsider=""))
                ),
            )
        ]


class Action(models.Model):
    """Something to be done on a case, by someone, by a date. It stays on their list until it is done."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    what = models.CharField(max_length=300)
    owner = models.ForeignKey("schools.Membership", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.CharField("What was done", max_length=500, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["school", "owner", "done_at"])]


class Note(AppendOnlyModel):
    """A note on a case. Only its author changes it, and a change is a new note that ``replaces`` the old one,
    so what was written first is never lost."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=5000)
    written_at = models.DateTimeField(default=timezone.now)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )

    class Meta:
        ordering = ["written_at", "pk"]


class Contact(models.Model):
    """A step taken outside the case: the platform told, the police, the Local Authority (LADO), parents,
    support offered to the person targeted, a disciplinary referral. One record, its labels by ``kind``
    (``CONTACT_FIELDS``): the reports and the LADO clock read ``kind`` and ``made_at``."""

    class Kind(models.TextChoices):
        PLATFORM = "platform", "Reported to the platform"
        POLICE = "police", "Reported to the police"
        LADO = "lado", "Referred to the Local Authority (LADO)"
        LA = "la", "Told the Local Authority"
        PARENTS = "parents", "Contact with parents or carers"
        SUPPORT = "support", "Support offered to the person targeted"
        DISCIPLINARY = "disciplinary", "Disciplinary referral"

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    made_at = models.DateTimeField()
    with_whom = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)
    detail = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["made_at", "pk"]
        indexes = [models.Index(fields=["school", "kind"])]


# What each kind of contact calls its three fields (with_whom, reference, detail), on forms and in the chronology.
CONTACT_FIELDS = {
    Contact.Kind.PLATFORM: ("Which platform", "The platform's reference", "What was reported"),
    Contact.Kind.POLICE: ("Police force", "Crime reference number", "What the police said"),
    Contact.Kind.LADO: ("Local Authority", "LADO reference", "The LADO's advice"),
    Contact.Kind.LA: ("Local Authority", "Reference", "What was said"),
    Contact.Kind.PARENTS: ("Which parent or carer", "", "What was said"),
    Contact.Kind.SUPPORT: ("Support offered by", "", "What was offered, and whether it was taken up"),
    Contact.Kind.DISCIPLINARY: ("Referred to", "Reference", "Outcome"),
}
