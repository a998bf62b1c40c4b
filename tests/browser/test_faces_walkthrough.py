"""§5 faces, the issue's "Done when" clicked through in Chromium on the demo school with the stand-in models:
the office enrols two pupils who have biometric consent from a reference photo each; a teacher's photo
activity is approved, she uploads an album in which both pupils appear together in one photo, finds the
faces (the progress bar), reviews the uncertain ones (the face beside the enrolled reference), and asks to
publish that photo to the school website with faces blurred: every face is listed first; the pupil without
website consent is refused, then — the school's settings allowing it — published blurred once a senior leader
has looked at the faces and approved; the other stays visible in the copy. Every page is checked with axe-core."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.biometrics import enrolment, screening
from saferstaff.biometrics.models import FaceDetection, FaceTemplate, ScreeningRun
from saferstaff.consent.models import Purpose
from saferstaff.consent.states import GIVEN, short_name, state_of
from saferstaff.photos import services
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Activity, Image, ImageTag, Publication
from saferstaff.schools.models import Guardianship, Pupil, SchoolSettings
from tests.browser.support import (
    ImageLoads,
    confirm_it_is_you,
    faces_in,
    follow,
    menu,
    photo_nav,
    request_photo_activity,
    standin_png,
    success,
    summary_value,
)
from tests.image_samples import approved_activity

pytestmark = pytest.mark.browser

WEBSITE = "School website"
PERSON_A, PERSON_B, VISITOR = 7, 9, 42  # stand-in face numbers: A and B are enrolled, the visitor is not
# Where the faces are in the photo to publish (400 × 240): far enough apart that blurring one (the box and
# a margin of 35 % of its size) leaves the other untouched.
BOX_A, BOX_B = (20, 60, 96, 96), (270, 60, 96, 96)


@pytest.fixture
def standin(settings):
    """The deterministic stand-in models (saferstaff.faces.standin). The live server runs in this process,
    so it sees the setting too."""
    settings.FACE_MODELS = "standin"


def responsible_guardian(pupil):
    link = (
        Guardianship.objects.filter(pupil=pupil, parental_responsibility=True)
        .select_related("guardian")
        .order_by("contact_order")
        .first()
    )
    return link.guardian if link else None


def give_biometric_consent(pupil):
    """A parent's written (paper) consent to face matching, recorded as the office would."""
    biometric = Purpose.objects.get(school=pupil.school, biometric=True)
    services.record_answers(
        pupil.school,
        [services.Answer(pupil, biometric, "yes")],
        source="guardian",
        method="paper",
        guardian=responsible_guardian(pupil),
    )
    assert state_of(pupil, biometric).status == GIVEN


def choose_pupils(school_slug: str):
    """Two Year 1 pupils with a guardian who has parental responsibility: A with website consent given,
    B whose website consent is not given. Both get biometric consent."""
    website = Purpose.objects.get(school__slug=school_slug, code="website")
    year1 = [
        p
        for p in Pupil.objects.filter(school__slug=school_slug, year_group="1").current().order_by("pk")
        if responsible_guardian(p)
    ]
    a = next(p for p in year1 if state_of(p, website).status == GIVEN)
    b = next(p for p in year1 if not state_of(p, website).allowed)
    for pupil in (a, b):
        give_biometric_consent(pupil)
    return website, a, b


def uncertain_matches(school):
    """The stand-in's perfect matches (similarity 1.0) go to review instead of being tagged at once."""
    school_settings = SchoolSettings.for_school(school)
    school_settings.face_auto_threshold = 1.01
    school_settings.face_review_threshold = 0.5
    school_settings.save()


def reference_photo(name: str, faces: dict[int, tuple]) -> list[dict]:
    return [
        {"name": name, "mimeType": "image/png", "buffer": standin_png(faces, size=(200, 200), colour=120)}
    ]


