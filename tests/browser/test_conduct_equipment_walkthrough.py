"""§6 and §5 in the browser: a teaching assistant asks on her phone (390 px, JavaScript off) to take her own
phone on a trip, calls only and no photographs; a senior leader approves it on a desktop; a photo from that
phone uploaded to the library is flagged with that reason, shown on the image's page. Every page is checked
with axe-core."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.conduct.models import Decided, EquipmentPermission
from saferstaff.photos.models import Activity, Image
from tests.browser.conftest import PHONE
from tests.browser.support import follow, page_width, submit, success, summary_value
from tests.image_samples import jpeg

pytestmark = pytest.mark.browser

PIXEL = {"make": "Google", "model": "Pixel 8", "serial": None}


def test_a_phone_for_calls_only_and_a_photo_from_it_flagged(new_page, sign_in, axe_check, demo):
    today = timezone.localdate()

    # 1. The teaching assistant, on her phone with JavaScript off, asks from the overview page.
    ta = new_page("teaching assistant, phone, JavaScript off", viewport=PHONE, is_mobile=True, has_touch=True,
                  java_script_enabled=False)  # fmt: skip
    sign_in(ta, "agency")
    ta.goto(demo.url())
    axe_check(ta)
    follow(ta, axe_check, ta.get_by_role("link", name="Ask to use personal equipment at work"))
    expect(ta.get_by_role("heading", level=1)).to_have_text("Ask to use personal equipment at work")
    assert page_width(ta) <= PHONE["width"], f"the request page is {page_width(ta)}px wide on a phone"
    ta.get_by_label("Mobile phone").check()
    ta.get_by_label("Make and model").fill("Google Pixel 8")
    ta.get_by_label("What it is for").fill("Calls to the school office on the Year 1 farm trip")
    ta.get_by_label("Date, or first day").fill((today + datetime.timedelta(days=1)).isoformat())
    ta.get_by_label("Last day").fill(today.isoformat())  # a slip: before the first day
    ta.get_by_label("Calls and messages only").check()
    ta.get_by_label("No photographs or recordings").check()
    submit(ta, "purpose")
    axe_check(ta)
    assert ta.title().startswith("Error: ")
    error = "The end date must be the same as or after the start date (§6)"
    expect(ta.locator(".govuk-error-summary").get_by_role("link", name=f"Last day: {error}")).to_be_visible()
    expect(ta.locator("#id_ends_on").locator("xpath=..").locator(".govuk-error-message")).to_contain_text(
        error
    )
    assert not EquipmentPermission.objects.filter(make_model="Google Pixel 8").exists()
    ta.get_by_label("Date, or first day").fill(today.isoformat())
    ta.get_by_label("Last day").fill((today + datetime.timedelta(days=1)).isoformat())
    submit(ta, "purpose")
    axe_check(ta)
    expect(success(ta)).to_contain_text("Sent to a senior leader or the Headteacher to decide.")
    expect(summary_value(ta, "State")).to_have_text("Waiting for a decision")
    assert page_width(ta) <= PHONE["width"], f"the permission page is {page_width(ta)}px wide on a phone"
    permission = EquipmentPermission.objects.get(make_model="Google Pixel 8")
    assert permission.conditions == ["calls_only", "no_photos"] and permission.routed_to == "senior"

    # 2. The deputy head, on a desktop, finds it in the register and approves it.
    deputy = new_page("senior leader, desktop")
    sign_in(deputy, "deputy")
    deputy.goto(demo.url())
    axe_check(deputy)
    follow(deputy, axe_check, deputy.get_by_role("link", name="Personal equipment register"))
    waiting = deputy.locator("table", has=deputy.locator("caption", has_text="Waiting for a decision"))
    expect(waiting).to_contain_text("Google Pixel 8")
    follow(deputy, axe_check, waiting.get_by_role("link", name=re.compile("Aisha Begum")))
    expect(summary_value(deputy, "Conditions")).to_contain_text("No photographs or recordings")
    deputy.get_by_label("Approve", exact=True).check()
    follow(deputy, axe_check, deputy.get_by_role("button", name="Save the decision"))
    expect(success(deputy)).to_contain_text("Approved.")
    expect(summary_value(deputy, "State")).to_have_text("Approved")
    permission.refresh_from_db()
    assert permission.status == Decided.APPROVED

    # 3. A photo from that phone reaches the library through the upload page, and is flagged with the reason.
    teacher = new_page("teacher, desktop")
    sign_in(teacher, "teacher")
    harvest = Activity.objects.get(school__slug=demo.school_slug, title="Harvest festival assembly")
    teacher.goto(demo.url(f"activities/{harvest.pk}/"))
    axe_check(teacher)
    follow(teacher, axe_check, teacher.get_by_role("link", name="Add photos and videos"))
    taken = timezone.localtime().replace(tzinfo=None) - datetime.timedelta(minutes=5)
    teacher.get_by_label("Photos, videos or a zip").set_input_files(
        files=[{"name": "PXL_FARM.jpg", "mimeType": "image/jpeg", "buffer": jpeg(**PIXEL, taken=taken)}]
    )
    with teacher.expect_navigation(url=re.compile(rf"/activities/{harvest.pk}/$"), timeout=60_000):
        teacher.get_by_role("button", name="Upload").click()
    axe_check(teacher)
    expect(success(teacher)).to_contain_text(
        "1 was taken on a personal device (§5: never for images of pupils)"
    )
    image = Image.objects.get(activity=harvest, original_name="PXL_FARM.jpg")
    assert image.flag == Image.Flag.PERSONAL and image.equipment_permission == permission
    dates = f"{today:%-d %B %Y} to {today + datetime.timedelta(days=1):%-d %B %Y}"
    conditions = (
        f"the permission for {dates} says: Calls and messages only; No photographs or recordings (§5, §6)"
    )
    # The teacher may not open a colleague's permission: the reason does not say whose phone it was.
    teacher.goto(demo.url(f"images/{image.pk}/"))
    axe_check(teacher)
    expect(teacher.locator(".govuk-warning-text")).to_contain_text(
        f"Taken on a member of staff's personal phone: {conditions}"
    )
    reason = f"Taken on Aisha Begum's personal phone: {conditions}"
    expect(summary_value(teacher, "Personal equipment (§6)")).to_contain_text(
        "A personal-equipment permission was recorded for this camera"
    )
    # The deputy sees the same, with the link to the permission itself.
    deputy.goto(demo.url(f"images/{image.pk}/"))
    axe_check(deputy)
    expect(deputy.locator(".govuk-warning-text")).to_contain_text(reason)
    follow(deputy, axe_check, deputy.get_by_role("link", name="Aisha Begum's permission for Google Pixel 8"))
    expect(deputy.get_by_role("heading", level=1)).to_have_text(
        f"Permission to use personal equipment {permission.pk}"
    )


def test_asking_to_contact_pupils_and_the_registers_fit_a_phone(new_page, sign_in, axe_check, demo):
    """The channel list's longest choice and the registers' tables stay within a 390 px phone."""
    page = new_page("senior leader, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, "dsl")
    for path, heading in [
        ("conduct/contact/ask/", "Ask permission to contact pupils"),
        ("conduct/contact/", "Approved channels"),
        ("conduct/equipment/", "Personal equipment register"),
    ]:
        page.goto(demo.url(path))
        axe_check(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page_width(page) <= PHONE["width"], f"{path} is {page_width(page)}px wide on a phone"
    page.goto(demo.url("conduct/contact/"))
    axe_check(page)
    expect(page.locator("table", has=page.locator("caption", has_text="In force today"))).to_contain_text(
        "The school's messaging platform"
    )
