"""§8 and UK GDPR art. 5(1)(e): the one retention schedule — how long saferstaff keeps each kind of record
(``privacy.kinds``), counted from what (the trigger), and why (the source, in words).

The defaults below are UK school defaults; a school changes a period with ``change_retention`` (a
``RetentionRule``: months and why). The daily sweep (``privacy.sweep``) reads the periods from here, the due list
and the certificates say the rule in the words of ``describe``. Sources: the guidance itself (§5 for images),
Keeping Children Safe in Education (KCSIE) Part 4, the Protection of Freedoms Act 2012, the Limitation Act 1980,
the IRMS Information Management Toolkit for Schools where it sets a period, otherwise saferstaff's own reasoned
default (said so)."""

from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.privacy.kinds import KINDS, Kind
from saferstaff.privacy.models import RetentionRule
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.privacy import may_change_retention
from saferstaff.schools.roles import Actor

MAX_MONTHS = 1200  # a hundred years: beyond it a period is a typing slip


class Trigger(models.TextChoices):
    CAPTURE = "capture", "from when it was taken or made"
    CLOSED = "closed", "from when it was closed"
    PUPIL_LEFT = "pupil_left", "from when the pupil left"
    STAFF_LEFT = "staff_left", "from when the member of staff left"
    ENDED = "ended", "from when it ended"
    EXPIRED = "expired", "from when it expired"
    WITH_IMAGE = "with_image", "destroyed with its image"
    CONSENT = "consent", "erased when consent to face matching ends or the pupil leaves"


@dataclass(frozen=True)
class Default:
    months: int | None  # None: not kept on its own (destroyed with the record it belongs to)
    trigger: str
    source: str
    review: str = ""  # what the DPO checks before confirming, where the period is a review point
    least: bool = False  # the source sets the least it is kept: a school keeps it longer, never shorter
    automatic: bool = False  # destroyed when due without the DPO's confirmation: only its author relies on it


SIX_YEARS = "Six years: the period in which a claim can be brought (Limitation Act 1980)"

DEFAULTS: dict[str, Default] = {
    "images": Default(24, Trigger.CAPTURE, "The guidance (§5): images are kept for about two years"),
    "activities": Default(
        24, Trigger.CAPTURE, "The guidance (§5): as its images; an activity goes once none of its images is left"
    ),
    "publications": Default(None, Trigger.WITH_IMAGE, "Part of the image's record (§5)"),
    "publication_requests": Default(None, Trigger.WITH_IMAGE, "Part of the image's record (§5)"),
    "face_detections": Default(None, Trigger.WITH_IMAGE, "Part of the image's record (§5)"),
    "consent_answers": Default(
        24,
        Trigger.PUPIL_LEFT,
        "saferstaff's default: as long as any image taken while the pupil was at the school may still be kept "
        "(§5), so that the school can show each use was agreed",
    ),
    "portal_links": Default(1, Trigger.EXPIRED, "saferstaff's default: a link is useless once it has expired"),
    # Erased by the face-matching room itself (biometrics.erasure), at once on a withdrawal and by the next daily
    # run once the pupil has left: the law sets it, so no school period, no hold and no confirmation apply.
    "face_templates": Default(
        None,
        Trigger.CONSENT,
        "Protection of Freedoms Act 2012 ss. 26–28 and UK GDPR art. 9: biometric data is processed only with "
        "consent and while the pupil is at the school",
    ),
    "draft_checks": Default(
        3,
        Trigger.CAPTURE,
        "saferstaff's default: a draft is checked before it is posted; kept only because its author asked, so it "
        "is destroyed when due without waiting for the DPO",
        automatic=True,
    ),
    "disclosures": Default(72, Trigger.CAPTURE, SIX_YEARS),
    "contact_permissions": Default(12, Trigger.ENDED, "saferstaff's default: a year after the permission ended"),
    "equipment_permissions": Default(12, Trigger.ENDED, "saferstaff's default: a year after the permission ended"),
    "low_level_concerns": Default(
        0, Trigger.STAFF_LEFT, "KCSIE Part 4: low-level concerns are kept at least while the person is employed"
    ),
    "incident_cases": Default(
        300,
        Trigger.CLOSED,
        "IRMS toolkit: child-protection information is kept until the pupil is 25; counted here as 25 years from "
        "the case's closing, which is never sooner",
    ),
    "allegations": Default(
        120,
        Trigger.CAPTURE,
        "KCSIE Part 4: an allegation about staff is kept until the person's normal retirement age or for 10 years "
        "from the allegation, whichever is longer",
        review="saferstaff holds no date of birth for staff: confirm that the person's normal retirement age "
        "has passed before destroying",
        least=True,
    ),
    "acceptances": Default(72, Trigger.STAFF_LEFT, SIX_YEARS + ", after employment ends"),
    "sharing_log": Default(72, Trigger.CAPTURE, SIX_YEARS),
    "breaches": Default(72, Trigger.CLOSED, SIX_YEARS),
    "access_requests": Default(72, Trigger.CLOSED, SIX_YEARS),
    "notifications": Default(12, Trigger.CAPTURE, "saferstaff's default: a notice is acted on within the year"),
    "roster_files": Default(
        1, Trigger.CAPTURE, "saferstaff's default: once imported, what the file said is in the pupils' records"
    ),
    "pupils": Default(
        24,
        Trigger.PUPIL_LEFT,
        "IRMS toolkit: a primary school passes the pupil's record to the next school; saferstaff keeps its own "
        "as long as the images and consent answers that need it",
    ),
    "guardians": Default(24, Trigger.PUPIL_LEFT, "As the records of the pupils they are a contact for"),
    "staff": Default(72, Trigger.STAFF_LEFT, "IRMS toolkit: a personnel record is kept six years after employment ends"),
}  # fmt: skip
assert set(DEFAULTS) == set(KINDS), "every kind of record has a period"

