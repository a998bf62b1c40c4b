"""§5 and §6 rules of the school's guidance, for images of pupils. Every caller asks these.

A rule reads the records it is given through their own behaviour (``activity.is_requested``,
``image.is_video``) and the actor's roles from the ``Actor``; what needs a query of a room above (the
pupils' consent states) the caller passes in, through the one helper that computes it (``Image.consent_on``)."""

import datetime

from django.utils import timezone
from django.utils.formats import date_format

from saferstaff.rules.conduct import may_see_permission
from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.models import SchoolSettings
from saferstaff.schools.roles import SENIOR_MANAGEMENT, Actor, members_holding

S5_SENIOR = Reason("Images of pupils need the consent of senior management as well as of guardians", "§5")


# §5: senior management agrees to images *before* they are created, for a clear purpose. A request for a
# day long past is not prior consent, and one years ahead (a mistyped 9999) is not a plan anyone can judge.
ACTIVITY_DAYS_BACK = 365
ACTIVITY_DAYS_AHEAD = 365
SELF_APPROVED = Reason(
    "Approved by the Headteacher who asked for it: the school had no other senior leader to approve it", "§5"
)


@rule("images.activity.date", audited=False)
def may_date_activity(
    actor: Actor | None, *, happens_on: datetime.date, today: datetime.date | None = None
) -> Decision:
    """Is ``happens_on`` a date senior management can approve an activity for?"""
    today = today or timezone.localdate()
    if happens_on < today - datetime.timedelta(days=ACTIVITY_DAYS_BACK):
        return refuse(
            Reason("Enter a date within the last year: consent is agreed before images are created", "§5")
        )
    if happens_on > today + datetime.timedelta(days=ACTIVITY_DAYS_AHEAD):
        return refuse(Reason("Enter a date within the next year: ask for approval closer to the time", "§5"))
    return allow(Reason("Senior management agrees to the activity before its images are created", "§5"))


@rule("images.activity.decide")
def may_decide_activity(actor: Actor, *, subject) -> Decision:
    """May ``actor`` approve or refuse the photo activity ``subject``? Someone other than the person who
    asked approves it; only a Headteacher with no other senior leader at the school approves their own, and
    that is recorded as self-approved (SELF_APPROVED, shown on the activity and in the audit trail)."""
    actor = actor.at(subject.school_id)
    if not subject.is_requested:
        return refuse(Reason(f"This activity is already {subject.get_status_display().lower()}", "§5"))
    if not actor.is_senior:
        return refuse(
            S5_SENIOR, Reason("Only the Headteacher or a senior leader approves photo activities", "§5")
        )
    own = subject.requested_by_id == actor.pk
    if own and not actor.is_head:
        return refuse(Reason("Another senior leader or the Headteacher must approve your own request", "§5"))
    if own and members_holding(subject.school_id, SENIOR_MANAGEMENT).exclude(user_id=actor.pk).exists():
        return refuse(Reason("A senior leader other than you approves your own request", "§5"))
    date = may_date_activity.peek(actor, happens_on=subject.happens_on)
    if not date:
        return date
    if not subject.not_one_to_one:
        return refuse(Reason("Photographing a pupil one-to-one is to be avoided", "§5"))
    if subject.device.retired_on is not None:
        return refuse(Reason("The device chosen has been retired from the register", "§5"))
    return allow(S5_SENIOR, SELF_APPROVED) if own else allow(S5_SENIOR)


# How a personal-equipment permission (§6) names the device in a flag's reason.
DEVICE_WORDS = {"phone": "phone", "watch": "smartwatch", "other": "device"}


