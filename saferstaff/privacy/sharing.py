"""§8: the sharing log — every disclosure of personal data outside the school. The doors that write it.

Workflows that disclose open an entry prefilled with what they know (``open_prefilled``), marked *to complete*:
the person who made the disclosure, or the DPO, adds why it was needed and how it was sent. The incidents room's
referrals arrive by its ``contact_recorded`` signal, so incidents imports nothing of this room."""

import datetime

from django.db import transaction
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.clocks import UK
from saferstaff.incidents.models import Case, Contact
from saferstaff.privacy.models import LawfulBasis, Sharing
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.incidents import manages
from saferstaff.rules.privacy import SHARING_KEEPERS, may_complete_sharing, may_log_sharing
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import DPO

# A referral of a safeguarding matter: a public task, and for special category data DPA 2018 Sch. 1 para. 18.
SAFEGUARDING_CONDITION = "DPA 2018 Sch. 1 para. 18: safeguarding of children and of individuals at risk"
REFERRALS = {
    Contact.Kind.POLICE: "Police",
    Contact.Kind.LADO: "Local Authority designated officer (LADO)",
    Contact.Kind.LA: "Local Authority",
}


def entries_readable_by(actor):
    """The school's entries ``actor`` reads (``rules.privacy.may_read_sharing``), as one query: only for the
    log's keepers; never one about them; an entry from an allegation only for its case manager and the DPO.
    The list, the room's home and the Overview all count with this."""
    if not actor.holds(*SHARING_KEEPERS):
        return Sharing.objects.none()
    entries = Sharing.objects.filter(school=actor.school)
    if actor.membership is not None:
        entries = entries.exclude(about_members=actor.membership)
    if not actor.holds(DPO):
        cases = {e.case for e in entries.filter(case__isnull=False).select_related("case").distinct()}
        hidden = [c.pk for c in cases if c.is_allegation and not manages(actor, c)]
        entries = entries.exclude(case_id__in=hidden)
    return entries


def open_prefilled(
    *,
    school_id: int,
    source: str,
    source_ref: str,
    actor,
    pupils=(),
    members=(),
    case: Case | None = None,
    **fields,
) -> Sharing:
    """Open (once per source record) an entry *to complete*, prefilled by the workflow that disclosed. The
    caller has checked its own rule; this records only what it did."""
    with transaction.atomic():
        entry, created = Sharing.objects.get_or_create(
            school_id=school_id,
            source=source,
            source_ref=str(source_ref),
            defaults={
                "status": Sharing.Status.TO_COMPLETE,
                "case": case,
                "logged_by": getattr(actor, "user", None),
                "approved_by": getattr(actor, "membership", None),
                **fields,
            },
        )
        if created:
            entry.about_pupils.set(pupils)
            entry.about_members.set(members)
            record("privacy.sharing.prefilled", entry, school=school_id, detail={"source": source})
    return entry


def from_referral(sender, *, contact: Contact, actor, **kwargs) -> Sharing | None:
    """A police, LADO or Local Authority referral recorded in a case (``incidents.signals.contact_recorded``)."""
    if contact.kind not in REFERRALS:
        return None
    case = contact.case
    involved = list(case.involved.all())
    members = {i.member_id for i in involved if i.member_id}
    if case.subject_id:
        members.add(case.subject_id)
    return open_prefilled(
        school_id=case.school_id,
        source=Sharing.Source.INCIDENT,
        source_ref=contact.pk,
        actor=actor,
        case=case,
        pupils=[i.pupil_id for i in involved if i.pupil_id],
        members=sorted(members),
        shared_at=contact.made_at,
        recipient=contact.with_whom,
        organisation=REFERRALS[contact.kind],
        what=f"Case {case.pk} ({case.get_kind_display().lower()}): the report, the people involved and the "
        "evidence shared",
        lawful_basis=LawfulBasis.PUBLIC_TASK,
        special_condition=SAFEGUARDING_CONDITION,
        about_others="Someone outside school" if any(i.outsider for i in involved) else "",
    )


# --- Logged by hand; completed; a pupil's record sent to a new school -------------------------------------------
CTF_DAYS = (
    60  # pupils who left this recently are offered: their common transfer file went to their new school
)
CTF_REGULATIONS = (
    "The Education (Pupil Information) (England) Regulations 2005: the school sends a leaver's record"
)


def _well_formed(*, lawful_basis: str, why: str, how: str, approved_by, school_id: int) -> None:
    """What every logged entry says: the lawful basis, why it was needed, how it went and who approved it."""
    reasons = []
    if lawful_basis not in LawfulBasis.values:
        reasons.append(Reason("Choose the lawful basis (UK GDPR art. 6)", "§8", "lawful_basis"))
    if not why.strip():
        reasons.append(Reason("Say why it was needed", "§8", "why"))
    if how not in Sharing.How.values:
        reasons.append(Reason("Choose how it was sent", "§8", "how"))
    if approved_by is None:
        reasons.append(Reason("Choose who approved it", "§8", "approved_by"))
    elif approved_by.school_id != school_id:
        reasons.append(Reason("Choose a member of staff of this school", "§8", "approved_by"))
    if reasons:
        raise Refused(refuse(*reasons))


