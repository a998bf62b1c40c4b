"""What happens when people act on images: activities, tagging, the takedowns a withdrawal of consent raises,
publishing, and what the retention schedule (privacy.sweep) asks of the images room. Views, commands and jobs call these; the decisions themselves are the
rules in ``rules.images``."""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from saferstaff import scans
from saferstaff.accounts.models import User
from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.states import state_of, states_for
from saferstaff.faces.boxes import same_face
from saferstaff.notifications.service import notify
from saferstaff.photos import checks
from saferstaff.photos.models import (
    Activity,
    ActivityPupil,
    Image,
    ImageTag,
    PendingDeletion,
    Publication,
    PublicationPlace,
    PublicationPupil,
    Takedown,
)
from saferstaff.rules.engine import Decision, Reason, Refused, enforce, refuse
from saferstaff.rules.images import (
    SELF_APPROVED,
    may_clear_flag,
    may_confirm_no_pupils,
    may_date_activity,
    may_decide_activity,
    may_remove_tag,
    may_take_down,
)
from saferstaff.schools.models import School
from saferstaff.schools.roles import SENIOR_MANAGEMENT, Actor, members_holding

log = logging.getLogger(__name__)


# --- Photo activities -----------------------------------------------------------------------------------


def request_activity(activity: Activity, *, purposes, pupils, by) -> Activity:
    """A photo activity asked for (§5: senior management agrees before any image is taken): saved with the
    group who may be photographed, recorded, and senior management told it is waiting for them.
    ``activity`` comes unsaved, its details filled in; its date is checked by the rule the form shows."""
    decision = may_date_activity(None, happens_on=activity.happens_on)
    enforce(decision)
    with transaction.atomic():
        activity.requested_by = by
        activity.save()
        activity.purposes.set(purposes)
        ActivityPupil.objects.bulk_create(
            [ActivityPupil(school_id=activity.school_id, activity=activity, pupil=p) for p in pupils]
        )
        record("images.activity.requested", activity)
    tell_senior_management(
        activity.school,
        title=f"{activity.title} on {activity.happens_on.day} {activity.happens_on:%B %Y} is waiting for your "
        "approval (§5)",
        url=reverse("activity_detail", kwargs={"school": activity.school.slug, "pk": activity.pk}),
        kind="images.activity",
        except_user=by,
    )
    return activity


def decide_activity(activity: Activity, *, by, approve: bool, note: str = "") -> Decision:
    """Senior management's answer to a photo activity (§5): checked by the rule, saved, audited (with
    whether the Headteacher approved their own request) and told to the photographer."""
    decision = may_decide_activity(Actor.of(by, activity.school), subject=activity)
    enforce(decision)
    with transaction.atomic():
        activity.status = Activity.Status.APPROVED if approve else Activity.Status.REFUSED
        activity.decided_by = by
        activity.decided_at = timezone.now()
        activity.decision_note = note
        activity.save()
        self_approved = approve and SELF_APPROVED in decision.reasons
        record(
            "images.activity.decided", activity, detail={"approved": approve, "self_approved": self_approved}
        )
    if activity.requested_by_id != by.pk:
        notify(
            activity.requested_by,
            kind="images.activity.decided",
            title=f"Your photo activity {activity.title} was {'approved' if approve else 'not approved'} (§5)",
            url=reverse("activity_detail", kwargs={"school": activity.school.slug, "pk": activity.pk}),
            school=activity.school,
        )
    return decision


# --- Consent -----------------------------------------------------------------------------------------


def take_down_on_withdrawal(sender, *, withdrawal: ConsentRecord, **kwargs) -> None:
    """A "no" recorded by ``consent.services.record_answers`` (its ``withdrawn`` signal, in its transaction)."""
    raise_takedowns(withdrawal)