def flag_reason(subject, actor: Actor | None = None) -> Reason:
    """Why the image ``subject`` is flagged: the reason publishing waits for (while the flag is open) and the
    image's page shows. A photo from a member of staff's personal device names the permission it had: its
    conditions (e.g. "no photographs"), and §5 in every case — personal equipment never records pupils.
    Told to an ``actor`` who may not see that colleague's permission (``may_see_permission``), it says not whose."""
    if not subject.taken_on_personal_device:
        return Reason(
            f"{subject.get_flag_display()}: a senior leader must check it was school equipment first", "§6"
        )
    never = "personal equipment is never used to record images of pupils"
    permission = subject.equipment_permission
    if permission is None:
        return Reason(f"{subject.get_flag_display()}: {never}", "§5")
    kind = DEVICE_WORDS.get(permission.device_kind, permission.get_device_kind_display().lower())
    named = actor is None or may_see_permission(actor, permission)
    owner = permission.requested_by.display_name if named else "a member of staff"
    device = f"{owner}'s personal {kind}"
    dates = date_format(permission.starts_on, "j F Y")
    if permission.ends_on != permission.starts_on:
        dates += " to " + date_format(permission.ends_on, "j F Y")
    if permission.forbids_photos:
        said = "; ".join(permission.condition_labels())
        return Reason(f"Taken on {device}: the permission for {dates} says: {said}", "§5, §6")
    return Reason(f"Taken on {device}, used at work with permission for {dates}, but {never}", "§5, §6")


def publish_reasons(
    actor: Actor,
    subject,
    channel,
    *,
    consent: dict,
    blurred: frozenset | None = None,
    unknown_visible: int = 0,
) -> tuple[list[Reason], list[Reason]]:
    """(why the image ``subject`` cannot be published on ``channel`` (a Purpose), what senior management
    must approve first).

    ``consent``: each tagged pupil's consent state for ``channel`` by (pupil id, channel id), from
    ``subject.consent_on(channel)`` (the one place it is computed; a tagged pupil missing from it is an
    error, never a pass).

    ``blurred``: when the copy is published with faces blurred, the pupils whose faces were located and will
    be blurred. ``unknown_visible``: faces the screening could not name that would be published as they are
    — any of them may be a pupil without consent."""
    reasons: list[Reason] = []
    approval: list[Reason] = []
    activity = subject.activity
    if channel.school_id != subject.school_id or not channel.publicity or not channel.active:
        return [Reason(f"'{channel.name}' is not a channel images are published on", "§5")], []
    if not activity.is_approved:
        reasons.append(Reason("The photo activity was not approved by senior management", "§5"))
    elif not activity.purposes.filter(pk=channel.pk).exists():
        reasons.append(
            Reason(f"Senior management approved this activity for other uses, not '{channel.name}'", "§5")
        )
    if subject.flag_open:
        reasons.append(flag_reason(subject, actor))
    if subject.destruction_queued_at is not None:
        reasons.append(Reason("The image is past its retention period and waiting to be destroyed", "§5"))
    pupils = [t.pupil for t in subject.tags.select_related("pupil")]
    blurring = blurred is not None
    if not pupils and not subject.no_pupils and not blurring:
        reasons.append(Reason("Tag every pupil in the image (or confirm no pupil appears) first", "§5"))
    if not pupils and subject.no_pupils and not blurring and subject.no_pupils_by_id == actor.pk:
        reasons.append(
            Reason("Someone other than the publisher must confirm that no pupil appears in the image", "§5")
        )
    if pupils:
        blurred_allowed = SchoolSettings.for_school(subject.school).publish_blurred_without_consent
        for pupil in pupils:
            state = consent[(pupil.pk, channel.pk)]
            if not state.allowed and blurring and pupil.pk in blurred and blurred_allowed:
                # The school's settings allow it: the publisher sees why, and senior management approves.
                approval.extend(state.reasons)
                approval.append(
                    Reason(
                        f"{pupil.short_name}'s face would be blurred: senior management must approve", "§5"
                    )
                )
            elif not state.allowed:
                reasons.extend(state.reasons)
                if blurring and pupil.pk not in blurred:
                    reasons.append(
                        Reason(f"{pupil.short_name}'s face was not found in the photo to blur", "§5")
                    )
                elif blurring:
                    reasons.append(
                        Reason(
                            f"Blurring {pupil.short_name}'s face does not replace consent: the school's "
                            "settings do not allow publishing a pupil without consent blurred",
                            "§5",
                        )
                    )
            if not pupil.is_current:
                reasons.append(Reason(f"{pupil.short_name} has left the school", "§5"))
    if subject.is_video:
        approval.append(
            Reason(
                "Faces are not looked for in videos: senior management must confirm that every pupil who "
                "can be seen is tagged",
                "§5",
            )
        )
    if unknown_visible:
        approval.append(
            Reason(
                f"{unknown_visible} face{'s' if unknown_visible != 1 else ''} that could not be named would be "
                "published unblurred: senior management must confirm that none is a pupil without consent",
                "§5",
            )
        )
    return reasons, approval


