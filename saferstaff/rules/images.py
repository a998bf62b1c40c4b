"""§5 and §6 rules of the school's guidance, for images of pupils. Every caller asks these."""

import datetime

from django.utils import timezone

from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.states import short_name, states_for
from saferstaff.photos.models import Activity, Image
from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.models import Guardianship, Membership, Role

SENIOR = (Role.HEADTEACHER, Role.SENIOR_LEADER)
S5_SENIOR = Reason("Images of pupils need the consent of senior management as well as of guardians", "§5")


def _holds(actor, school_id, *roles) -> bool:
    """Does ``actor`` hold one of ``roles`` at the school now?"""
    m = (
        Membership.objects.active()
        .filter(school_id=school_id, user=actor)
        .prefetch_related("role_grants")
        .first()
    )
    return m is not None and m.has_any(*roles)


def _is_head(actor, school) -> bool:
    return _holds(actor, school.pk, Role.HEADTEACHER)


def _is_senior(actor, school) -> bool:
    return _holds(actor, school.pk, *SENIOR)


@rule("images.consent.record")
def may_record_consent(actor, *, subject, source: str, guardian=None, method: str = "") -> Decision:
    """May this answer for the pupil ``subject`` be recorded? ``actor`` is None for the guardian portal."""
    if source == ConsentRecord.Source.GUARDIAN:
        if guardian is None:
            return refuse(Reason("Say which guardian gave the answer", "§5"))
        if not Guardianship.objects.filter(
            school_id=subject.school_id, pupil=subject, guardian=guardian, parental_responsibility=True
        ).exists():
            return refuse(
                Reason(
                    "Only a guardian with parental responsibility for this pupil can give or withdraw consent",
                    "§5",
                )
            )
    if source == ConsentRecord.Source.SENIOR_LEADER and (
        actor is None or not _is_senior(actor, subject.school)
    ):
        return refuse(
            Reason("Only the Headteacher or a senior leader records senior management's answer", "§5")
        )
    if method == ConsentRecord.Method.PORTAL and source != ConsentRecord.Source.GUARDIAN:
        return refuse(Reason("Only guardians use the portal", "§5"))
    return allow(Reason("Consent can be given, refused or withdrawn at any time, without a reason", "§5"))


# §5: senior management agrees to images *before* they are created, for a clear purpose. A request for a
# day long past is not prior consent, and one years ahead (a mistyped 9999) is not a plan anyone can judge.
ACTIVITY_DAYS_BACK = 365
ACTIVITY_DAYS_AHEAD = 365
SELF_APPROVED = Reason(
    "Approved by the Headteacher who asked for it: the school had no other senior leader to approve it", "§5"
)


@rule("images.activity.date", audited=False)
def may_date_activity(actor, *, happens_on: datetime.date, today: datetime.date | None = None) -> Decision:
    """Is ``happens_on`` a date senior management can approve an activity for?"""
    today = today or timezone.localdate()
    if happens_on < today - datetime.timedelta(days=ACTIVITY_DAYS_BACK):
        return refuse(
            Reason("Enter a date within the last year: consent is agreed before images are created", "§5")
        )
    if happens_on > today + datetime.timedelta(days=ACTIVITY_DAYS_AHEAD):
        return refuse(Reason("Enter a date within the next year: ask for approval closer to the time", "§5"))
    return allow(Reason("Senior management agrees to the activity before its images are created", "§5"))


def _other_senior_leader(school_id, actor) -> bool:
    return (
        Membership.objects.active()
        .filter(school_id=school_id, role_grants__role__in=SENIOR)
        .exclude(user=actor)
        .exists()
    )


@rule("images.activity.decide")
def may_decide_activity(actor, *, subject: Activity) -> Decision:
    """May ``actor`` approve or refuse the photo activity ``subject``? Someone other than the person who
    asked approves it; only a Headteacher with no other senior leader at the school approves their own, and
    that is recorded as self-approved (SELF_APPROVED, shown on the activity and in the audit trail)."""
    if subject.status != Activity.Status.REQUESTED:
        return refuse(Reason(f"This activity is already {subject.get_status_display().lower()}", "§5"))
    if not _holds(actor, subject.school_id, *SENIOR):
        return refuse(
            S5_SENIOR, Reason("Only the Headteacher or a senior leader approves photo activities", "§5")
        )
    own = subject.requested_by_id == actor.pk
    if own and not _holds(actor, subject.school_id, Role.HEADTEACHER):
        return refuse(Reason("Another senior leader or the Headteacher must approve your own request", "§5"))
    if own and _other_senior_leader(subject.school_id, actor):
        return refuse(Reason("A senior leader other than you approves your own request", "§5"))
    date = may_date_activity.__wrapped__(actor, happens_on=subject.happens_on)
    if not date:
        return date
    if not subject.not_one_to_one:
        return refuse(Reason("Photographing a pupil one-to-one is to be avoided", "§5"))
    if subject.device.retired_on is not None:
        return refuse(Reason("The device chosen has been retired from the register", "§5"))
    return allow(S5_SENIOR, SELF_APPROVED) if own else allow(S5_SENIOR)


