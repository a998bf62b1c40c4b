"""§9 of the guidance (and §2, §4; KCSIE Part 4): who reports, who reads a case and its evidence, who seals it.

Designated persons: the designated safeguarding lead and the Headteacher (§9: reported to the designated
person). A reporter sees their own report and the evidence they added. Allegations about staff are a narrower
tier (the case manager: the Headteacher, or the chair of governors when it is about the Headteacher) — built in
the next slice."""

from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.roles import DSL, Actor, H

S9_REPORT = Reason(
    "Incidents and cyberbullying are reported to the designated person, with the evidence", "§9"
)
S9_EVIDENCE = Reason("Evidence is kept intact: added to, never changed or deleted", "§9")
DESIGNATED = frozenset({DSL, H})


def is_designated(actor: Actor) -> bool:
    return actor.holds(*DESIGNATED)


@rule("incidents.report")
def may_report(actor: Actor) -> Decision:
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff and governors report here", "§9"))
    return allow(S9_REPORT)


@rule("incidents.case.read", audited=False)
def may_read_case(actor: Actor, *, subject) -> Decision:
    actor = actor.at(subject.school_id)
    if subject.is_allegation:
        return refuse(Reason("Allegations about staff are read only by their case manager", "KCSIE Part 4"))
    if is_designated(actor) or subject.reported_by_id == actor.pk:
        return allow(S9_REPORT)
    if actor.membership is not None and subject.members.filter(member=actor.membership).exists():
        return allow(Reason("A designated person added you to this case: you need to know", "§8"))
    return refuse(Reason("A case is read by the designated persons, whoever they add and its reporter", "§9"))


@rule("incidents.case.share")
def may_share_case(actor: Actor, *, subject, member) -> Decision:
    """May ``actor`` add ``member`` to the case ``subject`` (need to know, §8)?"""
    actor = actor.at(subject.school_id)
    if not is_designated(actor):
        return refuse(Reason("Only the designated persons decide who else needs to know", "§8"))
    if member.school_id != subject.school_id or member.ended_on is not None:
        return refuse(Reason("Choose a member of this school's staff", "§8", "member"))
    if subject.members.filter(member=member).exists():
        return refuse(Reason("They can already read this case", "§8", "member"))
    return allow(Reason("Confidential information is shared only with those who need it", "§8"))


@rule("incidents.evidence.add")
def may_add_evidence(actor: Actor, *, subject) -> Decision:
    read = may_read_case.peek(actor, subject=subject)
    if not read:
        return read
    if subject.is_closed:
        return refuse(Reason("The case is closed: evidence is added to an open case", "§9"))
    return allow(S9_EVIDENCE)


@rule("incidents.evidence.open", audited=False)
def may_open_evidence(actor: Actor, *, subject) -> Decision:
    """May ``actor`` open the evidence item ``subject``? The designated persons; the person who added it."""
    actor = actor.at(subject.school_id)
    if not may_read_case.peek(actor, subject=subject.case):
        return refuse(Reason("Evidence is opened only by those who read its case", "§9"))
    if subject.is_sealed and not actor.holds(DSL):
        return refuse(Reason("The designated safeguarding lead has sealed this item from view", "§9"))
    if is_designated(actor) or subject.added_by_id == actor.pk:
        return allow(S9_EVIDENCE)
    return refuse(Reason("Evidence is opened by the designated persons and whoever added it", "§9"))


@rule("incidents.evidence.seal")
def may_seal_evidence(actor: Actor, *, subject) -> Decision:
    actor = actor.at(subject.school_id)
    if not actor.holds(DSL):
        return refuse(Reason("Only the designated safeguarding lead seals evidence from view", "§9"))
    if subject.is_sealed:
        return refuse(Reason("This item is already sealed", "§9"))
    return allow(S9_EVIDENCE)
