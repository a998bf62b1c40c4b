"""§8 of the guidance: personal information is governed by UK GDPR and the Data Protection Act 2018; it is shared
only when lawful and in the child's interest, with those who need it; only the school's systems hold it.

The data-protection officer's records: what the school discloses outside itself (``Sharing``), subject access
requests (``AccessRequest`` with its pauses and its checklist), personal-data breaches (``Breach``), the school's
changes to the retention schedule (``RetentionRule``; the defaults live in ``privacy.schedule``), legal holds,
what is due for destruction (``DueRecord``) and what was destroyed (``DestructionCertificate``: never content).
Every write goes through a door in this room that asks its rule (``rules.privacy``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from saferstaff.audit.models import AppendOnlyModel

USER = settings.AUTH_USER_MODEL
SCHOOL = "schools.School"
MEMBER = "schools.Membership"
PUPIL = "schools.Pupil"


class LawfulBasis(models.TextChoices):
    """UK GDPR article 6(1)."""

    CONSENT = "consent", "Consent (art. 6(1)(a))"
    CONTRACT = "contract", "Contract (art. 6(1)(b))"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation (art. 6(1)(c))"
    VITAL_INTERESTS = "vital_interests", "Vital interests (art. 6(1)(d))"
    PUBLIC_TASK = "public_task", "Public task (art. 6(1)(e))"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests (art. 6(1)(f))"


class Sharing(models.Model):
    """One disclosure of personal data outside the school. Workflows that disclose (a police or LADO referral in
    an incident, a subject-access bundle, a pupil's record sent to a new school) open one prefilled, ``to
    complete``, for a person who knows why it was needed to finish."""

    class How(models.TextChoices):
        SECURE_EMAIL = "secure_email", "Secure email"
        PORTAL = "portal", "A secure portal or transfer system"
        IN_PERSON = "in_person", "In person"
        PHONE = "phone", "By phone"
        POST = "post", "By post (recorded delivery)"
        OTHER = "other", "Another way"

    class Source(models.TextChoices):
        BY_HAND = "hand", "Logged by hand"
        INCIDENT = "incident", "A referral recorded in an incident"
        ACCESS_REQUEST = "sar", "A subject-access bundle"
        PUPIL_RECORD = "ctf", "A pupil's record sent to a new school"

    class Status(models.TextChoices):
        TO_COMPLETE = "to_complete", "To complete"
        LOGGED = "logged", "Logged"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.LOGGED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.BY_HAND)
    source_ref = models.CharField(max_length=64, blank=True, help_text="The id of the record it came from")
    # The incident case a referral came from: an entry from an allegation is read as narrowly as the case.
    case = models.ForeignKey(
        "incidents.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField(default=timezone.now)
    recipient = models.CharField("To whom", max_length=200)
    organisation = models.CharField(max_length=200, blank=True)
    what = models.TextField("What data")
    about_pupils = models.ManyToManyField(PUPIL, blank=True, related_name="+")
    about_members = models.ManyToManyField(MEMBER, blank=True, related_name="+")
    about_others = models.CharField("About anyone else", max_length=300, blank=True)
    lawful_basis = models.CharField(max_length=24, choices=LawfulBasis.choices, blank=True)
    special_condition = models.CharField(
        "Condition for special category data",
        max_length=200,
        blank=True,
        help_text="UK GDPR art. 9; DPA 2018",
    )
    why = models.TextField("Why it was needed", blank=True)
    how = models.CharField("How it was sent", max_length=16, choices=How.choices, blank=True)
    approved_by = models.ForeignKey(MEMBER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    logged_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shared_at", "-pk"]
        indexes = [models.Index(fields=["school", "status"], name="privacy_sharing_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "source", "source_ref"],
                condition=~models.Q(source="hand"),
                name="privacy_one_sharing_per_source",
            )
        ]


class AccessRequest(models.Model):
    """A subject access request (UK GDPR art. 15). Due by the ICO's month (``clocks.due('sar', ...)``), moved by
    its pauses (waiting for identity or clarification) and an extension of up to two further months."""

    class Requester(models.TextChoices):
        GUARDIAN = "guardian", "A parent or carer, for their child"
        PUPIL = "pupil", "A pupil"
        FORMER_PUPIL = "former_pupil", "A former pupil"
        STAFF = "staff", "A member of staff"
        FORMER_STAFF = "former_staff", "A former member of staff"
        OTHER = "other", "Someone else (with the person's authority)"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAUSED = "paused", "Paused"
        ANSWERED = "answered", "Answered"
        REFUSED = "refused", "Refused (manifestly unfounded or excessive)"
        WITHDRAWN = "withdrawn", "Withdrawn"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    requester_kind = models.CharField("Who is asking", max_length=14, choices=Requester.choices)
    requester_name = models.CharField("Their name", max_length=200)
    requester_contact = models.CharField("How to reach them", max_length=300, blank=True)
    about_pupil = models.ForeignKey(PUPIL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    about_member = models.ForeignKey(
        MEMBER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Someone saferstaff has no record of (a former pupil who left long ago): the answer is that nothing is held.
    about_other = models.CharField("About someone not in saferstaff", max_length=200, blank=True)
    received_at = models.DateTimeField()
    what_asked = models.TextField("What they asked for", blank=True)
    identity_checked_at = models.DateTimeField(null=True, blank=True)
    identity_checked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    identity_how = models.CharField("How identity was checked", max_length=200, blank=True)
    extension_months = models.PositiveSmallIntegerField(default=0)
    extension_reason = models.TextField(blank=True)
    extension_told_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(help_text="Recomputed by the door on every pause, resume and extension")
    handled_by = models.ForeignKey(MEMBER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    logged_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["school", "status", "due_at"], name="privacy_sar_due")]

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.PAUSED)


class Pause(models.Model):
    """The clock of a request stops while the school waits for proof of identity or for clarification."""

    class Why(models.TextChoices):
        IDENTITY = "identity", "Waiting for proof of identity"
        CLARIFICATION = "clarification", "Waiting for clarification of what is asked"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="pauses")
    why = models.CharField(max_length=14, choices=Why.choices)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["started_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "request"],
                condition=models.Q(ended_on__isnull=True),
                name="privacy_one_open_pause",
            )
        ]


class Exemption(models.TextChoices):
    """Why something found for a subject access request is withheld or redacted (DPA 2018 Schedules 2–4)."""

    THIRD_PARTY = "third_party", "Another person's data, without their consent (Sch. 2 para. 16)"
    SERIOUS_HARM = "serious_harm", "Would likely cause serious harm (Sch. 3 Part 4, education data)"
    CHILD_ABUSE = "child_abuse", "Child abuse data not in the child's best interests (Sch. 3 para. 21)"
    CRIME = "crime", "Prevention or detection of crime (Sch. 2 para. 2)"
    LEGAL_PRIVILEGE = "legal_privilege", "Legal professional privilege (Sch. 2 para. 19)"
    REFERENCES = "references", "Confidential references (Sch. 2 para. 24)"
    MANAGEMENT = "management", "Management forecasts or planning (Sch. 2 para. 22)"
    NEGOTIATIONS = "negotiations", "Negotiations with the requester (Sch. 2 para. 23)"
    OTHER = "other", "Another exemption (named in the note)"


class Found(models.Model):
    """One record saferstaff holds about the person a request is about, and what the school does with it."""

    class Decision(models.TextChoices):
        UNDECIDED = "undecided", "Not decided yet"
        DISCLOSE = "disclose", "Disclose"
        REDACT = "redact", "Disclose with redactions"
        WITHHOLD = "withhold", "Withhold"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="found")
    record_type = models.CharField(max_length=40)
    record_id = models.CharField(max_length=64)
    room = models.CharField(max_length=40)
    label = models.CharField(max_length=300)
    recorded_on = models.DateField(null=True, blank=True)
    others_in_it = models.BooleanField(default=False, help_text="Other people's data: flagged for redaction")
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.UNDECIDED)
    exemption = models.CharField(max_length=16, choices=Exemption.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["room", "record_type", "recorded_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "request", "record_type", "record_id"], name="privacy_found_once"
            )
        ]


class Bundle(models.Model):
    """An export of what is disclosed for a request: a PDF index and the files, in one zip; its hash kept."""

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="bundles")
    file = models.FileField(upload_to="privacy/bundles/", max_length=300)
    sha256 = models.CharField(max_length=64)
    items = models.PositiveIntegerField()
    # SHA-256 of the checklist's decisions it was made from: the same decisions give back this bundle (a
    # double click or a second tab makes no second bundle, and no second disclosure in the sharing log).
    decisions = models.CharField(max_length=64, blank=True, db_index=True)
    made_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-made_at", "-pk"]


class Breach(models.Model):
    """A personal-data breach (UK GDPR art. 33–34). The ICO is told within 72 hours of the school becoming aware
    (``ico_due``), unless the breach is unlikely to result in a risk to people's rights and freedoms."""

    class Risk(models.TextChoices):
        UNLIKELY = "unlikely", "Unlikely to result in a risk to people"
        RISK = "risk", "A risk to people"
        HIGH = "high", "A high risk to people"

    class Decision(models.TextChoices):
        UNDECIDED = "undecided", "Not decided yet"
        REPORT = "report", "Report to the ICO"
        DONT_REPORT = "dont_report", "Do not report to the ICO"

    class Told(models.TextChoices):
        NOT_YET = "not_yet", "Not yet"
        TOLD = "told", "Yes, they were told"
        NOT_NEEDED = "not_needed", "Not needed (not a high risk)"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    what = models.TextField("What happened")
    happened_at = models.DateTimeField("When it happened", null=True, blank=True)
    aware_at = models.DateTimeField("When the school became aware")
    ico_due = models.DateTimeField()
    people_count = models.PositiveIntegerField("How many people", null=True, blank=True)
    categories = models.JSONField("Categories of data", default=list, blank=True)
    risk = models.CharField("Likely risk", max_length=10, choices=Risk.choices, blank=True)
    contained = models.TextField("What was done to contain it", blank=True)
    decision = models.CharField(max_length=12, choices=Decision.choices, default=Decision.UNDECIDED)
    decision_reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField("Reported to the ICO at", null=True, blank=True)
    ico_reference = models.CharField("ICO reference", max_length=60, blank=True)
    people_told = models.CharField(max_length=10, choices=Told.choices, default=Told.NOT_YET)
    people_told_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    logged_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The officers are chased (once each) when 24 hours are left without a decision, and when the 72 pass.
    chased_last_day_at = models.DateTimeField(null=True, blank=True)
    chased_overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-aware_at", "-pk"]
        indexes = [models.Index(fields=["school", "decision", "ico_due"], name="privacy_breach_due")]


class Category(models.TextChoices):
    """Categories of personal data a breach can involve (art. 33(3)(a)); the special ones are art. 9 and 10."""

    IDENTITY = "identity", "Names, dates of birth, identifiers"
    CONTACT = "contact", "Contact details"
    EDUCATION = "education", "Education records, reports or assessments"
    SAFEGUARDING = "safeguarding", "Safeguarding or child-protection information"
    HEALTH = "health", "Health or SEN information (special category)"
    IMAGES = "images", "Photographs or videos"
    BIOMETRIC = "biometric", "Biometric data (special category)"
    FINANCIAL = "financial", "Financial information"
    STAFF = "staff", "Staff employment records"
    OTHER = "other", "Something else"


class RetentionRule(models.Model):
    """A school's own period for one type of record, where it differs from the default (``privacy.schedule``)."""

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=40)
    months = models.PositiveIntegerField()
    why = models.CharField("Why the school keeps it for this long", max_length=300)
    changed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "record_type"], name="privacy_one_rule_per_type")
        ]


