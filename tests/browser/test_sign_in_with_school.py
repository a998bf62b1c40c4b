"""Sign-in with the school's own Microsoft 365 in real Chromium, on a phone (390 px) and a desktop: a teacher
clicks the school's button on the sign-in page, continues, signs in at the school's provider (a real OpenID
Connect provider on loopback, as in tests/test_signin_sso.py) and comes back signed in; someone from another
tenant comes back refused, with a page that says so. Chromium enforces the CSP's form-action on the redirect
to the provider, which the Django test client never sees. Every page of ours is checked with axe."""

import re

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from playwright.sync_api import expect

from saferstaff.schools.models import School
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import submit
from tests.test_signin_sso import Provider

pytestmark = pytest.mark.browser

PROVIDER_ID = "westfield-microsoft"


@pytest.fixture
def school_provider(demo):
    """The demo school's Microsoft 365 tenant, set up as its sign-in."""
    provider = Provider()
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=PROVIDER_ID,
        name="Microsoft 365",
        client_id="westfield-client",
        secret="client-secret",
        settings={"server_url": provider.issuer},
    )
    app.sites.add(Site.objects.get_current())
    School.objects.filter(slug=demo.school_slug).update(
        sign_in_provider=PROVIDER_ID, sign_in_domain=demo.email("x").rpartition("@")[2]
    )
    yield provider
    provider.close()


def no_provider_stylesheet(page):
    """The test provider's page asks a CDN for its stylesheet: answered here with an empty one (this closed
    network has none, and it is not our page)."""
    page.context.route(
        re.compile(r"^https://cdn\.jsdelivr\.net/"),
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )


def through_the_schools_button(page, axe_check, provider, live_server, sub: str):
    """From the sign-in page: the school's button, "Continue", then sign in at the provider as ``sub``."""
    no_provider_stylesheet(page)
    page.goto("/accounts/login/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("^Sign in with Microsoft 365")).click()  # a link styled so
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with Microsoft 365")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    # Chromium went on to the school's provider (a CSP refusal would leave it here, with a console error).
    assert page.url.startswith(provider.issuer), f"the browser stayed on {page.url}"
    axe_check.not_ours(page, live_server.url)
    page.locator('input[name="sub"]').fill(sub)
    with page.expect_navigation():
        page.locator('form:has(input[name="sub"]) button[type="submit"]').click()
    axe_check(page)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_teacher_signs_in_with_the_schools_account(
    new_page, axe_check, demo, school_provider, live_server, viewport
):
    school_provider.set_person("tom", {"email": demo.email("teacher"), "xms_edov": True, "tid": "westfield"})
    page = new_page("teacher", viewport=viewport)
    through_the_schools_button(page, axe_check, school_provider, live_server, "tom")
    assert page.url.startswith(live_server.url) and "/accounts/" not in page.url, page.url
    # Signed in: a page of the school opens instead of the sign-in page.
    response = page.goto(demo.url())
    axe_check(page)
    assert response.status == 200 and "/accounts/login" not in page.url, page.url


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_someone_from_another_tenant_is_refused_with_a_clear_page(
    new_page, axe_check, demo, school_provider, live_server, viewport
):
    school_provider.set_person(
        "stranger", {"email": "tom.ackroyd@elsewhere.example", "xms_edov": True, "tid": "elsewhere"}
    )
    page = new_page("stranger", viewport=viewport)
    through_the_schools_button(page, axe_check, school_provider, live_server, "stranger")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot sign in this way")
    response = page.goto(demo.url())
    axe_check(page)
    assert "/accounts/login" in page.url, f"not signed in, so sent to sign in: {page.url} ({response.status})"


def test_where_the_school_requires_it_the_refusal_pages_button_signs_the_teacher_in(
    new_page, axe_check, demo, school_provider, live_server
):
    """The password is refused; the page's own button (a form posting to saferstaff, then on to the provider)
    works in Chromium too."""
    School.objects.filter(slug=demo.school_slug).update(sign_in_required=True)
    school_provider.set_person("tom", {"email": demo.email("teacher"), "xms_edov": True, "tid": "westfield"})
    page = new_page("teacher, password refused", viewport=PHONE, is_mobile=True, has_touch=True)
    no_provider_stylesheet(page)
    page.goto("/accounts/login/")
    axe_check(page)
    page.locator('input[name="login"]').fill(demo.email("teacher"))
    page.locator('input[name="password"]').fill(demo.password("teacher"))
    submit(page, "login")
    axe_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with your school's account")
    school = School.objects.get(slug=demo.school_slug)
    with page.expect_navigation():
        page.get_by_role("button", name=f"Sign in with Microsoft 365 — {school.name}").click()
    assert page.url.startswith(school_provider.issuer), f"the browser stayed on {page.url}"
    axe_check.not_ours(page, live_server.url)
    page.locator('input[name="sub"]').fill("tom")
    with page.expect_navigation():
        page.locator('form:has(input[name="sub"]) button[type="submit"]').click()
    axe_check(page)
    assert page.url.startswith(live_server.url) and "/accounts/" not in page.url, page.url
