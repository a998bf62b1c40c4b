"""What happens when people act on images: consent answers (and the takedowns a withdrawal raises), the
guardian portal's links, publishing, retention and destruction. Views, commands and jobs call these; the
decisions themselves are the rules in ``images.rules``."""

import datetime
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from saferstaff import scans
from saferstaff.audit.log import record
from saferstaff.images.consent import state_of
from saferstaff.images.models import (
    ConsentRecord,
    Destruction,
    Image,
    PendingDeletion,
    PortalLink,
    Publication,
    PublicationPupil,
    Purpose,
    Takedown,
    end_of_school_year,
)
from saferstaff.images.rules import can_publish, may_destroy, may_record_consent
from saferstaff.images.video import VideoProblem
from saferstaff.notifications.service import notify
from saferstaff.policy.engine import Decision, Reason, refuse

log = logging.getLogger(__name__)


class Refused(Exception):
    """An action the rules refused; ``decision`` carries the reasons to show."""

    def __init__(self, decision: Decision):
        super().__init__(decision.summary)
        self.decision = decision


# --- Consent -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    pupil: object
    purpose: Purpose
    answer: str  # ConsentRecord.Answer


def record_answers(
    school,
    answers: list[Answer],
    *,
    source: str,
    method: str,
    guardian=None,
    by=None,
    expires_on: datetime.date | None = None,
    evidence=None,
    note: str = "",
) -> tuple[list[ConsentRecord], str]:
    """Record answers from one person in one go (all or none). A "no" takes effect at once: every
    publication it affects becomes a takedown. Returns the records and the receipt reference."""
    receipt = secrets.token_hex(4).upper()
    today = timezone.localdate()
    created: list[ConsentRecord] = []
    with transaction.atomic():
        for a in answers:
            decision = may_record_consent(
                by, subject=a.pupil, source=source, guardian=guardian, method=method
            )
            if not decision:
                raise Refused(decision)
            expiry = expires_on
            if expiry is None and a.purpose.renew_annually and a.answer == ConsentRecord.Answer.YES:
                expiry = end_of_school_year(today)
            r = ConsentRecord(
                school=school,
                pupil=a.pupil,
                purpose=a.purpose,
                answer=a.answer,
                source=source,
                guardian=guardian,
                method=method,
                recorded_by=by,
                expires_on=expiry,
                note=note,
                receipt=receipt,
            )
            if evidence is not None:
                if created:  # one scan for all the answers on the form
                    r.evidence = created[0].evidence.name
                else:
                    r.evidence.save(scans.stored_name(evidence), evidence, save=False)
            r.save()
            record(
                "images.consent.recorded", r, detail={"answer": a.answer, "source": source, "method": method}
            )
            created.append(r)
        for r in created:
            if r.answer == ConsentRecord.Answer.NO:
                raise_takedowns(r)
                if r.purpose.biometric:
                    from saferstaff.images.biometrics import erase

                    erase(r.pupil, reason="withdrawn")  # at once, not at the next daily run
    return created, receipt


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
    by_publisher: dict[int, int] = defaultdict(int)
    for row in rows:
        by_publisher[row.assigned_to_id] += 1
    if rows:
        from saferstaff.accounts.models import User

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


def tagged_after_publication(image: Image, pupil) -> int:
    """A pupil tagged in an image that is already published: they join each live publication's list, and
    a publication on a channel they lack consent for becomes a takedown at once."""
    from saferstaff.images.consent import states_for

    live = list(image.publications.filter(taken_down_at__isnull=True).select_related("channel"))
    if not live:
        return 0
    PublicationPupil.objects.bulk_create(
        [PublicationPupil(school_id=image.school_id, publication=p, pupil=pupil) for p in live],
        ignore_conflicts=True,
    )
    states = states_for(image.school, [pupil], {p.channel for p in live})
    raised = 0
    for pub in live:
        state = states[(pupil.pk, pub.channel_id)]
        if not state.allowed:
            raised += _raise(
                image.school, pupil, Publication.objects.filter(pk=pub.pk), reason=str(state.reasons[0])
            )
    return raised


# --- Guardian portal ------------------------------------------------------------------------------------

PORTAL_SALT = "saferstaff.images.portal"


class PortalLinkError(Exception):
    pass


def portal_url(link: PortalLink) -> str:
    token = signing.dumps({"l": link.pk, "n": link.nonce.hex}, salt=PORTAL_SALT, compress=True)
    return settings.SITE_URL + reverse("portal", kwargs={"token": token})


