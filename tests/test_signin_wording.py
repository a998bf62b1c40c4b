"""The sign-in pages do not promise a password works where a school requires its own sign-in: the "did not
work" (401) and "You cannot sign in this way" pages after the school's provider, and "Password changed" after a
reset. And the reset email names the service, not the placeholder site."""

from urllib.parse import urlparse

import pytest
from allauth.socialaccount.models import SocialApp
from django.test import Client
from django.urls import reverse

from .test_signin_sso import providers, through_provider  # noqa: F401

PASSWORD_OFFERED = "sign in with your email address and password"


def require_it(school, required=True):
    school.sign_in_required = required
    school.save()


def wrong_issuer(providers):  # noqa: F811
    """Westfield's app pinned to another issuer: allauth's "did not work" page (401) follows."""
    app = SocialApp.objects.get(provider_id="westfield-microsoft")
    app.settings = {
        "server_url": providers["westfield-microsoft"].issuer,
        "openid_configuration_overrides": {"issuer": providers["moorside-google"].issuer},
    }
    app.save()


@pytest.mark.parametrize("required", [True, False])
def test_the_did_not_work_page_offers_the_password_only_where_it_works(cast, providers, required):  # noqa: F811
    require_it(cast.school, required)
    wrong_issuer(providers)
    claims = {"email": cast.teacher.email, "xms_edov": True, "tid": "t"}
    _, response = through_provider(providers, "westfield-microsoft", claims)
    page = response.content.decode()
    assert response.status_code == 401 and "did not work" in page
    assert (PASSWORD_OFFERED in page) is not required
    assert ("a saferstaff password does not work for them" in page) is required


@pytest.mark.parametrize("required", [True, False])
def test_the_cannot_sign_in_page_offers_the_password_only_where_it_works(cast, providers, required):  # noqa: F811
    require_it(cast.school, required)
    claims = {"email": "nobody.here@school.example", "xms_edov": True, "tid": "t"}
    _, response = through_provider(providers, "westfield-microsoft", claims)
    page = response.content.decode()
    assert response.status_code == 403 and "You cannot sign in this way" in page
    assert ("Sign in with your email address and password" in page) is not required
    assert ("a saferstaff password does not work for them" in page) is required


def reset(user, mailoutbox):
    client = Client()
    client.post(reverse("account_reset_password"), {"email": user.email})
    email = mailoutbox[-1]
    link = next(word for word in email.body.split() if "/password/reset/key/" in word)
    form_page = client.get(urlparse(link).path, follow=True)
    new = "violet hedgehog marmalade tuesday"
    response = client.post(form_page.redirect_chain[-1][0], {"password1": new, "password2": new}, follow=True)
    return email, response.content.decode()


def test_after_a_reset_a_school_requiring_its_own_sign_in_is_not_promised_the_password(
    cast,
    providers,  # noqa: F811
    mailoutbox,
):
    require_it(cast.school)
    _, page = reset(cast.teacher, mailoutbox)
    assert "Password changed" in page and "You can now sign in with your new password" not in page
    assert "this password does not sign you in while it does" in page


def test_after_a_reset_anyone_else_is_told_the_new_password_works(cast, providers, mailoutbox):  # noqa: F811
    email, page = reset(cast.teacher, mailoutbox)
    assert "You can now sign in with your new password" in page
    assert "Hello from saferstaff!" in email.body and "example.com" not in email.body