S8_PERIOD = Reason("A retention period is a whole number of months, from 0 to 1,200", "§8", "months")


@dataclass(frozen=True)
class KeptFor:
    """One line of a school's schedule."""

    kind: Kind
    months: int | None
    trigger: str
    source: str
    review: str
    rule: RetentionRule | None  # the school's own period, if it changed the default

    @property
    def key(self) -> str:
        return self.kind.key

    @property
    def default_months(self) -> int | None:
        return DEFAULTS[self.key].months

    @property
    def swept(self) -> bool:
        return self.months is not None

    @property
    def trigger_label(self) -> str:
        return Trigger(self.trigger).label

    @property
    def words(self) -> str:
        return describe(self.months, self.trigger)


def describe(months: int | None, trigger: str) -> str:
    """The period in words: "24 months from when it was taken or made"."""
    if months is None:
        return Trigger(trigger).label.capitalize()
    if months == 0:
        return "Until " + Trigger(trigger).label.removeprefix("from when ")
    span = f"{months // 12} years" if months % 12 == 0 and months >= 24 else f"{months} months"
    if months == 12:
        span = "1 year"
    return f"{span} {Trigger(trigger).label}"


def schedule(school_id: int) -> dict[str, KeptFor]:
    """The school's schedule: every kind, its period (the school's own where it changed it), trigger, source."""
    rules = {r.record_type: r for r in RetentionRule.objects.filter(school_id=school_id)}
    out = {}
    for key, kind in KINDS.items():
        default = DEFAULTS[key]
        rule = rules.get(key) if default.months is not None else None
        out[key] = KeptFor(
            kind=kind,
            months=rule.months if rule else default.months,
            trigger=default.trigger,
            source=rule.why if rule else default.source,
            review=default.review,
            rule=rule,
        )
    return out


def overrides(key: str) -> dict[int, int]:
    """{school id: months} for the schools that changed the period of ``key``: the sweep groups by these."""
    return dict(RetentionRule.objects.filter(record_type=key).values_list("school_id", "months"))


def change_retention(school, *, key: str, months, why: str, by) -> RetentionRule | None:
    """The door: a school sets its own period for a kind of record (months, and why). Setting the default's
    months back removes the school's rule. Audited; the next sweep moves what is due."""
    actor = Actor.of(by, school)
    decision = may_change_retention(actor)
    enforce(decision)
    default = DEFAULTS.get(key)
    if default is None or default.months is None:
        label = Trigger(default.trigger).label if default else "unknown"
        raise Refused(
            refuse(Reason(f"This kind of record is {label}: the school does not set its period", "§8"))
        )
    if not isinstance(months, int) or not 0 <= months <= MAX_MONTHS:
        raise Refused(refuse(S8_PERIOD))
    if default.least and months < default.months:
        raise Refused(
            refuse(Reason(f"{default.source}: it is kept at least {default.months} months", "§8", "months"))
        )
    why = (why or "").strip()
    if months != default.months and not why:
        raise Refused(refuse(Reason("Say why the school keeps it for this long", "§8", "why")))
    with transaction.atomic():
        existing = RetentionRule.objects.select_for_update().filter(school=school, record_type=key).first()
        before = existing.months if existing else default.months
        if months == default.months:
            RetentionRule.objects.filter(school=school, record_type=key).delete()
            rule = None
        else:
            rule, _ = RetentionRule.objects.update_or_create(
                school=school,
                record_type=key,
                defaults={"months": months, "why": why[:300], "changed_by": by, "changed_at": timezone.now()},
            )
        record(
            "privacy.retention.changed",
            rule,
            school=school.pk,
            detail={"record_type": key, "from": before, "to": months},
        )
    return rule