def enrol(page, axe_check, demo, pupil, person: int, *, group_photo_first: bool = False):
    """As the office: Consent → the pupil → Face matching enrolment → upload a reference photo (after, with
    ``group_photo_first``, one with two faces, which is refused)."""
    follow(page, axe_check, menu(page, "Consent"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Consent register")
    page.get_by_label("Pupil's name or UPN").fill(pupil.upn)
    follow(page, axe_check, page.get_by_role("button", name="Show"))
    follow(page, axe_check, page.get_by_role("link", name=pupil.display_name))
    expect(page.get_by_role("heading", level=1)).to_have_text(pupil.display_name)
    follow(page, axe_check, page.get_by_role("link", name="Face matching enrolment"))
    confirm_it_is_you(page, axe_check, demo, "office", "enrolling a pupil for face matching")
    expect(page.get_by_role("heading", level=1)).to_have_text(pupil.display_name)
    expect(page.get_by_text("Not enrolled.", exact=True)).to_be_visible()
    expect(page.locator(".govuk-inset-text")).to_contain_text("Consent: ")
    field = page.get_by_label("A clear photo of the pupil's face alone")
    if group_photo_first:
        field.set_input_files(
            files=reference_photo("group.png", {person: (4, 52, 80, 80), 99: (110, 52, 80, 80)})
        )
        response = follow(page, axe_check, page.get_by_role("button", name="Enrol"))
        assert response.status == 400, response.status
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text("Not enrolled")
        expect(summary).to_contain_text("The reference photo must show one face, clearly; this one shows 2.")
        assert not FaceTemplate.objects.filter(pupil=pupil).exists()
    field.set_input_files(files=reference_photo(f"reference-{pupil.pk}.png", {person: (52, 52, 96, 96)}))
    response = follow(page, axe_check, page.get_by_role("button", name="Enrol"))
    assert response.status == 200, response.status
    expect(success(page)).to_contain_text(
        "Enrolled. The photo itself is not kept; the face data is encrypted."
    )
    expect(page.get_by_text("Not enrolled.", exact=True)).to_have_count(0)
    assert FaceTemplate.objects.filter(pupil=pupil).count() == 1


def enrol_from_mis(page, axe_check, demo, pupil, person: int, without_consent):
    """As the office: Consent → Enrol from the MIS photos → a zip of the MIS's photos named by UPN: the pupil
    with consent is enrolled; the other's photo is not opened."""
    import io
    import zipfile

    export = io.BytesIO()
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr(f"{pupil.upn}.png", standin_png({person: (52, 52, 96, 96)}, size=(200, 200), colour=120))
        zf.writestr(f"{without_consent.upn}.png", standin_png({77: (52, 52, 96, 96)}, size=(200, 200)))
    follow(page, axe_check, menu(page, "Consent"))
    follow(
        page, axe_check, page.get_by_role("link", name="Enrol pupils for face matching from the MIS photos")
    )
    if "/reauthenticate" in page.url:  # asked again only when the last confirmation is a few minutes old
        confirm_it_is_you(
            page, axe_check, demo, "office", "enrolling pupils for face matching from the MIS photos"
        )
    expect(page.get_by_role("heading", level=1)).to_have_text("Enrol pupils from the MIS photos")
    page.get_by_label("The MIS photos").set_input_files(
        files=[{"name": "photos.zip", "mimeType": "application/zip", "buffer": export.getvalue()}]
    )
    response = follow(page, axe_check, page.get_by_role("button", name="Enrol"))
    assert response.status == 200, response.status
    expect(page.locator(".govuk-panel")).to_contain_text("1 pupil enrolled")
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text=pupil.upn)).to_contain_text("Enrolled")
    expect(rows.filter(has_text=without_consent.upn)).to_contain_text("Not opened")
    assert FaceTemplate.objects.filter(pupil=pupil).count() == 1
    assert not FaceTemplate.objects.filter(pupil=without_consent).exists()


