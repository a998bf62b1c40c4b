"""§5 rules of the school's guidance for consent to images of pupils: who may record which answer."""

from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.models import Guardianship
from saferstaff.schools.roles import Actor


@rule("images.consent.record")
def may_record_consent(actor: Actor | None, *, subject, answer) -> Decision:
    """May ``answer`` (a ConsentRecord, not saved yet) for the pupil ``subject`` be recorded? ``actor`` is None
    for the guardian portal."""
    if answer.from_guardian:
        if answer.guardian is None:
            return refuse(Reason("Say which guardian gave the answer", "§5"))
        if not Guardianship.objects.filter(
            school_id=subject.school_id, pupil=subject, guardian=answer.guardian, parental_responsibility=True
        ).exists():
            return refuse(
                Reason(
                    "Only a guardian with parental responsibility for this pupil can give or withdraw consent",
                    "§5",
                )
            )
    if answer.from_senior_management and (actor is None or not actor.at(subject.school_id).is_senior):
        return refuse(
            Reason("Only the Headteacher or a senior leader records senior management's answer", "§5")
        )
    if answer.through_portal and not answer.from_guardian:
        return refuse(Reason("Only guardians use the portal", "§5"))
    return allow(Reason("Consent can be given, refused or withdrawn at any time, without a reason", "§5"))