def outside_the_group(image: Image, pupil) -> Reason | None:
    """A pupil tagged in an image of an activity whose group (the year groups senior management approved)
    does not include them. Not refused — they are in the photo, and tagging them is what lets publishing
    check their consent — but the tagger is told: §5 asks staff to be clear about the purpose of the
    activity, and a pupil from outside it may not belong in its images."""
    if image.activity.pupils.filter(pk=pupil.pk).exists():
        return None
    return Reason(
        f"{short_name(pupil)} is not in the group approved for this activity: check the image fits the "
        "purpose of the activity, and tell senior management if it does not",
        "§5",
    )


def photograph_list(activity: Activity) -> list[tuple]:
    """For the photographer's printable list: each pupil of the group with whether they may be in photos
    for every purpose of the activity, and the reasons when not (not audited per pupil: it is one list)."""
    purposes = list(activity.purposes.all())
    taking = Purpose.objects.filter(school_id=activity.school_id, code="learning_records").first()
    needed = purposes + ([taking] if taking and taking not in purposes else [])
    pupils = list(activity.pupils.order_by("legal_surname", "legal_forename"))
    states = states_for(activity.school, pupils, needed)
    out = []
    for pupil in pupils:
        refused = [r for purpose in needed for r in states[(pupil.pk, purpose.pk)].reasons
                   if not states[(pupil.pk, purpose.pk)].allowed]  # fmt: skip
        out.append((pupil, not refused, refused))
    return out


