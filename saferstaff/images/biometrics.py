"""Face templates of pupils: biometric data (UK GDPR art. 9; Protection of Freedoms Act 2012 ss26–28).

- A template is made only for a pupil on roll whose biometric consent is current (``images.consent``):
  ``enrol``.
- It is stored encrypted (Fernet; the key is FACE_TEMPLATE_KEY or derived from SECRET_KEY) and never
  leaves saferstaff: there is no export of templates.
- A withdrawal erases the pupil's templates at once; ``erase_unconsented`` (daily) erases those whose
  consent lapsed or whose pupil has left — well within the 24 hours the school promises.
- Every enrolment, erasure and match is in the audit trail, with ids only."""

import base64
import functools
import io

import numpy as np
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from PIL import Image as PILImage

from saferstaff.audit.log import record
from saferstaff.faces import FaceError
from saferstaff.faces.images import load_image
from saferstaff.faces.pipeline import find_and_describe
from saferstaff.policy.engine import Decision, Reason, allow, refuse, rule


def face_models():
    """(detector, embedder) as configured: the real models, or the deterministic stand-ins in tests."""
    if settings.FACE_MODELS == "standin":
        from saferstaff.faces.standin import StandInDetector, StandInEmbedder

        return StandInDetector(), StandInEmbedder()
    from saferstaff.faces.models import default

    return default()


def blur_detectors() -> list:
    """The detectors whose faces are blurred before publication (their union)."""
    if settings.FACE_MODELS == "standin":
        from saferstaff.faces.standin import StandInDetector

        return [StandInDetector()]
    from saferstaff.faces.models import detectors_for_blurring

    return detectors_for_blurring()


@functools.cache
def _fernet(key_material: str) -> Fernet:
    if settings.FACE_TEMPLATE_KEY:
        raw = settings.FACE_TEMPLATE_KEY.encode()
    else:
        raw = HKDF(hashes.SHA256(), 32, salt=b"saferstaff face templates", info=b"v1").derive(
            key_material.encode()
        )
    return Fernet(base64.urlsafe_b64encode(raw[:32].ljust(32, b"\0")))


def seal(data: bytes) -> bytes:
    return _fernet(settings.SECRET_KEY).encrypt(data)


def unseal(token: bytes) -> bytes:
    return _fernet(settings.SECRET_KEY).decrypt(bytes(token))


def vector_of(template) -> np.ndarray:
    return np.frombuffer(unseal(template.vector), dtype=np.float32)


@rule("faces.enrol")
def may_enrol(actor, *, subject) -> Decision:
    """May a face template be made for the pupil ``subject``?"""
    from saferstaff.images.consent import state_of
    from saferstaff.images.models import Purpose

    purpose = Purpose.objects.filter(school_id=subject.school_id, biometric=True).first()
    if not subject.is_current:
        return refuse(Reason("The pupil has left the school: no face data is kept", "§5"))
    if purpose is None:
        return refuse(Reason("The school does not ask for consent to face matching", "§5"))
    state = state_of(subject, purpose)
    if not state.allowed:
        return refuse(
            *state.reasons,
            Reason(
                "Face matching needs a parent's written consent and no objection from anyone (PoFA 2012)",
                "§5",
            ),
        )
    return allow(
        Reason("A parent consented in writing to face matching and nobody objected (PoFA 2012)", "§5")
    )


def enrol(pupil, data: bytes, *, by):
    """Make a template from a reference photo with exactly one face. Raises FaceError or Refused."""
    from saferstaff.images.models import FaceTemplate
    from saferstaff.images.service import Refused

    decision = may_enrol(by, subject=pupil)
    if not decision:
        raise Refused(decision)
    detector, embedder = face_models()
    found = find_and_describe(data, detector, embedder)  # exactly as the screening describes faces
    if len(found) != 1:
        raise FaceError(
            "The reference photo must show one face, clearly"
            + (f"; this one shows {len(found)}." if found else "; none was found in it.")
        )
    face, vector = found[0]
    vector = np.asarray(vector, dtype=np.float32)
    image = load_image(data)
    left, top, width, height = face.box
    crop = PILImage.fromarray(image[top : top + height, left : left + width, ::-1])
    crop.thumbnail((160, 160))
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=85)
    with transaction.atomic():
        template = FaceTemplate.objects.create(
            school_id=pupil.school_id,
            pupil=pupil,
            vector=seal(vector.tobytes()),
            reference=seal(out.getvalue()),
            model_version=embedder.version,
            enrolled_by=by,
        )
        record("faces.enrolled", pupil, detail={"template": template.pk, "model": embedder.version})
    return template


def erase(pupil, *, reason: str) -> int:
    """Erase every template of the pupil (reason: a code such as 'withdrawn' or 'left')."""
    from saferstaff.images.models import FaceTemplate

    n, _ = FaceTemplate.objects.filter(pupil=pupil).delete()
    if n:
        record("faces.erased", pupil, detail={"count": n, "reason": reason})
    return n


def erase_unconsented() -> int:
    """Daily: erase the templates of pupils who have left or whose biometric consent is no longer given."""
    from saferstaff.images.consent import states_for
    from saferstaff.images.models import FaceTemplate, Purpose
    from saferstaff.schools.models import Pupil, School

    erased = 0
    for school in School.objects.filter(pk__in=FaceTemplate.objects.values("school_id")):
        pupils = list(
            Pupil.objects.filter(
                school=school, pk__in=FaceTemplate.objects.filter(school=school).values("pupil_id")
            )
        )
        purpose = Purpose.objects.filter(school=school, biometric=True).first()
        states = states_for(school, pupils, [purpose]) if purpose else {}
        for pupil in pupils:
            if not pupil.is_current:
                erased += erase(pupil, reason="left")
            elif purpose is None or not states[(pupil.pk, purpose.pk)].allowed:
                erased += erase(pupil, reason="consent")
    return erased
