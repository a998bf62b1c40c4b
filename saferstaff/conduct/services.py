"""The doors of §3, §4, §6 and KCSIE Part 4: every write to a disclosure, a permission or a low-level concern
goes through one of these. Each asks its rule (``rules.conduct``) with the acting person's ``Actor``, writes in
one transaction, audits ids and codes only (never what happened, never a pupil's name) and tells the people
the rule names: in saferstaff, and by an email that says only that there is something to read."""

import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.conduct.models import (
    ContactChannel,
    ContactPermission,
    ContactPermissionPupil,
    Decided,
    Disclosure,
    EquipmentPermission,
    LowLevelConcern,
)
from saferstaff.conduct.signals import concern_escalated
from saferstaff.notifications.service import notify
from saferstaff.rules.conduct import (
    CHAIR,
    HEADTEACHER,
    KCSIE,
    decider_for,
    may_decide_contact,
    may_decide_equipment,
    may_disclose,
    may_edit_disclosure,
    may_escalate_concern,
    may_manage_channels,
    may_raise_concern,
    may_record_concern_outcome,
    may_record_outcome,
    may_request_contact,
    may_request_equipment,
    may_withdraw_permission,
    readers,
    route_for,
)
from saferstaff.rules.engine import Reason, Refused, enforce, refuse, require
from saferstaff.schools.models import Membership, SchoolSettings
from saferstaff.schools.roles import DSL, SENIOR_MANAGEMENT, Actor, members_holding


def _tell(members, *, kind: str, title: str, url: str, school, except_user_id=None) -> None:
    for user in {m.user for m in members.select_related("user")}:
        if user.pk != except_user_id:
            notify(user, kind=kind, title=title, url=url, school=school)


def _url(name: str, school, pk: int | None = None) -> str:
    kwargs = {"school": school.slug} | ({"pk": pk} if pk is not None else {})
    return reverse(name, kwargs=kwargs)


# --- §3/§4: disclosing contact --------------------------------------------------------------------------
def _well_formed(actor: Actor, *, who: str, channel: ContactChannel, what_happened: str, pupil) -> None:
    """What a disclosure must say, whether it is made or changed."""
    if who not in Disclosure.Who.values:
        raise Refused(refuse(Reason("Choose who it was", "§3", "who")))
    if channel.school_id != actor.school.pk:
        raise Refused(refuse(Reason("Choose one of the school's channels", "§3", "channel")))
    require("§3", what_happened=what_happened)
    if who == Disclosure.Who.PUPIL and pupil is None:
        raise Refused(refuse(Reason("Choose the pupil, or say you think it is a pupil", "§3", "pupil")))


def disclose(
    actor: Actor,
    *,
    who: str,
    channel: ContactChannel,
    happened_on: datetime.date,
    what_happened: str,
    did: list[str] = (),
    did_note: str = "",
    pupil=None,
    who_text: str = "",
    submission=None,
) -> Disclosure:
    """Record contact with a pupil that happened by chance and alert the Headteacher at once (§3), or the
    chair of governors when the Headteacher discloses it. A ``submission`` (the form's number) already
    recorded returns that disclosure: a form sent twice is told once."""
    enforce(may_disclose(actor, pupil=pupil, happened_on=happened_on))
    _well_formed(actor, who=who, channel=channel, what_happened=what_happened, pupil=pupil)
    school = actor.school
    if submission is not None:
        try:
            with transaction.atomic():
                return _disclose(actor, school, who, channel, happened_on, what_happened, did, did_note, pupil,
                                 who_text, submission)  # fmt: skip
        except IntegrityError:  # sent twice at once: the other request recorded it
            sent = Disclosure.objects.filter(
                school=school, submission=submission, discloser=actor.user
            ).first()
            if sent is None:
                raise
            return sent
    return _disclose(
        actor, school, who, channel, happened_on, what_happened, did, did_note, pupil, who_text, None
    )


