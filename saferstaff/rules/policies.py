"""The school's rules, each citing its clause. Later issues add §3–§9 rules here (or in a module per
section once this file grows); every caller asks these functions rather than re-deciding."""

from django.utils import timezone

from saferstaff.clocks import is_working_day
from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.models import Membership, Role
from saferstaff.schools.roles import SECOND_FACTOR, Actor, members_holding

S2_RESPONSIBLE = Reason(
    "Governors and the Headteacher are responsible for ensuring the guidance is shared and adhered to", "§2"
)


@rule("signin.password_alone", audited=False)
def may_sign_in_without_mfa(
    roles_by_school: dict[int, frozenset[str]], is_trust_admin: bool, is_chair: bool = False
) -> Decision:
    """May this person work with a password alone, or must they add a second factor? §8: every role that
    sees every pupil's photos, consent records or face-matching enrolment (``roles.SECOND_FACTOR``), and trust
    admins who reach many schools, and a chair of governors (the case manager of an allegation about the
    Headteacher, KCSIE Part 4): a password alone is not enough to guard them. (Checked on every request, so not
    audited.)"""
    reasons = []
    if is_trust_admin:
        reasons.append(Reason("Trust and Local Authority admins reach every school's records", "§8"))
    if is_chair:
        reasons.append(
            Reason("The chair of governors manages allegations about the Headteacher", "KCSIE Part 4")
        )
    if any(roles & SECOND_FACTOR for roles in roles_by_school.values()):
        reasons.append(
            Reason(
                "Your role gives access to confidential information about pupils and staff: their photos, "
                "consent records and face-matching enrolment",
                "§8",
            )
        )
    if reasons:
        reasons.append(
            Reason("Logins must be kept secret and never shared; a second factor protects them", "§7")
        )
        return refuse(*reasons)
    return allow()


@rule("signin.allowed", audited=False)
def may_sign_in(user) -> Decision:
    """May this person sign in at all? Only while they have a place at a school, or admin a trust: someone
    recorded as leaving their last school has no professional need for its records any more.
    (Checked at each sign-in, after the password; not audited.)"""
    # A waiting invitation counts: its person signs in to accept it.
    if user.trust_admin_of.exists() or Membership.objects.current().filter(user=user).exists():
        return allow()
    return refuse(
        Reason(
            "Staff records are only for those with a professional need: you are recorded as having left", "§8"
        )
    )


@rule("roles.change")
def may_change_role(actor: Actor, *, subject: Membership, role: str, grant: bool) -> Decision:
    """May ``actor`` grant (or remove) ``role`` for the member ``subject``?"""
    actor = actor.at(subject.school_id)
    if not (actor.is_head or actor.is_trust_admin):
        return refuse(Reason("Only the Headteacher (or the trust's admin) manages roles at a school", "§2"))
    if role not in Role.values:
        return refuse(Reason(f"'{role}' is not a role at a school", "§2"))
    if subject.ended_on is not None:
        return refuse(
            Reason("This person has left the school; roles are kept as they were when they left", "§2")
        )
    if not grant and role == Role.HEADTEACHER:
        if members_holding(subject.school_id, {Role.HEADTEACHER}).count() <= 1:
            return refuse(
                Reason(
                    "A school must always have a Headteacher: they are alerted to contact with pupils", "§3"
                ),
                S2_RESPONSIBLE,
            )
    return allow(S2_RESPONSIBLE)


@rule("roles.chair")
def may_set_chair(actor: Actor, *, subject: Membership, chair: bool, roles: frozenset[str]) -> Decision:
    """May ``actor`` make ``subject`` (whose roles will be ``roles``) the chair of governors, or stop them being
    it? One chair, who is a governor: concerns about the Headteacher go to them (KCSIE Part 4)."""
    actor = actor.at(subject.school_id)
    if not (actor.is_head or actor.is_trust_admin):
        return refuse(
            Reason("Only the Headteacher (or the trust's admin) records the chair of governors", "§2")
        )
    if chair and Role.GOVERNOR not in roles:
        return refuse(
            Reason(
                "The chair of governors holds the Governor role: tick it too", "§2", "is_chair_of_governors"
            )
        )
    if chair and Role.HEADTEACHER in roles:
        return refuse(
            Reason(
                "The chair of governors reads concerns about the Headteacher: a Headteacher is not the chair",
                "KCSIE Part 4",
                "is_chair_of_governors",
            )
        )
    if chair:
        other = (
            members_holding(subject.school_id, {Role.GOVERNOR})
            .filter(is_chair_of_governors=True)
            .exclude(pk=subject.pk)
            .first()
        )
        if other is not None:
            return refuse(
                Reason(
                    f"{other.listed_name} is recorded as chair of governors: a school has one chair. Untick "
                    "them first",
                    "§2",
                    "is_chair_of_governors",
                )
            )
    return allow(S2_RESPONSIBLE)