def raise_takedowns(withdrawal: ConsentRecord) -> int:
    """Every live publication on the withdrawn purpose in which the pupil appears (as recorded when it was
    published, or tagged since) becomes a takedown for its publisher, if the pupil's consent for that
    purpose is now not given. Set-based: one query to find, one insert, one notification per publisher."""
    state = state_of(withdrawal.pupil, withdrawal.purpose)
    if state.allowed:
        return 0
    live = Publication.objects.filter(
        school_id=withdrawal.school_id,
        channel_id=withdrawal.purpose_id,
        taken_down_at__isnull=True,
        pupils__pupil_id=withdrawal.pupil_id,
    )
    return _raise(
        withdrawal.school, withdrawal.pupil, live, withdrawal=withdrawal, reason=str(state.reasons[0])
    )


def _raise(school, pupil, publications, *, withdrawal=None, reason: str = "") -> int:
    rows = [
        Takedown(
            school_id=school.pk,
            publication_id=pk,
            pupil_id=pupil.pk,
            consent_record=withdrawal,
            reason=reason[:300],
            assigned_to_id=publisher,
        )
        for pk, publisher in publications.exclude(takedowns__pupil_id=pupil.pk)
        .order_by()
        .values_list("pk", "published_by_id")
    ]
    Takedown.objects.bulk_create(rows, batch_size=2000)
    placed = set(  # where it went is checked as soon as it is raised: one query finds which have places
        PublicationPlace.objects.filter(publication_id__in=[r.publication_id for r in rows]).values_list(
            "publication_id", flat=True
        )
    )
    for row in rows:
        if row.publication_id in placed:
            checks.queue_checks(row)
    by_publisher: dict[int, int] = defaultdict(int)
    for row in rows:
        by_publisher[row.assigned_to_id] += 1
    if rows:
        url = reverse("takedown_list", kwargs={"school": school.slug})
        for user in User.objects.filter(pk__in=by_publisher):
            n = by_publisher[user.pk]
            notify(
                user,
                kind="images.takedown",
                title=f"Consent is missing: take down {n} published image{'s' if n != 1 else ''} (§5)",
                url=url,
                school=school,
            )
        record("images.takedowns.raised", pupil, school=school, detail={"count": len(rows)})
    return len(rows)


# --- Tagging: the one door through which a pupil gets into an image ----------------------------------------


@dataclass(frozen=True)
class Tagged:
    """What tagging a pupil did, for the caller to show: nothing when the pupil was tagged already."""

    created: bool
    takedowns: int = 0  # live publications on a channel the pupil has no consent for: takedowns raised
    no_consent_to_photograph: bool = False  # senior management was told


def tag(image: Image, pupil, *, by, source: str, box=None) -> Tagged:
    """Tag ``pupil`` in ``image`` — by hand, from the face screening, from a review confirmation, from the
    demo loader: every way applies the same rules once. The pupil joins each live publication's list (a
    later withdrawal takes it down), a publication on a channel they have no consent for becomes a
    takedown at once (§5), and senior management is told when they have no consent to be photographed at
    all. ``box``: where the face is, when known; a publication whose copy blurred that face does not show
    them."""
    with transaction.atomic():
        _tag, created = ImageTag.objects.get_or_create(
            school_id=image.school_id, image=image, pupil=pupil, defaults={"tagged_by": by, "source": source}
        )
        if not created:
            return Tagged(False)
        record("images.tag.added", image, detail={"pupil": pupil.pk, "source": source})
        if image.no_pupils:
            Image.objects.filter(pk=image.pk).update(no_pupils=False, no_pupils_by=None)
        live = [
            pub
            for pub in image.publications.filter(taken_down_at__isnull=True).select_related("channel")
            if box is None or not any(same_face(box, face["box"]) for face in pub.faces_blurred)
        ]
        taking = Purpose.objects.filter(school_id=image.school_id, code="learning_records").first()
        purposes = {pub.channel for pub in live} | ({taking} if taking else set())
        states = states_for(image.school, [pupil], purposes) if purposes else {}
        PublicationPupil.objects.bulk_create(
            [PublicationPupil(school_id=image.school_id, publication=p, pupil=pupil) for p in live],
            ignore_conflicts=True,
        )
        raised = 0
        for pub in live:
            state = states[(pupil.pk, pub.channel_id)]
            if not state.allowed:
                raised += _raise(
                    image.school, pupil, Publication.objects.filter(pk=pub.pk), reason=str(state.reasons[0])
                )
        unphotographable = taking is not None and not states[(pupil.pk, taking.pk)].allowed
        if unphotographable:
            tell_senior_management(
                image.school,
                title=f"{pupil.short_name}, who has no consent to be photographed, was tagged in image "
                f"{image.pk} (§5)",
                url=reverse("image_detail", kwargs={"school": image.school.slug, "pk": image.pk}),
                kind="images.no_consent_tagged",
            )
    return Tagged(True, raised, unphotographable)


