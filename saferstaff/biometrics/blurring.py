"""Every face in a photo about to be published, and which to blur (§5).

With blurring, faces come from the blurring detectors (their union, one box per face, found right up to the
photo's edges) and from the album's screening; every face that is unknown, or whose pupil has no consent for
the channel, is blurred. Without blurring the same faces are found — the photo is screened first if it was
not, so an album nobody screened hides no one — and a face nobody could name is shown as it is, which senior
management must approve. A face is someone only when the matcher was
confident and nobody said otherwise, or a person confirmed it."""

import io
from dataclasses import dataclass, field

from PIL import Image as PILImage

from saferstaff.biometrics import screening
from saferstaff.biometrics.enrolment import blur_detectors, face_models
from saferstaff.biometrics.models import FaceDetection
from saferstaff.consent.states import states_for
from saferstaff.faces.blur import find_faces
from saferstaff.faces.boxes import iou, same_face
from saferstaff.faces.images import load_scaled
from saferstaff.schools.models import Pupil

CONSENT, NO_CONSENT, UNKNOWN = "consent", "no_consent", "unknown"
SUBJECT = "subject"  # the pupil a subject access copy is for
CROP_DECODE_SIDE = 1024  # both sides decoded at least this: enough for a face crop, far quicker


@dataclass
class FacePlan:
    # {"box": [l, t, w, h], "pupil": id or None, "why": CONSENT | NO_CONSENT | UNKNOWN, "blurred": bool}
    faces: list[dict] = field(default_factory=list)

    @property
    def blur(self) -> list[dict]:
        """The faces blurred in the copy, as the publication register keeps them."""
        return [{"box": f["box"], "why": f["why"], "pupil": f["pupil"]} for f in self.faces if f["blurred"]]

    @property
    def blurred_pupils(self) -> set[int]:
        return {f["pupil"] for f in self.faces if f["blurred"] and f["pupil"]}

    @property
    def visible(self) -> set[int]:
        """Pupils whose faces stay visible."""
        return {f["pupil"] for f in self.faces if not f["blurred"] and f["pupil"]} - self.blurred_pupils

    @property
    def unknown_visible(self) -> int:
        return sum(1 for f in self.faces if not f["blurred"] and f["why"] == UNKNOWN)


def identity(d: FaceDetection) -> int | None:
    if d.decision == FaceDetection.Decision.CONFIRMED:
        return d.decided_pupil_id
    if d.decision == FaceDetection.Decision.REJECTED:
        return None
    return d.proposed_pupil_id if d.verdict == FaceDetection.Verdict.AUTO else None


def plan(image, channel, picture=None, *, blur: bool | None = None) -> FacePlan:
    """The faces of ``image`` for publishing on ``channel``. With ``picture`` (the decoded photo) the
    detectors run on it and the photo is screened first if it was not; without, only the faces the screening
    found are known. ``blur`` (by default: when there is a picture) blurs every face that is unknown or has
    no consent for the channel; otherwise none is blurred."""
    detector, embedder = face_models()
    if picture is not None and image.faces_screened_with != embedder.version:
        screening.screen_image(image, screening.gallery_for(image.school), detector, embedder)
    detections = list(FaceDetection.objects.filter(image=image, model_version=embedder.version))
    known = {identity(d) for d in detections} - {None}
    pupils = list(Pupil.objects.filter(pk__in=known))
    states = states_for(image.school, pupils, [channel]) if pupils else {}
    consented = {p.pk for p in pupils if states[(p.pk, channel.pk)].allowed}
    result = FacePlan()
    blurring = picture is not None if blur is None else blur
    for box, who in _faces(picture, detections):
        _add(result, box, who, consented, blurring)
    return result


def _faces(picture, detections):
    """(box, pupil id or None) for every face: the blurring detectors' (named by the screening's detection
    of the same face), then the screening's that no blurring detector found."""
    covered = set()
    for face in find_faces(picture, blur_detectors()) if picture is not None else []:
        best = max(detections, key=lambda d: iou(d.box, face.box), default=None)
        who = None
        if best is not None and same_face(best.box, face.box):
            covered.add(best.pk)
            who = identity(best)
        yield face.box, who
    for d in detections:
        if d.pk not in covered:
            yield d.box, identity(d)


def plan_for_subject(image, pupil_id: int, picture) -> FacePlan:
    """Subject access (UK GDPR art. 15): a copy of ``image`` for ``pupil_id`` or their guardian shows only
    their face. Every other face is blurred — another pupil's face is that pupil's data, and a face nobody
    could name may be anyone's (its ``why`` says UNKNOWN, so the bundle's index can say so). A pupil has one
    face: when several are named as theirs, only the one a person confirmed stays (none, if no one did)."""
    detector, embedder = face_models()
    if image.faces_screened_with != embedder.version:
        screening.screen_image(image, screening.gallery_for(image.school), detector, embedder)
    detections = list(FaceDetection.objects.filter(image=image, model_version=embedder.version))
    faces = list(_faces(picture, detections))
    theirs = [i for i, (_, who) in enumerate(faces) if who == pupil_id]
    if len(theirs) > 1:
        confirmed = [
            d.box
            for d in detections
            if d.decision == FaceDetection.Decision.CONFIRMED and d.decided_pupil_id == pupil_id
        ]
        sure = [i for i in theirs if any(same_face(faces[i][0], box) for box in confirmed)]
        keep = sure[0] if len(sure) == 1 else None
        faces = [(box, None if i in theirs and i != keep else who) for i, (box, who) in enumerate(faces)]
    result = FacePlan()
    for box, who in faces:
        why = SUBJECT if who == pupil_id else NO_CONSENT if who else UNKNOWN
        result.faces.append(
            {"box": [int(v) for v in box], "pupil": who, "why": why, "blurred": who != pupil_id}
        )
    return result


def _add(result: FacePlan, box, who, consented, blurring: bool) -> None:
    why = CONSENT if who is not None and who in consented else NO_CONSENT if who else UNKNOWN
    result.faces.append(
        {"box": [int(v) for v in box], "pupil": who, "why": why, "blurred": blurring and why != CONSENT}
    )


def crop_jpeg(image, box) -> bytes:
    """The face at ``box`` (in the photo's own pixels) with a margin, as a small JPEG for a person to look
    at: a JPEG is decoded at a reduced size, not in full."""
    with image.original.open("rb") as f:
        picture, scale = load_scaled(f.read(), max_side=CROP_DECODE_SIDE)
    x, y, w, h = (round(v / scale) for v in box)
    dx, dy = w // 4, h // 4
    crop = picture[max(0, y - dy) : y + h + dy, max(0, x - dx) : x + w + dx, ::-1]
    out = io.BytesIO()
    thumb = PILImage.fromarray(crop)
    thumb.thumbnail((240, 240))
    thumb.save(out, "JPEG", quality=85)
    return out.getvalue()
