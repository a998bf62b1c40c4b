"""§9 of the guidance (and §2, §4, §8; KCSIE Part 4): who reports, who reads a case and its evidence, who
works on it, who closes it.

Two tiers, one record (``incidents.Case``):
- casework (cyberbullying of staff, online-safety incidents involving pupils, breaches of the guidance): read and
  managed by the designated persons — the designated safeguarding lead and the Headteacher (§9: reported to the
  designated person) — and by whoever they add because they need to know (§8);
- allegations about staff (KCSIE Part 4): managed by the case manager only — the Headteacher, or the chair of
  governors when it is about the Headteacher — and whoever the case manager adds.
In both, the person a case is about never reads it, by any page or URL, whatever their role; a reporter reads
their own report and its outcome (for an allegation: that it was received and closed), nothing of the casework.
"""

from saferstaff.rules.conduct import (
    CHAIR,
    chair_of_governors,
    is_chair,
    route_for,
)
from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.roles import DSL, GOV, Actor, H, members_holding

KCSIE = "KCSIE Part 4"
S9_REPORT = Reason(
    "Incidents and cyberbullying are reported to the designated person, with the evidence", "§9"
)
S9_EVIDENCE = Reason("Evidence is kept intact: added to, never changed or deleted", "§9")
S9_CASEWORK = Reason("The designated person handles what is reported, and escalates where needed", "§9")
KCSIE_CASE = Reason(
    "An allegation about staff is managed by the case manager: the Headteacher, or the chair of governors when "
    "it is about the Headteacher",
    KCSIE,
)
NEED_TO_KNOW = Reason("A designated person added you to this case: you need to know", "§8")
DESIGNATED = frozenset({DSL, H})


def is_designated(actor: Actor) -> bool:
    return actor.holds(*DESIGNATED)


def chair_manages(case) -> bool:
    """Is the allegation ``case`` the chair of governors' to manage: routed to the chair, or its subject has
    since become a Headteacher (a co-Headteacher never manages one about the other)?"""
    return case.routed_to == CHAIR or bool(
        case.subject_id and members_holding(case.school_id, {H}).filter(pk=case.subject_id).exists()
    )


def is_case_manager(actor: Actor, case) -> bool:
    """Does ``actor`` manage the allegation ``case``? The chair of governors (``chair_manages``); otherwise the
    Headteacher."""
    return is_chair(actor) if chair_manages(case) else actor.is_head


def manages(actor: Actor, case) -> bool:
    """Does ``actor`` run ``case``: its case manager (allegations) or a designated person (the rest)?"""
    actor = actor.at(case.school_id)
    if is_about(actor, case):
        return False
    return is_case_manager(actor, case) if case.is_allegation else is_designated(actor)


def is_about(actor: Actor, case) -> bool:
    """Is ``actor`` the member of staff the case is about (its subject, or named as having done it)?"""
    membership = actor.at(case.school_id).membership
    if membership is None:
        return False
    if case.subject_id == membership.pk:
        return True
    return case.involved.filter(member=membership, role="alleged").exists()


def is_member(actor: Actor, case) -> bool:
    membership = actor.at(case.school_id).membership
    return membership is not None and case.members.filter(member=membership).exists()


def reads_as_reporter(actor: Actor, case) -> bool:
    """Does ``actor`` read ``case`` only as its reporter (their report and its outcome, no casework)?"""
    return case.reported_by_id == actor.pk and not manages(actor, case) and not is_member(actor, case)


@rule("incidents.report")
def may_report(actor: Actor) -> Decision:
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff and governors report here", "§9"))
    return allow(S9_REPORT)


@rule("incidents.allegation.report")
def may_report_allegation(actor: Actor, *, about) -> Decision:
    """May ``actor`` report an allegation about the member of staff ``about`` (a Membership)?"""
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff and governors report here", KCSIE))
    if about is None or about.school_id != actor.school.pk or about.ended_on is not None:
        return refuse(Reason("Choose the member of staff it is about", KCSIE, "subject"))
    if about.pk == actor.membership.pk:
        return refuse(
            Reason(
                "An allegation is about someone else: tell the Headteacher about yourself", KCSIE, "subject"
            )
        )
    if route_for(actor.school.pk, about.user_id) == CHAIR and chair_of_governors(actor.school.pk) is None:
        return refuse(
            Reason(
                "The school has no chair of governors recorded to manage an allegation about the Headteacher: "
                "tell the Local Authority's designated officer (LADO) directly, today",
                KCSIE,
                "subject",
            )
        )
    return allow(KCSIE_CASE)


@rule("incidents.case.read", audited=False)
def may_read_case(actor: Actor, *, subject) -> Decision:
    actor = actor.at(subject.school_id)
    if is_about(actor, subject):
        return refuse(
            Reason("A case is never read by the person it is about", KCSIE if subject.is_allegation else "§9")
        )
    if manages(actor, subject):
        return allow(KCSIE_CASE if subject.is_allegation else S9_CASEWORK)
    if subject.reported_by_id == actor.pk:
        return allow(Reason("You read your own report and its outcome", "§9"))
    if is_member(actor, subject):
        return allow(NEED_TO_KNOW)
    if subject.is_allegation:
        return refuse(Reason("Allegations about staff are read only by their case manager", KCSIE))
    return refuse(Reason("A case is read by the designated persons, whoever they add and its reporter", "§9"))


def _managing(actor: Actor, case, *, open_only: bool = True) -> Decision:
    if not manages(actor, case):
        if case.is_allegation:
            return refuse(Reason("Only the case manager works on an allegation about staff", KCSIE))
        return refuse(Reason("Only the designated persons work on a case", "§9"))
    if open_only and case.is_closed:
        return refuse(Reason("The case is closed", "§9"))
    return allow(KCSIE_CASE if case.is_allegation else S9_CASEWORK)


