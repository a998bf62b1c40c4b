"""A pupil found in a photo after it was published (§5), clicked through in Chromium on the demo school with
the stand-in face models: a teacher publishes a photo of a pupil with website consent through the publish
pages (request, ready, publish), then tags by hand a pupil whose family refused the website and is told a
takedown was raised; the takedowns page lists it, on a phone too. The same state is reached by the worker:
a second photo, published without blurring before any face screening, is screened afterwards and the face
screening tags the refused pupil, which raises a takedown too. Every page is checked with axe-core."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.biometrics import enrolment
from saferstaff.consent.models import Purpose
from saferstaff.consent.states import GIVEN, short_name, state_of
from saferstaff.photos import services
from saferstaff.photos.demo import CAMERA
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Image, ImageTag, Publication, Takedown
from saferstaff.schools.models import Guardianship, Pupil
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import ImageLoads, follow, standin_png, success
from tests.image_samples import approved_activity, jpeg

pytestmark = pytest.mark.browser

WEBSITE = "School website"
PERSON_A, PERSON_B = 7, 9  # stand-in face numbers; only B is enrolled for face matching


@pytest.fixture
def standin(settings):
    settings.FACE_MODELS = "standin"  # the live server runs in this process and sees it too


def responsible_guardian(pupil):
    link = Guardianship.objects.filter(pupil=pupil, parental_responsibility=True).order_by("contact_order")
    return link.select_related("guardian").first().guardian


def two_pupils(school_slug: str):
    """Year 1: A with website consent given; B whose guardian refuses the website and gives consent to face
    matching (B is enrolled from a reference photo)."""
    website = Purpose.objects.get(school__slug=school_slug, code="website")
    biometric = Purpose.objects.get(school__slug=school_slug, biometric=True)
    year1 = [
        p
        for p in Pupil.objects.filter(school__slug=school_slug, year_group="1").current().order_by("pk")
        if Guardianship.objects.filter(pupil=p, parental_responsibility=True).exists()
    ]
    a = next(p for p in year1 if state_of(p, website).status == GIVEN)
    b = next(p for p in year1 if p != a and not state_of(p, website).allowed)
    services.record_answers(
        b.school,
        [services.Answer(b, website, "no"), services.Answer(b, biometric, "yes")],
        source="guardian",
        method="paper",
        guardian=responsible_guardian(b),
    )
    assert state_of(b, website).status == "refused"
    return a, b


def publish(page, axe_check, image, where: str, *, blur: bool):
    """From the image's page: Publish a copy → where → Check → ready → Publish."""
    follow(page, axe_check, page.get_by_role("link", name="Publish a copy"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Publish a copy of image {image.pk}")
    page.get_by_label("Where", exact=True).select_option(label=WEBSITE)
    page.get_by_label("Web address, newsletter issue or display board").fill(where)
    box = page.get_by_label("Blur every face that is unknown or has no consent")
    expect(box).to_be_checked()
    if not blur:
        box.uncheck()
    follow(page, axe_check, page.get_by_role("button", name="Check", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Publishing image {image.pk}")
    expect(page.get_by_text("Ready to publish", exact=True)).to_be_visible()
    follow(page, axe_check, page.get_by_role("button", name="Publish", exact=True))
    expect(success(page)).to_contain_text("Published.")
    return Publication.objects.get(image=image, where=where)


def tag_by_hand(page, axe_check, pupil):
    value = page.locator(f'#pupil-names option[value$="#{pupil.pk}"]').get_attribute("value")
    page.get_by_label("Add a pupil").fill(value)
    follow(page, axe_check, page.get_by_role("button", name="Tag", exact=True))
    expect(page.locator("#tags + ul")).to_contain_text(pupil.display_name)


def test_a_pupil_tagged_after_publication_raises_a_takedown_and_an_unscreened_photo_is_screened_first(
    new_page, sign_in, axe_check, demo, standin
):
    a, b = two_pupils(demo.school_slug)
    school = a.school
    teacher_user = User.objects.get(email=demo.email("teacher"))
    office = User.objects.get(email=demo.email("office"))
    enrolment.enrol(b, standin_png({PERSON_B: (52, 52, 96, 96)}, size=(200, 200)), by=office)
    deputy = User.objects.get(email=demo.email("deputy"))
    activity = approved_activity(school, teacher_user, deputy, pupils=[a, b])
    first, second = add_images(
        activity,
        [
            ("IMG_4001.JPG", jpeg(make=CAMERA[0], model=CAMERA[1], serial=CAMERA[2])),  # no face to find
            ("a-and-b.png", standin_png({PERSON_A: (20, 60, 96, 96), PERSON_B: (270, 60, 96, 96)})),
        ],
        by=teacher_user,
    )
    # A made-up PNG carries no camera details: a senior leader has checked it (test_faces_walkthrough.py
    # clears such a flag in the browser).
    assert second.flag == Image.Flag.NO_CAMERA and not first.flag
    Image.objects.filter(pk=second.pk).update(
        flag_cleared_by=deputy, flag_cleared_at=timezone.now(), flag_note="Made on a school laptop"
    )

    # 1. By hand: the teacher tags A, publishes the photo on the website, then tags B in it.
    teacher = new_page("teacher", viewport=DESKTOP)
    loads = ImageLoads(teacher)
    sign_in(teacher, "teacher")
    teacher.goto(demo.url(f"images/{first.pk}/"))
    axe_check(teacher)
    tag_by_hand(teacher, axe_check, a)
    first_pub = publish(teacher, axe_check, first, "https://westfield.example/news/reading", blur=True)
    assert list(first_pub.pupils.values_list("pupil_id", flat=True)) == [a.pk]
    expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Image {first.pk}")  # back on its page
    loads.settle()
    tag_by_hand(teacher, axe_check, b)
    expect(
        teacher.get_by_text(
            f"This image is published where {short_name(b)} has no consent: takedown raised (§5)."
        )
    ).to_be_visible()
    takedown = Takedown.objects.get(publication=first_pub)
    assert takedown.pupil == b and takedown.assigned_to == teacher_user and takedown.done_at is None
    assert set(first_pub.pupils.values_list("pupil_id", flat=True)) == {a.pk, b.pk}

    teacher.goto(demo.url("takedowns/"))
    axe_check(teacher)
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Takedowns")
    expect(teacher.get_by_role("table")).to_contain_text("1 open")
    row = teacher.locator("tbody tr", has_text=first_pub.where)
    expect(row).to_contain_text(b.display_name)
    # The same page on a phone: nothing scrolls sideways and "Mark as taken down" is on screen.
    teacher.set_viewport_size(PHONE)
    teacher.reload()
    axe_check(teacher)
    width = teacher.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the takedowns page is {width}px wide on a {PHONE['width']}px screen"
    mark = teacher.locator("tbody tr", has_text=first_pub.where).get_by_role(
        "link", name=re.compile("Mark as taken down")
    )
    expect(mark).to_be_visible()
    box = mark.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    teacher.set_viewport_size(DESKTOP)

    # 2. By the worker: the second photo, which nobody asked to screen, cannot be published unblurred with only
    # the tagged pupil checked: the face screening has tagged B in it (a machine tag, through the same door),
    # and publishing is refused naming B. (A tag the screening makes after a
    # publication — a pupil enrolled later — raises a takedown: tests/test_faces_screening.py.)
    teacher.goto(demo.url(f"images/{second.pk}/"))
    axe_check(teacher)
    tag_by_hand(teacher, axe_check, a)
    follow(teacher, axe_check, teacher.get_by_role("link", name="Publish a copy"))
    teacher.get_by_label("Where", exact=True).select_option(label=WEBSITE)
    teacher.get_by_label("Web address, newsletter issue or display board").fill(
        "https://westfield.example/news/2"
    )
    teacher.get_by_label("Blur every face that is unknown or has no consent").uncheck()
    follow(teacher, axe_check, teacher.get_by_role("button", name="Check", exact=True))
    refusal = teacher.locator(".govuk-error-summary")
    expect(refusal).to_contain_text("Refused: this image cannot be published there")
    expect(refusal).to_contain_text(f"{short_name(b)} — ")
    machine = ImageTag.objects.get(image=second, pupil=b)
    assert machine.source == ImageTag.Source.MACHINE and machine.tagged_by is None
    assert Image.objects.get(pk=second.pk).faces_screened_with
    assert not Publication.objects.filter(image=second).exists()

    # The teacher is told in the app as well.
    teacher.goto("/notifications/")
    axe_check(teacher)
    expect(teacher.get_by_text("Consent is missing: take down 1 published image (§5)").first).to_be_visible()
