"""§3/§4 in the browser: a teacher on a 390 px phone tells the Headteacher about a pupil's friend request;
the Headteacher, on a desktop, finds it waiting and records "advice given"; the teacher sees the outcome on
My conduct. Every page is checked with axe; the pupil search and My conduct are used without JavaScript too."""

import pytest
from playwright.sync_api import expect

from saferstaff.conduct.models import Disclosure
from saferstaff.schools.models import Pupil
from tests.browser.conftest import PHONE
from tests.browser.support import fits

pytestmark = pytest.mark.browser


def test_a_disclosed_friend_request_gets_advice_and_the_teacher_sees_it(new_page, sign_in, axe_check, demo):
    pupil = Pupil.objects.filter(school__slug=demo.school_slug).current().order_by("pk").first()

    # The teacher, on a phone: from the Overview to the disclosure, finding the pupil by name.
    phone = new_page("teacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "teacher")
    phone.goto(demo.url())
    axe_check(phone)
    phone.get_by_role("link", name="Tell the Headteacher about contact with a pupil").click()
    phone.wait_for_load_state()
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Tell the Headteacher about contact with a pupil"
    )
    expect(phone.get_by_text("alert the Headteacher of any such contact immediately")).to_be_visible()
    phone.get_by_label("A pupil at this school").check()
    phone.get_by_label("What happened?").fill("A friend request on Instagram last night.")
    phone.get_by_label("Find the pupil").fill(pupil.legal_surname)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Find").click()
    axe_check(phone)
    expect(phone.get_by_label("What happened?")).to_have_value("A friend request on Instagram last night.")
    phone.get_by_label("The pupil", exact=True).select_option(value=str(pupil.pk))
    phone.get_by_label("How were they in touch?").select_option(label="Instagram")
    phone.get_by_label("Declined or ignored the request").check()
    phone.get_by_label("Blocked them").check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Tell the Headteacher").click()
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_text("The Headteacher has been told. Thank you for telling them.")).to_be_visible()
    disclosure = Disclosure.objects.get(pupil=pupil)
    assert disclosure.did == ["declined", "blocked"] and disclosure.outcome == ""

    # The Headteacher, on a desktop: it waits for them until an outcome is recorded.
    desk = new_page("head, desktop")
    sign_in(desk, "head")
    desk.goto(demo.url("conduct/waiting/"))
    axe_check(desk)
    desk.get_by_role("link", name="Tom Ackroyd, Instagram").click()
    desk.wait_for_load_state()
    axe_check(desk)
    expect(desk.get_by_text(pupil.display_name)).to_be_visible()
    desk.get_by_label("Advice given").check()
    desk.get_by_label("Note for the person who disclosed it").fill(
        "Right to block. Tell me if it happens again."
    )
    with desk.expect_navigation():
        desk.get_by_role("button", name="Record the outcome").click()
    axe_check(desk)
    expect(desk.get_by_text("Outcome recorded")).to_be_visible()
    desk.goto(demo.url("conduct/waiting/"))
    axe_check(desk)
    expect(desk.get_by_text("Nothing is waiting for you")).to_be_visible()

    # The teacher sees the outcome on My conduct, on a phone without JavaScript; the pupil search works too.
    plain = new_page(
        "teacher, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    sign_in(plain, "teacher")
    plain.goto(demo.url("conduct/"))
    axe_check(plain)
    fits(plain)
    expect(plain.get_by_role("heading", level=1)).to_have_text("My conduct")
    expect(plain.get_by_text("Right to block. Tell me if it happens again.")).to_be_visible()
    expect(plain.get_by_text("Advice given").first).to_be_visible()
    plain.get_by_role("link", name="Tell the Headteacher about contact with a pupil").click()
    plain.wait_for_load_state()
    axe_check(plain)
    plain.get_by_label("Find the pupil").fill(pupil.legal_surname)
    with plain.expect_navigation():
        plain.get_by_role("button", name="Find").click()
    axe_check(plain)
    expect(plain.get_by_label("The pupil", exact=True).locator(f'option[value="{pupil.pk}"]')).to_have_count(
        1
    )
    assert Disclosure.objects.filter(school__slug=demo.school_slug).count() == 2  # the demo's and this one
