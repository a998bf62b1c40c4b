"""Sign-in with a school's own Microsoft 365 or Google Workspace, end to end against a real OpenID Connect
provider (oidc-provider-mock, requirements-oidc.lock) served over HTTP on loopback: discovery, the
authorization code, the token endpoint and its signed ID token, then saferstaff's matching of the claims to
the school's staff. One provider plays the Westfield tenant (Microsoft-shaped claims), another Moorside's
Workspace (Google-shaped). Then a school that requires its own sign-in: passwords refused, the way it is
turned on and off, and "Confirm it is you" through the provider."""

from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from saferstaff.accounts.adapters import school_account_for
from saferstaff.audit.models import AuditEvent

from .conftest import PASSWORD, current_totp, signed_in, skip_or_fail

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # what conftest.signed_in activates


class Provider:
    """oidc-provider-mock as a real HTTP server on 127.0.0.1 (its own session cookie name, so it never shares
    one with saferstaff's on the same host)."""

    def __init__(self):
        try:
            import oidc_provider_mock
            import werkzeug.serving
        except ImportError:
            skip_or_fail(
                "oidc-provider-mock is not installed (pip install --no-deps -r requirements-oidc.lock)"
            )
        import threading

        app = oidc_provider_mock.app()
        app.config["SESSION_COOKIE_NAME"] = "test_oidc_provider_session"
        self.server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def set_person(self, sub: str, claims: dict) -> None:
        response = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _app(provider: Provider, provider_id: str, name: str) -> None:
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=provider_id,
        name=name,
        client_id=f"{provider_id}-client",
        secret="client-secret",
        settings={"server_url": provider.issuer},
    )
    app.sites.add(Site.objects.get_current())


@pytest.fixture
def providers(cast):
    """Westfield's Microsoft 365 tenant and Moorside's Google Workspace, each the school's sign-in."""
    microsoft, google = Provider(), Provider()
    _app(microsoft, "westfield-microsoft", "Microsoft 365")
    _app(google, "moorside-google", "Google Workspace")
    cast.school.sign_in_provider, cast.school.sign_in_domain = "westfield-microsoft", "school.example"
    cast.school.save()
    cast.other_school.sign_in_provider, cast.other_school.sign_in_domain = "moorside-google", "other.example"
    cast.other_school.save()
    yield {"westfield-microsoft": microsoft, "moorside-google": google}
    microsoft.close()
    google.close()


def through_provider(providers, provider_id, claims, *, client=None, sub="subject-1", start=None):
    """The whole sign-in: saferstaff sends the browser to the provider, the person signs in there, the
    provider sends them back with a code that saferstaff exchanges for the signed ID token."""
    cache.clear()
    provider = providers[provider_id]
    provider.set_person(sub, claims)
    client = client or Client()
    url = start or reverse("openid_connect_login", kwargs={"provider_id": provider_id})
    response = client.post(url, {"process": "login"})
    assert response.status_code == 302 and response["Location"].startswith(provider.issuer), response
    authorize = response["Location"]
    assert parse_qs(urlparse(authorize).query)["client_id"] == [f"{provider_id}-client"]
    back = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    callback = urlparse(back.headers["Location"])
    assert callback.path == reverse("openid_connect_callback", kwargs={"provider_id": provider_id})
    assert "code" in parse_qs(callback.query)
    return client, client.get(callback.path, parse_qs(callback.query))


def signed_in_as(client) -> str | None:
    return client.session.get("_auth_user_id")


# --- (a) and (b): the school's own tenant or Workspace signs its own staff in ---------------------------


def test_the_sign_in_buttons_appear_once_the_schools_set_them_up(providers, client):
    html = client.get(reverse("account_login")).content.decode()
    assert "Microsoft 365" in html and "Google Workspace" in html


def test_microsoft_the_schools_tenant_signs_a_teacher_in(cast, providers):
    claims = {"email": cast.teacher.email, "xms_edov": True, "tid": "westfield-tenant"}
    client, response = through_provider(providers, "westfield-microsoft", claims)
    assert response.status_code == 302, response.content.decode()[:800]
    assert signed_in_as(client) == str(cast.teacher.pk)
    assert SocialAccount.objects.get(user=cast.teacher).provider == "westfield-microsoft"
    # Next time the account is recognised by its subject.
    again, _ = through_provider(providers, "westfield-microsoft", claims)
    assert signed_in_as(again) == str(cast.teacher.pk)
    assert SocialAccount.objects.count() == 1


def test_google_the_schools_workspace_signs_a_teacher_in(cast, providers):
    claims = {"email": cast.other_teacher.email, "email_verified": True, "hd": "other.example"}
    client, response = through_provider(providers, "moorside-google", claims)
    assert response.status_code == 302, response.content.decode()[:800]
    assert signed_in_as(client) == str(cast.other_teacher.pk)


# --- (c): anyone else is refused, and no account is made ------------------------------------------------


