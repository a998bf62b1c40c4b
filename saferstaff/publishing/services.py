"""Publishing a copy of an image (§5), in steps a person can see:

1. ``start``: the publisher chooses where; a request is made. With faces to blur, the worker finds every
   face (``check_request``, a task: a 12-megapixel photo takes seconds, too long for a web request); without,
   the faces the screening already found are listed at once.
2. The publisher sees every face found — named or unknown, to be blurred or shown — and what the rules
   decided: refused (with the reasons), ready, or needing senior management's approval: a face nobody could
   name shown unblurred, or (where the school's settings allow it) a pupil without consent published
   blurred. The publisher confirms and asks (``ask_approval``); the Headteacher or a senior leader other than
   the publisher looks at the faces and approves or declines (``decide``).
3. ``publish``, the one door to a publication: the rules are asked again (consent may have changed
   meanwhile), the copy is made without metadata, with the planned faces blurred, and registered with the
   pupils who can be seen in it."""

import logging
from collections import defaultdict

from django.core.files.base import ContentFile
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from saferstaff import imagematch
from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.biometrics import blurring
from saferstaff.faces import FaceError
from saferstaff.faces.blur import blur
from saferstaff.faces.images import load_image, load_scaled
from saferstaff.notifications.service import notify
from saferstaff.photos.files import PUBLISH_LONG_SIDE, clean_copy, copy_from_pixels
from saferstaff.photos.models import Image, Publication, PublicationPupil
from saferstaff.photos.places import add_place, clean_url
from saferstaff.photos.services import delete_files, tell_senior_management
from saferstaff.photos.video import VideoProblem
from saferstaff.publishing.models import PublicationRequest
from saferstaff.rules.engine import Decision, Reason, Refused, enforce, refuse
from saferstaff.rules.images import can_publish, may_approve_publication, publish_reasons
from saferstaff.schools.roles import Actor

log = logging.getLogger(__name__)
Status = PublicationRequest.Status
COPY_DECODE_SIDE = PUBLISH_LONG_SIDE // 2  # the shorter side decoded: a 4:3 copy is then about 2000 wide


def start(
    image: Image, channel, where: str, *, by, blur_faces: bool, places=(), at_once: bool = False
) -> PublicationRequest:
    """A request to publish ``image`` on ``channel``, checked by the worker (or here, ``at_once``, for
    commands and tests). ``places``: the web addresses where the copy will appear (each as
    ``photos.places.clean_url`` keeps it), made places of the publication when it is published. What the rules refuse whatever faces are found (consent refused, an activity not
    approved…) is refused at once, without waiting for the worker."""
    blurring_photo = blur_faces and image.kind == Image.Kind.PHOTO
    # Every face of a photo is found, blurred or not (an album nobody screened must not hide an unknown
    # child), and a video is re-encoded: both take too long for a web request, so the worker does them.
    slow = image.kind in (Image.Kind.PHOTO, Image.Kind.VIDEO)
    req = PublicationRequest.objects.create(
        school_id=image.school_id, image=image, channel=channel, where=where, blur_faces=blurring_photo,
        requested_by=by, places=[clean_url(url) for url in places],
    )  # fmt: skip
    record("images.publication.requested", req, detail={"image": image.pk, "channel": channel.pk})
    if slow and not at_once:
        # As if every tagged pupil's face were found (and, blurring, blurred): what is refused even then is
        # refused whatever the worker finds.
        tagged = frozenset(image.tags.values_list("pupil_id", flat=True))
        refused, _approval = publish_reasons(
            Actor.of(by, image.school),
            image,
            channel,
            consent=image.consent_on(channel),
            blurred=tagged if req.blur_faces else None,
        )
        if refused:
            _save(req, Status.REFUSED, reasons=[[r.text, r.section] for r in refused])
        else:
            transaction.on_commit(lambda: check_request.enqueue(req.pk))
    else:
        check(req)
    req.refresh_from_db()  # the worker may have checked it already (a worker in this process, in tests)
    return req


@task()
def check_request(request_id: int) -> None:
    req = (
        PublicationRequest.objects.select_related("image", "channel", "school").filter(pk=request_id).first()
    )
    if req is None or req.status != Status.CHECKING:
        return
    with acting_as(actor_id=req.requested_by_id, school_id=req.school_id):
        try:
            check(req)
        except Exception:
            log.exception("publication request %s: checking stopped", req.pk)
            PublicationRequest.objects.filter(pk=req.pk).update(
                status=Status.FAILED,
                problem="Checking stopped with a problem. Try publishing again.",
            )
            raise