# --- The library: a tag removed, no pupil confirmed, a flag cleared, a legal hold ---------------------------


def remove_tag(image: Image, tag_id: int | None, *, by) -> bool:
    """Take a pupil out of an image (senior management: publishing checks the consent of everyone tagged,
    §5). False when the image has no such tag."""
    decision = may_remove_tag(Actor.of(by, image.school), subject=image)
    enforce(decision)
    with transaction.atomic():
        tag = image.tags.select_for_update().filter(pk=tag_id).first()
        if tag is None:
            return False
        record("images.tag.removed", image, detail={"pupil": tag.pupil_id})
        tag.delete()
    return True


def confirm_no_pupils(image: Image, *, by) -> None:
    """Record ``by``'s word that no pupil appears in the image; someone else then publishes it (§5)."""
    decision = may_confirm_no_pupils(Actor.of(by, image.school), subject=image)
    enforce(decision)
    with transaction.atomic():
        Image.objects.filter(pk=image.pk).update(no_pupils=True, no_pupils_by=by)
        record("images.no_pupils", image, detail={"no_pupils": True})


def clear_flag(image: Image, *, by, note: str) -> None:
    """Senior management has checked an image from equipment not in the register (§6); ``note`` says what."""
    decision = may_clear_flag(Actor.of(by, image.school), subject=image)
    enforce(decision)
    with transaction.atomic():
        Image.objects.filter(pk=image.pk).update(
            flag_cleared_by=by, flag_cleared_at=timezone.now(), flag_note=note
        )
        record("images.flag.cleared", image)


# --- Takedowns ------------------------------------------------------------------------------------------------


def take_down(publication: Publication, *, by, reason: str) -> Takedown:
    """The publisher or senior management takes a publication down, for a reason they give: a takedown for
    the publisher (told, unless it is them), who records that it is down (``finish_takedown``)."""
    decision = may_take_down(Actor.of(by, publication.school), subject=publication)
    enforce(decision)
    with transaction.atomic():
        takedown = Takedown.objects.create(
            school_id=publication.school_id, publication=publication, reason=reason.strip()[:300],
            assigned_to_id=publication.published_by_id, raised_by=by,
        )  # fmt: skip
        record("images.takedown.raised", takedown, detail={"publication": publication.pk, "by_hand": True})
        checks.queue_checks(takedown)  # where it went is checked as soon as it is taken down
        if publication.published_by_id != by.pk:
            school = takedown.school
            notify(
                publication.published_by,
                kind="images.takedown",
                title="Take down a published image (§5)",
                url=reverse("takedown_done", kwargs={"school": school.slug, "pk": takedown.pk}),
                school=school,
            )
    return takedown