def send_portal_links(school, guardians, *, by) -> int:
    """Send each guardian a fresh link (their older links stop working). Guardians without an email
    address or without parental responsibility for a pupil on roll are skipped by the caller's query."""
    from saferstaff.images.tasks import email_portal_link

    days = settings.PORTAL_LINK_DAYS
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        for guardian in guardians:
            PortalLink.objects.filter(guardian=guardian, revoked_at__isnull=True).update(revoked_at=now)
            link = PortalLink.objects.create(
                school=school,
                guardian=guardian,
                sent_by=by,
                sent_to=guardian.email,
                expires_at=now + datetime.timedelta(days=days),
            )
            transaction.on_commit(lambda pk=link.pk: email_portal_link.enqueue(pk))
            sent += 1
        record("images.portal.links_sent", school, detail={"count": sent})
    return sent


def open_portal_link(token: str) -> PortalLink:
    """The link a token stands for, or PortalLinkError with words a guardian can act on."""
    try:
        data = signing.loads(
            token, salt=PORTAL_SALT, max_age=datetime.timedelta(days=settings.PORTAL_LINK_DAYS)
        )
    except signing.SignatureExpired:
        raise PortalLinkError("This link has expired. Ask the school office to send you a new one.") from None
    except signing.BadSignature:
        raise PortalLinkError(
            "This link is not valid. Check that you copied all of it from the email, or ask the school "
            "office to send you a new one."
        ) from None
    link = (
        PortalLink.objects.select_related("guardian", "school")
        .filter(pk=data.get("l"), nonce=_uuid(data.get("n")))
        .first()
    )
    if link is None:
        raise PortalLinkError("This link is not valid. Ask the school office to send you a new one.")
    if link.revoked_at is not None:
        raise PortalLinkError(
            "This link has been replaced by a newer one. Use the most recent email from the school."
        )
    if link.expires_at <= timezone.now():
        raise PortalLinkError("This link has expired. Ask the school office to send you a new one.")
    if link.sent_to.casefold() != link.guardian.email.casefold():
        raise PortalLinkError(
            "The school's records for you have changed since this link was sent. Ask the school office to "
            "send you a new one."
        )
    return link


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(hex=str(value))
    except ValueError:
        return None


# --- Publishing -------------------------------------------------------------------------------------------


def publish(image: Image, channel: Purpose, where: str, *, by, blur_faces: bool = False) -> Publication:
    """Publish a copy without metadata, if the rules allow it; otherwise raise Refused. With ``blur_faces``
    (photos), every face that is unknown or has no consent for the channel is blurred in the copy, and the
    register records which and why."""
    from saferstaff.images.files import clean_copy, copy_from_pixels

    blurred_faces: list[dict] = []
    visible = {t.pupil_id for t in image.tags.all()}
    if blur_faces and image.kind == Image.Kind.PHOTO:
        from saferstaff.faces.blur import blur
        from saferstaff.faces.images import load_image
        from saferstaff.images import blurring

        with image.original.open("rb") as f:
            picture = load_image(f.read())
        plan = blurring.plan(image, channel, picture)
        decision = can_publish(by, subject=image, channel=channel, blurred=frozenset(plan.blurred_pupils))
        if not decision:
            raise Refused(decision)
        data = copy_from_pixels(blur(picture, [face["box"] for face in plan.blur]))
        blurred_faces = plan.blur
        visible = (visible - plan.blurred_pupils) | plan.visible
    else:
        decision = can_publish(by, subject=image, channel=channel)
        if not decision:
            raise Refused(decision)
        try:
            data = clean_copy(image)
        except VideoProblem as exc:
            raise Refused(refuse(Reason(f"The video {exc}", "§5"))) from None
    with transaction.atomic():
        pub = Publication(
            school_id=image.school_id, image=image, image_ref=image.pk, channel=channel, where=where,
            published_by=by, faces_blurred=blurred_faces,
        )  # fmt: skip
        pub.copy.save(
            "copy.mp4" if image.kind == Image.Kind.VIDEO else "copy.jpg", ContentFile(data), save=False
        )
        try:
            pub.save()
            # Who can be seen in the copy: a later withdrawal by any of them takes it down.
            PublicationPupil.objects.bulk_create(
                [
                    PublicationPupil(school_id=image.school_id, publication=pub, pupil_id=p)
                    for p in sorted(visible)
                ]
            )
        except BaseException:
            delete_files([pub.copy.name])
            raise
        record(
            "images.published",
            pub,
            detail={"image": image.pk, "channel": channel.pk, "blurred": [f["pupil"] for f in blurred_faces]},
        )
    return pub