@rule("membership.end")
def may_mark_as_left(actor: Actor, *, subject: Membership) -> Decision:
    """May ``actor`` record that ``subject`` has left the school (which ends their access to it)?"""
    actor = actor.at(subject.school_id)
    if not (actor.is_head or actor.is_trust_admin):
        return refuse(
            Reason("Only the Headteacher (or the trust's admin) records that someone has left", "§2")
        )
    if subject.ended_on is not None:
        return refuse(Reason("This person is already recorded as having left", "§2"))
    if subject.has_any(Role.HEADTEACHER):
        if members_holding(subject.school_id, {Role.HEADTEACHER}).count() <= 1:
            return refuse(
                Reason("Appoint another Headteacher first: a school must always have one to alert", "§3"),
                S2_RESPONSIBLE,
            )
    return allow(S2_RESPONSIBLE)


@rule("policy.publish")
def may_publish(actor: Actor, *, subject, minor_change: bool, change_note: str = "") -> Decision:
    """May ``actor`` publish the draft ``subject`` (a PolicyVersion) to the school's staff?"""
    if not actor.at(subject.school_id).is_senior:
        return refuse(Reason("Only the Headteacher or a senior leader publishes the school's policies", "§2"))
    if not subject.is_draft:
        return refuse(
            Reason(f"Version {subject.number} is already {subject.get_status_display().lower()}", "§2")
        )
    if not subject.sections.exists():
        return refuse(Reason("The draft has no sections to share with staff", "§2"))
    if minor_change and subject.in_force() is None:
        return refuse(
            Reason(
                "A first version cannot be a minor change: staff have nothing to have accepted yet",
                "§2",
                field="minor_change",
            )
        )
    if not minor_change and not change_note.strip() and subject.same_text_as(subject.in_force()):
        return refuse(
            Reason(
                "The text is the same as the version in force: publish it as a minor change, or say what "
                "changed, so staff asked to accept it again can see why",
                "§2",
                field="change_note",
            )
        )
    return allow(S2_RESPONSIBLE)


@rule("policy.delete_draft")
def may_delete_draft(actor: Actor, *, subject) -> Decision:
    """May ``actor`` delete the draft ``subject`` (a PolicyVersion)? Published and archived versions stay:
    acceptances point at them."""
    if not actor.at(subject.school_id).is_senior:
        return refuse(Reason("Only the Headteacher or a senior leader prepares the school's policies", "§2"))
    if not subject.is_draft:
        return refuse(
            Reason(
                f"Version {subject.number} has been published: it stays on record with its acceptances", "§2"
            )
        )
    return allow(S2_RESPONSIBLE)


def _normalised(name: str) -> str:
    return " ".join(name.split()).casefold()


def _in_force_for(membership, subject) -> list[Reason]:
    if not subject.is_published:
        return [
            Reason(f"Version {subject.number} is no longer the one in force: read the current version", "§2")
        ]
    if membership is None or membership.ended_on is not None or not subject.policy.is_for(membership):
        return [Reason("This policy is not addressed to this person at this school", "§2")]
    return []


@rule("policy.accept")
def may_accept(
    actor: Actor, *, subject, typed_name: str, understood: bool, wrong_answers: int = 0
) -> Decision:
    """May the actor record that they have read and accepted ``subject`` (a PolicyVersion)?"""
    membership = actor.at(subject.school_id).membership
    if problems := _in_force_for(membership, subject):
        return refuse(*problems)
    reasons = []
    if wrong_answers:
        reasons.append(
            Reason(
                f"{wrong_answers} of the questions {'was' if wrong_answers == 1 else 'were'} not answered rightly: "
                "read the sections they name again and try once more",
                "§2",
            )
        )
    if not understood:
        reasons.append(
            Reason("Tick to confirm that you have read and understood it", "§2", field="understood")
        )
    expected = membership.user.get_full_name() or membership.user.email
    if _normalised(typed_name) != _normalised(expected):
        reasons.append(Reason(f"Type your name as saferstaff has it: {expected}", "§2", field="typed_name"))
    if reasons:
        return refuse(*reasons)
    return allow(Reason("Staff must understand and adhere to the school's guidance and policies", "§2"))