def log_sharing(
    actor,
    *,
    shared_at: datetime.datetime,
    recipient: str,
    organisation: str = "",
    what: str,
    pupils=(),
    members=(),
    about_others: str = "",
    lawful_basis: str,
    special_condition: str = "",
    why: str,
    how: str,
    approved_by=None,
    now: datetime.datetime | None = None,
) -> Sharing:
    """A disclosure logged by hand, complete: nothing about it is changed afterwards (a correction is a new
    entry)."""
    enforce(may_log_sharing(actor))
    school_id = actor.school.pk
    reasons = [Reason("This cannot be left empty", "§8", name) for name, v in (("recipient", recipient), ("what", what)) if not v.strip()]  # fmt: skip
    if shared_at > (now or timezone.now()):
        reasons.append(Reason("When it was shared cannot be in the future", "§8", "shared_at"))
    if any(p.school_id != school_id for p in pupils) or any(m.school_id != school_id for m in members):
        reasons.append(Reason("Choose people of this school", "§8", "pupils"))
    if reasons:
        raise Refused(refuse(*reasons))
    _well_formed(lawful_basis=lawful_basis, why=why, how=how, approved_by=approved_by, school_id=school_id)
    with transaction.atomic():
        entry = Sharing.objects.create(
            school_id=school_id, status=Sharing.Status.LOGGED, source=Sharing.Source.BY_HAND,
            shared_at=shared_at, recipient=recipient.strip(), organisation=organisation.strip(),
            what=what.strip(), about_others=about_others.strip(), lawful_basis=lawful_basis,
            special_condition=special_condition.strip(), why=why.strip(), how=how, approved_by=approved_by,
            logged_by=actor.user, completed_at=timezone.now(),
        )  # fmt: skip
        entry.about_pupils.set(pupils)
        entry.about_members.set(members)
        record("privacy.sharing.logged", entry, detail={"pupils": len(pupils), "members": len(members)})
    return entry


def complete_sharing(
    actor, entry: Sharing, *, lawful_basis: str, special_condition: str = "", why: str, how: str, approved_by
) -> Sharing:
    """A prefilled entry made whole: once logged, it is never changed."""
    _well_formed(
        lawful_basis=lawful_basis, why=why, how=how, approved_by=approved_by, school_id=entry.school_id
    )
    with transaction.atomic():
        # Only the entry is locked: PostgreSQL locks no row of a nullable join (the case), and need not.
        entry = Sharing.objects.select_for_update(of=("self",)).select_related("case").get(pk=entry.pk)
        enforce(may_complete_sharing(actor, subject=entry))
        entry.lawful_basis = lawful_basis
        entry.special_condition = special_condition.strip() or entry.special_condition
        entry.why = why.strip()
        entry.how = how
        entry.approved_by = approved_by
        entry.status = Sharing.Status.LOGGED
        entry.completed_at = timezone.now()
        entry.save()
        record("privacy.sharing.completed", entry, detail={"source": entry.source})
    return entry


def leavers_without_ctf(school, today: datetime.date | None = None):
    """Pupils who left in the last ``CTF_DAYS`` days whose common transfer file is not in the log yet."""
    today = today or timezone.localdate()
    logged = Sharing.objects.filter(school=school, source=Sharing.Source.PUPIL_RECORD).values("source_ref")
    return (
        Pupil.objects.filter(
            school=school,
            leaving_date__gte=today - datetime.timedelta(days=CTF_DAYS),
            leaving_date__lte=today,
        )
        .exclude(pk__in=[int(ref) for ref in logged.values_list("source_ref", flat=True) if ref.isdigit()])
        .order_by("leaving_date", "pk")
    )


def open_ctf(actor, pupil: Pupil) -> Sharing:
    """The common transfer file sent to a leaver's new school: an entry prefilled, to complete (who approved
    it, and how it went if not by the secure transfer)."""
    enforce(may_log_sharing(actor))
    if pupil.school_id != actor.school.pk or pupil.leaving_date is None:
        raise Refused(refuse(Reason("Choose a pupil of this school who has left", "§8", "pupil")))
    return open_prefilled(
        school_id=pupil.school_id,
        source=Sharing.Source.PUPIL_RECORD,
        source_ref=pupil.pk,
        actor=actor,
        pupils=[pupil.pk],
        shared_at=datetime.datetime.combine(pupil.leaving_date, datetime.time(12), tzinfo=UK),
        recipient="The pupil's new school",
        organisation="",
        what="The pupil's common transfer file (CTF) and educational record",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        why=CTF_REGULATIONS,
        how=Sharing.How.PORTAL,
    )
