"""The school's websites (§5), clicked through in Chromium on the demo school: the Headteacher opens the page
from the photos menu, is told which field is wrong when the address is not one, adds the school's website (a
real web server on loopback), and after the weekly sweep the page shows what it checked and the library photo,
never published, that it found there; "Check now" sweeps it again, and removing it asks first. On a desktop and at 390 px; every page checked with axe-core."""

# ruff: noqa: F811  (``site`` is a fixture imported from tests/test_takedown_checks.py)

import io

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.photos import sites
from saferstaff.photos.library import add_images
from saferstaff.photos.models import SiteSweep
from saferstaff.schools.models import School
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import follow, photo_nav, success
from tests.browser.test_takedown_check_walkthrough import demo_camera_photo, fits
from tests.image_samples import approved_activity
from tests.test_takedown_checks import page, site  # noqa: F401

pytestmark = pytest.mark.browser


def test_the_head_adds_the_schools_website_and_sees_what_the_sweep_found(
    new_page, sign_in, axe_check, demo, site, settings
):
    settings.SITE_SWEEP_LIMITS = {"max_pages": 20, "max_seconds": 60.0, "delay": 0.0}
    school = School.objects.get(slug=demo.school_slug)
    teacher = User.objects.get(email=demo.email("teacher"))
    head = User.objects.get(email=demo.email("head"))
    activity = approved_activity(school, teacher, head, pupils=[])
    (image,) = add_images(activity, [("IMG_6001.JPG", demo_camera_photo())], by=teacher)
    copy = io.BytesIO()
    PILImage.open(io.BytesIO(demo_camera_photo())).resize((320, 240)).save(copy, "JPEG", quality=70)
    site.routes["/img/copied.jpg"] = (200, "image/jpeg", copy.getvalue())
    site.routes["/"] = (200, "text/html", page("/img/copied.jpg"))

    tab = new_page("head", viewport=DESKTOP)
    sign_in(tab, "head")
    tab.goto(demo.url("images/"))
    follow(tab, axe_check, photo_nav(tab, "School websites"))
    field = tab.get_by_label("Start address of the website")
    field.fill("ftp://school.example/")
    follow(tab, axe_check, tab.get_by_role("button", name="Add the website"))
    expect(tab.locator(".govuk-error-summary a[href='#id_url']")).to_have_text(
        "Start address of the website: Enter the web address with https:// or http:// at the start"
    )

    tab.get_by_label("Start address of the website").fill(f"{site.base}/")
    tab.get_by_label("Name (optional)").fill("School website")
    follow(tab, axe_check, tab.get_by_role("button", name="Add the website"))
    expect(success(tab)).to_contain_text("Website added")

    sweep = sites.run_sweep(sites.queue_sweep(school.pk).pk)
    assert SiteSweep.objects.get(pk=sweep.pk).findings[0]["image_id"] == image.pk
    tab.reload()
    axe_check(tab)
    expect(tab.get_by_text(f"Image {image.pk}", exact=True)).to_be_visible()
    expect(tab.get_by_text(f"{site.base}/img/copied.jpg", exact=False).first).to_be_visible()
    tab.set_viewport_size(PHONE)
    tab.reload()
    axe_check(tab)
    fits(tab, PHONE["width"])

    # "Check now" sweeps the site at once (the worker runs in this process); removing it asks first.
    follow(tab, axe_check, tab.get_by_role("button", name="Check now"))
    expect(success(tab)).to_contain_text("Checking the website now")
    assert SiteSweep.objects.filter(school=school, site__isnull=False, finished_at__isnull=False).count() == 1
    follow(tab, axe_check, tab.get_by_role("button", name="Remove website"))
    expect(tab.get_by_role("heading", name="Remove this website?")).to_be_visible()
    fits(tab, PHONE["width"])
    follow(tab, axe_check, tab.get_by_role("link", name="No, keep it"))
    follow(tab, axe_check, tab.get_by_role("button", name="Remove website"))
    follow(tab, axe_check, tab.get_by_role("button", name="Yes, remove the website"))
    expect(success(tab)).to_contain_text("Website removed")
