"""The issue's "Done when", clicked through in Chromium on the demo school as a new user would. Every page
visited is checked with axe-core, and a console error (a CSP refusal) or a missing static file fails the
test too (see conftest.py)."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from saferstaff.schools.models import Guardianship, Membership, Pupil, Role
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import (
    confirm_it_is_you,
    follow,
    menu,
    pupil_search,
    roster_csv,
    screenshot_wanted,
    submit,
)

pytestmark = pytest.mark.browser

SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "screenshot.png"


def summary_value(page, key: str):
    return page.locator(".govuk-summary-list__row", has=page.get_by_text(key, exact=True)).locator(
        ".govuk-summary-list__value"
    )


def test_headteacher_walkthrough(new_page, sign_in, axe_check, demo):
    page = new_page("head, desktop", viewport=DESKTOP)

    # Sign in with the password, then the authenticator code: the school dashboard.
    sign_in(page, "head")
    assert page.url.endswith(demo.url()), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_text("You are signed in as Helen Hartley")).to_be_visible()
    # The built stylesheet is served by the live server (from STATICFILES_DIRS) and used by the page.
    css = page.request.get("/static/build/app.css")
    assert css.status == 200 and len(css.body()) > 10_000, (css.status, len(css.body()))
    assert page.evaluate("() => [...document.styleSheets].some(s => s.href && s.href.endsWith('/app.css'))")
    if screenshot_wanted():
        # For the README: the dashboard as it looks on a return visit (without the "signed in" banner).
        page.goto(demo.url())
        axe_check(page)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

    # Staff → a member of staff → change their roles. The role form asks for the password again first
    # (step-up), then the change is saved.
    follow(page, axe_check, menu(page, "Staff"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    follow(page, axe_check, page.get_by_role("link", name="Tom Ackroyd"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Ackroyd")
    follow(page, axe_check, page.get_by_role("link", name="Change roles"))
    confirm_it_is_you(page, axe_check, demo, "head", "changing someone's roles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change roles")
    page.get_by_role("checkbox", name="Line manager").check()
    submit(page, "roles")
    axe_check(page)
    expect(page.get_by_text("Roles for Tom Ackroyd saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tom Ackroyd")
    expect(summary_value(page, "Roles")).to_contain_text("Line manager")
    tom = Membership.objects.get(school__slug=demo.school_slug, user__email=demo.email("teacher"))
    assert set(tom.roles) == {Role.STAFF, Role.LINE_MANAGER}

    # Pupils → search → a pupil, with their contacts.
    follow(page, axe_check, menu(page, "Pupils"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")
    pupil = Pupil.objects.filter(school__slug=demo.school_slug).order_by("pk").first()
    page.get_by_label("Name or UPN").fill(pupil.legal_surname)
    follow(page, axe_check, page.get_by_role("button", name="Search"))
    assert f"q={pupil.legal_surname}" in page.url
    expected = pupil_search(demo.school_slug, pupil.legal_surname).count()
    expect(page.locator("table tbody tr")).to_have_count(min(expected, 50))
    follow(page, axe_check, page.get_by_role("link", name=pupil.display_name).first)
    expect(page.get_by_role("heading", level=1)).to_have_text(pupil.display_name)
    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
    links = Guardianship.objects.filter(pupil=pupil).select_related("guardian").order_by("contact_order")
    assert links.count() == 2
    for link in links:
        expect(page.get_by_role("cell", name=str(link.guardian), exact=True)).to_be_visible()
        expect(page.get_by_text(link.guardian.email)).to_be_visible()

    # Import from MIS: upload a CSV roster, check the preview, apply it, see the success banner.
    follow(page, axe_check, menu(page, "Import from MIS"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import pupils from your MIS")
    data, joiners = roster_csv(demo.school_slug, new=3)
    page.get_by_label("File").set_input_files(
        files=[{"name": "westfield-roster.csv", "mimeType": "text/csv", "buffer": data}]
    )
    follow(page, axe_check, page.get_by_role("button", name="Upload and check"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what will change")
    expect(summary_value(page, "New pupils")).to_have_text("3")
    expect(summary_value(page, "Updated pupils")).to_have_text("0")
    expect(summary_value(page, "Leaving (not in the file)")).to_have_text("0")
    expect(summary_value(page, "Contacts")).to_contain_text("0 removed")
    assert not Pupil.objects.filter(upn__in=[p.upn for p in joiners]).exists(), "the preview saved pupils"
    follow(page, axe_check, page.get_by_role("button", name="Apply these changes"))
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Import applied: 3 new, 0 updated, 0 returning, 0 marked as leaving.")
    assert Pupil.objects.filter(school__slug=demo.school_slug, upn__in=[p.upn for p in joiners]).count() == 3

    # Policies: import a policy document as a draft and read it, section by section.
    follow(page, axe_check, menu(page, "Policies"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Policies")
    follow(page, axe_check, page.get_by_role("link", name="Import a policy document"))
    page.get_by_label("Title").fill("Internet Acceptable Use Policy")
    page.get_by_label("Internet acceptable use policy").check()
    policy = (
        b"Section 1 - Overview\n\nThis policy applies to everyone at [name of school].\n\n"
        b"Section 2 - Passwords\n\nNever share a password.\n"
    )
    page.get_by_label("The document").set_input_files(
        files=[{"name": "aup.txt", "mimeType": "text/plain", "buffer": policy}]
    )
    follow(page, axe_check, page.get_by_role("button", name="Import as a draft"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Internet Acceptable Use Policy")
    expect(page.get_by_role("heading", name="§2 Passwords")).to_be_visible()
    expect(
        page.get_by_text("This policy applies to everyone at Westfield Infant School (demo).")
    ).to_be_visible()
    # A question to check understanding (§2 says staff must *understand* it).
    follow(page, axe_check, page.get_by_role("link", name="Questions to check understanding (0)"))
    page.get_by_label("Question", exact=True).fill("Can you tell a colleague your password?")
    page.get_by_label("Answers, one per line").fill("Yes, if they are a teacher\n*No, never")
    follow(page, axe_check, page.get_by_role("button", name="Add question"))
    follow(page, axe_check, page.get_by_role("link", name="Back to version 1"))
    page.get_by_label("Review date").fill("31/08/2027")
    # Publishing queues the embedding of every sentence for "Ask the policy"; in tests the worker runs inside
    # this request, which takes seconds on a busy machine.
    follow(page, axe_check, page.get_by_role("button", name="Publish version 1"), timeout=120_000)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Version 1 is published.")
    expect(page.get_by_text("31 August 2027")).to_be_visible()

    # The policy is compulsory for everyone, the Headteacher included: saferstaff stops her until she accepts.
    follow(page, axe_check, menu(page, "Overview"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your policies")
    follow(page, axe_check, page.get_by_role("link", name="Internet Acceptable Use Policy"))
    page.get_by_label("Yes, if they are a teacher").check()  # the wrong answer first
    follow(page, axe_check, page.get_by_role("button", name="Accept", exact=True))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Tick to confirm")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "1 of the questions was not answered rightly"
    )
    page.get_by_label("No, never").check()
    page.get_by_label("I have read and understood this policy").check()
    page.get_by_label("Your full name").fill("Helen Hartley")
    follow(page, axe_check, page.get_by_role("button", name="Accept", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")

    # Who has accepted what: the overview governors and leaders see (§2).
    follow(page, axe_check, menu(page, "Policies"))
    follow(
        page, axe_check, page.get_by_role("link", name="Who has accepted what (for governors and leaders)")
    )
    expect(page.get_by_text("1 of 10", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="10% (1 of 10)")).to_be_visible()  # this week's share

    # Ask the policy: a question in words finds the section.
    follow(page, axe_check, menu(page, "Policies"))
    page.get_by_label("Ask the policy").fill("can I share my password?")
    follow(page, axe_check, page.get_by_role("button", name="Ask", exact=True))
    expect(page.get_by_role("link", name="§2 Passwords")).to_be_visible()


def test_phone_sized_dashboard_and_staff_list(new_page, sign_in, axe_check, demo):
    page = new_page("head, phone 390x844", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, "head")
    for path, heading in [(demo.url(), "Overview"), (demo.url("staff/"), "Staff")]:
        page.goto(path)
        axe_check(page)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        # Nothing wider than the phone: the page itself must not scroll sideways (tables scroll in a box).
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide on a {PHONE['width']}px screen"


def test_the_headteacher_looks_up_who_opened_a_pupils_record(new_page, sign_in, axe_check, demo):
    pupil = Pupil.objects.filter(school__slug=demo.school_slug).order_by("pk").first()
    page = new_page("head, audit trail", viewport=DESKTOP)
    sign_in(page, "head")
    page.goto(demo.url(f"pupils/{pupil.pk}/"))  # opening the record is recorded
    axe_check(page)
    page.set_viewport_size(PHONE)  # the trail itself on a phone
    expect(page.locator(".govuk-service-navigation__link", has_text="Audit trail")).to_have_count(1)  # folded
    page.goto(demo.url("audit/"))
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    page.get_by_label("Record type").select_option(label="Pupil")
    page.get_by_label("Record number").fill(str(pupil.pk))
    follow(page, axe_check, page.get_by_role("button", name="Show"))
    row = page.locator("tbody tr", has=page.get_by_role("link", name=pupil.display_name))
    expect(row.first).to_contain_text("Opened a pupil's record")
    expect(row.first).to_contain_text("Helen Hartley")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the audit trail is {width}px wide on a {PHONE['width']}px screen"


def test_teacher_is_refused_the_staff_list(new_page, sign_in, axe_check, demo):
    page = new_page("teacher")
    sign_in(page, "teacher")  # a class teacher needs no authenticator app
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(menu(page, "Staff")).to_have_count(0)
    response = page.goto(demo.url("staff/"))
    axe_check(page)
    assert response.status == 403


def test_a_teacher_adds_a_security_key_and_signs_in_with_it(new_page, sign_in, axe_check, demo):
    """Two-factor sign-in is offered to everyone: a teacher adds a security key (Chromium's virtual
    authenticator, through the DevTools protocol) and the next sign-in asks for it after the password."""
    from allauth.mfa.models import Authenticator

    page = new_page("teacher")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    sign_in(page, "teacher")
    page.goto("/accounts/2fa/")
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in")
    follow(page, axe_check, page.get_by_role("link", name="Add a security key or passkey"))
    confirm_it_is_you(page, axe_check, demo, "teacher", "changing how you sign in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a security key or passkey")
    page.get_by_label("A name for this key").fill("Blue USB key")
    follow(page, axe_check, page.get_by_role("button", name="Add the key"))
    teacher = Authenticator.objects.filter(user__email=demo.email("teacher"))
    assert teacher.filter(type=Authenticator.Type.WEBAUTHN).count() == 1, page.url

    # Sign out; signing in again asks for the key after the password.
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.locator('input[name="login"]').fill(demo.email("teacher"))
    page.locator('input[name="password"]').fill(demo.password("teacher"))
    submit(page, "login")
    axe_check(page)
    assert "/2fa/authenticate" in page.url, page.url
    follow(page, axe_check, page.get_by_role("button", name="Use a security key or passkey"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")


def test_volunteer_sees_the_dashboard(new_page, sign_in, axe_check, demo):
    page = new_page("volunteer")
    sign_in(page, "volunteer")
    assert page.url.endswith(demo.url()), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_text("You are signed in as Val Holroyd")).to_be_visible()


def test_pages_work_without_javascript(new_page, sign_in, axe_check, demo):
    page = new_page("teacher, JavaScript off", java_script_enabled=False)
    sign_in(page, "teacher")
    assert page.url.endswith(demo.url()), page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    assert page.evaluate("() => document.body.classList.contains('js-enabled')") is False

    follow(page, axe_check, menu(page, "Pupils"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pupils")
    pupil = Pupil.objects.filter(school__slug=demo.school_slug).order_by("pk").first()
    # §8: a teacher searches by name; UPNs and dates of birth are not theirs to see.
    page.get_by_label("Name", exact=True).fill(pupil.display_name)
    follow(page, axe_check, page.get_by_role("button", name="Search"))
    assert "q=" in page.url, page.url
    expect(page.get_by_role("link", name=pupil.display_name)).to_be_visible()
    expect(page.get_by_role("columnheader", name="UPN")).to_have_count(0)
    assert pupil.upn not in page.content()


def test_trust_admin_publishes_a_policy_to_every_school(new_page, sign_in, axe_check, demo):
    page = new_page("trust admin")
    sign_in(page, "trustadmin")  # a trust admin lands on the trust's page
    expect(page.get_by_role("heading", level=1)).to_have_text("Aire Valley Learning Trust (demo)")
    follow(page, axe_check, page.get_by_role("link", name="Publish a policy to every school"))
    page.get_by_label("Title").fill("Code of Conduct")
    page.get_by_label("Code of conduct").check()
    page.get_by_label("The document").set_input_files(
        files=[
            {
                "name": "conduct.txt",
                "mimeType": "text/plain",
                "buffer": b"Section 1 - Conduct\n\nBe kind at [name of school].\n",
            }
        ]
    )
    follow(page, axe_check, page.get_by_role("button", name="Publish to every school"))
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Published to 2 schools.")


SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "online-safety-and-social-media-guidance.txt"


def _accept(page, axe_check, name: str, answer: str):
    page.get_by_label(answer, exact=True).check()
    page.get_by_label("I have read and understood this policy").check()
    page.get_by_label("Your full name").fill(name)
    follow(page, axe_check, page.get_by_role("button", name="Accept", exact=True))


def test_the_seed_guidance_is_shared_accepted_and_reported(new_page, sign_in, axe_check, demo):
    """Issue 4's 'done when': the Headteacher imports the seed guidance and publishes it; a teacher and a
    volunteer are stopped until they accept (one fails the question first); the governor sees 2 of 10 with the
    chase list, and the PDF report opens."""
    from tests.conftest import skip_or_fail

    if not SEED.exists():
        skip_or_fail(f"the seed guidance is not at {SEED} (it comes with ../shared)")
    head = new_page("head")
    sign_in(head, "head")
    head.goto(demo.url("policies/import/"))
    axe_check(head)
    head.get_by_label("Title").fill("Online Safety and Social Media Guidance")
    head.get_by_label("Online safety and social media guidance").check()
    head.get_by_label("The document").set_input_files(
        files=[{"name": "guidance.txt", "mimeType": "text/plain", "buffer": SEED.read_bytes()}]
    )
    follow(head, axe_check, head.get_by_role("button", name="Import as a draft"))
    expect(
        head.get_by_role("heading", name="§5 Creating Images of Students through Video or Photography")
    ).to_be_visible()
    follow(head, axe_check, head.get_by_role("link", name="Questions to check understanding (0)"))
    head.get_by_label("Question", exact=True).fill("A pupil sends you a friend request. What do you do?")
    head.get_by_label("Answers, one per line").fill("Accept it\n*Do not accept it, and tell the Headteacher")
    head.get_by_label("Section that answers it (optional)").fill("4")
    follow(head, axe_check, head.get_by_role("button", name="Add question"))
    follow(head, axe_check, head.get_by_role("link", name="Back to version 1"))
    follow(head, axe_check, head.get_by_role("button", name="Publish version 1"), timeout=120_000)

    teacher = new_page("teacher")
    sign_in(teacher, "teacher")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Your policies")
    follow(teacher, axe_check, teacher.get_by_role("link", name="Online Safety and Social Media Guidance"))
    _accept(teacher, axe_check, "Tom Ackroyd", "Accept it")  # the wrong answer
    expect(teacher.locator(".govuk-error-summary")).to_contain_text(
        "1 of the questions was not answered rightly"
    )
    _accept(teacher, axe_check, "Tom Ackroyd", "Do not accept it, and tell the Headteacher")
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Overview")

    volunteer = new_page("volunteer")
    sign_in(volunteer, "volunteer")
    expect(volunteer.get_by_role("heading", level=1)).to_have_text("Your policies")
    follow(
        volunteer, axe_check, volunteer.get_by_role("link", name="Online Safety and Social Media Guidance")
    )
    _accept(volunteer, axe_check, "Val Holroyd", "Do not accept it, and tell the Headteacher")
    expect(volunteer.get_by_role("heading", level=1)).to_have_text("Overview")

    governor = new_page("governor")
    sign_in(governor, "governor")
    governor.goto(demo.url("policies/dashboard/"))
    axe_check(governor)
    expect(governor.get_by_text("2 of 10", exact=True)).to_be_visible()
    expect(governor.get_by_text("Not yet accepted (8)")).to_be_visible()
    follow(governor, axe_check, governor.get_by_role("link", name="Download as a PDF report"))
    governor.locator('input[name="password"]').fill(demo.password("governor"))
    with governor.expect_download() as download:
        governor.locator("form", has=governor.locator('[name="password"]')).locator(
            'button[type="submit"]'
        ).first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF"), "the PDF report did not open"
