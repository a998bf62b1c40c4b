"""A "no" takes effect at once, whichever way it is given (§5): every publication it affects becomes a takedown
for its publisher and a "no" to face matching erases the pupil's face templates (PoFA). Consent records the
answer through its one door and sends ``consent.signals.withdrawn``; photos and biometrics act on it in the
same transaction."""

import io
import re

import numpy as np
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from saferstaff.biometrics import enrolment
from saferstaff.biometrics.models import FaceTemplate
from saferstaff.consent.models import ConsentRecord
from saferstaff.consent.services import Answer, record_answers
from saferstaff.faces.standin import draw_face
from saferstaff.photos import takedowns
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag, Takedown
from saferstaff.publishing import services as publishing

from .conftest import signed_in
from .image_samples import add_device, approved_activity, jpeg, pupil_with_parents, purpose


@pytest.fixture(autouse=True)
def _setup(storage, settings, monkeypatch):
    from django.db import transaction

    settings.FACE_MODELS = "standin"
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


def face_photo(person: int) -> bytes:
    image = np.full((300, 400, 3), 80, dtype=np.uint8)
    draw_face(image, (20, 40, 96, 96), person)
    out = io.BytesIO()
    PILImage.fromarray(image[:, :, ::-1]).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def published(cast):
    """Noah, with a parent's written yes to learning records, the website and face matching: enrolled, and
    in a photo on the website."""
    noah, (dad,) = pupil_with_parents(cast.school, "Noah", "Reed")
    yes = ConsentRecord.Answer.YES
    record_answers(
        cast.school, [Answer(noah, purpose(cast.school, code), yes) for code in ("learning_records", "website",
                                                                                   "biometric")],
        source="guardian", method="portal", guardian=dad,
    )  # fmt: skip
    enrolment.enrol(noah, face_photo(7), by=cast.office)
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[noah])
    (image,) = add_images(activity, [("n.jpg", jpeg())], by=cast.teacher)
    ImageTag.objects.create(school=cast.school, image=image, pupil=noah, tagged_by=cast.teacher)
    publication = publishing.check_and_publish(
        image, purpose(cast.school, "website"), "https://school.example/news", by=cast.teacher
    )
    assert FaceTemplate.objects.filter(pupil=noah).exists() and not Takedown.objects.exists()
    return {"noah": noah, "dad": dad, "publication": publication}


def by_the_office(cast, noah, dad):
    url = reverse("consent_record", kwargs={"school": cast.school.slug, "pk": noah.pk})
    data = {"purposes": [purpose(cast.school, "website").pk, purpose(cast.school, "biometric").pk],
            "answer": "no", "source": "guardian", "guardian": dad.pk, "method": "phone"}  # fmt: skip
    assert signed_in(cast.office).post(url, data).status_code == 302


def through_the_portal(cast, noah, dad):
    office = signed_in(cast.office, confirmed=True)
    office.post(reverse("portal_links", kwargs={"school": cast.school.slug}), {"send": "all"})
    url = re.search(r"http://\S+/portal/\S+/", mail.outbox[-1].body).group(0).split("testserver", 1)[-1]
    website, biometric = purpose(cast.school, "website"), purpose(cast.school, "biometric")
    response = Client().post(url, {f"c-{noah.pk}-{website.pk}": "no", f"c-{noah.pk}-{biometric.pk}": "no"})
    assert response.status_code == 302 and "/receipt/" in response["Location"]


def by_a_command_or_worker(cast, noah, dad):
    record_answers(
        cast.school, [Answer(noah, purpose(cast.school, c), "no") for c in ("website", "biometric")],
        source="guardian", method="phone", guardian=dad,
    )  # fmt: skip


@pytest.mark.parametrize("path", [by_the_office, through_the_portal, by_a_command_or_worker])
def test_a_no_by_every_path_raises_the_takedown_and_erases_the_face_template(cast, published, path):
    noah = published["noah"]
    path(cast, noah, published["dad"])
    takedown = Takedown.objects.get()
    assert (takedown.publication, takedown.pupil, takedown.assigned_to) == (
        published["publication"], noah, cast.teacher,
    )  # fmt: skip
    assert takedown.consent_record.answer == ConsentRecord.Answer.NO
    assert not FaceTemplate.objects.filter(pupil=noah).exists()


def test_if_acting_on_a_no_fails_the_no_is_not_recorded_either(cast, published, monkeypatch):
    def broken(withdrawal):
        raise RuntimeError("storage down")

    monkeypatch.setattr(takedowns, "raise_takedowns", broken)
    noes = ConsentRecord.objects.filter(answer=ConsentRecord.Answer.NO)
    with pytest.raises(RuntimeError):
        by_a_command_or_worker(cast, published["noah"], published["dad"])
    assert not noes.exists() and FaceTemplate.objects.filter(pupil=published["noah"]).exists()
