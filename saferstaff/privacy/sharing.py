"""§8: the sharing log — every disclosure of personal data outside the school. The doors that write it.

Workflows that disclose open an entry prefilled with what they know (``open_prefilled``), marked *to complete*:
the person who made the disclosure, or the DPO, adds why it was needed and how it was sent. The incidents room's
referrals arrive by its ``contact_recorded`` signal, so incidents imports nothing of this room."""

from django.db import transaction

from saferstaff.audit.log import record
from saferstaff.incidents.models import Case, Contact
from saferstaff.privacy.models import LawfulBasis, Sharing

# A referral of a safeguarding matter: a public task, and for special category data DPA 2018 Sch. 1 para. 18.
SAFEGUARDING_CONDITION = "DPA 2018 Sch. 1 para. 18: safeguarding of children and of individuals at risk"
REFERRALS = {
    Contact.Kind.POLICE: "Police",
    Contact.Kind.LADO: "Local Authority designated officer (LADO)",
    Contact.Kind.LA: "Local Authority",
}


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