def check(req: PublicationRequest) -> None:
    """Find the faces and ask the rules: the request becomes ready, refused or in need of approval."""
    image = req.image
    picture = None
    if image.kind == Image.Kind.PHOTO:
        try:
            with image.original.open("rb") as f:
                picture = load_image(f.read())
        except (FaceError, OSError) as problem:
            _save(
                req,
                Status.REFUSED,
                reasons=[[f"The photo could not be read to find its faces: {problem}", "§5"]],
            )
            return
    plan = blurring.plan(image, req.channel, picture, blur=req.blur_faces)
    tagged = set(image.tags.values_list("pupil_id", flat=True))
    located = {f["pupil"] for f in plan.faces if f["pupil"]}
    actor, consent = Actor.of(req.requested_by, image.school), image.consent_on(req.channel)
    reasons, approval = publish_reasons(actor, image, req.channel, consent=consent, **_counts(req, plan))
    decision = can_publish(actor, subject=image, channel=req.channel, consent=consent, **_counts(req, plan))
    status = Status.READY if decision else Status.REFUSED if reasons else Status.NEEDS_APPROVAL
    if image.kind == Image.Kind.VIDEO and status != Status.REFUSED:
        try:
            req.prepared.save("copy.mp4", ContentFile(clean_copy(image)), save=False)
        except VideoProblem as exc:
            status, reasons = Status.REFUSED, [Reason(f"The video {exc}", "§5")]
            decision = refuse(*reasons)
    _save(
        req, status, faces=plan.faces, unlocated=sorted(tagged - located) if req.blur_faces else [],
        reasons=[] if decision else [[r.text, r.section] for r in (reasons or approval)],
        **({"prepared": req.prepared} if req.prepared else {}),
    )  # fmt: skip


def _counts(req, plan) -> dict:
    if req.blur_faces:
        return {"blurred": frozenset(plan.blurred_pupils), "unknown_visible": plan.unknown_visible}
    return {"unknown_visible": plan.unknown_visible}


def _save(req, status, **fields) -> None:
    for name, value in fields.items():
        setattr(req, name, value)
    req.status = status
    req.save(update_fields=["status", *fields])
    record("images.publication.checked", req, detail={"status": status, "faces": len(req.faces)})


def ask_approval(req: PublicationRequest, *, by) -> None:
    """The publisher has looked at every face and the reasons, and asks senior management to approve."""
    if req.requested_by_id != by.pk:
        raise Refused(_refusal("Only the person publishing it asks for approval"))
    with transaction.atomic():
        updated = PublicationRequest.objects.filter(pk=req.pk, status=Status.NEEDS_APPROVAL).update(
            status=Status.WAITING, asked_at=timezone.now()
        )
        if not updated:
            raise Refused(_refusal("This publication does not need approval now"))
        req.refresh_from_db()
        record("images.publication.approval_asked", req)
        tell_senior_management(
            req.image.school,
            title="A photo is waiting for your approval before it is published (§5)",
            url=reverse("publication_request", kwargs={"school": req.image.school.slug, "pk": req.pk}),
            kind="images.publication.approval",
            except_user=by,
        )


def decide(req: PublicationRequest, *, by, approve: bool, note: str = "") -> Publication | None:
    """Senior management's answer. Approved, the copy is published at once (the publisher is told)."""
    with transaction.atomic():
        req = PublicationRequest.objects.select_for_update().select_related("image", "channel").get(pk=req.pk)
        decision = may_approve_publication(Actor.of(by, req.image.school), subject=req)
        enforce(decision)
        req.decided_by, req.decided_at, req.decision_note = by, timezone.now(), note[:300]
        req.save(update_fields=["decided_by", "decided_at", "decision_note"])
        record("images.publication.decided", req, detail={"approved": approve})
        if approve:
            pub = publish(req, by=req.requested_by, approved_by=by)
        else:
            req.status = Status.DECLINED
            _drop_prepared(req)
            req.save(update_fields=["status", "prepared"])
            pub = None
        notify(
            req.requested_by,
            kind="images.publication.decided",
            title=f"Your photo was {'approved and published' if approve else 'not approved'} (§5)",
            url=reverse("publication_request", kwargs={"school": req.image.school.slug, "pk": req.pk}),
            school=req.image.school,
        )
    return pub