def _disclose(
    actor, school, who, channel, happened_on, what_happened, did, did_note, pupil, who_text, submission
):
    if submission is not None:
        sent = Disclosure.objects.filter(school=school, submission=submission, discloser=actor.user).first()
        if sent is not None:
            return sent
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            submission=submission,
            school=school,
            discloser=actor.user,
            who=who,
            pupil=pupil if who == Disclosure.Who.PUPIL else None,
            who_text=who_text.strip(),
            channel=channel,
            happened_on=happened_on,
            what_happened=what_happened.strip(),
            did=[code for code in did if code in Disclosure.Did.values],
            did_note=did_note.strip(),
            routed_to=route_for(school.pk, actor.pk),
        )
        record("conduct.disclosed", disclosure, detail={"routed_to": disclosure.routed_to, "who": who})
        dsl = disclosure.routed_to == HEADTEACHER and SchoolSettings.for_school(school).disclosures_to_dsl
        _tell(
            readers(school.pk, disclosure.routed_to, dsl_too=dsl),
            kind="conduct.disclosure",
            title="A member of staff has disclosed contact with a pupil (§3)",
            url=_url("disclosure_detail", school, disclosure.pk),
            school=school,
            except_user_id=actor.pk,
        )
    return disclosure


DISCLOSURE_FIELDS = ("who", "pupil", "who_text", "channel", "happened_on", "what_happened", "did", "did_note")


def edit_disclosure(actor: Actor, disclosure: Disclosure, **changes) -> Disclosure:
    """Change what a disclosure says: its discloser, until an outcome is recorded (§3)."""
    with transaction.atomic():
        disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        enforce(may_edit_disclosure(actor, subject=disclosure))
        happened_on = changes.get("happened_on", disclosure.happened_on)
        if changes.get("who", disclosure.who) != Disclosure.Who.PUPIL:
            changes["pupil"] = None  # as ``disclose`` keeps it: a pupil only when it was a pupil
        if "did" in changes:
            changes["did"] = [code for code in changes["did"] if code in Disclosure.Did.values]
        pupil = changes.get("pupil", disclosure.pupil)
        enforce(may_disclose.peek(actor, pupil=pupil, happened_on=happened_on))
        _well_formed(
            actor,
            who=changes.get("who", disclosure.who),
            channel=changes.get("channel", disclosure.channel),
            what_happened=changes.get("what_happened", disclosure.what_happened),
            pupil=pupil,
        )
        changed = []
        for name, value in changes.items():
            if name not in DISCLOSURE_FIELDS:
                raise ValueError(f"{name} is not a field a discloser changes")
            if getattr(disclosure, name) != value:
                setattr(disclosure, name, value)
                changed.append(name)
        if changed:
            disclosure.save(update_fields=changed)
            record("conduct.disclosure_changed", disclosure, detail={"fields": sorted(changed)})
    return disclosure


def record_outcome(actor: Actor, disclosure: Disclosure, *, outcome: str, note: str = "") -> Disclosure:
    """The Headteacher (or the chair) records what happens next; the discloser is told, and sees it on their
    My conduct page. "A low-level concern" records one about the discloser, linked; "refer to the DSL" tells
    the designated safeguarding lead."""
    if outcome not in Disclosure.Outcome.values:
        raise Refused(refuse(Reason("Choose an outcome", "§3", "outcome")))
    school = disclosure.school
    with transaction.atomic():
        disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        enforce(may_record_outcome(actor, subject=disclosure))
        if outcome == Disclosure.Outcome.CONCERN:
            subject = Membership.objects.get(school=school, user_id=disclosure.discloser_id)
            disclosure.concern = raise_concern(
                actor,
                subject=subject,
                happened_on=disclosure.happened_on,
                what=f"Recorded from disclosure {disclosure.pk} of contact with a pupil. {note}".strip(),
                anonymous_to_subject=False,
            )
        disclosure.outcome = outcome
        disclosure.outcome_note = note.strip()
        disclosure.decided_by = actor.user
        disclosure.decided_at = timezone.now()
        disclosure.save(update_fields=["outcome", "outcome_note", "decided_by", "decided_at", "concern"])
        record("conduct.disclosure_outcome", disclosure, detail={"outcome": outcome})
        notify(
            disclosure.discloser,
            kind="conduct.outcome",
            title="An outcome has been recorded for the contact you disclosed (§3)",
            url=_url("disclosure_detail", school, disclosure.pk),
            school=school,
        )
        if outcome == Disclosure.Outcome.DSL:
            _tell(
                members_holding(school.pk, {DSL}),
                kind="conduct.referred",
                title="A disclosure of contact with a pupil has been referred to you (§3)",
                url=_url("disclosure_detail", school, disclosure.pk),
                school=school,
                except_user_id=actor.pk,
            )
    return disclosure