@rule("images.publish")
def can_publish(
    actor: Actor,
    *,
    subject,
    channel,
    consent: dict,
    blurred: frozenset | None = None,
    unknown_visible: int = 0,
    approved_by=None,
) -> Decision:
    """May the image ``subject`` be published on ``channel``? Refusals name each pupil and clause. What
    needs senior management's approval is refused until someone senior other than the publisher approved
    it (``approved_by``; see ``may_approve_publication``). ``consent``: as for ``publish_reasons``."""
    reasons, approval = publish_reasons(
        actor, subject, channel, consent=consent, blurred=blurred, unknown_visible=unknown_visible
    )
    if reasons:
        return refuse(*reasons)
    approved = (
        approved_by is not None
        and approved_by.pk != actor.pk
        and members_holding(subject.school_id, SENIOR_MANAGEMENT).filter(user_id=approved_by.pk).exists()
    )
    if approval and not approved:
        return refuse(*approval)
    done = [Reason("The published copy carries no camera or location data", "§5")]
    if approval:
        done.insert(0, Reason("Senior management approved publishing it with these faces", "§5"))
    if blurred is not None:
        return allow(
            Reason(f"Every face that is unknown or has no consent for '{channel.name}' is blurred", "§5"),
            *done,
        )
    return allow(Reason(f"Every pupil in the image has consent for '{channel.name}'", "§5"), *done)


@rule("images.publication.approve")
def may_approve_publication(actor: Actor, *, subject) -> Decision:
    """May ``actor`` approve (or decline) the publication request ``subject``?"""
    if not subject.is_waiting:
        return refuse(Reason("This publication is not waiting for approval", "§5"))
    if not actor.at(subject.school_id).is_senior:
        return refuse(S5_SENIOR, Reason("Only the Headteacher or a senior leader approves this", "§5"))
    if subject.requested_by_id == actor.pk:
        return refuse(Reason("Someone senior other than the publisher must approve it", "§5"))
    return allow(S5_SENIOR)


@rule("images.flag.clear")
def may_clear_flag(actor: Actor, *, subject) -> Decision:
    actor = actor.at(subject.school_id)
    if not subject.flag_open:
        return refuse(Reason("This image is not flagged", "§6"))
    if not actor.is_senior:
        return refuse(Reason("Only senior management decides about images from unregistered equipment", "§6"))
    if subject.uploaded_by_id == actor.pk and not actor.is_head:
        return refuse(
            Reason("Another senior leader or the Headteacher must check an image you uploaded", "§6")
        )
    return allow(Reason("Personal equipment needs prior permission; senior management has checked", "§6"))


@rule("images.tag.remove")
def may_remove_tag(actor: Actor, *, subject) -> Decision:
    """Removing a pupil from an image changes whose consent publishing checks, so it is not for the
    photographer alone: senior management does it (a wrong tag is reported to them)."""
    if not actor.at(subject.school_id).is_senior:
        return refuse(
            Reason(
                "Ask a senior leader to remove a tag: publishing checks the consent of everyone tagged", "§5"
            )
        )
    return allow(S5_SENIOR)


@rule("images.no_pupils", audited=False)  # the confirmation itself is recorded (images.no_pupils)
def may_confirm_no_pupils(actor: Actor, *, subject) -> Decision:
    """May ``actor`` record that no pupil appears in the image? Not while a pupil is tagged in it; and a
    confirmation is never enough on its own: someone else publishes it (``can_publish``)."""
    if subject.tags.exists():
        return refuse(Reason("Pupils are tagged in this image", "§5"))
    return allow(Reason("Someone other than the person who confirms it publishes the image", "§5"))


