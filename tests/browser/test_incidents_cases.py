"""The designated person's casework (§9) and an allegation about the Headteacher (KCSIE Part 4), clicked through
in Chromium on the demo school: a teacher's report waits on the DSL's Overview until it is triaged; the DSL
triages it (an error first), sets an action, records a police report (the crime reference asked for by name),
writes and changes a note; the action's owner marks it done on a phone without JavaScript; the DSL closes the
case with a reason; the teacher, on a phone, reads their report and its outcome and nothing of the casework.
The chair of governors finds the allegation about the Headteacher with its LADO clock; the Headteacher gets
"page not found". Every page is checked with axe-core; phone pages fit 390 px. The evidence and chronology
pages are other helpers' work: their links are checked for, never followed."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.incidents import services
from saferstaff.incidents.models import Action, Case
from saferstaff.schools.models import Membership, School
from saferstaff.schools.roles import Actor
from tests.browser.conftest import PHONE
from tests.browser.support import page_width, submit

pytestmark = pytest.mark.browser

WHAT = "A parent has posted abusive comments about me on the class Facebook page"


def _actor(demo, local: str) -> Actor:
    school = School.objects.get(slug=demo.school_slug)
    return Actor.of(User.objects.get(email=demo.email(local)), school)


def test_a_case_from_report_to_closure(new_page, sign_in, axe_check, demo):
    case = services.report(
        _actor(demo, "teacher"), kind=Case.Kind.BULLYING_OF_STAFF, by_whom="parents", channel="social",
        happened_on=timezone.localdate(), what_happened=WHAT,
    )  # fmt: skip
    detail = demo.url(f"incidents/cases/{case.pk}/")

    # The DSL, on a desktop: the new case waits on the Overview until it is triaged.
    dsl = new_page("DSL, desktop")
    sign_in(dsl, "dsl")
    dsl.goto(demo.url())
    axe_check(dsl)
    dsl.get_by_role("link", name="1 new case waits for triage (§9)").click()
    axe_check(dsl)
    expect(dsl.get_by_role("heading", level=1)).to_have_text("Cases")
    dsl.get_by_role("link", name=f"Case {case.pk}", exact=True).click()
    axe_check(dsl)
    expect(dsl.locator(".govuk-summary-list").first).to_contain_text(WHAT)
    dsl.get_by_role("link", name="Triage the case").click()
    axe_check(dsl)
    submit(dsl, "assigned_to")  # no risk chosen: the error names its field
    axe_check(dsl)
    assert dsl.title().startswith("Error: ")
    expect(dsl.locator(".govuk-error-summary")).to_contain_text("Risk: Choose the risk (§9)")
    dsl.get_by_label("High").check()
    dsl.get_by_label("Who is handling it").select_option(label="Dawn Sutcliffe, Designated Safeguarding Lead")
    submit(dsl, "assigned_to")
    axe_check(dsl)
    expect(dsl.locator(".govuk-notification-banner--success")).to_contain_text("The case is triaged")
    dsl.goto(demo.url())
    expect(dsl.locator("main")).not_to_contain_text("waits for triage")

    # An action for the phase leader, a police report (its crime reference asked for by name), a note changed.
    dsl.goto(detail)
    dsl.get_by_role("link", name="Add an action").click()
    axe_check(dsl)
    dsl.get_by_label("What needs doing").fill("Ask the platform to take the posts down")
    dsl.get_by_label("Who does it").select_option(label="Lee Marsden, Phase Leader")
    dsl.get_by_label("Due by").fill(timezone.localdate().isoformat())
    submit(dsl, "what")
    axe_check(dsl)
    dsl.get_by_role("link", name="Reported to the police").click()
    axe_check(dsl)
    dsl.get_by_label("Police force").fill("West Yorkshire Police")
    submit(dsl, "with_whom")
    axe_check(dsl)
    expect(dsl.locator(".govuk-error-summary")).to_contain_text(
        "Crime reference number: Enter the crime reference number the police gave"
    )
    expect(dsl.get_by_label("Police force")).to_have_value("West Yorkshire Police")
    dsl.get_by_label("Crime reference number").fill("13/123456/26")
    submit(dsl, "with_whom")
    axe_check(dsl)
    expect(dsl.locator("main")).to_contain_text("13/123456/26")
    dsl.get_by_role("link", name="Add a note").click()
    axe_check(dsl)
    dsl.get_by_label("Note").fill("Spoke to the teacher; support offered")
    submit(dsl, "text")
    dsl.get_by_role("link", name="Change the note").click()
    axe_check(dsl)
    dsl.get_by_label("Note").fill("Spoke to the teacher at 3pm; support offered and taken up")
    submit(dsl, "text")
    axe_check(dsl)
    expect(dsl.locator(".govuk-summary-card")).to_contain_text("Changed")
    # Links to the evidence and chronology pages are offered to the DSL (not followed here).
    assert dsl.locator(f'a[href="{demo.url(f"incidents/cases/{case.pk}/chronology/")}"]').count() == 1
    # Closing while the action is open is refused, beside the reason.
    dsl.get_by_role("button", name="Close the case").click()
    axe_check(dsl)
    dsl.get_by_label("Why it is closed").fill("The posts were taken down")
    submit(dsl, "closed_reason")
    axe_check(dsl)
    expect(dsl.locator(".govuk-error-summary")).to_contain_text("still to do")

    # The phase leader, on a phone without JavaScript, marks the action done from their Overview.
    owner = new_page(
        "phase leader, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    sign_in(owner, "manager")
    owner.goto(demo.url())
    axe_check(owner)
    owner.get_by_role("link", name="1 action on a case is yours to do (§9)").click()
    axe_check(owner)
    assert page_width(owner) <= PHONE["width"], f"the case list is {page_width(owner)}px wide on a phone"
    owner.get_by_role("link", name=f"Case {case.pk}: Ask the platform to take the posts down").click()
    axe_check(owner)
    assert page_width(owner) <= PHONE["width"], f"the case is {page_width(owner)}px wide on a phone"
    owner.get_by_role("link", name="Mark done").click()
    axe_check(owner)
    owner.get_by_label("What was done (optional)").fill("Reported to Facebook")
    submit(owner, "note")
    axe_check(owner)
    assert Action.objects.get(case=case).done_at is not None

    # The DSL closes it now.
    dsl.goto(demo.url(f"incidents/cases/{case.pk}/close/"))
    dsl.get_by_label("Why it is closed").fill("The posts were taken down; the parent was spoken to")
    submit(dsl, "closed_reason")
    axe_check(dsl)
    expect(dsl.locator(".govuk-notification-banner--success")).to_contain_text("The case is closed")

    # The teacher, on a phone: their report and its outcome, nothing of the casework.
    teacher = new_page("teacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(teacher, "teacher")
    teacher.goto(detail)
    axe_check(teacher)
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Your report")
    expect(teacher.locator("main")).to_contain_text("The posts were taken down; the parent was spoken to")
    expect(teacher.locator("main")).not_to_contain_text("Spoke to the teacher")
    expect(teacher.locator("main")).not_to_contain_text("13/123456/26")
    assert page_width(teacher) <= PHONE["width"], f"the report is {page_width(teacher)}px wide on a phone"


def test_an_allegation_about_the_headteacher_reaches_only_the_chair(new_page, sign_in, axe_check, demo):
    school = School.objects.get(slug=demo.school_slug)
    head = Membership.objects.get(school=school, user__email=demo.email("head"))
    case = services.report_allegation(
        _actor(demo, "teacher"), about=head, happened_on=timezone.localdate() - datetime.timedelta(days=1),
        what_happened="Messaged a pupil from a personal account",
    )  # fmt: skip
    detail = demo.url(f"incidents/cases/{case.pk}/")

    chair = new_page("chair of governors, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(chair, "governor")
    chair.goto(demo.url())
    axe_check(chair)
    chair.get_by_role("link", name="1 new case waits for triage (§9)").click()
    axe_check(chair)
    assert page_width(chair) <= PHONE["width"], f"the case list is {page_width(chair)}px wide on a phone"
    chair.get_by_role("link", name=f"Case {case.pk}", exact=True).click()
    axe_check(chair)
    expect(chair.locator("#lado-clock")).to_contain_text("Due")
    expect(chair.locator("main")).to_contain_text("Helen Hartley never sees it")
    assert page_width(chair) <= PHONE["width"], f"the case is {page_width(chair)}px wide on a phone"

    for local in ("head", "dsl"):
        page = new_page(f"{local}, desktop")
        sign_in(page, local)
        response = page.goto(detail)
        axe_check(page)
        assert response.status == 404
        expect(page.locator("main")).not_to_contain_text("Messaged a pupil")
