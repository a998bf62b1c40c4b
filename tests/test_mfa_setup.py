"""A Headteacher, DSL, DPO or trust admin who signs in with a password alone is sent to set up an
authenticator app, and can do so (the school supplies the email, so no email verification stands in the way)."""

import re

from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.urls import reverse

from .conftest import PASSWORD, current_totp, signed_in


def test_a_dsl_signing_in_for_the_first_time_sets_up_an_authenticator(cast, client):
    cache.clear()
    response = client.post(reverse("account_login"), {"login": cast.dsl.email, "password": PASSWORD})
    assert response.status_code == 302
    dashboard = reverse("school_dashboard", kwargs={"school": cast.school.slug})
    response = client.get(dashboard)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password once more before adding a second factor (a fresh sign-in does not count).
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r"[A-Z2-7]{32}", page.replace(" ", "")).group(0)
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Authenticator.objects.filter(user=cast.dsl, type=Authenticator.Type.TOTP).exists()
    assert client.get(dashboard).status_code == 200


def test_the_setup_key_stays_the_same_until_the_app_is_activated(cast):
    """An app set up from the first showing of the page still works after the page is reloaded."""
    client = signed_in(cast.teacher, mfa=False, confirmed=True)
    first = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r"[A-Z2-7]{32}", first.replace(" ", "")).group(0)
    again = client.get(reverse("mfa_activate_totp")).content.decode()
    assert re.search(r"[A-Z2-7]{32}", again.replace(" ", "")).group(0) == secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=cast.teacher, type=Authenticator.Type.TOTP).exists()


def test_a_role_a_second_factor_or_a_trust_given_or_taken_counts_from_the_very_next_page(cast):
    """The access, second-factor and menu checks read the person afresh for every request (schools.roles.
    Standing): nothing about them is kept in the session or a cache between pages."""
    from saferstaff.schools.models import Role, RoleGrant, TrustAdmin

    client = signed_in(cast.teacher, mfa=False)
    dashboard = reverse("school_dashboard", kwargs={"school": cast.school.slug})
    staff_list = reverse("staff_list", kwargs={"school": cast.school.slug})
    assert client.get(dashboard).status_code == 200
    assert client.get(staff_list).status_code == 403
    assert "Switch school" not in client.get(dashboard).content.decode()

    grant = RoleGrant.objects.create(school=cast.school, membership=cast.member(cast.teacher), role=Role.DSL)
    response = client.get(staff_list)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")

    signed_in(cast.teacher)  # an authenticator app added
    assert client.get(staff_list).status_code == 200
    Authenticator.objects.filter(user=cast.teacher).delete()  # reset by the school
    assert client.get(staff_list)["Location"] == reverse("mfa_activate_totp")

    signed_in(cast.teacher)
    grant.delete()
    assert client.get(staff_list).status_code == 403
    TrustAdmin.objects.create(trust=cast.trust, user=cast.teacher)
    Authenticator.objects.filter(user=cast.teacher).delete()
    assert client.get(dashboard)["Location"] == reverse("mfa_activate_totp")  # a trust admin needs one too
    signed_in(cast.teacher)
    assert "Switch school" in client.get(dashboard).content.decode()
