"""Trusts, schools and the people in them (seed §1–2).

Every school-owned row carries ``school`` and every unique constraint includes it, so a school's data can
later be sharded by school without rewriting keys (DESIGN.md, "Growing past one machine")."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from saferstaff.numbers import parse_int


class Role(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    SENIOR_LEADER = "senior_leader", "Senior leader"
    DSL = "dsl", "Designated safeguarding lead"
    LINE_MANAGER = "line_manager", "Line manager"
    GOVERNOR = "governor", "Governor"
    DPO = "dpo", "Data protection officer"
    # The school office keeps pupils' records: consent forms, guardian portal links, roster imports.
    OFFICE = "office", "School office"
    STAFF = "staff", "Staff"


class EmploymentType(models.TextChoices):
    # §1: the guidance covers everyone based at the school, however they are engaged.
    EMPLOYEE = "employee", "Employee"
    AGENCY = "agency", "Agency staff"
    CONTRACTOR = "contractor", "Contractor"
    VOLUNTEER = "volunteer", "Volunteer"


class Trust(models.Model):
    """A multi-academy trust or a Local Authority: the body that runs several schools."""

    class Kind(models.TextChoices):
        TRUST = "trust", "Multi-academy trust"
        LOCAL_AUTHORITY = "la", "Local Authority"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TRUST)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrustAdmin(models.Model):
    trust = models.ForeignKey(Trust, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_admin_of"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trust", "user"], name="unique_trust_admin")]


class School(models.Model):
    trust = models.ForeignKey(Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    urn = models.CharField("URN", max_length=6, unique=True, help_text="Unique Reference Number, 6 digits")
    la_number = models.CharField("LA number", max_length=3)
    establishment_number = models.CharField(max_length=4)
    colour = models.CharField(max_length=7, default="#1d70b8", help_text="The school's colour for the header")
    created_at = models.DateTimeField(default=timezone.now)
    # Sign-in with the school's Microsoft 365 or Google Workspace: the provider id of its own OpenID Connect
    # app (issuer pinned to the school's tenant) and the email domain that tenant vouches for. Blank: off.
    sign_in_provider = models.CharField(max_length=60, blank=True)
    sign_in_domain = models.CharField(max_length=120, blank=True)
    # The school asks its staff to sign in through that app: a password alone is refused for them
    # (rules.signin; changed only through schools.signin.set_sign_in_required).
    sign_in_required = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["la_number", "establishment_number"], name="unique_laestab"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def laestab(self) -> str:
        return f"{self.la_number}{self.establishment_number}"

    @classmethod
    def unique_slug_for(cls, name: str) -> str:
        base = slugify(name)[:70] or "school"
        slug, n = base, 2
        while cls.objects.filter(slug=slug).exists():
            slug, n = f"{base}-{n}", n + 1
        return slug


class MembershipQuerySet(models.QuerySet):
    def active(self):
        """Places that give access now: not ended, and accepted if they were an invitation."""
        return self.filter(ended_on__isnull=True, invited_at__isnull=True)

    def current(self):
        """On the staff list now: active, or invited and not yet accepted."""
        return self.filter(ended_on__isnull=True)

    def with_role(self, role: str):
        return self.filter(role_grants__role=role)


class Membership(models.Model):
    """A person's place at one school. A person can belong to two schools with different roles."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    employment_type = models.CharField(
        max_length=12, choices=EmploymentType.choices, default=EmploymentType.EMPLOYEE
    )
    job_title = models.CharField(max_length=120, blank=True)
    is_chair_of_governors = models.BooleanField(default=False)
    line_manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    started_on = models.DateField(default=datetime.date.today)
    ended_on = models.DateField(null=True, blank=True)
    # An invitation to someone who already has an account (schools.staff.add_staff): no access here until
    # they accept it. Until then the school sees the name it typed, never the account's own.
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_name = models.CharField(max_length=301, blank=True)
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [models.UniqueConstraint(fields=["school", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} at {self.school}"

    @property
    def roles(self) -> frozenset[str]:
        # The access middleware sets ``known_roles`` from the request's one read of the person
        # (roles.Standing); otherwise from the role grants: prefetched, or one query.
        known = self.__dict__.get("known_roles")
        if known is not None:
            return known
        return frozenset(grant.role for grant in self.role_grants.all())

    def role_labels(self) -> list[str]:
        return [Role(r).label for r in sorted(self.roles, key=list(Role.values).index)]

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def listed_name(self) -> str:
        """The name the school sees: as typed while an invitation waits, then the person's own."""
        return self.invited_name if self.invited_at else self.user.display_name

    @property
    def awaiting_acceptance(self) -> bool:
        """Invited and not signed in yet: a new account has no password, an existing one has not accepted."""
        return self.invited_at is not None or not self.user.has_usable_password()


class RoleGrant(models.Model):
    """One role held by one member at one school. Granting and removing go through the policy engine
    (``rules.policies.may_change_role``) and are audited."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=16, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "membership", "role"], name="unique_role_grant")
        ]


class PupilQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(leaving_date__isnull=True) | Q(leaving_date__gt=on))

    def year_groups(self) -> list[str]:
        """The year groups these pupils are in, in order (for filters and pickers)."""
        return list(
            self.exclude(year_group="").values_list("year_group", flat=True).distinct().order_by("year_group")
        )

    def search(self, q: str, *, by_upn: bool, by_legal_name: bool):
        """Pupils matching every word of ``q`` (up to four) in the name they go by, in their legal name
        (``by_legal_name``), or a whole UPN (``by_upn``). Callers decide by who is searching
        (``schools.access.search_pupils``): a search must not tell what the searcher may not see."""
        pupils = self
        # A NUL is never in a name, and PostgreSQL refuses one in a query (a 500): typed junk finds no one.
        for word in q.replace("\x00", " ").split()[:4]:
            match = (
                Q(preferred_forename__icontains=word)
                | Q(preferred_forename="", legal_forename__icontains=word)
                | Q(preferred_surname__icontains=word)
                | Q(preferred_surname="", legal_surname__icontains=word)
            )
            if by_legal_name:
                match |= Q(legal_forename__icontains=word) | Q(legal_surname__icontains=word)
            if by_upn:
                match |= Q(upn__iexact=word)
            pupils = pupils.filter(match)
        return pupils


class Pupil(models.Model):
    """A pupil's record, from the school's MIS. Pupils are records, not accounts. §1.1 widens "students"
    to children, young people and adults at risk; ``adult_at_risk`` marks the last (§1.2)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="pupils")
    upn = models.CharField("UPN", max_length=13, blank=True)
    source_id = models.CharField("MIS id", max_length=100, blank=True, help_text="OneRoster sourcedId")
    legal_forename = models.CharField(max_length=100)
    legal_surname = models.CharField(max_length=100)
    middle_names = models.CharField(max_length=100, blank=True)
    # A surname the pupil was known by before (after adoption or a family change): a post naming a child by
    # an old name can reveal as much as one naming them by their current name.
    former_surname = models.CharField(max_length=100, blank=True)
    preferred_forename = models.CharField(max_length=100, blank=True)
    preferred_surname = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    year_group = models.CharField(max_length=3, blank=True)
    adult_at_risk = models.BooleanField(default=False)
    leaving_date = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = PupilQuerySet.as_manager()

    class Meta:
        ordering = ["legal_surname", "legal_forename"]
        constraints = [
            models.UniqueConstraint(fields=["school", "upn"], condition=~Q(upn=""), name="unique_pupil_upn"),
            models.UniqueConstraint(
                fields=["school", "source_id"], condition=~Q(source_id=""), name="unique_pupil_source_id"
            ),
        ]
        indexes = [models.Index(fields=["school", "legal_surname", "legal_forename"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return (
            f"{self.preferred_forename or self.legal_forename} {self.preferred_surname or self.legal_surname}"
        )

    @property
    def short_name(self) -> str:
        """'Amelia O.': enough for staff to know who is meant, as little as possible on a screen."""
        forename = self.preferred_forename or self.legal_forename
        surname = self.preferred_surname or self.legal_surname
        return f"{forename} {surname[:1]}." if surname else forename

    @property
    def is_current(self) -> bool:
        return self.leaving_date is None or self.leaving_date > timezone.localdate()


class Guardian(models.Model):
    """A pupil's parent, carer or other contact. A record, not an account: guardians act through
    signed links (the consent portal, a later issue)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="guardians")
    source_id = models.CharField(max_length=100, blank=True)
    # How re-imports recognise the same person when the MIS gives no id (CTF contacts have none).
    match_key = models.CharField(max_length=64)
    title = models.CharField(max_length=20, blank=True)
    forename = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["surname", "forename"]
        constraints = [models.UniqueConstraint(fields=["school", "match_key"], name="unique_guardian_key")]

    def __str__(self) -> str:
        return " ".join(p for p in (self.title, self.forename, self.surname) if p)


class Guardianship(models.Model):
    """The link between a pupil and one of their contacts, in the MIS's contact order."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardianships")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="guardianships")
    relationship = models.CharField(max_length=40, blank=True)
    parental_responsibility = models.BooleanField(default=False)
    contact_order = models.PositiveSmallIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contact_order"]
        constraints = [
            models.UniqueConstraint(fields=["school", "pupil", "guardian"], name="unique_guardianship")
        ]


class RosterImport(models.Model):
    """One upload of a roster file: previewed first, then applied or discarded. The file's bytes are
    kept only until then (children's data is not kept longer than the import needs)."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Waiting for confirmation"
        APPLIED = "applied", "Applied"
        DISCARDED = "discarded", "Discarded"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="roster_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=200)
    format = models.CharField(max_length=20)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField(null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    counts = models.JSONField(default=dict)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]


class SchoolSettings(models.Model):
    """The handful of settings the school's rules read. Defaults follow the seed guidance."""

    school = models.OneToOneField("schools.School", on_delete=models.CASCADE, related_name="policy_settings")
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
    # §3: contact with pupils is alerted to the Headteacher; a school may tell its DSL as well.
    disclosures_to_dsl = models.BooleanField(
        default=False,
        help_text="Tell the designated safeguarding lead too when staff disclose contact with a pupil (§3)",
    )
    # §4 "Personal profiles ... should not identify your employer": other names the school goes by, one per
    # line, for the draft checker (short forms and the acronym are worked out from the school's name).
    name_aliases = models.TextField(blank=True, default="")
    history = HistoricalRecords(table_name="policy_historicalschoolsettings")

    class Meta:
        db_table = "policy_schoolsettings"  # kept from before the rooms moved (ADR 0007)
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


class ClosureDay(models.Model):
    """A weekday the school is closed (an INSET day, a holiday): not a working day for the school's clocks
    (``saferstaff.clocks``), e.g. the LADO's one working day (KCSIE Part 4)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="closure_days")
    day = models.DateField()
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["school", "day"], name="unique_closure_day")]

    def __str__(self) -> str:
        return f"{self.school} closed {self.day}"
