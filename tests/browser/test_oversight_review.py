"""The self-review (§2) clicked through in Chromium on the demo school: the Headteacher, on a phone without
JavaScript, finds it in the menu, starts a review, judges an area (an error first, named beside its field) and
agrees an action; the chair of governors reads it on a desktop and cannot edit. Every page is checked with
axe-core and fits a 390 px phone."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.support import fits, menu, submit

pytestmark = pytest.mark.browser


def test_the_head_reviews_an_area_on_a_phone_and_the_chair_reads_it(new_page, sign_in, axe_check, demo):
    phone = new_page("head, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "head")
    phone.goto(demo.url())
    with phone.expect_navigation():
        menu(phone, "Self-review").click()
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Self-review of online safety")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Start a self-review").click()
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Self-review 1")
    # The evidence is filled from the records (the demo school has no policy published in the tests).
    expect(phone.locator("main")).to_contain_text("No published policy is addressed to staff yet")
    expect(phone.locator("main")).to_contain_text("uses of images asked about for")
    with phone.expect_navigation():
        phone.get_by_role("link", name=re.compile(r"^Judge this area\W+Policy and acceptable use$")).click()
    axe_check(phone)
    fits(phone)
    phone.get_by_label("Commentary").fill("Nearly everyone has accepted; chase the rest.")
    submit(phone, "commentary")  # no level chosen
    axe_check(phone)
    assert phone.title().startswith("Error: ")
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Choose how far this area is in place")
    phone.get_by_role("radio", name="Developing", exact=False).first.check()
    phone.get_by_label("New action (optional)").fill("Chase staff who have not accepted")
    phone.get_by_label("Who owns the action").select_option(index=1)
    due = timezone.localdate() + datetime.timedelta(days=30)
    phone.get_by_label("Due by").fill(f"{due:%d/%m/%Y}")
    submit(phone, "commentary")
    axe_check(phone)
    fits(phone)
    expect(phone.locator("main")).to_contain_text("Chase staff who have not accepted")

    desk = new_page("chair of governors, desktop")
    sign_in(desk, "governor")
    desk.goto(demo.url("self-review/"))
    axe_check(desk)
    with desk.expect_navigation():
        desk.get_by_role("link", name="Self-review 1").click()
    axe_check(desk)
    expect(desk.locator("main")).to_contain_text("Chase staff who have not accepted")
    expect(desk.get_by_role("button", name="Complete the review")).to_have_count(0)

    # Review 1 completed with its action still open: review 2 carries it forward, and the Headteacher marks it
    # done there, on the phone without JavaScript.
    from saferstaff.oversight import services as doors
    from saferstaff.oversight.areas import AREAS
    from saferstaff.oversight.models import SelfReview
    from saferstaff.schools.roles import Actor

    first = SelfReview.objects.get(number=1, completed_at__isnull=True)
    head = Actor.of(first.started_by, first.school)
    for area in AREAS:
        doors.judge_area(head, first, area=area.key, level="developing", commentary="")
    doors.complete_review(head, first)
    phone.goto(demo.url("self-review/"))
    with phone.expect_navigation():
        phone.get_by_role("button", name="Start a self-review").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Self-review 2")
    expect(phone.locator("main")).to_contain_text("Open actions from earlier reviews")
    axe_check(phone)
    fits(phone)
    with phone.expect_navigation():
        phone.get_by_role(
            "button", name=re.compile(r"^Mark done\W+Chase staff who have not accepted$")
        ).click()
    axe_check(phone)
    fits(phone)
    expect(phone.locator("main")).to_contain_text("None: every action agreed in an earlier review is done.")
