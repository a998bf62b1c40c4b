"""Setting up a school's own sign-in: "set up" means an OpenID Connect app with the school's provider id exists
and its domain is a bare email domain. A typo in either does not show as set up, cannot be required, and never
locks the staff out of their passwords."""

import pytest
from django.urls import reverse

from saferstaff.rules.signin import normalise_domain, sign_in_set_up

from .conftest import signed_in
from .test_signin_sso import head_through_provider, password_sign_in, providers, signed_in_as  # noqa: F401


def test_a_school_set_up_properly_says_so(cast, providers):  # noqa: F811
    assert sign_in_set_up.peek(cast.school)
    head = signed_in(cast.head, confirmed=True)
    page = head.get(reverse("school_sign_in", kwargs={"school": cast.school.slug})).content.decode()
    assert "is set up for addresses ending <strong>@school.example</strong>" in page


def test_a_provider_id_with_a_typo_is_not_set_up_and_cannot_be_required(cast, providers):  # noqa: F811
    client, _ = head_through_provider(cast, providers)
    cast.school.sign_in_provider = "westfield-microsft"
    cast.school.save()
    decision = sign_in_set_up.peek(cast.school)
    assert not decision and "“westfield-microsft” names no sign-in app" in decision.reasons[0].text
    url = reverse("school_sign_in", kwargs={"school": cast.school.slug})
    page = client.get(url).content.decode()
    assert "is set up for addresses" not in page
    assert "The provider id “westfield-microsft” names no sign-in app set up in saferstaff" in page
    settings_page = client.get(reverse("school_settings", kwargs={"school": cast.school.slug}))
    assert "names no sign-in app" in settings_page.content.decode()
    response = client.post(url, {"required": "yes"})
    assert response.status_code == 200 and "is not set up yet" in response.content.decode()
    assert "names no sign-in app" in response.content.decode()
    cast.school.refresh_from_db()
    assert not cast.school.sign_in_required


def test_a_school_requiring_a_provider_that_does_not_exist_does_not_lock_its_staff_out(
    cast,
    providers,  # noqa: F811
):
    cast.school.sign_in_required = True
    cast.school.sign_in_provider = "westfield-microsft"
    cast.school.save()
    client, response = password_sign_in(cast.teacher)
    assert response.status_code == 302 and signed_in_as(client) == str(cast.teacher.pk)


@pytest.mark.parametrize(
    ("domain", "problem"),
    [
        ("@school.example", "has an @"),
        ("tom@school.example", "has an @"),
        ("https://school.example", "has a scheme"),
        ("school.example/staff", "has a path"),
        ("school", "is not an email domain"),
        ("school..example", "is not an email domain"),
        ("", "no domain"),
        (" School.Example ", "not written lower-case without spaces"),
    ],
)
def test_a_domain_that_is_not_bare_is_not_set_up(cast, providers, domain, problem):  # noqa: F811
    cast.school.sign_in_domain = domain
    cast.school.save()
    decision = sign_in_set_up.peek(cast.school)
    assert not decision and problem in decision.reasons[0].text


@pytest.mark.parametrize(
    ("given", "domain"),
    [
        (" School.Example ", "school.example"),
        ("staff.school.example", "staff.school.example"),
        ("a-b.co.uk", "a-b.co.uk"),
    ],
)
def test_a_domain_is_written_lower_case_without_spaces(given, domain):
    assert normalise_domain(given) == domain