@pytest.mark.parametrize(
    ("provider_id", "claims"),
    [
        ("westfield-microsoft", {"email": "tom.teacher@school.example", "tid": "t"}),  # not verified
        ("westfield-microsoft", {"email": "tom.teacher@school.example", "email_verified": False, "tid": "t"}),
        ("westfield-microsoft", {"email": "otto.teacher@other.example", "xms_edov": True, "tid": "t"}),
        ("westfield-microsoft", {"email": "nobody.here@school.example", "xms_edov": True, "tid": "t"}),
        (
            "moorside-google",
            {"email": "otto.teacher@other.example", "email_verified": True, "hd": "gmail.com"},
        ),
        (
            "moorside-google",
            {"email": "otto.teacher@other.example", "email_verified": True},
        ),  # personal account
        (
            "moorside-google",
            {"email": "otto.teacher@other.example", "email_verified": False, "hd": "other.example"},
        ),
        (
            "moorside-google",
            {"email": "tom.teacher@school.example", "email_verified": True, "hd": "school.example"},
        ),
        (
            "moorside-google",
            {"email": "nobody.here@other.example", "email_verified": True, "hd": "other.example"},
        ),
    ],
)
def test_anyone_else_is_refused_and_no_account_is_made(cast, providers, provider_id, claims):
    users = cast.head.__class__.objects.count()
    client, response = through_provider(providers, provider_id, claims)
    assert response.status_code == 403
    assert "You cannot sign in this way" in response.content.decode()
    assert signed_in_as(client) is None
    assert not SocialAccount.objects.exists()
    assert cast.head.__class__.objects.count() == users


def test_a_token_from_another_issuer_is_refused(cast, providers):
    """Westfield's app is pinned to its tenant's issuer: the other provider's ID token fails allauth's check."""
    app = SocialApp.objects.get(provider_id="westfield-microsoft")
    app.settings = {
        "server_url": providers["westfield-microsoft"].issuer,
        "openid_configuration_overrides": {"issuer": providers["moorside-google"].issuer},
    }
    app.save()
    claims = {"email": cast.teacher.email, "xms_edov": True, "tid": "t"}
    client, response = through_provider(providers, "westfield-microsoft", claims)
    assert signed_in_as(client) is None and not SocialAccount.objects.exists()
    assert (
        response.status_code == 401
    )  # allauth's "sign-in failed" page: the ID token's issuer is not the tenant's


def test_someone_who_has_left_cannot_sign_in_with_it(cast, providers):
    from saferstaff.schools.staff import mark_as_left

    mark_as_left(cast.member(cast.teacher), by=cast.head)
    claims = {"email": cast.teacher.email, "xms_edov": True, "tid": "t"}
    client, response = through_provider(providers, "westfield-microsoft", claims)
    assert response.status_code == 403 and signed_in_as(client) is None


def test_only_the_workspaces_own_hd_counts_for_google(cast, providers):
    personal = {"email": cast.other_teacher.email, "email_verified": True}
    assert school_account_for("moorside-google", personal) is None
    assert school_account_for("moorside-google", {**personal, "hd": "other.example"}) == cast.other_teacher
    assert school_account_for("westfield-microsoft", {**personal, "hd": "other.example"}) is None


# --- (d): a school that requires its own sign-in ----------------------------------------------------------


def password_sign_in(user, password=PASSWORD):
    cache.clear()
    client = Client()
    return client, client.post(reverse("account_login"), {"login": user.email, "password": password})


def test_when_required_a_password_is_refused_and_the_page_shows_the_schools_button(cast, providers):
    cast.school.sign_in_required = True
    cast.school.save()
    client, response = password_sign_in(cast.teacher)
    page = response.content.decode()
    assert response.status_code == 403 and signed_in_as(client) is None
    assert "Westfield Infant asks its staff to sign in with the school&#x27;s account (§7)" in page
    assert reverse("openid_connect_login", kwargs={"provider_id": "westfield-microsoft"}) in page
    assert "Sign in with Microsoft 365" in page
    # The school's account still works.
    claims = {"email": cast.teacher.email, "xms_edov": True, "tid": "t"}
    client, response = through_provider(providers, "westfield-microsoft", claims)
    assert signed_in_as(client) == str(cast.teacher.pk)


def test_someone_at_two_schools_one_requiring_it_signs_in_through_that_schools_button(cast, providers):
    from saferstaff.schools.models import Membership

    Membership.objects.create(school=cast.other_school, user=cast.teacher)
    cast.school.sign_in_required = True
    cast.school.save()
    client, response = password_sign_in(cast.teacher)
    assert response.status_code == 403 and signed_in_as(client) is None
    assert "Westfield Infant asks its staff" in response.content.decode()
    # The other school does not require it: its staff who are not at Westfield keep their password.
    client, response = password_sign_in(cast.other_teacher)
    assert response.status_code == 302 and signed_in_as(client) == str(cast.other_teacher.pk)