# --- §3/§4: the school's list of channels ---------------------------------------------------------------
def add_channel(actor: Actor, *, name: str, is_social_media: bool, run_by_school: bool) -> ContactChannel:
    """Add a platform or channel to the school's list (senior management, §3/§4)."""
    name = " ".join(name.split())
    enforce(may_manage_channels(actor, name=name))
    with transaction.atomic():
        if ContactChannel.objects.filter(school=actor.school, name__iexact=name).exists():
            raise Refused(
                refuse(Reason("The school's list already has a channel with this name", "§3", "name"))
            )
        channel = ContactChannel.objects.create(
            school=actor.school, name=name, is_social_media=is_social_media, run_by_school=run_by_school
        )
        record(
            "conduct.channel_added",
            channel,
            detail={"social_media": is_social_media, "run_by_school": run_by_school},
        )
    return channel


def set_channel_active(actor: Actor, channel: ContactChannel, *, active: bool) -> ContactChannel:
    """Offer a channel again, or stop offering it. Never deleted: disclosures and permissions point at it."""
    enforce(may_manage_channels(actor, channel=channel))
    with transaction.atomic():
        channel = ContactChannel.objects.select_for_update().get(pk=channel.pk)
        if channel.active != active:
            channel.active = active
            channel.save(update_fields=["active"])
            record("conduct.channel_active" if active else "conduct.channel_inactive", channel)
    return channel


# --- §3/§4/§6: permissions ------------------------------------------------------------------------------
def deciders(school_id: int, route: str, *, requester_id: int | None):
    """Who decides a request routed to ``route`` (never the person who asked)."""
    if route in (CHAIR, HEADTEACHER):
        people = readers(school_id, route)  # the chair, or the Headteachers: the same people who read
    else:
        people = members_holding(school_id, SENIOR_MANAGEMENT)
    return people.exclude(user_id=requester_id)


def _ask(actor: Actor, permission, *, title: str, page: str) -> None:
    _tell(
        deciders(actor.school.pk, permission.routed_to, requester_id=actor.pk),
        kind="conduct.permission_requested",
        title=title,
        url=_url(page, actor.school, permission.pk),
        school=actor.school,
    )


def request_contact(
    actor: Actor,
    *,
    channel: ContactChannel,
    purpose: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    pupils=(),
    year_groups=(),
    group_name: str = "",
) -> ContactPermission:
    """Ask to contact pupils through a channel (§3), or on social media (§4: the Headteacher decides)."""
    pupils = list(pupils)
    enforce(
        may_request_contact(
            actor, channel=channel, pupils=pupils, year_groups=year_groups, group_name=group_name,
            starts_on=starts_on, ends_on=ends_on,
        )
    )  # fmt: skip
    require("§3", purpose=purpose)
    with transaction.atomic():
        permission = ContactPermission.objects.create(
            school=actor.school,
            requested_by=actor.user,
            purpose=purpose.strip(),
            channel=channel,
            year_groups=sorted(set(year_groups)),
            group_name=group_name.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            routed_to=decider_for(actor, social_media=channel.is_social_media),
        )
        ContactPermissionPupil.objects.bulk_create(
            ContactPermissionPupil(school=actor.school, permission=permission, pupil=p) for p in pupils
        )
        record(
            "conduct.contact_requested",
            permission,
            detail={"channel": channel.pk, "pupils": len(pupils), "routed_to": permission.routed_to},
        )
        _ask(
            actor,
            permission,
            title="A request to contact pupils waits for your decision",
            page="contact_detail",
        )
    return permission


