"""Subject access (§8, UK GDPR art. 15) clicked through in Chromium on the demo school: the DPO logs a request from
a guardian about a pupil (found by name with the Find button), sees the due date and why, opens the checklist
that finds the pupil's records, decides them, makes the bundle (confirming it is them) and answers "who saw this
child's record"; on a phone with JavaScript off (the Headteacher) the list, the request and the checklist fit 390 px. Every page
is checked with axe-core."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.photos.models import Image, ImageTag
from saferstaff.privacy import requests as doors
from saferstaff.privacy.models import AccessRequest, Bundle, Found
from saferstaff.schools.models import Pupil, School
from saferstaff.schools.roles import Actor
from tests.browser.conftest import PHONE
from tests.browser.support import confirm_it_is_you, page_width

pytestmark = pytest.mark.browser


def test_the_dpo_answers_a_guardians_request(new_page, sign_in, axe_check, demo):
    school = School.objects.get(slug=demo.school_slug)
    ben = Pupil.objects.get(school=school, preferred_forename="Ben", legal_surname="Thompson")
    image = Image.objects.filter(school=school).first()
    if image is not None:
        ImageTag.objects.get_or_create(school=school, image=image, pupil=ben)
    page = new_page("dpo, desktop")
    sign_in(page, "dpo")
    page.goto(demo.url("privacy/requests/add/"))
    axe_check(page)
    page.get_by_label("About a pupil").check()
    page.get_by_label("Find a pupil").fill("Ben")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    axe_check(page)
    page.get_by_label("A pupil at the school").select_option(label="Ben Thompson")
    page.get_by_label("A parent or carer, for their child").check()
    page.get_by_label("Their name", exact=True).fill("Mrs Thompson")
    page.get_by_label("When did the request arrive?").fill(timezone.localdate().isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Log the request").click()
    axe_check(page)
    req = AccessRequest.objects.get(requester_name="Mrs Thompson")
    expect(page.locator(".govuk-inset-text")).to_contain_text(f"{req.due_at:%-d %B %Y}")
    page.get_by_text("Why this date").click()
    expect(page.locator(".govuk-details__text")).to_contain_text("The request arrived on")

    page.get_by_role("link", name="Open the checklist").click()
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Everything saferstaff holds")
    kinds = set(req.found.values_list("record_type", flat=True))
    assert {"pupils", "guardians", "consent_answers"} <= kinds
    assert image is None or "images" in kinds
    # One decision by the page, the rest by the door.
    row = req.found.get(record_type="pupils")
    card = page.locator(f"#row-{row.pk}")
    card.get_by_label("Disclose", exact=True).check()
    with page.expect_navigation():
        card.get_by_role("button", name="Save").click()
    axe_check(page)
    row.refresh_from_db()
    assert row.decision == Found.Decision.DISCLOSE
    dpo = Actor.of(school.memberships.get(user__email=demo.email("dpo")).user, school)
    for left in req.found.filter(decision=Found.Decision.UNDECIDED):
        doors.decide_found(dpo, left, decision="disclose")

    page.goto(demo.url(f"privacy/requests/{req.pk}/bundle/"))
    confirm_it_is_you(page, axe_check, demo, "dpo", "making a subject access bundle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make the bundle")
    with page.expect_navigation():
        page.get_by_role("button", name="Make the bundle").click()
    axe_check(page)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("The bundle is made")
    assert Bundle.objects.filter(request=req).exists()

    page.goto(demo.url("privacy/seen/?q=Ben"))
    axe_check(page)
    page.get_by_role("link", name="Ben Thompson").click()
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ben Thompson")

    # The Headteacher (the other officer) on a phone with JavaScript off: the list, the request and the
    # checklist fit. (A second sign-in as the DPO would reuse the authenticator code just used.)
    phone = new_page("head, phone, no JS", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "head")
    for path in ("privacy/requests/", f"privacy/requests/{req.pk}/", f"privacy/requests/{req.pk}/checklist/"):
        phone.goto(demo.url(path))
        axe_check(phone)
        assert page_width(phone) <= PHONE["width"], f"{path} is {page_width(phone)}px wide on a phone"