@rule("policy.decline")
def may_decline(actor: Actor, *, subject, reason: str) -> Decision:
    """An optional policy may be declined, with a reason; a compulsory one may not."""
    if problems := _in_force_for(actor.at(subject.school_id).membership, subject):
        return refuse(*problems)
    if subject.policy.compulsory:
        return refuse(Reason("This policy is compulsory: every member of staff must follow it", "§2"))
    if not reason.strip():
        return refuse(Reason("Say why you are declining it, so the school can follow it up", "§2"))
    return allow(Reason("Optional policies can be declined with a reason", "§2"))


@rule("policy.accept_on_behalf")
def may_accept_on_behalf(actor: Actor, *, subject, member, note: str, has_evidence: bool) -> Decision:
    """The Headteacher may record someone else's acceptance from a signed paper form (e.g. a volunteer
    without email): with a note and the scanned form, so the record can be checked. Never their own: they
    read the policy and accept it themselves, like everyone else."""
    if not actor.at(subject.school_id).is_head:
        return refuse(Reason("Only the Headteacher records an acceptance on someone's behalf", "§2"))
    if member.user_id == actor.pk:
        return refuse(
            Reason("Accept the policy yourself: a paper acceptance is recorded only for someone else", "§2")
        )
    if problems := _in_force_for(member, subject):
        return refuse(*problems)
    reasons = []
    if not note.strip():
        reasons.append(
            Reason(
                "Add a note saying how the person accepted it (e.g. a signed paper form)", "§2", field="note"
            )
        )
    if not has_evidence:
        reasons.append(Reason("Attach the scanned, signed form", "§2", field="evidence"))
    return refuse(*reasons) if reasons else allow(S2_RESPONSIBLE)


@rule("policy.questions.change", audited=False)  # each change is recorded (policy.question_added/_removed)
def may_change_questions(actor: Actor, *, subject) -> Decision:
    """The questions staff answer before accepting a version are written while it is a draft: whoever
    accepted a published version answered its questions as they stand."""
    if not subject.is_draft:
        return refuse(Reason("Questions can only be changed while the version is a draft", "§2"))
    return allow(Reason("Staff must understand the guidance, not only read it", "§2"))


@rule("policy.review_date", audited=False)  # the change itself is recorded (policy.review_date_changed)
def may_change_review_date(actor: Actor, *, subject) -> Decision:
    """The review date belongs to the version in force: a draft gets one when it is published, and an
    archived version is no longer reviewed."""
    if not subject.is_published:
        return refuse(Reason("Only the version in force has a review date to change", "§2"))
    return allow(Reason("The school reviews its guidance and policies regularly", "§2"))


KCSIE_WORKING_DAYS = Reason(
    "The LADO's one working day counts only the days the school is open: senior management and the school office "
    "keep its closure days",
    "KCSIE Part 4",
)


@rule("school.closure_days")
def may_change_closure_days(actor: Actor, *, day, adding: bool) -> Decision:
    """May ``actor`` add (or remove) ``day`` as a day the school is closed? Senior management or the office;
    never a day already past (a clock already counted it), nor a day that is not a working day anyway."""
    if not (actor.is_senior or actor.holds(Role.OFFICE)):
        return refuse(KCSIE_WORKING_DAYS)
    today = timezone.localdate()
    if adding and day < today:
        return refuse(Reason("Choose today or a day to come: the clocks have already counted a past day",
                             "KCSIE Part 4", "day"))  # fmt: skip
    if not adding and day <= today:
        return refuse(Reason("Only a closure day still to come can be removed", "KCSIE Part 4", "day"))
    if adding and not is_working_day(day):
        return refuse(Reason("That day is a weekend or a bank holiday: not a working day anyway", "KCSIE Part 4",
                             "day"))  # fmt: skip
    return allow(KCSIE_WORKING_DAYS)
