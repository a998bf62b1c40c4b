"""What a new user found walking the demo school on a 390 px wide phone, each fixed and kept fixed here.
Every page is checked with axe-core."""

import pytest
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.policies.models import PolicyKind
from saferstaff.policies.services import import_policy, publish_version
from saferstaff.schools.models import School
from tests.browser.conftest import PHONE
from tests.browser.support import page_width

pytestmark = pytest.mark.browser


def phone(new_page, label: str):
    return new_page(label, viewport=PHONE, is_mobile=True, has_touch=True)


def test_a_policy_quoting_a_long_web_address_fits_a_phone(new_page, sign_in, axe_check, demo):
    """The seed guidance cites legislation by its full address: the policy page was 590 px wide."""
    head = User.objects.get(email=demo.email("head"))
    text = (
        b"Section 1 - The law\n\nSending offensive messages is an offence "
        b"<http://www.legislation.gov.uk/ukpga/2003/21/section/127>, and see "
        b"<https://www.gov.uk/government/publications/preventing-and-tackling-bullying>.\n"
    )
    version, _notes = import_policy(
        School.objects.get(slug=demo.school_slug), title="Online safety guidance",
        kind=PolicyKind.ONLINE_SAFETY, filename="guidance.txt", data=text, by=head,
    )  # fmt: skip
    assert publish_version(version, by=head, minor_change=False)
    page = phone(new_page, "teacher, phone")
    sign_in(page, "teacher")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your policies")
    page.get_by_role("link", name="Online safety guidance").click()
    page.wait_for_load_state()
    axe_check(page)
    expect(page.get_by_role("heading", name="§1 The law")).to_be_visible()
    law = "http://www.legislation.gov.uk/ukpga/2003/21/section/127"
    expect(page.get_by_role("link", name=law)).to_have_attribute("href", law)  # a link, not "<…>" as text
    assert page_width(page) <= PHONE["width"], f"the policy is {page_width(page)}px wide on a phone"


def test_the_ask_box_and_the_image_library_filters_fit_a_phone(new_page, sign_in, axe_check, demo):
    """On a phone the "Ask the policy" box was a few pixels wide (the full-width phone button took the row),
    and the image library's filters were 433 px wide (a select as long as its longest choice)."""
    page = phone(new_page, "DSL, phone")
    sign_in(page, "dsl")
    for path, heading in [(demo.url(), "Overview"), (demo.url("images/"), "Image library")]:
        page.goto(path)
        axe_check(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert page_width(page) <= PHONE["width"], f"{path} is {page_width(page)}px wide on a phone"
        box = page.get_by_label("Ask the policy").bounding_box()
        assert box["width"] >= PHONE["width"] / 2, (
            f"the Ask the policy box is {box['width']}px wide on {path}"
        )
        ask = page.get_by_role("button", name="Ask", exact=True).bounding_box()
        assert ask["y"] == box["y"] or abs(ask["y"] + ask["height"] - box["y"] - box["height"]) < 4, (
            ask,
            box,
        )


def test_the_trust_page_fits_a_phone(new_page, sign_in, axe_check, demo):
    """The trust's schools table was 451 px wide on a phone, "Invite staff" off the screen: its rows stack."""
    page = phone(new_page, "trust admin, phone")
    sign_in(page, "trustadmin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aire Valley Learning Trust (demo)")
    assert page_width(page) <= PHONE["width"], f"the trust page is {page_width(page)}px wide on a phone"
    invite = page.get_by_role("link", name="Invite staff to Westfield Infant School (demo)")
    expect(invite).to_be_visible()
    box = invite.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
