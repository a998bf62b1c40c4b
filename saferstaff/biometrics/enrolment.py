"""Face templates of pupils: biometric data (UK GDPR art. 9; Protection of Freedoms Act 2012 ss26–28).

- A template is made only for a pupil on roll whose biometric consent is current (``consent.states``):
  ``enrol``.
- It is stored encrypted (Fernet, with a key derived by HKDF from FACE_TEMPLATE_KEY; older keys are read
  until ``rotate_keys`` re-seals) and never leaves saferstaff: there is no export of templates.
- A withdrawal erases the pupil's templates at once; ``erase_unconsented`` (daily) erases those whose
  consent lapsed or whose pupil has left — well within the 24 hours the school promises.
- Every enrolment, erasure and match is in the audit trail, with ids only."""

import base64
import functools
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from PIL import Image as PILImage

from saferstaff.audit.log import record
from saferstaff.biometrics.models import FaceTemplate
from saferstaff.consent.states import face_matching_consent
from saferstaff.faces import FaceError
from saferstaff.faces.images import load_scaled
from saferstaff.faces.pipeline import DESCRIBE_SIDE, describe
from saferstaff.faces.standin import StandInDetector, StandInEmbedder
from saferstaff.photos.files import FileProblem, check_file
from saferstaff.photos.library import UploadProblems
from saferstaff.rules.biometrics import may_enrol
from saferstaff.rules.engine import Refused, enforce
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import Actor


def face_models():
    """(detector, embedder) as configured: the real models, or the deterministic stand-ins in tests."""
    if settings.FACE_MODELS == "standin":
        return StandInDetector(), StandInEmbedder()
    # Heavy (ONNX Runtime and the model files): loaded when first used, never by the stand-ins' tests.
    from saferstaff.faces.models import default

    return default()


def blur_detectors() -> list:
    """The detectors whose faces are blurred before publication (their union)."""
    if settings.FACE_MODELS == "standin":
        return [StandInDetector()]
    # Heavy (ONNX Runtime and the model files): loaded when first used.
    from saferstaff.faces.models import detectors_for_blurring

    return detectors_for_blurring()


# HKDF turns each configured key (at least 32 random bytes) into a whole Fernet key: 16 bytes to sign, 16 to
# encrypt. The label ties the derived key to this one use.
_KEY_LABEL = b"saferstaff face templates v2"


def _fernet(key: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(HKDF(hashes.SHA256(), 32, salt=None, info=_KEY_LABEL).derive(key)))


@functools.cache
def _sealer(keys: tuple[bytes, ...]) -> MultiFernet:
    """Seals with the newest key; opens with any configured one (rotation in progress)."""
    return MultiFernet([_fernet(key) for key in keys])


def seal(data: bytes) -> bytes:
    return _sealer(tuple(settings.FACE_TEMPLATE_KEYS)).encrypt(data)


def unseal(token: bytes) -> bytes:
    return _sealer(tuple(settings.FACE_TEMPLATE_KEYS)).decrypt(bytes(token))


def vector_of(template) -> np.ndarray:
    return np.frombuffer(unseal(template.vector), dtype=np.float32)


def _reference(data: bytes) -> tuple[np.ndarray, bytes]:
    """(description, small encrypted-to-be crop) of the one face in a reference photo; raises FaceError."""
    image, _scale = load_scaled(data, max_side=DESCRIBE_SIDE)  # decoded once, as the screening decodes
    found = describe(image, *face_models())  # and described exactly as the screening describes faces
    if len(found) != 1:
        raise FaceError(
            "The reference photo must show one face, clearly"
            + (f"; this one shows {len(found)}." if found else "; none was found in it.")
        )
    face, vector = found[0]
    left, top, width, height = face.box
    crop = PILImage.fromarray(image[top : top + height, left : left + width, ::-1])
    crop.thumbnail((160, 160))
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=85)
    return np.asarray(vector, dtype=np.float32), out.getvalue()


def _save(pupil, vector: np.ndarray, reference: bytes, source_sha256: str, *, by, source: str):
    version = face_models()[1].version
    template = FaceTemplate.objects.create(
        school_id=pupil.school_id,
        pupil=pupil,
        vector=seal(vector.tobytes()),
        reference=seal(reference),
        source_sha256=source_sha256,
        model_version=version,
        enrolled_by=by,
    )
    record("faces.enrolled", pupil, detail={"template": template.pk, "model": version, "source": source})
    return template


def enrol(pupil, data: bytes, *, by):
    """Make a template from a reference photo with exactly one face. Raises FaceError or Refused."""
    actor = Actor.of(by, pupil.school)
    decision = may_enrol(actor, subject=pupil, consent=face_matching_consent(pupil))
    enforce(decision)
    vector, reference = _reference(data)
    with transaction.atomic():
        # Consent may have gone while the photo was read.
        again = may_enrol.peek(actor, subject=pupil, consent=face_matching_consent(pupil))
        if not again:
            raise Refused(again)
        return _save(pupil, vector, reference, hashlib.sha256(data).hexdigest(), by=by, source="upload")


# A UPN: a letter, eleven digits and a check character, anywhere in a file name ("A123456789012.jpg",
# "Smith John A123456789012.jpg"); otherwise the whole name (less its extension) is the pupil's MIS id.
_UPN_IN_NAME = re.compile(r"(?<![A-Z0-9])[A-Z]\d{11}[0-9A-Z](?![A-Z0-9])")


@dataclass
class Imported:
    """What became of one file of an MIS photo export."""

    name: str
    pupil: object | None
    outcome: str
    enrolled: bool = False