def finish_takedown(takedown: Takedown, *, by, note: str, evidence=None) -> None:
    """The publisher has removed the copy: record how, and when every takedown of that publication is done,
    mark the publication taken down and delete our published copy."""
    with transaction.atomic():
        takedown.done_at = timezone.now()
        takedown.done_by = by
        takedown.evidence_note = note
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
                transaction.on_commit(lambda: delete_files([name]))
        # A publication comes down once, whoever's withdrawal caused it.
        Takedown.objects.filter(publication=pub, done_at__isnull=True).update(
            done_at=takedown.done_at, done_by=by, evidence_note=note
        )
        record("images.takedown.done", takedown, detail={"publication": pub.pk})


def chase_takedowns(now: datetime.datetime | None = None) -> int:
    """Daily: remind each publisher of their open takedowns (at most once a day)."""
    now = now or timezone.now()
    due = Takedown.objects.filter(done_at__isnull=True).filter(
        Q(last_chased_at__isnull=True, created_at__lte=now - datetime.timedelta(days=1))
        | Q(last_chased_at__lte=now - datetime.timedelta(days=1))
    )
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, school_id, user_id in due.values_list("pk", "school_id", "assigned_to_id"):
        grouped[(school_id, user_id)].append(pk)
    from saferstaff.accounts.models import User
    from saferstaff.schools.models import School

    for (school_id, user_id), pks in grouped.items():
        school = School.objects.get(pk=school_id)
        notify(
            User.objects.get(pk=user_id),
            kind="images.takedown.chase",
            title=f"Still to take down: {len(pks)} published image{'s' if len(pks) != 1 else ''} (§5)",
            url=reverse("takedown_list", kwargs={"school": school.slug}),
            school=school,
        )
        Takedown.objects.filter(pk__in=pks).update(last_chased_at=now)
    return sum(len(v) for v in grouped.values())


# --- Retention ---------------------------------------------------------------------------------------------


def retention_sweep(today: datetime.date | None = None) -> int:
    """Daily: queue for destruction every image past its keep-until date that is not under a legal hold.
    One UPDATE over the keep-until index, whatever the size of the library."""
    today = today or timezone.localdate()
    due = Image.objects.filter(keep_until__lt=today, legal_hold=False, destruction_queued_at__isnull=True)
    by_school = dict(due.values_list("school_id").annotate(n=Count("pk")).values_list("school_id", "n"))
    n = due.update(destruction_queued_at=timezone.now())
    for school_id, count in by_school.items():
        record("images.retention.queued", None, school=school_id, detail={"count": count})
    return n


def destroy(images, *, by) -> tuple[int, list[tuple[Image, Decision]]]:
    """Destroy each queued image a senior leader has confirmed: delete its files, keep a record of what
    was destroyed (no image). Returns the number destroyed and the refusals."""
    refused = []
    done = 0
    for image in images:
        decision = may_destroy(by, subject=image)
        if not decision:
            refused.append((image, decision))
            continue
        names = [f.name for f in (image.original, image.thumbnail) if f]
        with transaction.atomic():
            Destruction.objects.create(
                school_id=image.school_id,
                image_ref=image.pk,
                activity_id=image.activity_id,
                kind=image.kind,
                sha256=image.sha256,
                captured_on=timezone.localtime(image.captured_at).date(),
                kept_until=image.keep_until,
                queued_at=image.destruction_queued_at,
                confirmed_by=by,
            )
            record("images.destroyed", image)
            image.delete()
            transaction.on_commit(lambda names=names: delete_files(names))
        done += 1
    return done, refused


# --- Deleting stored files -----------------------------------------------------------------------------------


def delete_files(names) -> int:
    """Delete stored files; one that cannot be deleted now (storage unreachable) is queued and retried by
    the daily job, so a destroyed image or a taken-down copy never lingers unnoticed. Returns the failures."""
    from django.core.files.storage import default_storage

    failed = 0
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001  (botocore's errors are not OSError)
            log.warning("deleting a stored file failed; queued for retry", exc_info=True)
            PendingDeletion.objects.get_or_create(name=name)
            failed += 1
    return failed


def retry_deletions() -> int:
    """Daily: retry queued deletions; a row goes once storage confirms the file is gone."""
    from django.core.files.storage import default_storage

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
    from saferstaff.schools.models import Membership, Role

    users = {
        m.user
        for m in Membership.objects.active()
        .filter(school=school, role_grants__role__in=[Role.HEADTEACHER, Role.SENIOR_LEADER])
        .select_related("user")
    }
    for user in users - {except_user}:
        notify(user, kind=kind, title=title, url=url, school=school)
