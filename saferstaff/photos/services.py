"""What happens when people act on images: activities, tagging, the library's flags, deleting stored files and
telling senior management (the takedowns are ``takedowns``). Views, commands and jobs call these; the decisions themselves are the
rules in ``rules.images``."""

import logging
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.log import record
from saferstaff.consent.models import Purpose
from saferstaff.consent.states import states_for
from saferstaff.faces.boxes import same_face
from saferstaff.notifications.service import notify
from saferstaff.photos import takedowns
from saferstaff.photos.models import (
    Activity,
    ActivityPupil,
    Image,
    ImageTag,
    PendingDeletion,
    Publication,
    PublicationPupil,
)
from saferstaff.rules.engine import Decision, enforce
from saferstaff.rules.images import (
    SELF_APPROVED,
    may_clear_flag,
    may_confirm_no_pupils,
    may_date_activity,
    may_decide_activity,
    may_remove_tag,
)
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
                raised += takedowns.raise_for(
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


def delete_files_with_row(sender, instance, **kwargs) -> None:
    """A takedown's screenshot and a check's WARC go with their row, however it goes: the retention schedule
    destroying the pupil, a publication or the school deleted (a cascade sends this for each row). After commit,
    through ``delete_files`` (retried when storage is down), so a rolled-back delete keeps its files."""
    names = [
        str(getattr(instance, f.attname))
        for f in instance._meta.concrete_fields
        if isinstance(f, models.FileField) and getattr(instance, f.attname)
    ]
    if names:
        school_id = instance.school_id
        transaction.on_commit(lambda: delete_files(names, school_id=school_id))


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
