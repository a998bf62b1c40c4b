"""Low-level concerns (KCSIE Part 4) clicked through in Chromium on the demo school: a teacher on a phone
raises one about the Headteacher; the chair of governors reads it and records an outcome; the Headteacher,
opening its address directly, gets the "page not found" page; three concerns about one teacher (the third
raised with JavaScript off) show the pattern prominently to the Headteacher. Every page is checked with
axe-core."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.conduct import services
from saferstaff.conduct.models import LowLevelConcern
from saferstaff.schools.models import Membership, School
from saferstaff.schools.roles import Actor
from tests.browser.conftest import PHONE
from tests.browser.support import page_width, submit

pytestmark = pytest.mark.browser

WHAT_ABOUT_HEAD = "Posted a class photo with pupils' faces on a personal social media account"


def raise_on_the_page(page, axe_check, demo, *, about: str, what: str, days_ago: int = 1):
    page.goto(demo.url("conduct/concerns/raise/"))
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a low-level concern")
    page.get_by_label("Who is it about?").select_option(label=about)
    page.get_by_label("When did it happen?").fill(
        (timezone.localdate() - datetime.timedelta(days=days_ago)).isoformat()
    )
    page.get_by_label("What happened?").fill(what)
    submit(page, "what")
    axe_check(page)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your concern has been recorded"
    )


def test_a_concern_about_the_headteacher_reaches_only_the_chair(new_page, sign_in, axe_check, demo):
    # A teacher on a phone, with an error first: the form says which field and keeps what was typed.
    phone = new_page("teacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "teacher")
    phone.goto(demo.url("conduct/concerns/raise/"))
    axe_check(phone)
    assert page_width(phone) <= PHONE["width"], f"the form is {page_width(phone)}px wide on a phone"
    phone.get_by_label("What happened?").fill(WHAT_ABOUT_HEAD)
    submit(phone, "what")
    axe_check(phone)
    assert phone.title().startswith("Error: ")
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Who is it about?: Choose who it is about")
    expect(phone.get_by_label("What happened?")).to_have_value(WHAT_ABOUT_HEAD)
    raise_on_the_page(phone, axe_check, demo, about="Helen Hartley, Headteacher", what=WHAT_ABOUT_HEAD)
    expect(phone.locator(".govuk-notification-banner--success")).to_contain_text("the chair of governors")
    assert page_width(phone) <= PHONE["width"]
    concern = LowLevelConcern.objects.get(what=WHAT_ABOUT_HEAD)
    detail = demo.url(f"conduct/concerns/{concern.pk}/")
    assert phone.locator(f'a[href="{detail}"]').count() == 0  # no link to what the teacher may not read

    # The chair of governors, on a desktop, finds it and records the outcome.
    chair = new_page("chair of governors, desktop")
    sign_in(chair, "governor")
    chair.goto(demo.url())
    axe_check(chair)
    chair.get_by_role("link", name="Low-level concerns you read").click()
    axe_check(chair)
    chair.locator(f'a[href="{detail}"]').click()
    axe_check(chair)
    expect(chair.get_by_role("heading", level=1)).to_have_text("About Helen Hartley")
    expect(chair.locator(".govuk-summary-list")).to_contain_text(WHAT_ABOUT_HEAD)
    expect(chair.locator(".govuk-summary-list")).to_contain_text("Tom Ackroyd")  # the reader sees the raiser
    chair.get_by_label("Action taken").fill("Met the Headteacher; the photo was taken down the same day")
    submit(chair, "action")  # no rationale, no outcome: each named beside its field
    axe_check(chair)
    expect(chair.locator(".govuk-error-summary")).to_contain_text("Why it is a low-level concern: Say why")
    expect(chair.locator(".govuk-error-summary")).to_contain_text("Outcome: Choose an outcome")
    chair.get_by_label("Why it is a low-level concern").fill(
        "A breach of §4 and §5, below the harm threshold"
    )
    chair.get_by_label("Conversation and advice").check()
    submit(chair, "action")
    axe_check(chair)
    expect(chair.locator(".govuk-notification-banner--success")).to_contain_text("The outcome is recorded")
    concern.refresh_from_db()
    assert concern.outcome == "advice" and concern.decided_by.email == demo.email("governor")

    # The Headteacher opens its address directly: page not found, and it is not in their list.
    head = new_page("Headteacher, desktop")
    sign_in(head, "head")
    response = head.goto(detail)
    axe_check(head)
    assert response.status == 404
    expect(head.get_by_role("heading", level=1)).to_contain_text("not found", ignore_case=True)
    expect(head.locator("main")).not_to_contain_text(WHAT_ABOUT_HEAD)
    head.goto(demo.url("conduct/concerns/"))
    axe_check(head)
    expect(head.locator("main")).not_to_contain_text("Helen Hartley")
    assert head.locator(f'a[href="{detail}"]').count() == 0


def test_a_third_concern_about_a_teacher_shows_the_pattern_to_the_headteacher(
    new_page, sign_in, axe_check, demo
):
    school = School.objects.get(slug=demo.school_slug)
    teacher = Membership.objects.get(school=school, user__email=demo.email("teacher"))
    # The demo holds one concern about Tom Ackroyd; a second is raised through the door …
    services.raise_concern(
        Actor.of(User.objects.get(email=demo.email("manager")), school), subject=teacher,
        happened_on=timezone.localdate() - datetime.timedelta(days=30),
        what="Messaged a pupil's parent from a personal phone about a school trip",
    )  # fmt: skip
    # … and the third on the page, by a teaching assistant whose browser runs no JavaScript.
    no_js = new_page("teaching assistant, no JavaScript", java_script_enabled=False)
    sign_in(no_js, "agency")
    raise_on_the_page(
        no_js, axe_check, demo, about="Tom Ackroyd, Class Teacher, Year 1",
        what="Used a personal phone to film pupils rehearsing the nativity",
    )  # fmt: skip
    assert LowLevelConcern.objects.filter(subject=teacher).count() == 3

    head = new_page("Headteacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(head, "head")
    head.goto(demo.url("conduct/concerns/"))
    axe_check(head)
    banner = head.get_by_role("region", name="A pattern to look at")
    expect(banner).to_contain_text("Tom Ackroyd: 3 low-level concerns in the last 12 months")
    assert page_width(head) <= PHONE["width"], f"the list is {page_width(head)}px wide on a phone"
    banner.get_by_role("link", name="See them over time for Tom Ackroyd").click()
    axe_check(head)
    expect(head.get_by_role("heading", level=1)).to_have_text("Tom Ackroyd")
    expect(head.get_by_role("region", name="A pattern to look at")).to_contain_text(
        "3 low-level concerns about Tom Ackroyd in the last 12 months"
    )
    assert page_width(head) <= PHONE["width"], f"the person page is {page_width(head)}px wide on a phone"
    # The summary counts the pattern and names nobody.
    head.goto(demo.url("conduct/summary/"))
    axe_check(head)
    expect(head.locator(".govuk-inset-text")).to_contain_text("concerns in the last 12 months: 1")
    expect(head.locator("main")).not_to_contain_text("Tom Ackroyd")
    assert page_width(head) <= PHONE["width"], f"the summary is {page_width(head)}px wide on a phone"