def import_mis_photos(school, files: Iterable[tuple[str, bytes]], *, by) -> list[Imported]:
    """Enrol pupils from the MIS's photo export (a zip of photos named by UPN or MIS id).

    A pupil without biometric consent is skipped without their photo being opened. A file that is not a
    readable photo (damaged, a bomb, not a photo) stops the whole import with every such file named, and
    nothing is saved: the export is wrong. A photo that does not show one clear face, a file named for
    nobody on roll, and a photo already enrolled from are reported beside the pupils enrolled."""
    actor = Actor.of(by, school)
    on_roll = list(Pupil.objects.current().filter(school=school))
    by_upn = {p.upn.upper(): p for p in on_roll if p.upn}
    by_mis = {p.source_id.casefold(): p for p in on_roll if p.source_id}
    known = set(
        FaceTemplate.objects.filter(school=school)
        .exclude(source_sha256="")
        .values_list("pupil_id", "source_sha256")
    )
    rows, pending, broken = [], [], []
    for name, data in files:
        stem = PurePosixPath(name).stem
        upn = _UPN_IN_NAME.search(stem.upper())
        pupil = by_upn.get(upn.group(0)) if upn else by_mis.get(stem.casefold())
        if pupil is None:
            rows.append(Imported(name, None, "No pupil on roll has this UPN or MIS id: not opened."))
            continue
        decision = may_enrol(actor, subject=pupil, consent=face_matching_consent(pupil))
        if not decision:
            rows.append(Imported(name, pupil, f"Not opened: {decision.reasons[0]}."))
            continue
        try:
            check_file(name, data)
        except FileProblem as problem:
            broken.append(problem)
            continue
        sha = hashlib.sha256(data).hexdigest()
        if (pupil.pk, sha) in known:
            rows.append(Imported(name, pupil, "Already enrolled from this photo."))
            continue
        try:
            vector, reference = _reference(data)
        except FaceError as problem:
            rows.append(
                Imported(name, pupil, f"Not enrolled. {problem} Upload a clearer photo on the pupil's page.")
            )
            continue
        known.add((pupil.pk, sha))
        row = Imported(name, pupil, "Enrolled.", enrolled=True)
        pending.append((row, vector, reference, sha))
        rows.append(row)
    if broken:
        raise UploadProblems(broken)
    with transaction.atomic():
        for row, vector, reference, sha in pending:
            # Consent withdrawn during the import?
            if not may_enrol.peek(actor, subject=row.pupil, consent=face_matching_consent(row.pupil)):
                row.outcome, row.enrolled = (
                    "Not enrolled: the consent changed while the photos were read.",
                    False,
                )
                continue
            _save(row.pupil, vector, reference, sha, by=by, source="mis")
        enrolled = sum(1 for row in rows if row.enrolled)
        record(
            "faces.mis_imported",
            school,
            detail={"files": len(rows), "enrolled": enrolled, "skipped": len(rows) - enrolled},
        )
    return rows


def _legacy_readers() -> list[Fernet]:
    """How templates were sealed before they had keys of their own (ADR 0004), for ``rotate_keys`` only:
    FACE_TEMPLATE_KEY's first 32 bytes, zero-padded, used as the Fernet key itself; or, without one, a key
    derived from SECRET_KEY."""
    readers = [
        Fernet(
            base64.urlsafe_b64encode(
                HKDF(hashes.SHA256(), 32, salt=b"saferstaff face templates", info=b"v1").derive(
                    settings.SECRET_KEY.encode()
                )
            )
        )
    ]
    if settings.FACE_TEMPLATE_LEGACY_KEY:
        raw = settings.FACE_TEMPLATE_LEGACY_KEY.encode()[:32].ljust(32, b"\0")
        readers.insert(0, Fernet(base64.urlsafe_b64encode(raw)))
    return readers


@dataclass
class Rotation:
    """What ``rotate_keys`` did (or would do) at one school: template ids, never pupils'."""

    resealed: int = 0
    current: int = 0  # already sealed with the newest key
    unreadable: list[int] = field(default_factory=list)


def rotate_keys(*, dry_run: bool = False, batch_size: int = 500, school=None) -> dict:
    """Re-seal every face template with the newest key, ``batch_size`` at a time, reading those sealed with an
    older key or the legacy way. Audited as counts per school. Returns {school id: Rotation}."""
    newest = _fernet(settings.FACE_TEMPLATE_KEYS[0])
    reader = MultiFernet([newest, *(_fernet(k) for k in settings.FACE_TEMPLATE_KEYS[1:]), *_legacy_readers()])
    templates = FaceTemplate.objects.order_by("pk")
    if school is not None:
        templates = templates.filter(school=school)
    results: dict[int, Rotation] = {}
    last = 0
    while batch := list(
        templates.filter(pk__gt=last).only("pk", "school_id", "vector", "reference")[:batch_size]
    ):
        last = batch[-1].pk
        changed = []
        for template in batch:
            result = results.setdefault(template.school_id, Rotation())
            tokens = (bytes(template.vector), bytes(template.reference))
            try:
                for token in tokens:
                    newest.decrypt(token)
                result.current += 1
                continue
            except InvalidToken:
                pass
            try:
                template.vector, template.reference = (reader.rotate(token) for token in tokens)
            except InvalidToken:
                result.unreadable.append(template.pk)
                continue
            result.resealed += 1
            changed.append(template)
        if changed and not dry_run:
            with transaction.atomic():
                FaceTemplate.objects.bulk_update(changed, ["vector", "reference"])
    if not dry_run:
        for school_id, result in results.items():
            record(
                "faces.keys_rotated",
                ("schools.school", school_id),
                school=school_id,
                detail={
                    "resealed": result.resealed,
                    "current": result.current,
                    "unreadable": len(result.unreadable),
                },
            )
    return results