def test_a_password_reset_does_not_get_round_it(cast, providers, mailoutbox):
    cast.school.sign_in_required = True
    cast.school.save()
    client = Client()
    client.post(reverse("account_reset_password"), {"email": cast.teacher.email})
    link = next(word for word in mailoutbox[-1].body.split() if "/password/reset/key/" in word)
    form_page = client.get(urlparse(link).path, follow=True)
    new = "violet hedgehog marmalade tuesday"
    response = client.post(form_page.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert signed_in_as(client) is None
    client, response = password_sign_in(cast.teacher, new)
    assert response.status_code == 403 and signed_in_as(client) is None


def test_a_trust_admin_keeps_their_password_to_lift_it(cast, providers):
    cast.school.sign_in_required = True
    cast.school.save()
    client, response = password_sign_in(cast.trust_admin)
    assert response.status_code == 302 and signed_in_as(client) == str(cast.trust_admin.pk)
    admin = signed_in(cast.trust_admin, confirmed=True)
    url = reverse("school_sign_in", kwargs={"school": cast.school.slug})
    assert admin.post(url, {"required": "yes"}).status_code == 200  # turning it on is the Headteacher's
    response = admin.post(url, {"required": "no"})
    assert response.status_code == 302
    cast.school.refresh_from_db()
    assert not cast.school.sign_in_required
    event = AuditEvent.objects.filter(action="school.sign_in_required").latest("seq")
    assert event.actor_id == cast.trust_admin.pk and event.detail == {"required": False, "sections": ["§7"]}


def head_through_provider(cast, providers, *, start=None, client=None):
    """The Headteacher signs in at the school's tenant, then gives the code from her authenticator app."""
    signed_in(cast.head)  # activates her authenticator app
    claims = {"email": cast.head.email, "xms_edov": True, "tid": "t"}
    client, response = through_provider(providers, "westfield-microsoft", claims, client=client, start=start)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate"), response
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp(TOTP_SECRET)})
    assert response.status_code == 302 and signed_in_as(client) == str(cast.head.pk)
    return client, response


def test_the_headteacher_turns_it_on_only_when_signed_in_through_it(cast, providers):
    url = reverse("school_sign_in", kwargs={"school": cast.school.slug})
    by_password = signed_in(cast.head, confirmed=True)
    response = by_password.post(url, {"required": "yes"})
    assert response.status_code == 200
    assert (
        "Sign out, sign in with the school&#x27;s account button, then turn this on"
        in response.content.decode()
    )
    cast.school.refresh_from_db()
    assert not cast.school.sign_in_required

    client, _ = head_through_provider(cast, providers)
    response = client.post(url, {"required": "yes"})
    assert response.status_code == 302, response.content.decode()[:2000]
    cast.school.refresh_from_db()
    assert cast.school.sign_in_required
    event = AuditEvent.objects.filter(action="school.sign_in_required").latest("seq")
    assert event.actor_id == cast.head.pk and event.detail == {"required": True, "sections": ["§7"]}
    settings_page = client.get(
        reverse("school_settings", kwargs={"school": cast.school.slug})
    ).content.decode()
    assert 'value="yes" checked' in settings_page.replace('checked=""', "checked")


def test_a_school_without_its_sign_in_set_up_cannot_require_it(cast, providers):
    client, _ = head_through_provider(cast, providers)
    cast.school.sign_in_domain = ""
    cast.school.save()
    response = client.post(
        reverse("school_sign_in", kwargs={"school": cast.school.slug}), {"required": "yes"}
    )
    assert response.status_code == 200 and "is not set up yet" in response.content.decode()


def test_confirm_it_is_you_goes_through_the_schools_account(cast, providers):
    cast.school.sign_in_required = True
    cast.school.save()
    client, _ = head_through_provider(cast, providers)
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= 600  # ten minutes ago: longer than the re-authentication window
    session.save()
    settings_url = reverse("school_settings", kwargs={"school": cast.school.slug})
    response = client.get(settings_url)
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"]).content.decode()
    assert "Sign in with Microsoft 365" in page and 'name="password"' not in page
    # A password is not accepted as the confirmation.
    refused = client.post(response["Location"], {"password": PASSWORD})
    assert refused.status_code == 200 and "confirm it is you with the school" in refused.content.decode()
    # Through the school's account (asked to check again: prompt=login), then back to the settings.
    start = reverse("openid_connect_login", kwargs={"provider_id": "westfield-microsoft"})
    start += "?auth_params=prompt%3Dlogin&next=" + settings_url
    client, response = head_through_provider(cast, providers, start=start, client=client)
    assert response["Location"] == settings_url
    assert client.get(settings_url).status_code == 200


def test_the_trust_page_links_each_schools_sign_in_page(cast):
    """A trust admin may lift a school's requirement (the way back when its tenant is down): the trust page is
    where they find that page, without the Headteacher's settings."""
    admin = signed_in(cast.trust_admin, confirmed=True)
    url = reverse("school_sign_in", kwargs={"school": cast.school.slug})
    page = admin.get(reverse("trust_dashboard", kwargs={"trust": cast.trust.slug}))
    assert f'href="{url}"' in page.content.decode()
    assert admin.get(url).status_code == 200