@rule("incidents.case.manage")
def may_manage_case(actor: Actor, *, subject) -> Decision:
    """Triage, assign, add people and actions, record contacts: the case's manager, while it is open."""
    return _managing(actor, subject)


@rule("incidents.case.close")
def may_close_case(actor: Actor, *, subject) -> Decision:
    return _managing(actor, subject)


@rule("incidents.case.export")
def may_export_case(actor: Actor, *, subject) -> Decision:
    """The chronology (PDF, signed) is handed to the police or the LADO by the case's manager."""
    return _managing(actor, subject, open_only=False)


@rule("incidents.case.share")
def may_share_case(actor: Actor, *, subject, member) -> Decision:
    """May ``actor`` add ``member`` to the case ``subject`` (need to know, §8)?"""
    decision = _managing(actor, subject)
    if not decision:
        return decision
    if member.school_id != subject.school_id or member.ended_on is not None:
        return refuse(Reason("Choose a member of this school's staff", "§8", "member"))
    if member.pk == subject.subject_id or subject.involved.filter(member=member, role="alleged").exists():
        return refuse(Reason("The person a case is about never reads it", KCSIE, "member"))
    if subject.members.filter(member=member).exists():
        return refuse(Reason("They can already read this case", "§8", "member"))
    return allow(Reason("Confidential information is shared only with those who need it", "§8"))


@rule("incidents.note.write")
def may_write_note(actor: Actor, *, subject) -> Decision:
    """Notes: the case's manager and the people added to it, while it is open."""
    actor = actor.at(subject.school_id)
    if subject.is_closed:
        return refuse(Reason("The case is closed", "§9"))
    if manages(actor, subject) or (is_member(actor, subject) and not is_about(actor, subject)):
        return allow(S9_CASEWORK)
    return refuse(Reason("Notes are written by those working on the case", "§9"))


@rule("incidents.note.edit")
def may_edit_note(actor: Actor, *, subject) -> Decision:
    """Only a note's author changes it (the first version is kept), while the case is open."""
    if subject.author_id != actor.pk:
        return refuse(Reason("Only the person who wrote a note changes it", "§9"))
    if hasattr(subject, "replaced_by"):
        return refuse(Reason("This note has already been changed: change its latest version", "§9"))
    return may_write_note.peek(actor, subject=subject.case)


@rule("incidents.action.done")
def may_complete_action(actor: Actor, *, subject) -> Decision:
    """An action is marked done by its owner or the case's manager, while the case is open."""
    actor = actor.at(subject.school_id)
    if subject.done_at is not None:
        return refuse(Reason("This action is already done", "§9"))
    if subject.case.is_closed:
        return refuse(Reason("The case is closed", "§9"))
    if manages(actor, subject.case):
        return allow(S9_CASEWORK)
    if (
        actor.membership is not None
        and subject.owner_id == actor.membership.pk
        and not is_about(actor, subject.case)
    ):
        return allow(Reason("You were given this action", "§9"))
    return refuse(Reason("An action is marked done by its owner or the case's manager", "§9"))


@rule("incidents.cases.search", audited=False)
def may_search_cases(actor: Actor) -> Decision:
    if is_designated(actor):
        return allow(Reason("Searching cases is for the designated persons", "§8"))
    return refuse(Reason("Searching cases is for the designated persons", "§8"))


@rule("incidents.trends", audited=False)
def may_see_trends(actor: Actor) -> Decision:
    """Counts by kind and month, ages, times: the designated persons, and governors (counts only, no names)."""
    if is_designated(actor) or actor.holds(GOV):
        return allow(Reason("Governors see how incidents are handled, in counts, never names", "§9"))
    return refuse(Reason("Incident trends are for the designated persons and governors", "§9"))


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
    """May ``actor`` open the evidence item ``subject``? The case's manager; the person who added it."""
    actor = actor.at(subject.school_id)
    case = subject.case
    if not may_read_case.peek(actor, subject=case):
        return refuse(Reason("Evidence is opened only by those who read its case", "§9"))
    if subject.is_sealed and not _seals(actor, case):
        return refuse(Reason("The designated safeguarding lead has sealed this item from view", "§9"))
    if manages(actor, case) or subject.added_by_id == actor.pk:
        return allow(S9_EVIDENCE)
    return refuse(Reason("Evidence is opened by the designated persons and whoever added it", "§9"))


def sees_sealed(actor: Actor, case) -> bool:
    """Does ``actor`` still read the items of ``case`` sealed from view (their names in its chronology too)?"""
    return _seals(actor.at(case.school_id), case)


@rule("incidents.timeline.pupil", audited=False)  # the page records each view itself (ids only)
def may_see_pupil_timeline(actor: Actor) -> Decision:
    """A pupil's timeline across cases: the designated persons only (§8: a child's record, need to know)."""
    if is_designated(actor):
        return allow(Reason("The designated persons see every case a pupil is part of", "§8"))
    return refuse(Reason("A pupil's timeline is for the designated persons", "§8"))


def _seals(actor: Actor, case) -> bool:
    """Who seals (and still reads sealed items): the DSL; for an allegation, its case manager."""
    if case.is_allegation:
        return manages(actor, case)
    return actor.holds(DSL) and not is_about(actor, case)


@rule("incidents.evidence.seal")
def may_seal_evidence(actor: Actor, *, subject) -> Decision:
    actor = actor.at(subject.school_id)
    if not _seals(actor, subject.case):
        return refuse(Reason("Only the designated safeguarding lead seals evidence from view", "§9"))
    if subject.is_sealed:
        return refuse(Reason("This item is already sealed", "§9"))
    return allow(S9_EVIDENCE)
