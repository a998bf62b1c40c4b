"""Which faces to blur before a photo is published on a channel (§5): every face that is unknown, or whose
pupil has no consent for the channel. Faces come from the union of the blurring detectors (a face one
misses, the other may find) and from the album's screening; a face is someone only when the matcher was
confident and nobody said otherwise, or a person confirmed it."""

from dataclasses import dataclass, field

from saferstaff.images.biometrics import blur_detectors, face_models
from saferstaff.images.consent import states_for
from saferstaff.images.models import FaceDetection


@dataclass
class BlurPlan:
    blur: list[dict] = field(default_factory=list)  # {"box": [...], "why": ..., "pupil": id or None}
    visible: set[int] = field(default_factory=set)  # pupils whose faces stay visible
    blurred_pupils: set[int] = field(default_factory=set)  # pupils without consent whose faces are blurred


def _iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union else 0.0


def identity(d: FaceDetection) -> int | None:
    if d.decision == FaceDetection.Decision.CONFIRMED:
        return d.decided_pupil_id
    if d.decision == FaceDetection.Decision.REJECTED:
        return None
    return d.proposed_pupil_id if d.verdict == FaceDetection.Verdict.AUTO else None


def plan(image, channel, picture) -> BlurPlan:
    from saferstaff.images import screening
    from saferstaff.schools.models import Pupil

    detector, embedder = face_models()
    if image.faces_screened_with != embedder.version:
        screening.screen_image(image, screening.gallery_for(image.school), detector, embedder)
    detections = list(FaceDetection.objects.filter(image=image, model_version=embedder.version))
    known = {identity(d) for d in detections} - {None}
    pupils = list(Pupil.objects.filter(pk__in=known))
    states = states_for(image.school, pupils, [channel]) if pupils else {}
    consented = {p.pk for p in pupils if states[(p.pk, channel.pk)].allowed}
    result = BlurPlan()
    boxes = [face.box for d in blur_detectors() for face in d.detect(picture)]
    covered = set()
    for box in boxes:
        best = max(detections, key=lambda d: _iou(d.box, box), default=None)
        who = identity(best) if best is not None and _iou(best.box, box) >= 0.3 else None
        if best is not None and _iou(best.box, box) >= 0.3:
            covered.add(best.pk)
        _decide(result, box, who, consented)
    for d in detections:  # a face the screening found that no blurring detector did
        if d.pk not in covered:
            _decide(result, d.box, identity(d), consented)
    result.visible -= result.blurred_pupils
    return result


def _decide(result: BlurPlan, box, who, consented) -> None:
    if who is not None and who in consented:
        result.visible.add(who)
    else:
        result.blur.append(
            {"box": [int(v) for v in box], "why": "no_consent" if who else "unknown", "pupil": who}
        )
        if who is not None:
            result.blurred_pupils.add(who)
