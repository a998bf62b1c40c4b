"""§8 of the guidance (UK GDPR, DPA 2018): who keeps the school's data-protection records and who reads them.

- The data-protection officer and the Headteacher keep them: subject access requests, breaches, the retention
  schedule, legal holds, destruction, who saw a record, the records of processing and the DPIA (``OFFICERS``).
- The sharing log is kept by them and by the designated safeguarding lead, who makes the police and LADO
  referrals it records; an entry from an allegation about staff is read only by the case's manager and the DPO.
- Any member of staff reports a personal-data breach at once (the 72 hours run from when the school knows); they
  read their own report, not the log.
- Nobody reads a request, a disclosure or a breach about themselves (as with a case: a Headteacher asked about
  is not the one who answers)."""

import datetime

from django.utils import timezone

from saferstaff.clocks import add_months, local
from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.rules.incidents import manages
from saferstaff.schools.roles import DPO, DSL, Actor, H

OFFICERS = frozenset({DPO, H})
SHARING_KEEPERS = OFFICERS | {DSL}

S8_SHARING = Reason(
    "Confidential information is shared only when it is lawful and needed, and every disclosure is logged",
    "§8",
)
S8_OFFICER = Reason(
    "The data-protection officer and the Headteacher keep the school's data-protection records", "§8"
)
ART15 = Reason("A person has the right to a copy of their personal data (UK GDPR art. 15)", "§8")
ART33 = Reason(
    "A personal-data breach is reported to the ICO within 72 hours of the school becoming aware of it, unless "
    "it is unlikely to result in a risk to people (UK GDPR art. 33)",
    "§8",
)
ART5E = Reason("Personal data is kept no longer than it is needed (UK GDPR art. 5(1)(e))", "§8")


def is_officer(actor: Actor) -> bool:
    return actor.holds(*OFFICERS)


def _about_actor(actor: Actor, *, members=(), member_id=None) -> bool:
    membership = actor.membership
    if membership is None:
        return False
    return membership.pk == member_id or membership.pk in set(members)


S8_OFFICER_ONLY = Reason("Only the data-protection officer and the Headteacher do this", "§8")


def _officer(actor: Actor, school_id: int) -> Decision:
    if not is_officer(actor.at(school_id)):
        return refuse(S8_OFFICER_ONLY)
    return allow(S8_OFFICER)


# --- The sharing log ------------------------------------------------------------------------------------------


@rule("privacy.sharing.log")
def may_log_sharing(actor: Actor) -> Decision:
    if not actor.holds(*SHARING_KEEPERS):
        return refuse(
            Reason("Disclosures are logged by the data-protection officer, the Headteacher and the DSL", "§8")
        )
    return allow(S8_SHARING)


@rule("privacy.sharing.read", audited=False)
def may_read_sharing(actor: Actor, *, subject) -> Decision:
    """The log's keepers; never an entry about themselves; an entry from an allegation about staff only its
    case manager and the DPO."""
    actor = actor.at(subject.school_id)
    if not actor.holds(*SHARING_KEEPERS):
        return refuse(Reason("The sharing log is read by the DPO, the Headteacher and the DSL", "§8"))
    if _about_actor(actor, members=subject.about_members.values_list("pk", flat=True)):
        return refuse(Reason("A disclosure about you is not yours to read here: ask the DPO", "§8"))
    case = subject.case
    if case is not None and case.is_allegation and not (actor.holds(DPO) or manages(actor, case)):
        return refuse(Reason("A disclosure from an allegation about staff is read by its case manager", "§8"))
    return allow(S8_SHARING)


@rule("privacy.sharing.complete")
def may_complete_sharing(actor: Actor, *, subject) -> Decision:
    decision = may_read_sharing.peek(actor, subject=subject)
    if not decision:
        return decision
    if subject.status != subject.Status.TO_COMPLETE:
        return refuse(Reason("This disclosure is logged already: the log is added to, not changed", "§8"))
    return allow(S8_SHARING)


# --- Subject access ------------------------------------------------------------------------------------------


@rule("privacy.sar.log")
def may_log_request(actor: Actor, *, about_member=None) -> Decision:
    decision = _officer(actor, actor.school.pk)
    if not decision:
        return decision
    if about_member is not None and _about_actor(actor, member_id=about_member.pk):
        return refuse(Reason("A request about you is answered by someone else", "§8", "about_member"))
    return allow(ART15)