def open_image(page, loads: ImageLoads, axe_check, image):
    """Click an image's thumbnail, once the thumbnails around it have loaded (see ImageLoads)."""
    link = page.get_by_role("link", name=f"Image {image.pk}", exact=True)
    link.scroll_into_view_if_needed()
    loads.settle()
    follow(page, axe_check, link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Image {image.pk}")


def loaded(img) -> bool:
    """The <img> has loaded and decoded (a broken image has no natural width)."""
    return img.evaluate("el => el.complete && el.naturalWidth > 0")


def test_faces_walkthrough(new_page, sign_in, axe_check, demo, standin):
    website, a, b = choose_pupils(demo.school_slug)
    school = a.school
    uncertain_matches(school)

    # 1. The office enrols A from a reference photo of one face on A's page, and B from the MIS's photos.
    office = new_page("office")
    sign_in(office, "office")
    enrol(office, axe_check, demo, a, PERSON_A, group_photo_first=True)
    no_biometric = next(
        p for p in Pupil.objects.current().filter(school=school).exclude(pk__in=[a.pk, b.pk]) if p.upn
        and not state_of(p, Purpose.objects.get(school=school, biometric=True)).allowed
    )  # fmt: skip
    enrol_from_mis(office, axe_check, demo, b, PERSON_B, no_biometric)

    # 2. The teacher asks for a photo activity for the school website; a senior leader approves it.
    teacher = new_page("teacher")
    loads = ImageLoads(teacher)
    sign_in(teacher, "teacher")
    follow(teacher, axe_check, menu(teacher, "Photos"))
    request_photo_activity(
        teacher, axe_check, "Year 1 sports day", "School field", timezone.localdate().isoformat()
    )
    activity = Activity.objects.get(school=school, title="Year 1 sports day")

    deputy = new_page("senior leader")
    deputy_loads = ImageLoads(deputy)
    sign_in(deputy, "deputy")
    follow(deputy, axe_check, menu(deputy, "Photos"))
    follow(deputy, axe_check, deputy.get_by_role("link", name="Year 1 sports day").first)
    deputy.get_by_label("Approve", exact=True).check()
    follow(deputy, axe_check, deputy.get_by_role("button", name="Save the decision"))
    expect(success(deputy)).to_contain_text("Approved.")

    # 3. The teacher uploads the album: A and B together, A alone, a visitor nobody enrolled, and a photo
    # with no face. Made-up PNGs carry no camera data, so each is flagged for senior management (§6).
    teacher.reload()
    axe_check(teacher)
    expect(summary_value(teacher, "Status")).to_contain_text("Approved")
    follow(teacher, axe_check, teacher.get_by_role("link", name="Add photos and videos"))
    album = [
        ("together.png", standin_png({PERSON_A: BOX_A, PERSON_B: BOX_B})),
        ("a-alone.png", standin_png({PERSON_A: (150, 70, 88, 88)}, colour=90)),
        ("visitor.png", standin_png({VISITOR: (100, 40, 120, 120)}, colour=100)),
        ("no-face.png", standin_png({}, colour=110)),
    ]
    teacher.get_by_label("Photos, videos or a zip").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": data} for name, data in album]
    )
    with teacher.expect_navigation(url=re.compile(rf"/activities/{activity.pk}/$"), timeout=60_000):
        teacher.get_by_role("button", name="Upload").click()
    axe_check(teacher)
    expect(success(teacher)).to_contain_text("Added 4 images.")
    expect(teacher.get_by_role("heading", name="Images (4)")).to_be_visible()
    expect(teacher.locator(".app-image-grid .govuk-tag", has_text="Flagged")).to_have_count(4)
    images = {i.original_name: i for i in Image.objects.filter(activity=activity)}
    assert {i.flag for i in images.values()} == {Image.Flag.NO_CAMERA}
    together = images["together.png"]

    # 4. The teacher finds the faces: the progress page, with its bar, says every photo was screened (the
    # tasks backend in tests runs the job during the POST that starts it).
    loads.settle()
    follow(teacher, axe_check, teacher.get_by_role("button", name="Find faces in these photos"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Finding faces")
    bar = teacher.locator("progress")
    expect(bar).to_have_count(1)
    expect(bar).to_have_attribute("value", "100")
    expect(teacher.get_by_role("progressbar", name="Finished: 4 of 4 photos")).to_be_visible()
    expect(teacher.locator('meta[http-equiv="refresh"]')).to_have_count(0)  # finished: no more refreshing
    expect(teacher.get_by_text("4 faces found so far.")).to_be_visible()
    run = ScreeningRun.objects.get(activity=activity)
    assert (run.status, run.total, run.done, run.faces) == (ScreeningRun.Status.DONE, 4, 4, 4)
    assert not ImageTag.objects.filter(image__activity=activity).exists()  # nothing was sure enough

    # 5. The teacher reviews the three uncertain faces, each beside the enrolled reference, and confirms each.
    follow(teacher, axe_check, teacher.get_by_role("link", name="3 faces to review"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Review faces")
    for n, (image, pupil) in enumerate([(together, a), (together, b), (images["a-alone.png"], a)]):
        expect(teacher.get_by_role("heading", name=f"In image {image.pk}")).to_be_visible()
        expect(teacher.get_by_role("heading", name=f"Enrolled: {pupil.display_name}")).to_be_visible()
        crop = teacher.get_by_role("img", name=f"The face found in image {image.pk}")
        reference = teacher.get_by_role("img", name=f"The enrolled face of {pupil.display_name}")
        loads.settle()
        assert loaded(crop) and loaded(reference), "the face crop or the enrolled reference did not load"
        if n == 2:  # the last by keyboard: Y answers yes
            with teacher.expect_navigation():
                teacher.keyboard.press("y")
            axe_check(teacher)
        else:
            follow(teacher, axe_check, teacher.get_by_role("button", name=f"Yes, it is {pupil.display_name}"))
    expect(teacher.get_by_text("Nothing to review.", exact=True)).to_be_visible()
    decided = FaceDetection.objects.filter(image__activity=activity).exclude(decision="")
    assert sorted(decided.values_list("decided_pupil_id", flat=True)) == sorted([a.pk, b.pk, a.pk])
    assert set(ImageTag.objects.filter(image=together).values_list("pupil_id", flat=True)) == {a.pk, b.pk}

    # 6. A senior leader checks the flagged photo and clears the flag, with a note.
    follow(deputy, axe_check, menu(deputy, "Photos"))
    follow(deputy, axe_check, photo_nav(deputy, "Image library"))
    deputy_loads.settle()
    follow(deputy, axe_check, deputy.get_by_role("link", name=re.compile(r"\d+ flagged images? to check")))
    open_image(deputy, deputy_loads, axe_check, together)
    deputy.get_by_label("What you checked").fill("Test photos made on a school laptop")
    deputy_loads.settle()
    follow(deputy, axe_check, deputy.get_by_role("button", name="Clear the flag"))
    expect(success(deputy)).to_contain_text("The flag is cleared; your note is kept with the image.")
    together.refresh_from_db()
    assert not together.flag_open

    # 7. The teacher asks to publish that photo on the school website with faces blurred. B has no website
    # consent: by default that is refused, naming B, the consent and the date (§5).
    loads.settle()
    follow(teacher, axe_check, photo_nav(teacher, "Photo activities"))
    follow(teacher, axe_check, teacher.get_by_role("link", name="Year 1 sports day").first)
    open_image(teacher, loads, axe_check, together)
    loads.settle()

    def ask_to_publish(*, refused_at_once: bool = False):
        follow(teacher, axe_check, teacher.get_by_role("link", name="Publish a copy"))
        expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Publish a copy of image {together.pk}")
        teacher.get_by_label("Where", exact=True).select_option(label=WEBSITE)
        teacher.get_by_label("Web address, newsletter issue or display board").fill(
            "https://westfield.example/news/sports-day"
        )
        blur = teacher.get_by_label("Blur every face that is unknown or has no consent")
        expect(blur).to_be_checked()  # ticked unless the publisher unticks it
        response = follow(teacher, axe_check, teacher.get_by_role("button", name="Check", exact=True))
        if refused_at_once:  # refused whatever faces are found: said on the form at once, nothing queued
            assert response.status == 409, response.status
            return
        assert response.status == 200, response.status
        # Every face found is listed before anything is published: A shown, B blurred.
        expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Publishing image {together.pk}")
        expect(
            teacher.get_by_text(f"Face 1: {a.display_name} — consent given. Shown as it is")
        ).to_be_visible()
        expect(
            teacher.get_by_text(f"Face 2: {b.display_name} — no consent for {WEBSITE}. Blurred")
        ).to_be_visible()
        loads.settle()
        for n in (1, 2):
            face = teacher.get_by_role("img", name=f"Face {n} in image {together.pk}")
            assert loaded(face), f"face {n} did not load"

    ask_to_publish(refused_at_once=True)
    refusal = teacher.locator(".govuk-error-summary")
    expect(refusal).to_contain_text("Refused: this image cannot be published there")
    expect(refusal).to_contain_text(f"{short_name(b)} — ")
    expect(refusal).to_contain_text("does not replace consent")
    expect(teacher.get_by_role("button", name="Publish", exact=True)).to_have_count(0)
    assert not Publication.objects.filter(image=together).exists()

    # The school's settings allow publishing with such a pupil blurred, each time approved by senior
    # management. The teacher asks again, reads why, confirms and asks for approval.
    SchoolSettings.objects.filter(school=school).update(publish_blurred_without_consent=True)
    follow(teacher, axe_check, teacher.get_by_role("link", name=f"Back to image {together.pk}"))
    ask_to_publish()
    expect(teacher.get_by_text("Senior management must approve this first (§5):")).to_be_visible()
    expect(
        teacher.get_by_text(f"{short_name(b)}'s face would be blurred: senior management must approve")
    ).to_be_visible()
    teacher.get_by_label(re.compile("I have looked at every face")).check()
    follow(teacher, axe_check, teacher.get_by_role("button", name="Ask senior management to approve"))
    expect(success(teacher)).to_contain_text("Sent to senior management for approval.")
    assert not Publication.objects.filter(image=together).exists()

    # 8. The senior leader finds it waiting, looks at each face and approves: it is published, B blurred.
    follow(deputy, axe_check, menu(deputy, "Photos"))
    follow(deputy, axe_check, photo_nav(deputy, "Waiting for approval"))
    follow(deputy, axe_check, deputy.get_by_role("link", name=f"Image {together.pk} on {WEBSITE}"))
    deputy_loads.settle()
    for n in (1, 2):
        assert loaded(deputy.get_by_role("img", name=f"Face {n} in image {together.pk}")), f"face {n}"
    follow(deputy, axe_check, deputy.get_by_role("button", name="Approve and publish"))
    expect(success(deputy)).to_contain_text("Approved and published.")
    teacher.goto(demo.url(f"images/{together.pk}/"))
    axe_check(teacher)
    expect(teacher.get_by_text(re.compile(r"\(1 face blurred\)"))).to_be_visible()
    publication = Publication.objects.get(image=together)
    assert publication.channel == website and publication.published_by.email == demo.email("teacher")
    assert [(f["pupil"], f["why"]) for f in publication.faces_blurred] == [(b.pk, "no_consent")]
    assert list(publication.pupils.values_list("pupil_id", flat=True)) == [a.pk]

    # The clean copy: exactly one face is left, A's, where A is in the photo.
    loads.settle()
    with teacher.expect_download() as download_info:
        teacher.get_by_role("link", name=re.compile("download the clean copy")).click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    with open(download.path(), "rb") as f:
        copy = f.read()
    faces = faces_in(copy)
    assert len(faces) == 1, [f.box for f in faces]
    left, top, width, height = faces[0].box
    assert abs(left - BOX_A[0]) <= 4 and abs(top - BOX_A[1]) <= 4, faces[0].box
    assert abs(width - BOX_A[2]) <= 8 and abs(height - BOX_A[3]) <= 8, faces[0].box


# --- Without JavaScript ------------------------------------------------------------------------------------


def test_face_review_works_without_javascript(new_page, sign_in, axe_check, demo, standin):
    """The review form is a plain form: confirming a face works with JavaScript off."""
    _website, a, _b = choose_pupils(demo.school_slug)
    school = a.school
    uncertain_matches(school)
    office = User.objects.get(email=demo.email("office"))
    teacher_user = User.objects.get(email=demo.email("teacher"))
    deputy_user = User.objects.get(email=demo.email("deputy"))
    enrolment.enrol(a, standin_png({PERSON_A: (52, 52, 96, 96)}, size=(200, 200)), by=office)
    activity = approved_activity(school, teacher_user, deputy_user, pupils=[a])
    (image,) = add_images(activity, [("a.png", standin_png({PERSON_A: BOX_A}))], by=teacher_user)
    run = screening.start(activity, by=teacher_user)  # runs at once: the tasks backend in tests is immediate
    run.refresh_from_db()
    assert run.status == ScreeningRun.Status.DONE
    detection = FaceDetection.objects.get(image=image)
    assert detection.verdict == FaceDetection.Verdict.REVIEW and detection.proposed_pupil == a

    page = new_page("teacher, JavaScript off", java_script_enabled=False)
    loads = ImageLoads(page)
    sign_in(page, "teacher")
    page.goto(demo.url("faces/review/"))
    axe_check(page)
    assert page.evaluate("() => document.body.classList.contains('js-enabled')") is False
    expect(page.get_by_role("heading", level=1)).to_have_text("Review faces")
    expect(page.get_by_role("heading", name=f"Enrolled: {a.display_name}")).to_be_visible()
    loads.settle()
    posts = []
    page.on("request", lambda r: posts.append(r.resource_type) if r.method == "POST" else None)
    follow(page, axe_check, page.get_by_role("button", name=f"Yes, it is {a.display_name}"))
    assert posts == ["document"], posts
    expect(page.get_by_text("Nothing to review.", exact=True)).to_be_visible()
    detection.refresh_from_db()
    assert detection.decision == FaceDetection.Decision.CONFIRMED and detection.decided_pupil == a
    assert ImageTag.objects.filter(image=image, pupil=a).exists()
