"""§5 and the Protection of Freedoms Act 2012 for face matching: when a pupil's face template may be made."""

from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.roles import Actor


@rule("faces.enrol")
def may_enrol(actor: Actor, *, subject, consent) -> Decision:
    """May a face template be made for the pupil ``subject``? ``consent``: the pupil's consent state for face
    matching now, from ``consent.states.face_matching_consent`` (None when the school does not ask for it)."""
    if not subject.is_current:
        return refuse(Reason("The pupil has left the school: no face data is kept", "§5"))
    if consent is None:
        return refuse(Reason("The school does not ask for consent to face matching", "§5"))
    if not consent.allowed:
        return refuse(
            *consent.reasons,
            Reason(
                "Face matching needs a parent's written consent and no objection from anyone (PoFA 2012)",
                "§5",
            ),
        )
    return allow(
        Reason("A parent consented in writing to face matching and nobody objected (PoFA 2012)", "§5")
    )
