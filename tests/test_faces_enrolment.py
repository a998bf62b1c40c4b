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
from saferstaff.biometrics import enrolment, erasure
from saferstaff.biometrics.models import FaceTemplate
from saferstaff.consent.services import Answer, record_answers
from saferstaff.faces.standin import draw_face
from saferstaff.rules.engine import Refused

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
    record_answers(
        pupil.school, [Answer(pupil, purpose(pupil.school, "biometric"), value)],
        source=kw.pop("source", "guardian"), method=kw.pop("method", "paper"), guardian=guardian, **kw,
    )  # fmt: skip


def test_no_template_without_biometric_consent(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    url = reverse("pupil_faces", kwargs={"school": cast.school.slug, "pk": pupil.pk})
    response = signed_in(cast.office, confirmed=True).post(
        url, {"photo": SimpleUploadedFile("face.png", face_photo(7))}
    )
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
    response = signed_in(cast.office, confirmed=True).post(
        url, {"photo": SimpleUploadedFile("face.png", face_photo(7))}
    )
    assert response.status_code == 302
    template = FaceTemplate.objects.get()
    raw = bytes(template.vector)
    vector = enrolment.vector_of(template)
    assert vector.shape == (128,) and abs(float(np.linalg.norm(vector)) - 1) < 1e-5
    assert vector.tobytes() not in raw  # encrypted at rest
    assert AuditEvent.objects.get(action="faces.enrolled").detail["template"] == template.pk


def test_a_reference_photo_must_show_exactly_one_face(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    consent(pupil, mum)
    for photo, words in ((face_photo(7, faces=2), "shows 2"), (face_photo(7, faces=0), "none was found")):
        with pytest.raises(Exception, match=words):
            enrolment.enrol(pupil, photo, by=cast.office)
    assert not FaceTemplate.objects.exists()


def test_any_objection_erases_the_templates_at_once(cast):
    on = timezone.localdate()
    pupil, (mum, dad) = pupil_with_parents(cast.school, dob=on.replace(year=on.year - 10), parents=2)
    consent(pupil, mum)
    enrolment.enrol(pupil, face_photo(7), by=cast.office)
    consent(pupil, dad, "no", method="phone")  # the other parent objects: no processing (PoFA s26)
    assert not FaceTemplate.objects.exists()
    assert AuditEvent.objects.get(action="faces.erased").detail == {"count": 1, "reason": "withdrawn"}


def test_the_daily_job_erases_templates_of_leavers_and_of_lapsed_consent(cast):
    from django.core.management import call_command

    leaver, (a,) = pupil_with_parents(cast.school, "Leo", "Ward")
    stays, (b,) = pupil_with_parents(cast.school, "Ivy", "Hill")
    for pupil, parent, person in ((leaver, a, 7), (stays, b, 9)):
        consent(pupil, parent)
        enrolment.enrol(pupil, face_photo(person), by=cast.office)
    leaver.leaving_date = timezone.localdate() - datetime.timedelta(days=1)
    leaver.save()
    out = io.StringIO()
    call_command("run_daily", stdout=out)
    assert "1 face templates erased" in out.getvalue()
    assert list(FaceTemplate.objects.values_list("pupil_id", flat=True)) == [stays.pk]
    # A senior leader's objection, recorded directly in the database by a later import, is caught daily too.
    from saferstaff.consent.models import ConsentRecord

    ConsentRecord.objects.create(school=cast.school, pupil=stays, purpose=purpose(cast.school, "biometric"),
                                 answer="no", source="pupil", method="in_person")  # fmt: skip
    assert erasure.erase_unconsented() == 1 and not FaceTemplate.objects.exists()


def test_calibration_sets_thresholds_above_every_score_between_different_pupils(cast):
    from django.core.management import CommandError, call_command

    from saferstaff.schools.models import SchoolSettings

    with pytest.raises(CommandError, match="at least two pupils"):
        call_command("calibrate_faces", "--school", cast.school.slug)
    for n, person in enumerate((7, 9, 11)):
        pupil, (parent,) = pupil_with_parents(cast.school, f"P{n}", f"Q{n}")
        consent(pupil, parent)
        enrolment.enrol(pupil, face_photo(person), by=cast.office)
    out = io.StringIO()
    call_command("calibrate_faces", "--school", cast.school.slug, "--apply", stdout=out)
    settings = SchoolSettings.for_school(cast.school)
    vectors = [enrolment.vector_of(t) for t in FaceTemplate.objects.all()]
    highest = max(float(a @ b) for i, a in enumerate(vectors) for b in vectors[i + 1 :])
    assert settings.face_review_threshold > highest
    assert settings.face_auto_threshold >= settings.face_review_threshold + 0.1
    assert "saved" in out.getvalue() and AuditEvent.objects.filter(action="faces.calibrated").exists()


def _zip(files: dict[str, bytes]) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def _mis_class(cast):
    """Ava (UPN, consent), Ben (MIS id only, consent), Cal (no consent), Dee (consent; photo with two faces)."""
    pupils = {}
    for n, (name, upn, mis) in enumerate(
        [
            ("Ava", "A123456789012", ""),
            ("Ben", "", "ADM-0042"),
            ("Cal", "C123456789012", ""),
            ("Dee", "D123456789012", ""),
        ]
    ):
        pupil, (parent,) = pupil_with_parents(cast.school, name, "Price")
        pupil.upn, pupil.source_id = upn, mis or f"mis-{n}"
        pupil.save()
        if name != "Cal":
            consent(pupil, parent)
        pupils[name] = pupil
    return pupils


def test_the_mis_photo_export_enrols_pupils_with_consent_and_reports_every_other_file(cast):
    _mis_class(cast)
    export = _zip({
        "Price Ava A123456789012.jpg": face_photo(11),
        "ADM-0042.png": face_photo(12),
        "C123456789012.jpg": b"not even a photo: it must not be opened",  # no consent: never read
        "D123456789012.png": face_photo(14, faces=2),
        "Z999999999999.jpg": face_photo(15),  # nobody on roll
    })  # fmt: skip
    url = reverse("faces_import", kwargs={"school": cast.school.slug})
    response = signed_in(cast.office, confirmed=True).post(
        url, {"files": SimpleUploadedFile("photos.zip", export)}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "2 pupils enrolled" in page and "5 files looked at" in page
    assert set(FaceTemplate.objects.values_list("pupil__legal_forename", flat=True)) == {"Ava", "Ben"}
    assert "Not opened: Cal P. — no written guardian consent for &#x27;Face matching" in page
    assert "this one shows 2" in page and "No pupil on roll has this UPN or MIS id" in page
    events = AuditEvent.objects.filter(action="faces.enrolled")
    assert events.count() == 2 and all(e.detail["source"] == "mis" for e in events)
    assert "Ava" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))
    # The same export again enrols nobody twice.
    again = signed_in(cast.office, confirmed=True).post(
        url, {"files": SimpleUploadedFile("photos.zip", export)}
    )
    assert (
        "0 pupils enrolled" in again.content.decode()
        and "Already enrolled from this photo" in again.content.decode()
    )
    assert FaceTemplate.objects.count() == 2


def test_a_damaged_photo_in_the_export_enrols_nobody_and_names_the_file(cast):
    _mis_class(cast)
    export = _zip({"A123456789012.jpg": face_photo(11), "ADM-0042.jpg": face_photo(12)[:200]})
    url = reverse("faces_import", kwargs={"school": cast.school.slug})
    response = signed_in(cast.office, confirmed=True).post(
        url, {"files": SimpleUploadedFile("photos.zip", export)}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Nobody was enrolled" in page and "ADM-0042.jpg" in page
    assert not FaceTemplate.objects.exists()
    # Not a zip at all: the same, with the fix.
    response = signed_in(cast.office, confirmed=True).post(
        url, {"files": SimpleUploadedFile("photos.zip", b"PK\x03\x04 broken")}
    )
    assert response.status_code == 400 and "Make the zip again" in response.content.decode()
    assert not FaceTemplate.objects.exists()


def test_only_those_who_keep_consent_records_enrol_from_the_mis(cast):
    url = reverse("faces_import", kwargs={"school": cast.school.slug})
    assert signed_in(cast.teacher).get(url).status_code == 403
    assert signed_in(cast.office, confirmed=True).get(url).status_code == 200


def test_consent_withdrawn_while_the_photo_is_read_stops_the_enrolment(cast, monkeypatch):
    pupil, (mum,) = pupil_with_parents(cast.school)
    consent(pupil, mum)
    real = enrolment._reference

    def withdrawn_meanwhile(data):
        out = real(data)
        consent(pupil, mum, value="no")
        return out

    monkeypatch.setattr(enrolment, "_reference", withdrawn_meanwhile)
    with pytest.raises(Refused):
        enrolment.enrol(pupil, face_photo(7), by=cast.office)
    assert not FaceTemplate.objects.exists()
