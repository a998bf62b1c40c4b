"""A "still there" overruled (§5), clicked through in Chromium on the demo school: a photo is published to a page
(a real web server on loopback) and taken down; the check finds an image like it still there; the Headteacher
opens "this is not the withdrawn photo", is told which field is missing when no reason is given, gives one, and
the page then counts as gone, so the takedown closes on the checks. On a desktop and at 390 px; every page
checked with axe-core."""

# ruff: noqa: F811  (``site`` is a fixture imported from tests/test_takedown_checks.py)

import pytest
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.consent.models import Purpose
from saferstaff.photos import takedowns
from saferstaff.photos.library import add_images
from saferstaff.photos.models import PlaceCheck
from saferstaff.publishing.services import check_and_publish
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import follow, success
from tests.browser.test_takedown_check_walkthrough import demo_camera_photo, fits
from tests.image_samples import approved_activity
from tests.test_takedown_checks import copy_as_found, page, site  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_head_says_the_image_found_is_not_the_withdrawn_photo_and_it_closes(
    new_page, sign_in, axe_check, demo, site
):
    website = Purpose.objects.get(school__slug=demo.school_slug, code="website")
    teacher = User.objects.get(email=demo.email("teacher"))
    head = User.objects.get(email=demo.email("head"))
    activity = approved_activity(website.school, teacher, head, pupils=[])
    (image,) = add_images(activity, [("IMG_5101.JPG", demo_camera_photo())], by=teacher)
    image.no_pupils, image.no_pupils_by = True, head  # a display of work: no pupil in it
    image.save(update_fields=["no_pupils", "no_pupils_by"])
    pub = check_and_publish(image, website, "School website: news", by=teacher, places=[f"{site.base}/news"])
    site.routes["/img/photo.jpg"] = (200, "image/jpeg", copy_as_found(pub))
    site.routes["/news"] = (200, "text/html", page("/img/photo.jpg"))
    takedown = takedowns.take_down(pub, by=head, reason="The display has changed")
    check = takedown.checks.get()
    assert check.result == PlaceCheck.Result.STILL_THERE

    tab = new_page("head", viewport=DESKTOP)
    sign_in(tab, "head")
    tab.goto(demo.url(f"takedowns/{takedown.pk}/"))
    axe_check(tab)
    expect(tab.get_by_text("Still there", exact=True)).to_be_visible()
    follow(tab, axe_check, tab.get_by_role("link", name="this is not the withdrawn photo"))
    follow(tab, axe_check, tab.get_by_role("button", name="Record that it is not the withdrawn photo"))
    summary = tab.locator(".govuk-error-summary a[href='#id_reason']")
    expect(summary).to_have_text("Why the image found is not the withdrawn photo: Enter a reason")
    tab.set_viewport_size(PHONE)
    fits(tab, PHONE["width"])
    tab.get_by_label("Why the image found is not the withdrawn photo").fill(
        "It is the new display, photographed after the old one came down"
    )
    follow(tab, axe_check, tab.get_by_role("button", name="Record that it is not the withdrawn photo"))
    expect(success(tab)).to_contain_text("now counts as gone")
    expect(tab.get_by_text("Counts as gone", exact=True)).to_be_visible()
    fits(tab, PHONE["width"])
    tab.set_viewport_size(DESKTOP)
    follow(tab, axe_check, tab.get_by_role("button", name="Close: the check shows it has been taken down"))
    expect(success(tab)).to_contain_text("Marked as taken down.")
    takedown.refresh_from_db()
    check.refresh_from_db()
    assert takedown.done_at and takedown.closed_on_checks and check.overruled_by == head
