"""Proof that a photo came down (§5), clicked through in Chromium on the demo school: a teacher publishes a photo
of a pupil with website consent, giving the web address of a page (a real web server on loopback) that shows it;
the family withdraws consent; the takedown page shows the check found it "still there" at the image's address;
the photo is removed from the page, "Check again" finds it gone, and the takedown is closed on that check. On a
desktop and at 390 px; every page checked with axe-core."""

# ruff: noqa: F811  (``site`` is a fixture imported from tests/test_takedown_checks.py)

import io

import numpy as np
import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.consent.models import Purpose
from saferstaff.consent.services import Answer, record_answers
from saferstaff.photos.demo import CAMERA
from saferstaff.photos.library import add_images
from saferstaff.photos.models import PlaceCheck, Takedown
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import follow, success
from tests.browser.test_takedown_walkthrough import WEBSITE, responsible_guardian, tag_by_hand
from tests.image_samples import approved_activity

# ``site``: a web server on loopback (the live server runs in this process and sees its loopback setting too)
from tests.test_takedown_checks import copy_as_found, page, site  # noqa: F401

pytestmark = pytest.mark.browser


def demo_camera_photo() -> bytes:
    """A photo with something in it (a plain colour would look like every other), from the demo's camera."""
    rng = np.random.default_rng(7)
    im = PILImage.fromarray(rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)).resize((640, 480))
    exif = im.getexif()
    exif[0x010F], exif[0x0110] = CAMERA[0], CAMERA[1]
    exif.get_ifd(0x8769)[0xA431] = CAMERA[2]
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def fits(tab, width: int) -> None:
    scroll = tab.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"the takedown page is {scroll}px wide on a {width}px screen"


def test_a_withdrawal_is_checked_still_there_then_gone_and_closed_on_the_check(
    new_page, sign_in, axe_check, demo, site
):
    from saferstaff.consent.states import GIVEN, state_of
    from saferstaff.schools.models import Guardianship, Pupil

    website = Purpose.objects.get(school__slug=demo.school_slug, code="website")
    pupil = next(
        p
        for p in Pupil.objects.filter(school__slug=demo.school_slug, year_group="1").current().order_by("pk")
        if state_of(p, website).status == GIVEN
        and Guardianship.objects.filter(pupil=p, parental_responsibility=True).exists()
    )
    teacher_user = User.objects.get(email=demo.email("teacher"))
    deputy = User.objects.get(email=demo.email("deputy"))
    activity = approved_activity(pupil.school, teacher_user, deputy, pupils=[pupil])
    (image,) = add_images(activity, [("IMG_5001.JPG", demo_camera_photo())], by=teacher_user)
    assert not image.flag

    # 1. Published, with the page where it will appear.
    tab = new_page("teacher", viewport=DESKTOP)
    sign_in(tab, "teacher")
    tab.goto(demo.url(f"images/{image.pk}/"))
    axe_check(tab)
    tag_by_hand(tab, axe_check, pupil)
    follow(tab, axe_check, tab.get_by_role("link", name="Publish a copy"))
    tab.get_by_label("Where", exact=True).select_option(label=WEBSITE)
    tab.get_by_label("Web address, newsletter issue or display board").fill("School website: news")
    tab.get_by_label("Web addresses where this copy will appear (optional)").fill(f"{site.base}/news")
    follow(tab, axe_check, tab.get_by_role("button", name="Check", exact=True))
    follow(tab, axe_check, tab.get_by_role("button", name="Publish", exact=True))
    expect(success(tab)).to_contain_text("Published.")
    pub = image.publications.get()
    site.routes["/img/photo.jpg"] = (200, "image/jpeg", copy_as_found(pub))
    site.routes["/news"] = (200, "text/html", page("/img/photo.jpg"))

    # 2. The family withdraws consent: a takedown, checked at once by the worker.
    record_answers(
        pupil.school, [Answer(pupil, website, "no")], source="guardian", method="paper",
        guardian=responsible_guardian(pupil),
    )  # fmt: skip
    takedown = Takedown.objects.get(publication=pub, pupil=pupil)
    tab.goto(demo.url(f"takedowns/{takedown.pk}/"))
    axe_check(tab)
    expect(tab.get_by_text("Still there", exact=True)).to_be_visible()
    expect(tab.get_by_text(f"{site.base}/img/photo.jpg").first).to_be_visible()
    expect(tab.get_by_role("button", name="Close: the check shows it has been taken down")).to_have_count(0)
    tab.set_viewport_size(PHONE)
    tab.reload()
    axe_check(tab)
    fits(tab, PHONE["width"])
    expect(tab.get_by_role("button", name="Check again")).to_be_visible()

    # 3. Removed from the page; checked again: gone; closed on the check.
    site.routes["/news"] = (200, "text/html", page())
    follow(tab, axe_check, tab.get_by_role("button", name="Check again"))
    expect(tab.get_by_text("Gone", exact=True)).to_be_visible()
    fits(tab, PHONE["width"])
    tab.set_viewport_size(DESKTOP)
    follow(tab, axe_check, tab.get_by_role("button", name="Close: the check shows it has been taken down"))
    expect(success(tab)).to_contain_text("Marked as taken down.")
    takedown.refresh_from_db()
    assert takedown.done_at and takedown.closed_on_checks
    assert list(takedown.checks.values_list("result", flat=True)) == [PlaceCheck.Result.GONE, "still_there"]
