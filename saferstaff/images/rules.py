"""§5 and §6 rules of the school's guidance, for images of pupils. Every caller asks these."""

from saferstaff.images.consent import short_name, states_for
from saferstaff.images.models import Activity, ConsentRecord, Image, Purpose
from saferstaff.policy.engine import Decision, Reason, allow, refuse, rule
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


@rule("images.activity.decide")
def may_decide_activity(actor, *, subject: Activity) -> Decision:
    """May ``actor`` approve or refuse the photo activity ``subject``?"""
    if subject.status != Activity.Status.REQUESTED:
        return refuse(Reason(f"This activity is already {subject.get_status_display().lower()}", "§5"))
    if not _holds(actor, subject.school_id, *SENIOR):
        return refuse(
            S5_SENIOR, Reason("Only the Headteacher or a senior leader approves photo activities", "§5")
        )
    if subject.requested_by_id == actor.pk and not _holds(actor, subject.school_id, Role.HEADTEACHER):
        return refuse(Reason("Another senior leader or the Headteacher must approve your own request", "§5"))
    if not subject.not_one_to_one:
        return refuse(Reason("Photographing a pupil one-to-one is to be avoided", "§5"))
    if subject.device.retired_on is not None:
        return refuse(Reason("The device chosen has been retired from the register", "§5"))
    return allow(S5_SENIOR)


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


@rule("images.publish")
def can_publish(actor, *, subject: Image, channel: Purpose, blurred: frozenset | None = None) -> Decision:
    """May the image ``subject`` be published on ``channel``? Refusals name each pupil and clause.

    ``blurred``: when the copy is published with faces blurred, the pupils whose faces were located and will
    be blurred — their lack of consent no longer stops it, and untagged faces are blurred as unknown."""
    reasons: list[Reason] = []
    activity = subject.activity
    if channel.school_id != subject.school_id or not channel.publicity or not channel.active:
        return refuse(Reason(f"'{channel.name}' is not a channel images are published on", "§5"))
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
        states = states_for(subject.school, pupils, [channel])
        for pupil in pupils:
            state = states[(pupil.pk, channel.pk)]
            if not state.allowed and not (blurring and pupil.pk in blurred):
                reasons.extend(state.reasons)
                if blurring:
                    reasons.append(
                        Reason(f"{short_name(pupil)}'s face was not found in the photo to blur", "§5")
                    )
            if not pupil.is_current:
                reasons.append(Reason(f"{short_name(pupil)} has left the school", "§5"))
    if reasons:
        return refuse(*reasons)
    if blurring:
        return allow(
            Reason(f"Every face that is unknown or has no consent for '{channel.name}' is blurred", "§5"),
            Reason("The published copy carries no camera or location data", "§5"),
        )
    return allow(
        Reason(f"Every pupil in the image has consent for '{channel.name}'", "§5"),
        Reason("The published copy carries no camera or location data", "§5"),
    )


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