class LegalHold(models.Model):
    """Nothing it covers is destroyed while it is in force (an inquiry, a claim, a police investigation): the
    records about a pupil or a member of staff, one incident case, every record of a type, or one record."""

    class Scope(models.TextChoices):
        PUPIL = "pupil", "Everything about a pupil"
        MEMBER = "member", "Everything about a member of staff"
        CASE = "case", "An incident case and its evidence"
        RECORD_TYPE = "record_type", "Every record of a type"
        RECORD = "record", "One record"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=12, choices=Scope.choices)
    pupil = models.ForeignKey(PUPIL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(MEMBER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        "incidents.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    record_type = models.CharField(max_length=40, blank=True)
    record_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=300)
    starts_on = models.DateField(default=timezone.localdate)
    ends_on = models.DateField(null=True, blank=True, help_text="Empty: until it is released")
    placed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="pupil", pupil__isnull=False)
                    | models.Q(scope="member", member__isnull=False)
                    | models.Q(scope="case", case__isnull=False)
                    | models.Q(scope="record_type") & ~models.Q(record_type="")
                    | models.Q(scope="record") & ~models.Q(record_type="") & ~models.Q(record_id="")
                ),
                name="privacy_hold_names_what_it_holds",
            )
        ]


class DueRecord(models.Model):
    """A record past its retention period, found by the daily sweep: waiting for the DPO to confirm, then
    destroyed by the worker (resumable: a row stays ``confirmed`` until its certificate is written)."""

    class Status(models.TextChoices):
        DUE = "due", "Due for destruction"
        CONFIRMED = "confirmed", "Confirmed: to be destroyed"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=40)
    record_id = models.CharField(max_length=64)
    due_on = models.DateField()
    found_on = models.DateField(default=timezone.localdate)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DUE)
    confirmed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "record_type", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "record_type", "record_id"], name="privacy_due_once")
        ]
        indexes = [models.Index(fields=["school", "status", "record_type"], name="privacy_due_list")]


class DestructionCertificate(AppendOnlyModel):
    """What was destroyed, when, by whose confirmation, under which rule — and a hash of what it was. Never the
    content, never a name."""

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    record_type = models.CharField(max_length=40)
    record_id = models.CharField(max_length=64)
    description = models.CharField(max_length=200, help_text="Type, number and dates: no content, no name")
    sha256 = models.CharField(max_length=64, help_text="Of the record as it was (fields, and files' hashes)")
    rule = models.CharField(max_length=200, help_text="The period and trigger it was destroyed under")
    due_on = models.DateField()
    confirmed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(null=True)
    destroyed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-destroyed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "record_type", "record_id"], name="privacy_destroyed_once"
            )
        ]

    def delete(self, *args, **kwargs):
        raise ValueError("destruction certificates are kept")


class Export(models.Model):
    """A record of processing activities or a DPIA as exported: its content kept (the school's own settings,
    no personal data), so the next export shows what changed since."""

    class Kind(models.TextChoices):
        PROCESSING = "processing", "Record of processing activities"
        DPIA = "dpia", "DPIA: biometric face matching"

    school = models.ForeignKey(SCHOOL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    content = models.JSONField()
    sha256 = models.CharField(max_length=64)
    made_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-made_at", "-pk"]
