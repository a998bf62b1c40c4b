"""§3, §4 and §6 of the guidance, and Keeping Children Safe in Education (KCSIE) Part 4 on concerns about
staff: contact with pupils, social media, personal equipment and low-level concerns. Every caller asks these.

Who reads and who decides is routed once, here: a disclosure or concern goes to the Headteacher, or to the chair
of governors when it is about the Headteacher (``route_for``); a permission goes to senior leadership, to the
Headteacher for social media (§4), and to the chair of governors when the Headteacher asks for their own
(``decider_for``). Nobody reads a concern about themselves or decides their own request."""

import datetime

from django.utils import timezone

from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.models import Membership, SchoolSettings
from saferstaff.schools.roles import DSL, GOV, LEADERSHIP, SENIOR_MANAGEMENT, Actor, H, members_holding

KCSIE = "KCSIE Part 4"
S3_ALERT = Reason("Contact with a pupil that happens by chance is alerted to the Headteacher at once", "§3")
S3_CHANNELS = Reason(
    "Contact with pupils is through the school's channels, about school matters, with senior leadership's "
    "permission",
    "§3",
)
S4_HEAD = Reason("Contact with pupils on social media needs the Headteacher's prior permission", "§4")
S6_PRIOR = Reason(
    "Personal equipment that records images or sound or reaches the internet is used in work time only with "
    "senior management's prior permission",
    "§6",
)
KCSIE_ROUTE = Reason(
    "A low-level concern goes to the Headteacher, or to the chair of governors when it is about the "
    "Headteacher; its subject never sees it",
    KCSIE,
)
# The longest a permission runs before it is asked for again: one school year.
LONGEST_PERMISSION_DAYS = 366

# Who decides a permission (Permission.routed_to).
SENIOR, HEADTEACHER, CHAIR = "senior", "headteacher", "chair"
ROUTE_LABELS = {
    SENIOR: "a senior leader or the Headteacher",
    HEADTEACHER: "the Headteacher",
    CHAIR: "the chair of governors",
}