@rule("privacy.sar.read", audited=False)
def may_read_request(actor: Actor, *, subject) -> Decision:
    actor = actor.at(subject.school_id)
    if _about_actor(actor, member_id=subject.about_member_id):
        return refuse(Reason("A request about you is answered by someone else", "§8"))
    decision = _officer(actor, subject.school_id)
    return decision if not decision else allow(ART15)


@rule("privacy.sar.work")
def may_work_request(actor: Actor, *, subject) -> Decision:
    """Identity, pauses, extension, the checklist, the bundle, closing: while it is open."""
    decision = may_read_request.peek(actor, subject=subject)
    if not decision:
        return decision
    if not subject.is_open:
        return refuse(Reason("The request is closed", "§8"))
    return allow(ART15)


@rule("privacy.sar.extend")
def may_extend_request(
    actor: Actor, *, subject, months: int | None = None, today: datetime.date | None = None
) -> Decision:
    """An extension of up to two further months, with a reason, told to the requester within the first month.
    Without ``months``: whether the request may be extended at all now (the page and its link ask this)."""
    decision = may_work_request.peek(actor, subject=subject)
    if not decision:
        return decision
    if months is not None and not 1 <= months <= 2:
        return refuse(Reason("An extension is of one or two further months", "UK GDPR art. 12(3)", "months"))
    if subject.extension_months:
        return refuse(Reason("The request has been extended already", "UK GDPR art. 12(3)", "months"))
    today = today or timezone.localdate()
    if today > add_months(local(subject.received_at).date(), 1):
        return refuse(
            Reason(
                "An extension is told to the requester within the first month: it has passed",
                "UK GDPR art. 12(3)",
                "months",
            )
        )
    return allow(
        Reason("Complex or numerous requests may be extended by up to two months", "UK GDPR art. 12(3)")
    )


# --- Breaches -------------------------------------------------------------------------------------------------


@rule("privacy.breach.report")
def may_report_breach(actor: Actor) -> Decision:
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff report here", "§8"))
    return allow(ART33)


@rule("privacy.breach.read", audited=False)
def may_read_breach(actor: Actor, *, subject) -> Decision:
    actor = actor.at(subject.school_id)
    if is_officer(actor):
        return allow(ART33)
    if subject.logged_by_id == actor.pk:
        return allow(Reason("You read your own report", "§8"))
    return refuse(Reason("The breach log is kept by the DPO and the Headteacher", "§8"))


@rule("privacy.breach.manage")
def may_manage_breach(actor: Actor, *, subject) -> Decision:
    """Assess, decide, record the ICO reference and who was told, close: the DPO and the Headteacher."""
    return _officer(actor, subject.school_id)


# --- Retention, legal holds, destruction --------------------------------------------------------------------


@rule("privacy.retention.change")
def may_change_retention(actor: Actor) -> Decision:
    decision = _officer(actor, actor.school.pk)
    return decision if not decision else allow(ART5E)


@rule("privacy.destroy.confirm")
def may_confirm_destruction(actor: Actor, *, school_id: int) -> Decision:
    decision = _officer(actor, school_id)
    return decision if not decision else allow(ART5E)


@rule("privacy.hold.place")
def may_place_hold(actor: Actor) -> Decision:
    decision = _officer(actor, actor.school.pk)
    if not decision:
        return decision
    return allow(Reason("Records an inquiry or a claim needs are kept until the hold ends", "§8"))


@rule("privacy.hold.release")
def may_release_hold(actor: Actor, *, subject) -> Decision:
    decision = _officer(actor, subject.school_id)
    if not decision:
        return decision
    if subject.released_at is not None:
        return refuse(Reason("The hold has been released already", "§8"))
    return allow(Reason("A hold ends when what needed the records is over", "§8"))


# --- Who saw a record; records of processing; the DPIA ---------------------------------------------------------


@rule("privacy.seen.read")
def may_see_who_saw(actor: Actor, *, member_id=None) -> Decision:
    decision = _officer(actor, actor.school.pk)
    if not decision:
        return decision
    if member_id is not None and _about_actor(actor, member_id=member_id):
        return refuse(Reason("Who opened your own records is answered by someone else", "§8"))
    return allow(
        Reason("Every access to confidential data is recorded, so the school can say who saw it", "§8")
    )


@rule("privacy.records.export")
def may_export_records(actor: Actor) -> Decision:
    decision = _officer(actor, actor.school.pk)
    if not decision:
        return decision
    return allow(
        Reason("The school keeps a record of its processing and assesses high-risk processing", "§8")
    )