def publish_reasons(
    actor, subject: Image, channel: Purpose, *, blurred: frozenset | None = None, unknown_visible: int = 0
) -> tuple[list[Reason], list[Reason]]:
    """(why the image cannot be published on ``channel``, what senior management must approve first).

    ``blurred``: when the copy is published with faces blurred, the pupils whose faces were located and will
    be blurred. ``unknown_visible``: faces the screening could not name that would be published as they are
    — any of them may be a pupil without consent."""
    reasons: list[Reason] = []
    approval: list[Reason] = []
    activity = subject.activity
    if channel.school_id != subject.school_id or not channel.publicity or not channel.active:
        return [Reason(f"'{channel.name}' is not a channel images are published on", "§5")], []
    if activity.status != Activity.Status.APPROVED:
        reasons.append(Reason("The photo activity was not approved by senior management", "§5"))
    elif not activity.purposes.filter(pk=channel.pk).exists():
        reasons.append(
            Reason(f"Senior management approved this activity for other uses, not '{channel.name}'", "§5")
        )
    if subject.flag_open:
        reasons.append(
            Reason(
                f"{subject.get_flag_display()}: a senior leader must check it was school equipment first",
                "§6",
            )
        )
    if subject.destruction_queued_at is not None:
        reasons.append(Reason("The image is past its keep-until date and waiting to be destroyed", "§5"))
    pupils = [t.pupil for t in subject.tags.select_related("pupil")]
    blurring = blurred is not None
    if not pupils and not subject.no_pupils and not blurring:
        reasons.append(Reason("Tag every pupil in the image (or confirm no pupil appears) first", "§5"))
    if (
        not pupils
        and subject.no_pupils
        and not blurring
        and subject.no_pupils_by_id == getattr(actor, "pk", None)
    ):
        reasons.append(
            Reason("Someone other than the publisher must confirm that no pupil appears in the image", "§5")
        )
    if pupils:
        from saferstaff.schools.models import SchoolSettings

        states = states_for(subject.school, pupils, [channel])
        blurred_allowed = SchoolSettings.for_school(subject.school).publish_blurred_without_consent
        for pupil in pupils:
            state = states[(pupil.pk, channel.pk)]
            if not state.allowed and blurring and pupil.pk in blurred and blurred_allowed:
                # The school's settings allow it: the publisher sees why, and senior management approves.
                approval.extend(state.reasons)
                approval.append(
                    Reason(
                        f"{short_name(pupil)}'s face would be blurred: senior management must approve", "§5"
                    )
                )
            elif not state.allowed:
                reasons.extend(state.reasons)
                if blurring and pupil.pk not in blurred:
                    reasons.append(
                        Reason(f"{short_name(pupil)}'s face was not found in the photo to blur", "§5")
                    )
                elif blurring:
                    reasons.append(
                        Reason(
                            f"Blurring {short_name(pupil)}'s face does not replace consent: the school's "
                            "settings do not allow publishing a pupil without consent blurred",
                            "§5",
                        )
                    )
            if not pupil.is_current:
                reasons.append(Reason(f"{short_name(pupil)} has left the school", "§5"))
    if subject.kind == Image.Kind.VIDEO:
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
    actor,
    *,
    subject: Image,
    channel: Purpose,
    blurred: frozenset | None = None,
    unknown_visible: int = 0,
    approved_by=None,
) -> Decision:
    """May the image ``subject`` be published on ``channel``? Refusals name each pupil and clause. What
    needs senior management's approval is refused until someone senior other than the publisher approved
    it (``approved_by``; see ``may_approve_publication``)."""
    reasons, approval = publish_reasons(
        actor, subject, channel, blurred=blurred, unknown_visible=unknown_visible
    )
    if reasons:
        return refuse(*reasons)
    approved = (
        approved_by is not None
        and approved_by.pk != getattr(actor, "pk", None)
        and _is_senior(approved_by, subject.school)
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
def may_approve_publication(actor, *, subject) -> Decision:
    """May ``actor`` approve (or decline) the publication request ``subject``?"""
    from saferstaff.publishing.models import PublicationRequest

    if subject.status != PublicationRequest.Status.WAITING:
        return refuse(Reason("This publication is not waiting for approval", "§5"))
    if not _is_senior(actor, subject.school):
        return refuse(S5_SENIOR, Reason("Only the Headteacher or a senior leader approves this", "§5"))
    if subject.requested_by_id == actor.pk:
        return refuse(Reason("Someone senior other than the publisher must approve it", "§5"))
    return allow(S5_SENIOR)


@rule("images.flag.clear")
def may_clear_flag(actor, *, subject: Image) -> Decision:
    if not subject.flag_open:
        return refuse(Reason("This image is not flagged", "§6"))
    if not _is_senior(actor, subject.school):
        return refuse(Reason("Only senior management decides about images from unregistered equipment", "§6"))
    if subject.uploaded_by_id == actor.pk and not _is_head(actor, subject.school):
        return refuse(
            Reason("Another senior leader or the Headteacher must check an image you uploaded", "§6")
        )
    return allow(Reason("Personal equipment needs prior permission; senior management has checked", "§6"))


@rule("images.tag.remove")
def may_remove_tag(actor, *, subject: Image) -> Decision:
    """Removing a pupil from an image changes whose consent publishing checks, so it is not for the
    photographer alone: senior management does it (a wrong tag is reported to them)."""
    if not _is_senior(actor, subject.school):
        return refuse(
            Reason(
                "Ask a senior leader to remove a tag: publishing checks the consent of everyone tagged", "§5"
            )
        )
    return allow(S5_SENIOR)


@rule("images.no_pupils", audited=False)  # the confirmation itself is recorded (images.no_pupils)
def may_confirm_no_pupils(actor, *, subject: Image) -> Decision:
    """May ``actor`` record that no pupil appears in the image? Not while a pupil is tagged in it; and a
    confirmation is never enough on its own: someone else publishes it (``can_publish``)."""
    if subject.tags.exists():
        return refuse(Reason("Pupils are tagged in this image", "§5"))
    return allow(Reason("Someone other than the person who confirms it publishes the image", "§5"))


@rule("images.legal_hold", audited=False)  # the hold itself is recorded (images.legal_hold)
def may_set_legal_hold(actor, *, subject: Image, hold: bool) -> Decision:
    """Those who scrutinise images place a legal hold (the access map); only senior management releases one."""
    if subject.legal_hold and not hold and not _is_senior(actor, subject.school):
        return refuse(Reason("Only the Headteacher or a senior leader releases a legal hold", "§8"))
    return allow(Reason("An image under a legal hold is kept, whatever its retention period", "§8"))


@rule("images.takedown.raise")
def may_take_down(actor, *, subject) -> Decision:
    """May ``actor`` take the publication ``subject`` down (for any reason)?"""
    if subject.taken_down_at is not None:
        return refuse(Reason("It has been taken down already", "§5"))
    if subject.published_by_id != actor.pk and not _is_senior(actor, subject.school):
        return refuse(Reason("Only the person who published it or senior management takes it down", "§5"))
    return allow(Reason("A published image can be taken down at any time", "§5"))


@rule("images.destroy")
def may_destroy(actor, *, subject: Image) -> Decision:
    if not _is_senior(actor, subject.school):
        return refuse(Reason("Only the Headteacher or a senior leader confirms destruction", "§5"))
    if subject.legal_hold:
        return refuse(Reason("The image is under a legal hold and must be kept", "§8"))
    if subject.destruction_queued_at is None:
        return refuse(Reason("The image is not due for destruction", "§5"))
    live = list(subject.publications.filter(taken_down_at__isnull=True).values_list("where", flat=True)[:3])
    if live:
        return refuse(Reason(f"It is still published ({'; '.join(live)}): take it down first", "§5"))
    return allow(Reason("Images are kept only as long as needed (the school's period)", "§5"))
