"""The sign-in and account pages (django-allauth) drawn in our GOV.UK page template.

templates/allauth/ (layouts, elements, includes), templates/account/, templates/mfa/ and
templates/socialaccount/ override allauth's unstyled stock pages. These tests open every page the product
uses and check that it is one of ours (base.html: lang, header, one <main>, one <h1>, no stock markers),
that errors come out the GOV.UK way (error summary linking to the field, error message tied to the input)
and that the whole sign-in, authenticator-app and password-reset journeys work with plain HTML forms."""

import json
import re

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from allauth.socialaccount.models import SocialApp
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from .conftest import PASSWORD, signed_in
from .conftest import current_totp as current_code

# conftest.signed_in() gives people who need an authenticator this secret.
CONFTEST_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# Things allauth's stock templates print that ours must not.
STOCK_MARKERS = (
    "Menu:",  # the stock layout's unstyled link list
    "Messages:",  # the stock layout's second copy of the messages
    "If you have not created an account yet",  # the stock sign-up invitation (accounts come from the school)
    "Forgot your password?",  # the stock (American) reset link
    "Sign In",  # stock title case
    "Log in",
)


def assert_our_page(response, status: int = 200) -> str:
    assert response.status_code == status, (response.status_code, response.get("Location"))
    html = response.content.decode()
    assert '<html lang="en-GB"' in html
    assert html.count("<main") == 1
    assert len(re.findall(r"<h1[\s>]", html)) == 1, re.findall(r"<h1[^>]*>.*?</h1>", html, re.S)
    assert "govuk-generic-header" in html
    for marker in STOCK_MARKERS:
        assert marker not in html, marker
    # Strict CSP: no inline styles, and no scripts but base.html's two nonce'd ones — besides, on the
    # security-key pages, allauth's WebAuthn scripts from our own /static/ and JSON data blocks (not run).
    assert ' style="' not in html
    scripts = re.findall(r"<script[^>]*>", html)
    webauthn = [s for s in scripts if 'src="/static/' in s or 'type="application/json"' in s]
    nonced = [s for s in scripts if s not in webauthn]
    assert len(nonced) == 2 and all("nonce=" in s for s in nonced), scripts
    return html


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def reauthenticated(client: Client) -> Client:
    """Confirm the password again: allauth asks for it before anything that changes how you sign in."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def reset_link(user) -> str:
    return reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )


# --- Every page opens as one of ours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "status"),
    [
        ("account_login", 200),
        ("account_reset_password", 200),
        ("account_reset_password_done", 200),
        ("account_reset_password_from_key_done", 200),
        ("account_inactive", 200),
        ("account_signup", 200),  # signup is closed: the page says accounts come from the school
        ("socialaccount_login_error", 401),  # allauth answers 401 here on purpose
        ("socialaccount_login_cancelled", 200),
    ],
)
def test_pages_for_someone_not_signed_in(cast, client, url_name, status):
    assert_our_page(client.get(reverse(url_name)), status)


def test_people_cannot_add_or_change_their_own_email_address(cast, client):
    # The school manages work addresses; otherwise someone could claim a colleague's address first.
    teacher = signed_in(cast.teacher)
    assert teacher.get(reverse("account_email")).status_code == 403
    response = teacher.post(reverse("account_email"), {"action_add": "", "email": "new.dsl@school.example"})
    assert response.status_code == 403
    assert client.get(reverse("account_confirm_email", kwargs={"key": "made-up"})).status_code == 403


@pytest.mark.parametrize(
    "url_name",
    [
        "account_logout",
        "account_change_password",
        "account_reauthenticate",
        "mfa_index",
        "mfa_reauthenticate",
        "mfa_list_webauthn",
        "socialaccount_connections",
    ],
)
def test_account_pages_for_someone_signed_in(cast, url_name):
    html = assert_our_page(signed_in(cast.teacher).get(reverse(url_name)))
    # The "manage your account" pages carry our account menu instead of allauth's.
    if url_name not in {"account_reauthenticate", "mfa_reauthenticate"}:
        assert 'aria-labelledby="account-nav-title"' in html


@pytest.mark.parametrize(
    "url_name", ["mfa_generate_recovery_codes", "mfa_deactivate_totp", "mfa_view_recovery_codes"]
)
def test_authenticator_pages_after_confirming_the_password(cast, url_name):
    client = signed_in(cast.teacher)
    RecoveryCodes.activate(cast.teacher)
    if url_name != "mfa_view_recovery_codes":
        # These change how you sign in, so allauth asks for the password (or a code) again first.
        first = client.get(reverse(url_name))
        assert first.status_code == 302 and "reauthenticate" in first["Location"]
    html = assert_our_page(reauthenticated(client).get(reverse(url_name)))
    if url_name == "mfa_view_recovery_codes":
        codes = RecoveryCodes(
            Authenticator.objects.get(user=cast.teacher, type="recovery_codes")
        ).get_unused_codes()
        assert all(code in html for code in codes)


def test_mfa_index_says_who_must_use_an_authenticator(cast):
    html = main_of(assert_our_page(signed_in(cast.teacher, mfa=False).get(reverse("mfa_index"))))
    assert (
        "Headteachers, senior leaders, designated safeguarding leads, data protection officers, the school office and trust admins must use one"
        in html
    )
    assert "§7 and §8" in html
    assert f'href="{reverse("mfa_activate_totp")}"' in html
    assert "Not set up" in html


def test_logout_page_signs_out_with_a_plain_form(cast):
    client = signed_in(cast.teacher)
    html = main_of(assert_our_page(client.get(reverse("account_logout"))))
    assert re.search(r'<form method="post" action="/accounts/logout/" novalidate>', html)
    assert '<button type="submit" class="govuk-button"' in html
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


# --- Signing in -------------------------------------------------------------------------------------------


def test_the_sign_in_page_speaks_for_schools_and_keeps_every_attribute(cast, client):
    html = main_of(assert_our_page(client.get(reverse("account_login"))))
    assert '<h1 class="govuk-heading-l">Sign in</h1>' in html
    assert "your school or trust creates your account" in html
    assert "Section 4 of your school's online safety guidance" in html
    assert (
        f'<a class="govuk-link" href="{reverse("account_reset_password")}">Forgotten your password?</a>'
        in html
    )
    assert reverse("account_signup") not in html
    # Labels tied to inputs; the attributes allauth puts on the widgets survive; no placeholders.
    assert '<label class="govuk-label govuk-label--s" for="id_login">Email address</label>' in html
    login = re.search(r'<input [^>]*id="id_login"[^>]*>', html).group(0)
    for attribute in (
        'name="login"',
        'type="email"',
        "required",
        'autocomplete="email"',
        'class="govuk-input"',
    ):
        assert attribute in login, attribute
    password = re.search(r'<input [^>]*id="id_password"[^>]*>', html).group(0)
    for attribute in ('name="password"', 'type="password"', "required", 'autocomplete="current-password"'):
        assert attribute in password, attribute
    assert "placeholder" not in html
    # "Forgotten your password?" is the link below the form, not also a hint under the password.
    assert 'id="id_password-hint"' not in html
    # GOV.UK password input: the Show button only appears once JavaScript has run.
    assert 'aria-controls="id_password" aria-label="Show password" hidden>Show</button>' in html
    assert (
        '<button type="submit" class="govuk-button" data-module="govuk-button" data-prevent-double-click="true">Sign in</button>'
        in html
    )


def test_a_failed_sign_in_shows_the_govuk_error_summary(cast, client):
    response = client.post(
        reverse("account_login"), {"login": cast.teacher.email, "password": "not-the-password"}
    )
    html = assert_our_page(response)
    assert "<title>Error: Sign in" in html
    summary = main_of(html).split('<div class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert "There is a problem" in summary
    # The message about the whole form links to the first field, so it can be followed to the fix.
    assert re.search(
        r'<a href="#id_login">The email address and/or password you specified are not correct\.</a>', summary
    )
    # The summary comes before the page's heading.
    assert main_of(html).index("govuk-error-summary") < main_of(html).index("<h1")
    assert "_auth_user_id" not in client.session


def test_an_empty_sign_in_marks_each_field(cast, client):
    html = main_of(assert_our_page(client.post(reverse("account_login"), {"login": "", "password": ""})))
    for field, label in (("id_login", "Email address"), ("id_password", "Password")):
        assert f'<a href="#{field}">{label}: This field is required.</a>' in html
        assert (
            f'<p id="{field}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> This field is required.</p>'
            in html
        )
        control = re.search(rf'<input [^>]*id="{field}"[^>]*>', html).group(0)
        assert f'aria-describedby="{field}-error"' in control and "govuk-input--error" in control


def test_password_then_authenticator_code_signs_in(cast, client):
    user = cast.teacher
    signed_in(user)  # gives the teacher conftest's authenticator (CONFTEST_SECRET)
    assert Authenticator.objects.filter(user=user, type="totp").exists()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in until the code is right

    html = main_of(assert_our_page(client.get(reverse("mfa_authenticate"))))
    assert "Enter the code from your authenticator app" in html
    assert '<label class="govuk-label govuk-label--s" for="id_code">Code</label>' in html
    assert (
        '<div id="id_code-hint" class="govuk-hint">'
        "The 6-digit code from your app, or one of your 8-digit recovery codes.</div>" in html
    )
    code_input = re.search(r'<input [^>]*id="id_code"[^>]*>', html).group(0)
    for attribute in (
        'name="code"',
        'autocomplete="one-time-code"',
        'inputmode="numeric"',
        "required",
        'aria-describedby="id_code-hint"',
    ):
        assert attribute in code_input, attribute
    assert 'form="logout-from-stage"' in html and 'id="logout-from-stage"' in html  # Cancel works without JS

    right = current_code(CONFTEST_SECRET)
    wrong = assert_our_page(
        client.post(reverse("mfa_authenticate"), {"code": "000000" if right != "000000" else "111111"})
    )
    assert '<a href="#id_code">Code: Incorrect code.</a>' in wrong
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(CONFTEST_SECRET)})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_any_tenant_microsoft_and_google_providers_are_not_offered(cast, client):
    """allauth's own Microsoft/Google providers accept any tenant: matching staff by email through them would
    let anyone with that address at any tenant take the account over. Schools set up their own tenant's
    OpenID Connect app instead (tests/test_signin_microsoft.py)."""
    app = SocialApp.objects.create(provider="microsoft", name="Microsoft", client_id="x", secret="y")
    app.sites.add(Site.objects.get_current())
    html = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Microsoft" not in html and "Sign in with Google" not in html
    assert client.get("/accounts/microsoft/login/?process=login").status_code == 404
    assert client.get("/accounts/google/login/?process=login").status_code == 404


# --- Setting up an authenticator app ----------------------------------------------------------------------


def test_setting_up_an_authenticator_app(cast):
    client = signed_in(cast.teacher, mfa=False)
    first = client.get(reverse("mfa_activate_totp"))
    assert first.status_code == 302 and first["Location"].startswith(reverse("account_reauthenticate"))
    html = assert_our_page(reauthenticated(client).get(reverse("mfa_activate_totp")))
    page = main_of(html)
    assert '<h1 class="govuk-heading-l">Set up an authenticator app</h1>' in page
    assert (
        "Headteachers, senior leaders, designated safeguarding leads, data protection officers, the school office and trust admins must"
        in page
    )
    assert "§7 and §8" in page
    secret = client.session[SECRET_SESSION_KEY]
    # The QR code is a data: URI image (CSP img-src allows data:), and the secret is written out to type in.
    assert re.search(
        r'<img [^>]*src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"[^>]*alt="QR code[^"]+"', page
    )
    written = re.search(r'id="authenticator-secret"[^>]*>([^<]+)<', page).group(1)
    assert written.replace(" ", "") == secret and " " in written
    assert 'href="otpauth://totp/' in page
    assert (
        '<label class="govuk-label govuk-label--s" for="id_code">Code from your authenticator app</label>'
        in page
    )
    assert (
        '<div id="id_code-hint" class="govuk-hint">The app shows a new 6-digit code every 30 seconds.</div>'
        in page
    )
    assert 'inputmode="numeric"' in re.search(r'<input [^>]*id="id_code"[^>]*>', page).group(0)

    wrong = main_of(assert_our_page(client.post(reverse("mfa_activate_totp"), {"code": "12"})))
    assert '<a href="#id_code">Code from your authenticator app: Incorrect code.</a>' in wrong
    assert re.search(r'id="authenticator-secret"[^>]*>([^<]+)<', wrong).group(1).replace(" ", "") == secret

    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_view_recovery_codes")
    assert Authenticator.objects.filter(user=cast.teacher, type="totp").exists()
    codes = RecoveryCodes(
        Authenticator.objects.get(user=cast.teacher, type="recovery_codes")
    ).get_unused_codes()
    codes_page = main_of(assert_our_page(client.get(reverse("mfa_view_recovery_codes"))))
    assert codes and all(f"<li>{code}</li>" in codes_page for code in codes)


def test_a_headteacher_without_an_authenticator_is_sent_to_set_one_up(cast):
    client = signed_in(cast.head, mfa=False)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    reauthenticated(client)
    assert "Set up an authenticator app" in assert_our_page(client.get(reverse("mfa_activate_totp")))


# --- Security keys and passkeys (WebAuthn) ------------------------------------------------------------------


def test_security_keys_are_offered_as_a_second_factor_not_as_a_password():
    from django.conf import settings

    assert "webauthn" in settings.MFA_SUPPORTED_TYPES and settings.MFA_PASSKEY_LOGIN_ENABLED is False
    assert Authenticator.Type.WEBAUTHN in {t for t, _ in Authenticator.Type.choices}


def test_adding_a_security_key_begins_registration_on_our_page(cast):
    client = signed_in(cast.teacher, mfa=False)
    index = main_of(assert_our_page(client.get(reverse("mfa_index"))))
    assert "Security keys and passkeys" in index and f'href="{reverse("mfa_add_webauthn")}"' in index
    first = client.get(reverse("mfa_add_webauthn"))
    assert first.status_code == 302 and "reauthenticate" in first["Location"]
    html = assert_our_page(reauthenticated(client).get(reverse("mfa_add_webauthn")))
    page = main_of(html)
    assert '<h1 class="govuk-heading-l">Add a security key or passkey</h1>' in page
    assert "needs JavaScript" in page  # the <noscript> message: a key cannot work without it
    # Registration has begun: the browser is handed a challenge for this site and this person.
    data = json.loads(
        re.search(r'<script id="js_data" type="application/json">(.*?)</script>', page).group(1)
    )
    options = data["creation_options"]["publicKey"]
    assert options["challenge"] and options["rp"]["id"] == "testserver"
    assert options["user"]["name"] == cast.teacher.email


def test_a_forged_security_key_is_refused_with_a_message_and_nothing_saved(cast):
    client = reauthenticated(signed_in(cast.teacher, mfa=False))
    client.get(reverse("mfa_add_webauthn"))
    for credential in ("not json", json.dumps({"id": "x", "type": "public-key", "response": {}})):
        response = client.post(reverse("mfa_add_webauthn"), {"name": "Mine", "credential": credential})
        assert response.status_code == 200
        assert "govuk-error-summary" in response.content.decode()
    assert not Authenticator.objects.filter(user=cast.teacher, type=Authenticator.Type.WEBAUTHN).exists()
    # The same at sign-in: a made-up key answer after the password is an error on the page, not a 500.
    cache.clear()
    signed_in(cast.head)  # gives the Headteacher an authenticator app, so sign-in asks for a second factor
    fresh = Client()
    fresh.post(reverse("account_login"), {"login": cast.head.email, "password": PASSWORD})
    forged = fresh.post(reverse("mfa_authenticate"), {"credential": json.dumps({"id": "x"})})
    assert forged.status_code == 200 and "That key was not recognised" in forged.content.decode()
    assert "_auth_user_id" not in fresh.session


def test_a_security_key_alone_satisfies_the_second_factor_rule(cast):
    Authenticator.objects.create(user=cast.dsl, type=Authenticator.Type.WEBAUTHN, data={"name": "Key"})
    response = signed_in(cast.dsl, mfa=False).get(
        reverse("school_dashboard", kwargs={"school": cast.school.slug})
    )
    assert response.status_code == 200


# --- Passwords ---------------------------------------------------------------------------------------------


def test_reset_password_asks_for_the_email_address(cast, client):
    html = main_of(assert_our_page(client.get(reverse("account_reset_password"))))
    assert '<label class="govuk-label govuk-label--s" for="id_email">Email address</label>' in html
    assert "Reset your password" in html
    response = client.post(reverse("account_reset_password"), {"email": cast.teacher.email})
    assert response.status_code == 302 and response["Location"] == reverse("account_reset_password_done")
    assert "Check your email" in assert_our_page(client.get(response["Location"]))


def test_a_too_weak_new_password_shows_the_zxcvbn_advice(cast, client):
    response = client.get(reset_link(cast.teacher))
    assert response.status_code == 302  # the key moves into the session, out of the address
    form_url = response["Location"]
    html = main_of(assert_our_page(client.get(form_url)))
    assert "Choose a new password" in html
    for field, label in (("id_password1", "New password"), ("id_password2", "Confirm new password")):
        assert f'<label class="govuk-label govuk-label--s" for="{field}">{label}</label>' in html
        assert 'autocomplete="new-password"' in re.search(rf'<input [^>]*id="{field}"[^>]*>', html).group(0)
    assert "three or four unrelated words work well (§4)" in html  # the validator's help text as the hint

    weak = "password123"
    page = assert_our_page(client.post(form_url, {"password1": weak, "password2": weak}))
    body = main_of(page)
    assert "<title>Error: Choose a new password" in page
    assert re.search(
        r'<a href="#id_password1">New password: This password would be too easy to guess \(§4 asks for strong passwords\)\.',
        body,
    )
    assert (
        '<p id="id_password1-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> This password would be too easy to guess'
        in body
    )
    assert 'aria-describedby="id_password1-hint id_password1-error"' in re.search(
        r'<input [^>]*id="id_password1"[^>]*>', body
    ).group(0)
    cast.teacher.refresh_from_db()
    assert cast.teacher.check_password(PASSWORD)

    strong = "lantern-okapi-Drizzle-93-quarry"
    done = client.post(form_url, {"password1": strong, "password2": strong})
    assert done.status_code == 302 and done["Location"] == reverse("account_reset_password_from_key_done")
    cast.teacher.refresh_from_db()
    assert cast.teacher.check_password(strong)
    assert "Password changed" in assert_our_page(client.get(done["Location"]))


@pytest.mark.parametrize("how", ["made-up key", "already used"])
def test_a_reset_link_that_no_longer_works(cast, client, how):
    url = reset_link(cast.teacher)
    if how == "made-up key":
        url = reverse(
            "account_reset_password_from_key",
            kwargs={"uidb36": user_pk_to_url_str(cast.teacher), "key": "abc-123"},
        )
    else:
        cast.teacher.set_password("a-different-password-now-77")  # changing the password spends the link
        cast.teacher.save()
    html = main_of(assert_our_page(client.get(url)))
    assert "This link does not work any more" in html
    assert f'<a class="govuk-link" href="{reverse("account_reset_password")}">Ask for a new link</a>' in html
    assert "<form" not in html


def test_change_password_errors_link_to_their_fields(cast):
    client = signed_in(cast.teacher)
    html = main_of(
        assert_our_page(
            client.post(
                reverse("account_change_password"), {"oldpassword": "wrong", "password1": "", "password2": ""}
            )
        )
    )
    assert '<label class="govuk-label govuk-label--s" for="id_oldpassword">Current password</label>' in html
    for field in ("id_oldpassword", "id_password1", "id_password2"):
        assert f'<a href="#{field}">' in html
        assert f'<p id="{field}-error" class="govuk-error-message">' in html


def test_changing_the_password_says_so_once(cast):
    client = signed_in(cast.teacher)
    new = "lantern-okapi-Drizzle-93-quarry"
    response = client.post(
        reverse("account_change_password"), {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    html = assert_our_page(client.get(reverse("account_change_password")))
    # base.html draws messages as a GOV.UK notification banner; the allauth layout must not repeat them.
    assert html.count("Password successfully changed.") == 1
    assert "govuk-notification-banner--success" in html