def request_equipment(
    actor: Actor,
    *,
    device_kind: str,
    purpose: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    make_model: str = "",
    conditions=(),
    conditions_note: str = "",
) -> EquipmentPermission:
    """Ask to use a personal device in work time (§6): senior management decides."""
    enforce(may_request_equipment(actor, starts_on=starts_on, ends_on=ends_on, conditions=conditions))
    require("§6", purpose=purpose, device_kind=device_kind)
    if device_kind not in EquipmentPermission.Kind.values:
        raise Refused(refuse(Reason("Choose the kind of device", "§6", "device_kind")))
    with transaction.atomic():
        permission = EquipmentPermission.objects.create(
            school=actor.school,
            requested_by=actor.user,
            device_kind=device_kind,
            make_model=" ".join(make_model.split()),
            purpose=purpose.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            conditions=[c for c in conditions if c in EquipmentPermission.Condition.values],
            conditions_note=conditions_note.strip(),
            routed_to=decider_for(actor, social_media=False),
        )
        record(
            "conduct.equipment_requested",
            permission,
            detail={"kind": device_kind, "routed_to": permission.routed_to},
        )
        _ask(
            actor, permission, title="A request to use personal equipment waits for your decision",
            page="equipment_detail",
        )  # fmt: skip
    return permission


def decide(actor: Actor, permission, *, approve: bool, reason: str = ""):
    """Approve or refuse a request (a ContactPermission or an EquipmentPermission). A refusal says why."""
    equipment = isinstance(permission, EquipmentPermission)
    model = EquipmentPermission if equipment else ContactPermission
    with transaction.atomic():
        permission = model.objects.select_for_update().select_related("school").get(pk=permission.pk)
        section = "§6" if equipment else ("§4" if permission.channel.is_social_media else "§3")
        rule = may_decide_equipment if equipment else may_decide_contact
        enforce(rule(actor, subject=permission, approve=approve))
        if not approve and not reason.strip():
            raise Refused(refuse(Reason("Say why it is not approved", section, "reason")))
        permission.status = Decided.APPROVED if approve else Decided.REFUSED
        permission.decided_by = actor.user
        permission.decided_at = timezone.now()
        permission.reason = reason.strip()
        permission.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record("conduct.permission_decided", permission, detail={"status": permission.status})
        what = "use personal equipment" if equipment else "contact pupils"
        notify(
            permission.requested_by,
            kind="conduct.permission_decided",
            title=f"Your request to {what} was {'approved' if approve else 'not approved'}",
            url=_url("equipment_detail" if equipment else "contact_detail", permission.school, permission.pk),
            school=permission.school,
        )
    return permission


def withdraw(actor: Actor, permission, *, reason: str = ""):
    """Take back a request, or end a permission early (from today)."""
    model = type(permission)
    with transaction.atomic():
        permission = model.objects.select_for_update().get(pk=permission.pk)
        enforce(may_withdraw_permission(actor, subject=permission))
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        if permission.status == Decided.APPROVED and permission.starts_on <= yesterday:
            permission.ends_on = yesterday  # it was in force until now: the register keeps that
        permission.status = Decided.WITHDRAWN
        permission.reason = reason.strip() or permission.reason
        permission.save(update_fields=["status", "ends_on", "reason"])
        record("conduct.permission_withdrawn", permission)
    return permission