def finish_takedown(
    takedown: Takedown, *, by, note: str = "", evidence=None, on_checks: bool = False
) -> None:
    """The publisher has removed the copy: record how, and when every takedown of that publication is done,
    mark the publication taken down and delete our published copy. ``on_checks``: closed with the checks as
    its evidence, allowed only when every place's latest check found it gone. A place whose latest check found
    it still there keeps the takedown open, whatever the note says (§5)."""
    with transaction.atomic():
        if Takedown.objects.select_for_update().get(pk=takedown.pk).done_at is not None:
            raise Refused(refuse(Reason("It has been marked as taken down already", "§5")))
        if there := checks.still_there(takedown):
            raise Refused(
                refuse(Reason(f"The latest check found it still there at {there[0].found_url}", "§5"))
            )
        if on_checks and not checks.all_gone(takedown):
            raise Refused(
                refuse(Reason("Not every place's latest check found it gone: check again first", "§5"))
            )
        if on_checks:
            n = len(checks.latest(takedown))
            note = note or f"Checked by saferstaff: gone from {n} web address{'es' if n != 1 else ''}"
        if not note.strip():
            raise Refused(refuse(Reason("Say what you did", "§5", "note")))
        takedown.done_at = timezone.now()
        takedown.done_by = by
        takedown.evidence_note = note[:500]
        takedown.closed_on_checks = on_checks
        if evidence is not None:
            takedown.evidence.save(scans.stored_name(evidence), evidence, save=False)
        takedown.save()
        pub = takedown.publication
        if pub.taken_down_at is None:
            pub.taken_down_at = takedown.done_at
            name = pub.copy.name
            pub.copy = ""
            pub.save(update_fields=["taken_down_at", "copy"])
            if name:
                transaction.on_commit(lambda: delete_files([name], school_id=pub.school_id))
        # A publication comes down once, whoever's withdrawal caused it.
        Takedown.objects.filter(publication=pub, done_at__isnull=True).update(
            done_at=takedown.done_at, done_by=by, evidence_note=note
        )
        detail = {"publication": pub.pk}
        if on_checks:
            detail["checks"] = sorted(c.pk for c in checks.latest(takedown).values())
        record("images.takedown.done", takedown, detail=detail)


def chase_takedowns(now: datetime.datetime | None = None) -> int:
    """Daily: check again the places of each open takedown due a reminder, and remind each publisher of their
    open takedowns (at most once a day), saying where the latest check found one still there."""
    now = now or timezone.now()
    due = Takedown.objects.filter(done_at__isnull=True).filter(
        Q(last_chased_at__isnull=True, created_at__lte=now - datetime.timedelta(days=1))
        | Q(last_chased_at__lte=now - datetime.timedelta(days=1))
    )
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, school_id, user_id in due.values_list("pk", "school_id", "assigned_to_id"):
        grouped[(school_id, user_id)].append(pk)
    placed = due.filter(Exists(PublicationPlace.objects.filter(publication=OuterRef("publication"))))
    for takedown in placed.select_related("school"):
        with acting_as(school_id=takedown.school_id):
            checks.queue_checks(takedown)  # run by the worker; the reminder says what the latest one found

    for (school_id, user_id), pks in grouped.items():
        school = School.objects.get(pk=school_id)
        there = [c for t in Takedown.objects.filter(pk__in=pks) for c in checks.still_there(t)]
        where = f": still there at {there[0].found_url}" if there else ""
        title = f"Still to take down: {len(pks)} published image{'s' if len(pks) != 1 else ''} (§5){where}"
        notify(
            User.objects.get(pk=user_id),
            kind="images.takedown.chase",
            title=title if len(title) <= 200 else title[:199] + "…",
            url=reverse("takedown_list", kwargs={"school": school.slug}),
            school=school,
        )
        Takedown.objects.filter(pk__in=pks).update(last_chased_at=now)
    return sum(len(v) for v in grouped.values())


# --- Retention ---------------------------------------------------------------------------------------------