@rule("images.takedown.raise")
def may_take_down(actor: Actor, *, subject) -> Decision:
    """May ``actor`` take the publication ``subject`` down (for any reason)?"""
    if subject.taken_down_at is not None:
        return refuse(Reason("It has been taken down already", "§5"))
    if subject.published_by_id != actor.pk and not actor.at(subject.school_id).is_senior:
        return refuse(Reason("Only the person who published it or senior management takes it down", "§5"))
    return allow(Reason("A published image can be taken down at any time", "§5"))


@rule("images.takedown.finish")
def may_finish_takedown(actor: Actor, *, subject) -> Decision:
    """May ``actor`` record that the takedown ``subject`` is done (with a note, or on the checks)? The person it
    is for — the publisher — or senior management, as for asking for a check."""
    if subject.assigned_to_id != actor.pk and not actor.at(subject.school_id).is_senior:
        return refuse(Reason("Only the person taking it down or senior management says it is done", "§5"))
    return allow(
        Reason("The person taking it down says what was done; saferstaff checks where it went", "§5")
    )


@rule("images.publication.places")
def may_change_places(actor: Actor, *, subject, removing: bool = False) -> Decision:
    """May ``actor`` add (or, ``removing``, remove) a web address where the publication ``subject`` appears?
    A place is added after it was taken down too (somewhere it also went, to be checked); none is removed
    then: the places are the record of where it came down from."""
    if removing and subject.taken_down_at is not None:
        return refuse(Reason("It has been taken down: where it appeared is kept as the record", "§5"))
    if subject.published_by_id != actor.pk and not actor.at(subject.school_id).is_senior:
        return refuse(
            Reason("Only the person who published it or senior management changes where it appears", "§5")
        )
    return allow(Reason("The register says where each copy was published, so that it can come down", "§5"))


@rule("images.takedown.check")
def may_check_takedown(actor: Actor, *, subject) -> Decision:
    """May ``actor`` ask for the places of the takedown ``subject`` to be checked again (fetched by the worker)?"""
    if subject.done_at is not None:
        return refuse(Reason("It has been taken down already", "§5"))
    if subject.assigned_to_id != actor.pk and not actor.at(subject.school_id).is_senior:
        return refuse(Reason("Only the person taking it down or senior management asks for a check", "§5"))
    return allow(Reason("Where it was published is checked, so that it is known to have come down", "§5"))


@rule("images.takedown.overrule")
def may_overrule_check(actor: Actor, *, subject, newest: bool) -> Decision:
    """May ``actor`` say that the image the check ``subject`` found ("still there") is not the withdrawn photo
    (another shot of the same scene, a photo the school may show), so that its place counts as gone? Senior
    management — the Headteacher or a senior leader — who answer for what the school publishes, on a place's
    ``newest`` check of a takedown still open."""
    if not actor.at(subject.school_id).is_senior:
        return refuse(
            Reason(
                "Only the Headteacher or a senior leader says a photo found is not the withdrawn one", "§5"
            )
        )
    if subject.takedown.done_at is not None:
        return refuse(Reason("It has been taken down already", "§5"))
    if subject.result != "still_there" or subject.overruled_at is not None or not newest:
        return refuse(
            Reason("Only the newest check of a web address that found the photo is overruled", "§5")
        )
    return allow(Reason("Senior management has looked: the image found is not the withdrawn photo", "§5"))


@rule("images.sites.change")
def may_change_sites(actor: Actor, *, subject) -> Decision:
    """May ``actor`` add or remove one of the school ``subject``'s own websites, swept weekly for photos it must
    not show any more? Senior management, who answer for what the school publishes."""
    if not actor.at(subject.pk).is_senior:
        return refuse(
            Reason("Only senior management changes which of the school's websites are checked", "§5")
        )
    return allow(Reason("The school's own websites are checked for photos it must not show any more", "§5"))