def publish(req: PublicationRequest, *, by, approved_by=None) -> Publication:
    """The one door to a publication: the rules are asked again with the faces found, then a copy without
    metadata is made — the planned faces blurred — and registered with the pupils who can be seen in it."""
    expected = Status.WAITING if approved_by is not None else Status.READY
    with transaction.atomic():
        req = PublicationRequest.objects.select_for_update().select_related("image", "channel").get(pk=req.pk)
        if req.status != expected or req.requested_by_id != by.pk:
            raise Refused(_refusal("This publication is not ready to publish (it may be published already)"))
        image, plan = req.image, blurring.FacePlan(req.faces)
        decision = can_publish(
            Actor.of(by, image.school),
            subject=image,
            channel=req.channel,
            consent=image.consent_on(req.channel),
            approved_by=approved_by,
            **_counts(req, plan),
        )
        enforce(decision)
        if req.prepared:
            with req.prepared.open("rb") as f:
                data = f.read()
        else:
            try:
                data = blurred_copy(image, plan) if req.blur_faces else clean_copy(image)
            except VideoProblem as exc:
                raise Refused(refuse(Reason(f"The video {exc}", "§5"))) from None
        visible = (set(image.tags.values_list("pupil_id", flat=True)) - plan.blurred_pupils) | plan.visible
        pub = Publication(
            school_id=image.school_id, image=image, image_ref=image.pk, channel=req.channel, where=req.where,
            published_by=by, faces_blurred=plan.blur if req.blur_faces else [],
            fingerprint=copy_fingerprint(data) if image.kind == Image.Kind.PHOTO else b"",
        )  # fmt: skip
        # A video keeps no fingerprint: the check compares the images found on a page, not video frames.
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
            for url in req.places:
                add_place(pub, url, by=by)
            req.status, req.publication = Status.PUBLISHED, pub
            _drop_prepared(req)
            req.save(update_fields=["status", "publication", "prepared"])
        except BaseException:
            delete_files([pub.copy.name], school_id=pub.school_id)
            raise
        record(
            "images.published",
            pub,
            detail={
                "image": image.pk, "channel": req.channel_id, "request": req.pk,
                "blurred": [f["pupil"] for f in pub.faces_blurred],
                "approved_by": getattr(approved_by, "pk", None),
            },
        )  # fmt: skip
    return pub


def copy_fingerprint(data: bytes) -> bytes:
    """What a published photo's copy keeps to be recognised on a page later (``imagematch``): b"" when the
    copy cannot be read back (never expected: it was made here), so publishing never fails on it."""
    try:
        return imagematch.fingerprint(data).to_bytes()
    except imagematch.ImageRefused:
        log.warning("a published copy could not be fingerprinted", exc_info=True)
        return b""


def fingerprint_stored_copies(batch: int = 500) -> dict[str, int]:
    """Fill the fingerprint of live photo publications made before fingerprints were kept, from their copy
    file while it is still stored: at most ``batch`` filled a run, rows already filled left alone (run it
    again until none are left). One audit event per school, with the count."""
    todo = (
        Publication.objects.filter(taken_down_at__isnull=True, fingerprint=b"")
        .exclude(copy="")
        .exclude(copy__endswith=".mp4")
        .order_by("pk")
    )
    filled: dict[int, int] = defaultdict(int)
    unreadable = 0
    for pub in todo.iterator(chunk_size=100):
        if sum(filled.values()) >= batch:
            break
        try:
            with pub.copy.open("rb") as f:
                fingerprint = copy_fingerprint(f.read())
        except OSError:
            fingerprint = b""
        if not fingerprint:
            unreadable += 1
            continue
        Publication.objects.filter(pk=pub.pk, fingerprint=b"").update(fingerprint=fingerprint)
        filled[pub.school_id] += 1
    for school_id, count in filled.items():
        record("images.publications.fingerprinted", None, school=school_id, detail={"count": count})
    return {"filled": sum(filled.values()), "unreadable": unreadable, "left": todo.count()}


def _drop_prepared(req: PublicationRequest) -> None:
    """A prepared video copy is not kept once it is published (as the publication's copy) or not approved."""
    if req.prepared:
        name = req.prepared.name
        req.prepared = ""
        transaction.on_commit(lambda: delete_files([name], school_id=req.school_id))


def blurred_copy(image: Image, plan: blurring.FacePlan) -> bytes:
    """The photo with the planned faces blurred. A JPEG is decoded at about the copy's size (a 4000 × 3000
    photo at 2000 × 1500: the decoder keeps both sides at least ``COPY_DECODE_SIDE``), so the web request
    stays short."""
    with image.original.open("rb") as f:
        picture, scale = load_scaled(f.read(), max_side=COPY_DECODE_SIDE)
    boxes = [[round(v / scale) for v in face["box"]] for face in plan.blur]
    return copy_from_pixels(blur(picture, boxes))


def check_and_publish(
    image: Image, channel, where: str, *, by, blur_faces: bool = False, places=()
) -> Publication:
    """Check and publish in one go, faces found here (scripts and tests): raises Refused unless the request
    is ready, with no approval needed."""
    req = start(image, channel, where, by=by, blur_faces=blur_faces, places=places, at_once=True)
    if req.status != Status.READY:
        raise Refused(refuse(*req.reasons_given))
    return publish(req, by=by)


def _refusal(text: str) -> Decision:
    return refuse(Reason(text, "§5"))