# --- KCSIE Part 4: low-level concerns -----------------------------------------------------------------
def raise_concern(
    actor: Actor,
    *,
    subject: Membership,
    happened_on: datetime.date,
    what: str,
    anonymous_to_subject: bool = True,
) -> LowLevelConcern:
    """Record a low-level concern about a colleague and tell whoever reads it: the Headteacher, or the chair
    of governors when it is about the Headteacher. The subject is never told by saferstaff."""
    enforce(may_raise_concern(actor, subject=subject, happened_on=happened_on))
    require(KCSIE, what=what)
    with transaction.atomic():
        concern = LowLevelConcern.objects.create(
            school=subject.school,
            subject=subject,
            raised_by=actor.user,
            anonymous_to_subject=anonymous_to_subject,
            happened_on=happened_on,
            what=what.strip(),
            routed_to=route_for(subject.school_id, subject.user_id),
        )
        record("conduct.concern_raised", concern, detail={"routed_to": concern.routed_to})
        _tell(
            readers(subject.school_id, concern.routed_to).exclude(pk=subject.pk),
            kind="conduct.concern",
            title="A low-level concern has been raised for you to read (KCSIE)",
            url=_url("concern_detail", subject.school, concern.pk),
            school=subject.school,
            except_user_id=actor.pk,
        )
    return concern


def record_concern_outcome(
    actor: Actor, concern: LowLevelConcern, *, rationale: str, action: str, outcome: str
) -> LowLevelConcern:
    """Record why it is a low-level concern, what was done and the outcome (KCSIE Part 4)."""
    with transaction.atomic():
        concern = LowLevelConcern.objects.select_for_update().get(pk=concern.pk)
        enforce(may_record_concern_outcome(actor, subject=concern))
        if outcome not in LowLevelConcern.Outcome.values or outcome == LowLevelConcern.Outcome.ESCALATED:
            raise Refused(
                refuse(Reason("Choose an outcome (escalating has its own button)", KCSIE, "outcome"))
            )
        require(KCSIE, rationale=rationale, action=action)
        concern.rationale, concern.action, concern.outcome = rationale.strip(), action.strip(), outcome
        concern.decided_by, concern.decided_at = actor.user, timezone.now()
        concern.save(update_fields=["rationale", "action", "outcome", "decided_by", "decided_at"])
        record("conduct.concern_outcome", concern, detail={"outcome": outcome})
    return concern


def escalate_concern(actor: Actor, concern: LowLevelConcern, *, rationale: str) -> LowLevelConcern:
    """The harm threshold is met: the concern becomes an allegation about staff (KCSIE Part 4), handled by the
    case manager with the Local Authority's designated officer. The record stays, marked escalated, and the
    designated safeguarding lead is told."""
    with transaction.atomic():
        concern = LowLevelConcern.objects.select_for_update().get(pk=concern.pk)
        enforce(may_escalate_concern(actor, subject=concern))
        require(KCSIE, rationale=rationale)
        now = timezone.now()
        concern.rationale = rationale.strip()
        concern.outcome = LowLevelConcern.Outcome.ESCALATED
        concern.escalated_by = concern.decided_by = actor.user
        concern.escalated_at = concern.decided_at = now
        concern.save(
            update_fields=["rationale", "outcome", "escalated_by", "escalated_at", "decided_by", "decided_at"]
        )
        record("conduct.concern_escalated", concern)
        concern_escalated.send(sender=LowLevelConcern, concern=concern, actor=actor)
        _tell(
            members_holding(concern.school_id, {DSL}).exclude(pk=concern.subject_id),
            kind="conduct.escalated",
            title="A low-level concern has been escalated as an allegation about staff (KCSIE)",
            url=_url("concern_detail", concern.school, concern.pk),
            school=concern.school,
            except_user_id=actor.pk,
        )
    return concern
