"""Face templates (§5, biometric data): made only with biometric consent, stored encrypted, erased at once
on withdrawal and by the daily job when consent lapses or the pupil leaves."""

import datetime
import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from saferstaff.audit.models import AuditEvent
from saferstaff.faces.standin import draw_face
from saferstaff.images import biometrics, service
from saferstaff.images.models import FaceTemplate

from .conftest import signed_in
from .image_samples import pupil_with_parents, purpose


@pytest.fixture(autouse=True)
def _standin(settings, monkeypatch):
    from django.db import transaction

    settings.FACE_MODELS = "standin"
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


def face_photo(person: int, faces: int = 1) -> bytes:
    image = np.full((300, 400, 3), 80, dtype=np.uint8)
    for i in range(faces):
        draw_face(image, (20 + 150 * i, 40, 96, 96), person + i)
    out = io.BytesIO()
    PILImage.fromarray(image[:, :, ::-1]).save(out, "PNG")
    return out.getvalue()


def consent(pupil, guardian, value="yes", **kw):
    service.record_answers(
        pupil.school, [service.Answer(pupil, purpose(pupil.school, "biometric"), value)],
        source=kw.pop("source", "guardian"), method=kw.pop("method", "paper"), guardian=guardian, **kw,
    )  # fmt: skip


def test_no_template_without_biometric_consent(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    url = reverse("pupil_faces", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    response = signed_in(cast.office).post(url, {"photo": SimpleUploadedFile("face.png", face_photo(7))})
    assert (
        response.status_code == 400
        and b"no written guardian consent for &#x27;Face matching" in response.content
    )
    assert not FaceTemplate.objects.exists()


def test_enrolment_with_consent_stores_only_encrypted_numbers(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    consent(pupil, mum)
    url = reverse("pupil_faces", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    assert signed_in(cast.teacher).post(url, {}).status_code == 403
    response = signed_in(cast.office).post(url, {"photo": SimpleUploadedFile("face.png", face_photo(7))})
    assert response.status_code == 302
    template = FaceTemplate.objects.get()
    raw = bytes(template.vector)
    vector = biometrics.vector_of(template)
    assert vector.shape == (128,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert vector.tobytes() not in raw  # encrypted at rest
    assert AuditEvent.objects.get(action="faces.enrolled").detail["template"] == template.pk


def test_a_reference_photo_must_show_exactly_one_face(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    consent(pupil, mum)
    for photo, words in ((face_photo(7, faces=2), "shows 2"), (face_photo(7, faces=0), "none was found")):
        with pytest.raises(Exception, match=words):
            biometrics.enrol(pupil, photo, by=cast.office)
    assert not FaceTemplate.objects.exists()


def test_any_objection_erases_the_templates_at_once(cast):
    on = timezone.localdate()
    pupil, (mum, dad) = pupil_with_parents(cast.school, dob=on.replace(year=on.year - 10), parents=2)
    consent(pupil, mum)
    biometrics.enrol(pupil, face_photo(7), by=cast.office)
    consent(pupil, dad, "no", method="phone")  # the other parent objects: no processing (PoFA s26)
    assert not FaceTemplate.objects.exists()
    assert AuditEvent.objects.get(action="faces.erased").detail == {"count": 1, "reason": "withdrawn"}


def test_the_daily_job_erases_templates_of_leavers_and_of_lapsed_consent(cast):
    from django.core.management import call_command

    leaver, (a,) = pupil_with_parents(cast.school, "Leo", "Ward")
    stays, (b,) = pupil_with_parents(cast.school, "Ivy", "Hill")
    for pupil, parent, person in ((leaver, a, 7), (stays, b, 9)):
        consent(pupil, parent)
        biometrics.enrol(pupil, face_photo(person), by=cast.office)
    leaver.leaving_date = timezone.localdate() - datetime.timedelta(days=1)
    leaver.save()
    out = io.StringIO()
    call_command("run_daily", stdout=out)
    assert "1 face templates erased" in out.getvalue()
    assert list(FaceTemplate.objects.values_list("pupil_id", flat=True)) == [stays.pk]
    # A senior leader's objection, recorded directly in the database by a later import, is caught daily too.
    from saferstaff.images.models import ConsentRecord

    ConsentRecord.objects.create(school=cast.school, pupil=stays, purpose=purpose(cast.school, "biometric"),
                                 answer="no", source="pupil", method="in_person")  # fmt: skip
    assert biometrics.erase_unconsented() == 1 and not FaceTemplate.objects.exists()


def test_calibration_sets_thresholds_above_every_score_between_different_pupils(cast):
    from django.core.management import CommandError, call_command

    from saferstaff.policy.models import SchoolSettings

    with pytest.raises(CommandError, match="at least two pupils"):
        call_command("calibrate_faces", "--school", cast.school.slug)
    for n, person in enumerate((7, 9, 11)):
        pupil, (parent,) = pupil_with_parents(cast.school, f"P{n}", f"Q{n}")
        consent(pupil, parent)
        biometrics.enrol(pupil, face_photo(person), by=cast.office)
    out = io.StringIO()
    call_command("calibrate_faces", "--school", cast.school.slug, "--apply", stdout=out)
    settings = SchoolSettings.for_school(cast.school)
    vectors = [biometrics.vector_of(t) for t in FaceTemplate.objects.all()]
    highest = max(float(a @ b) for i, a in enumerate(vectors) for b in vectors[i + 1 :])
    assert settings.face_review_threshold > highest
    assert settings.face_auto_threshold >= settings.face_review_threshold + 0.1
    assert "saved" in out.getvalue() and AuditEvent.objects.filter(action="faces.calibrated").exists()
