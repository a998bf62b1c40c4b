"""Scans kept as evidence (a takedown's screenshot, a signed paper acceptance, a paper consent form): stored
under a random name with the extension of the type found in the file, opened only by the people allowed to
see the record they belong to, as audited downloads with safe headers."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from saferstaff.audit.models import AuditEvent
from saferstaff.consent.models import ConsentRecord
from saferstaff.consent.services import Answer, record_answers
from saferstaff.photos import takedowns
from saferstaff.photos.models import Takedown
from saferstaff.policies.models import Acceptance
from saferstaff.publishing import services as publishing

from .conftest import signed_in
from .image_samples import purpose
from .test_acknowledgements import PDF, published
from .test_images_flows import class_photo, consent  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _files(storage, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
    return storage


def png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def assert_safe_download(response, *, name: str, content_type: str, data: bytes):
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == data


def test_a_takedown_screenshot_is_stored_by_its_type_and_opened_only_by_the_publisher_and_senior_management(
    cast,
    class_photo,  # noqa: F811
):
    publishing.check_and_publish(
        class_photo["with_noah"], purpose(cast.school, "website"), "web", by=cast.teacher
    )
    consent(class_photo["noah"], class_photo["dad"], "website", "no", "portal")
    takedown = Takedown.objects.get()
    done = reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    # A PNG whose name says HTML: kept as a PNG, never under the name the uploader gave it.
    shot = SimpleUploadedFile("noah-reed-news-page.html", png(), content_type="text/html")
    assert signed_in(cast.teacher).post(done, {"note": "Removed", "evidence": shot}).status_code == 302
    takedown.refresh_from_db()
    assert takedown.evidence.name.endswith(".png") and "noah" not in takedown.evidence.name

    url = reverse("takedown_evidence", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    for user in (cast.teacher, cast.slt, cast.head):
        response = signed_in(user).get(url)
        assert_safe_download(
            response, name=f"takedown-{takedown.pk}.png", content_type="image/png", data=png()
        )
    assert (
        AuditEvent.objects.filter(
            action="images.takedown.evidence_viewed", object_id=str(takedown.pk)
        ).count()
        == 3
    )
    assert signed_in(cast.volunteer).get(url).status_code == 403  # not theirs
    assert signed_in(cast.governor).get(url).status_code == 403  # not in the access map
    assert signed_in(cast.other_teacher).get(url).status_code == 404  # another school
    listing = signed_in(cast.slt).get(reverse("takedown_list", kwargs={"school": cast.school.slug}))
    assert url in listing.content.decode()


def test_a_takedown_without_a_screenshot_has_nothing_to_open(cast, class_photo):  # noqa: F811
    publishing.check_and_publish(
        class_photo["with_noah"], purpose(cast.school, "website"), "web", by=cast.teacher
    )
    consent(class_photo["noah"], class_photo["dad"], "website", "no", "portal")
    takedown = Takedown.objects.get()
    takedowns.finish_takedown(takedown, by=cast.teacher, note="done")
    url = reverse("takedown_evidence", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    assert signed_in(cast.teacher).get(url).status_code == 404


def test_a_paper_acceptances_scan_is_opened_by_the_head_senior_leaders_and_the_dpo_only(cast):
    version = published(cast, audience_employment=["volunteer"])
    accept_for = reverse(
        "policy_accept_for", kwargs={"school": cast.school.slug, "pk": version.policy_id, "number": 1}
    )
    # A PDF sent as "image/jpeg" with a .jpg name: the file's own bytes decide.
    scan = SimpleUploadedFile("Val Smith signed.jpg", PDF, content_type="image/jpeg")
    response = signed_in(cast.head).post(
        accept_for,
        {"member": cast.member(cast.volunteer).pk, "note": "Paper form at induction", "evidence": scan},
    )
    assert response.status_code == 302
    acceptance = Acceptance.objects.get(user=cast.volunteer)
    assert acceptance.evidence.name.endswith(".pdf") and "Val" not in acceptance.evidence.name

    url = reverse("policy_acceptance_scan", kwargs={"school": cast.school.slug, "pk": acceptance.pk})
    for user in (cast.head, cast.slt, cast.dpo):
        response = signed_in(user).get(url)
        assert_safe_download(
            response, name=f"acceptance-{acceptance.pk}.pdf", content_type="application/pdf", data=PDF
        )
    assert AuditEvent.objects.filter(action="policy.acceptance.scan_viewed").count() == 3
    for user in (cast.teacher, cast.governor, cast.volunteer):
        assert signed_in(user).get(url).status_code == 403
    assert signed_in(cast.other_teacher).get(url).status_code == 404
    page = signed_in(cast.head).get(accept_for).content.decode()
    assert url in page and "Recorded from paper for this version" in page


def test_a_paper_consent_form_is_downloaded_with_the_extension_of_its_type(cast, class_photo):  # noqa: F811
    amelia, mum = class_photo["amelia"], class_photo["mum"]
    form = SimpleUploadedFile("form", png(), content_type="application/octet-stream")
    (r,), _receipt = record_answers(
        cast.school,
        [Answer(amelia, purpose(cast.school, "press"), ConsentRecord.Answer.NO)],
        source="guardian", method="paper", guardian=mum, by=cast.office, evidence=form,
    )  # fmt: skip
    assert r.evidence.name.endswith(".png")
    url = reverse("consent_evidence", kwargs={"school": cast.school.slug, "pk": r.pk})
    assert_safe_download(
        signed_in(cast.office).get(url), name=f"consent-{r.pk}.png", content_type="image/png", data=png()
    )
    assert signed_in(cast.teacher).get(url).status_code == 403