def chair_of_governors(school_id: int) -> Membership | None:
    """The school's chair of governors: the one active governor marked as chair (``may_set_chair``)."""
    return (
        members_holding(school_id, {GOV})
        .filter(is_chair_of_governors=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )


def is_chair(actor: Actor) -> bool:
    return actor.membership is not None and actor.membership.is_chair_of_governors and actor.holds(GOV)


def route_for(school_id: int, about_user_id: int) -> str:
    """Who reads a disclosure by, or a concern about, ``about_user_id``: the chair of governors when that
    person is a Headteacher of the school, otherwise the Headteacher (KCSIE Part 4)."""
    if members_holding(school_id, {H}).filter(user_id=about_user_id).exists():
        return CHAIR
    return HEADTEACHER


def readers(school_id: int, routed_to: str, *, dsl_too: bool = False):
    """The members who read what is routed to ``routed_to``: each is told at once."""
    if routed_to == CHAIR:
        chair = chair_of_governors(school_id)
        return Membership.objects.filter(pk=chair.pk) if chair else Membership.objects.none()
    roles = {H, DSL} if dsl_too else {H}
    return members_holding(school_id, roles)


def _reads(actor: Actor, routed_to: str) -> bool:
    return is_chair(actor) if routed_to == CHAIR else actor.is_head


def chair_reads_too(actor: Actor, routed_to: str, school_id: int, **person) -> bool:
    """Is ``actor`` the chair of governors, reading what was routed to the Headteacher because the person it
    is by or about (``person``: ``pk=`` their membership or ``user_id=``) has since become a Headteacher?
    Then it is about the Headteacher, and it is never left to its subject alone (KCSIE Part 4)."""
    return (
        routed_to == HEADTEACHER
        and is_chair(actor)
        and members_holding(school_id, {H}).filter(**person).exists()
    )


# --- §3/§4: coincidental contact, disclosed ------------------------------------------------------------
@rule("conduct.disclose")
def may_disclose(actor: Actor, *, pupil=None, happened_on: datetime.date) -> Decision:
    """May ``actor`` disclose contact with ``pupil`` (or someone they think is a pupil) on ``happened_on``?"""
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff disclose contact with its pupils", "§3"))
    if pupil is not None and pupil.school_id != actor.school.pk:
        return refuse(Reason("Choose a pupil of this school", "§3", field="pupil"))
    if happened_on > timezone.localdate():
        return refuse(Reason("The date it happened cannot be in the future", "§3", field="happened_on"))
    if route_for(actor.school.pk, actor.pk) == CHAIR and chair_of_governors(actor.school.pk) is None:
        return refuse(
            Reason(
                "The school has no chair of governors recorded to tell about a Headteacher's contact: record "
                "one on the staff page first",
                KCSIE,
            )
        )
    return allow(S3_ALERT)


@rule("conduct.disclosure.read", audited=False)
def may_read_disclosure(actor: Actor, *, subject) -> Decision:
    """May ``actor`` read the disclosure ``subject``? Its discloser, whoever it is routed to, and the DSL
    when the school sets it so."""
    actor = actor.at(subject.school_id)
    if subject.discloser_id == actor.pk:
        return allow(S3_ALERT)
    if _reads(actor, subject.routed_to) or chair_reads_too(
        actor, subject.routed_to, subject.school_id, user_id=subject.discloser_id
    ):
        return allow(S3_ALERT)
    if actor.holds(DSL) and subject.outcome == subject.Outcome.DSL:
        return allow(
            Reason("A disclosure referred to the designated safeguarding lead is theirs to read", "§3")
        )
    if (
        subject.routed_to == HEADTEACHER
        and actor.holds(DSL)
        and SchoolSettings.for_school(actor.school).disclosures_to_dsl
    ):
        return allow(
            Reason("The school shares disclosures of contact with the designated safeguarding lead", "§3")
        )
    return refuse(Reason("Only the person who disclosed it and the Headteacher read a disclosure", "§3"))


@rule("conduct.disclosure.edit")
def may_edit_disclosure(actor: Actor, *, subject) -> Decision:
    """May ``actor`` change what the disclosure ``subject`` says? Its discloser, until an outcome is recorded."""
    if subject.discloser_id != actor.pk:
        return refuse(Reason("Only the person who disclosed the contact changes what it says", "§3"))
    if subject.is_decided:
        return refuse(
            Reason(
                "An outcome has been recorded: the disclosure is kept as it was. Add anything new as "
                "a new disclosure",
                "§3",
            )
        )
    return allow(S3_ALERT)


@rule("conduct.disclosure.outcome")
def may_record_outcome(actor: Actor, *, subject) -> Decision:
    """May ``actor`` record the outcome of the disclosure ``subject``?"""
    actor = actor.at(subject.school_id)
    if subject.is_decided:
        return refuse(Reason(f"An outcome is already recorded: {subject.get_outcome_display()}", "§3"))
    if subject.discloser_id == actor.pk:
        return refuse(Reason("Someone other than the person who disclosed it records the outcome", "§3"))
    if not _reads(actor, subject.routed_to) and not chair_reads_too(
        actor, subject.routed_to, subject.school_id, user_id=subject.discloser_id
    ):
        who = "the chair of governors" if subject.routed_to == CHAIR else "the Headteacher"
        return refuse(Reason(f"Only {who} records the outcome of this disclosure", "§3"))
    return allow(S3_ALERT)


# --- §3/§4/§6: permissions -----------------------------------------------------------------------------
def _dates(starts_on: datetime.date, ends_on: datetime.date, section: str) -> list[Reason]:
    today = timezone.localdate()
    reasons = []
    if ends_on < starts_on:
        reasons.append(Reason("The end date must be the same as or after the start date", section, "ends_on"))
    elif ends_on < today:
        reasons.append(Reason("The end date has passed: permission is asked for before", section, "ends_on"))
    elif (ends_on - starts_on).days > LONGEST_PERMISSION_DAYS:
        reasons.append(
            Reason("A permission lasts at most a school year: ask again next year", section, "ends_on")
        )
    if starts_on < today - datetime.timedelta(days=1):
        reasons.append(
            Reason(
                "Permission is given before, not after: choose a start date from today", section, "starts_on"
            )
        )
    return reasons


def decider_for(actor: Actor, *, social_media: bool) -> str:
    """Who decides a request ``actor`` makes: the Headteacher for social media (§4) and senior leadership
    otherwise (§3, §6); the chair of governors for the Headteacher's own social-media request, or for any of
    their own when no other senior leader could decide it."""
    if actor.is_head:
        if social_media:
            return CHAIR
        others = members_holding(actor.school.pk, SENIOR_MANAGEMENT).exclude(user_id=actor.pk)
        return SENIOR if others.exists() else CHAIR
    return HEADTEACHER if social_media else SENIOR


def chair_decides_now(school_id: int, routed_to: str, requester_id: int) -> bool:
    """Is a request routed before its asker became a Headteacher now the chair of governors' to decide, as
    ``decider_for`` would route it today (their social media, §4; anything when no other senior leader could
    decide it)? Then it is never left waiting for its own asker."""
    if routed_to == CHAIR or not members_holding(school_id, {H}).filter(user_id=requester_id).exists():
        return False
    if routed_to == HEADTEACHER:
        return True
    return not members_holding(school_id, SENIOR_MANAGEMENT).exclude(user_id=requester_id).exists()


def _routable(actor: Actor, route: str, section: str) -> list[Reason]:
    if route == CHAIR and chair_of_governors(actor.school.pk) is None:
        return [
            Reason(
                "The Headteacher's own request goes to the chair of governors, and none is recorded: record one "
                "on the staff page first",
                section,
            )
        ]
    return []


@rule("conduct.contact.request")
def may_request_contact(
    actor: Actor, *, channel, pupils=(), year_groups=(), group_name: str = "", starts_on, ends_on
) -> Decision:
    """May ``actor`` ask to contact these pupils through ``channel`` between the dates?"""
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff ask to contact its pupils", "§3"))
    section = "§4" if channel.is_social_media else "§3"
    reasons = _dates(starts_on, ends_on, section)
    if channel.school_id != actor.school.pk or not channel.active:
        reasons.append(Reason("Choose one of the school's channels", section, "channel"))
    elif not channel.run_by_school and not channel.is_social_media:
        reasons.append(
            Reason(
                "Staff do not give pupils personal numbers or personal email: choose one of the school's own "
                "channels",
                "§3",
                "channel",
            )
        )
    if any(p.school_id != actor.school.pk for p in pupils):
        reasons.append(Reason("Choose pupils of this school", section, "pupils"))
    if not pupils and not year_groups and not group_name.strip():
        reasons.append(
            Reason("Say which pupils: year groups, a class or club, or named pupils", section, "pupils")
        )
    reasons += _routable(actor, decider_for(actor, social_media=channel.is_social_media), section)
    if reasons:
        return refuse(*reasons)
    return allow(S4_HEAD if channel.is_social_media else S3_CHANNELS)


@rule("conduct.equipment.request")
def may_request_equipment(actor: Actor, *, starts_on, ends_on, conditions=()) -> Decision:
    """May ``actor`` ask to use a personal device in work time between the dates?"""
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff ask to use personal equipment at work", "§6"))
    reasons = _dates(starts_on, ends_on, "§6") + _routable(
        actor, decider_for(actor, social_media=False), "§6"
    )
    if reasons:
        return refuse(*reasons)
    return allow(S6_PRIOR)


def _may_decide(actor: Actor, subject, section: str, first: Reason) -> Decision:
    actor = actor.at(subject.school_id)
    if not subject.is_requested:
        return refuse(Reason(f"This request is already {subject.get_status_display().lower()}", section))
    if subject.requested_by_id == actor.pk:
        return refuse(Reason("Someone other than the person who asked decides a request", section))
    route = subject.routed_to
    if is_chair(actor) and chair_decides_now(subject.school_id, route, subject.requested_by_id):
        return allow(first)
    if route == CHAIR and not is_chair(actor):
        return refuse(Reason("The chair of governors decides the Headteacher's own request", section))
    if route == HEADTEACHER and not actor.is_head:
        return refuse(S4_HEAD, Reason("Only the Headteacher decides a request to use social media", "§4"))
    if route == SENIOR and not actor.is_senior:
        return refuse(first, Reason("Only the Headteacher or a senior leader decides this request", section))
    return allow(first)


def sees_every_permission(actor) -> bool:
    """Senior leadership, the DSL and the DPO see every request and the registers (§3, §6: open to scrutiny);
    the chair of governors sees the Headteacher's own requests they decide."""
    return actor.holds(*LEADERSHIP)


def may_see_permission(actor, permission) -> bool:
    """May ``actor`` see the contact or equipment permission ``permission``? Its requester, those who see
    every one, and the chair of governors who decides it (what ``conduct.access.get_permission`` lets
    through; an image's flag names a colleague's permission only to these)."""
    actor = actor.at(permission.school_id)
    if permission.requested_by_id == actor.pk or sees_every_permission(actor):
        return True
    return is_chair(actor) and (
        permission.routed_to == CHAIR
        or chair_decides_now(permission.school_id, permission.routed_to, permission.requested_by_id)
    )


@rule("conduct.contact.decide")
def may_decide_contact(actor: Actor, *, subject, approve: bool = True) -> Decision:
    """May ``actor`` approve (or refuse) the contact request ``subject``?"""
    social = subject.routed_to == HEADTEACHER or subject.channel.is_social_media
    decision = _may_decide(actor, subject, "§4" if social else "§3", S4_HEAD if social else S3_CHANNELS)
    if decision and approve and subject.ends_on < timezone.localdate():
        return refuse(Reason("The dates asked for have passed: refuse it, or ask for new dates", "§3"))
    return decision


@rule("conduct.equipment.decide")
def may_decide_equipment(actor: Actor, *, subject, approve: bool = True) -> Decision:
    """May ``actor`` approve (or refuse) the personal-equipment request ``subject``?"""
    decision = _may_decide(actor, subject, "§6", S6_PRIOR)
    if decision and approve and subject.ends_on < timezone.localdate():
        return refuse(Reason("The dates asked for have passed: refuse it, or ask for new dates", "§6"))
    return decision


@rule("conduct.permission.withdraw")
def may_withdraw_permission(actor: Actor, *, subject) -> Decision:
    """May ``actor`` withdraw ``subject`` (a request or a permission)? The person who asked, or anyone who
    could decide it; a permission ends early, a request is taken back."""
    actor = actor.at(subject.school_id)
    section = "§6" if hasattr(subject, "device_kind") else "§3"
    if subject.status not in ("requested", "approved") or subject.ends_on < timezone.localdate():
        return refuse(Reason("Only a request or a permission still in force can be withdrawn", section))
    chairs_it = is_chair(actor) and (
        subject.routed_to == CHAIR
        or chair_decides_now(subject.school_id, subject.routed_to, subject.requested_by_id)
    )
    if subject.requested_by_id == actor.pk or actor.is_senior or chairs_it:
        return allow(Reason("A permission can be ended at any time", section))
    return refuse(Reason("Only the person who asked or senior leadership withdraws a permission", section))


# --- KCSIE Part 4: low-level concerns -----------------------------------------------------------------
@rule("conduct.concern.raise")
def may_raise_concern(actor: Actor, *, subject: Membership, happened_on: datetime.date) -> Decision:
    """May ``actor`` raise a low-level concern about the member ``subject``? It must reach someone who is
    not its subject."""
    if actor.membership is None:
        return refuse(Reason("Only the school's own staff and governors raise a concern here", KCSIE))
    if subject.school_id != actor.school.pk or subject.ended_on is not None:
        return refuse(Reason("Choose a member of this school's staff", KCSIE, "subject"))
    if happened_on > timezone.localdate():
        return refuse(Reason("The date cannot be in the future", KCSIE, "happened_on"))
    route = route_for(subject.school_id, subject.user_id)
    people = readers(subject.school_id, route).exclude(pk=subject.pk)
    if not people.exists():
        if route == CHAIR:
            return refuse(
                Reason(
                    "A concern about the Headteacher goes to the chair of governors, and the school has none "
                    "recorded. Tell the chair of governors directly, or the Local Authority's designated officer",
                    KCSIE,
                    "subject",
                )
            )
        return refuse(Reason("A concern must reach someone who is not its subject", KCSIE, "subject"))
    return allow(KCSIE_ROUTE)


@rule("conduct.concern.read", audited=False)
def may_read_concern(actor: Actor, *, subject) -> Decision:
    """May ``actor`` read the concern ``subject``? Whoever it is routed to — never its subject."""
    actor = actor.at(subject.school_id)
    if actor.membership is not None and subject.subject_id == actor.membership.pk:
        return refuse(Reason("The subject of a concern never reads it", KCSIE))
    if _reads(actor, subject.routed_to) or chair_reads_too(
        actor, subject.routed_to, subject.school_id, pk=subject.subject_id
    ):
        return allow(KCSIE_ROUTE)
    if subject.escalated_at is not None and actor.holds(DSL):
        return allow(
            Reason("An escalated concern is an allegation: the DSL works on it with the case manager", KCSIE)
        )
    return refuse(KCSIE_ROUTE)


@rule("conduct.concern.outcome")
def may_record_concern_outcome(actor: Actor, *, subject) -> Decision:
    """May ``actor`` record the rationale, action and outcome of the concern ``subject``?"""
    read = may_read_concern.peek(actor, subject=subject)
    if not read:
        return read
    if subject.is_decided:
        return refuse(Reason(f"An outcome is already recorded: {subject.get_outcome_display()}", KCSIE))
    return allow(Reason("A low-level concern is recorded with its rationale and the action taken", KCSIE))


@rule("conduct.concern.escalate")
def may_escalate_concern(actor: Actor, *, subject) -> Decision:
    """May ``actor`` take the concern ``subject`` to the allegations process (the harm threshold is met)?"""
    read = may_read_concern.peek(actor, subject=subject)
    if not read:
        return read
    if subject.escalated_at is not None:
        return refuse(Reason("This concern has already been escalated", KCSIE))
    if subject.is_decided:
        return refuse(Reason(f"An outcome is already recorded: {subject.get_outcome_display()}", KCSIE))
    return allow(
        Reason("A concern that meets the harm threshold is handled as an allegation about staff", KCSIE)
    )


# --- §3/§4: the school's list of channels ----------------------------------------------------------------
@rule("conduct.channels.manage")
def may_manage_channels(actor: Actor, *, name: str | None = None, channel=None) -> Decision:
    """May ``actor`` add a channel called ``name`` to the school's list, or switch ``channel`` on or off?
    Senior management keeps the list staff disclose contact and ask permission with (§3, §4). (That a name
    is not on the list twice is the door's check: the list is the conduct room's record.)"""
    if not actor.is_senior:
        return refuse(Reason("Senior management keeps the school's list of channels", "§3"))
    if channel is not None and channel.school_id != actor.school.pk:
        return refuse(Reason("Choose one of the school's channels", "§3", "channel"))
    if name is not None:
        name = " ".join(name.split())
        if not name:
            return refuse(Reason("Enter the name of the platform or channel", "§3", "name"))
    return allow(S3_CHANNELS)