def mark_due(listed) -> int:
    """The retention schedule's due list says which images are due for destruction (``listed``: a queryset
    of image ids, from the privacy room, which this room does not import). Mark them (they are not published
    again), unmark those no longer listed (a legal hold, a longer period), and raise a takedown for each live
    publication of a marked image, so that it can then be destroyed (§5). Three set-based statements, whatever
    the size of the library; returns the images newly marked."""
    now = timezone.now()
    Image.objects.filter(destruction_queued_at__isnull=False).exclude(pk__in=listed).update(
        destruction_queued_at=None
    )
    marked = Image.objects.filter(destruction_queued_at__isnull=True, pk__in=listed).update(
        destruction_queued_at=now
    )
    _take_down_expired()
    return marked


def _take_down_expired() -> int:
    """A takedown (no pupil: the date, not a withdrawal) for each live publication of a queued image that has
    no open takedown yet; one notice per publisher."""
    live = (
        Publication.objects.filter(taken_down_at__isnull=True, image__destruction_queued_at__isnull=False)
        .exclude(Exists(Takedown.objects.filter(publication=OuterRef("pk"), done_at__isnull=True)))
        .order_by()
    )
    rows = [
        Takedown(school_id=school_id, publication_id=pk, assigned_to_id=publisher, reason=EXPIRED)
        for pk, school_id, publisher in live.values_list("pk", "school_id", "published_by_id")
    ]
    Takedown.objects.bulk_create(rows, batch_size=2000)
    placed = set(  # where it went is checked as soon as it is raised: one query finds which have places
        PublicationPlace.objects.filter(publication_id__in=[r.publication_id for r in rows]).values_list(
            "publication_id", flat=True
        )
    )
    for row in rows:
        if row.publication_id in placed:
            checks.queue_checks(row)
    grouped: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        grouped[(row.school_id, row.assigned_to_id)] += 1
    if rows:
        schools = School.objects.in_bulk({s for s, _ in grouped})
        users = User.objects.in_bulk({u for _, u in grouped})
        for (school_id, user_id), count in grouped.items():
            school = schools[school_id]
            notify(
                users[user_id],
                kind="images.takedown",
                title=f"Past its retention period: take down {count} published image{'s' if count != 1 else ''} (§5)",
                url=reverse("takedown_list", kwargs={"school": school.slug}),
                school=school,
            )
        for school_id in {s for s, _ in grouped}:
            count = sum(n for (s, _), n in grouped.items() if s == school_id)
            record(
                "images.takedowns.raised", None, school=school_id, detail={"count": count, "expired": True}
            )
    return len(rows)


EXPIRED = "The image is past its retention period: take it down so that it can be destroyed (§5, §8)"


# --- Deleting stored files -----------------------------------------------------------------------------------


def delete_files(names, *, school_id: int) -> int:
    """Delete the school's stored files; one that cannot be deleted now (storage unreachable) is queued and
    retried by the daily job, so a destroyed image or a taken-down copy never lingers unnoticed. Returns the
    failures."""
    failed = 0
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001  (botocore's errors are not OSError)
            log.warning("deleting a stored file failed; queued for retry", exc_info=True)
            PendingDeletion.objects.get_or_create(school_id=school_id, name=name)
            failed += 1
    return failed


def retry_deletions() -> int:
    """Daily: retry queued deletions; a row goes once storage confirms the file is gone."""
    done = 0
    for pending in PendingDeletion.objects.all():
        try:
            default_storage.delete(pending.name)
            gone = not default_storage.exists(pending.name)
        except Exception:  # noqa: BLE001
            gone = False
        if gone:
            pending.delete()
            done += 1
        else:
            PendingDeletion.objects.filter(pk=pending.pk).update(attempts=pending.attempts + 1)
    return done


def tell_senior_management(school, *, title: str, url: str, kind: str, except_user=None) -> None:
    """Notify the Headteacher and every senior leader (the title is shown only inside saferstaff)."""
    users = {m.user for m in members_holding(school.pk, SENIOR_MANAGEMENT).select_related("user")}
    for user in users - {except_user}:
        notify(user, kind=kind, title=title, url=url, school=school)
