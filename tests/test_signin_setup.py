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


# --- The command that sets it up (README: "Sign-in with Microsoft 365 or Google Workspace") ---------------


def sign_in_command(*args):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("school_sign_in", *args, stdout=out)
    return out.getvalue()


def test_the_command_sets_the_schools_sign_in_checks_it_and_records_it(cast, providers):  # noqa: F811
    from saferstaff.audit.models import AuditEvent

    cast.school.sign_in_provider = cast.school.sign_in_domain = ""
    cast.school.save()
    out = sign_in_command(
        cast.school.slug, "--provider", "westfield-microsoft", "--domain", " School.Example "
    )
    cast.school.refresh_from_db()
    assert (cast.school.sign_in_provider, cast.school.sign_in_domain) == (
        "westfield-microsoft",
        "school.example",
    )
    assert "for addresses ending @school.example" in out and "westfield-microsoft" in out
    assert sign_in_set_up.peek(cast.school)
    event = AuditEvent.objects.filter(action="school.sign_in_set").latest("seq")
    assert event.school_id == cast.school.pk
    assert event.detail == {
        "provider_id": "westfield-microsoft",
        "fields": ["sign_in_provider", "sign_in_domain"],
    }


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["no-such-school", "--provider", "westfield-microsoft", "--domain", "school.example"],
            "No school has",
        ),
        (
            ["{slug}", "--provider", "westfield-microsft", "--domain", "school.example"],
            "--provider: No sign-in app",
        ),
        (
            ["{slug}", "--provider", "westfield-microsoft", "--domain", "@school.example"],
            "--domain: The domain",
        ),
        (
            ["{slug}", "--provider", "westfield-microsoft", "--domain", "https://school.example"],
            "has a scheme",
        ),
        (["{slug}", "--provider", "westfield-microsoft", "--domain", "school.example/x"], "has a path"),
    ],
)
def test_the_command_refuses_what_would_lock_staff_out(cast, providers, args, error):  # noqa: F811
    from django.core.management.base import CommandError

    before = (cast.school.sign_in_provider, cast.school.sign_in_domain)
    with pytest.raises(CommandError, match=error):
        sign_in_command(*(a.format(slug=cast.school.slug) for a in args))
    cast.school.refresh_from_db()
    assert (cast.school.sign_in_provider, cast.school.sign_in_domain) == before


def test_the_command_adds_the_app_with_its_secret_from_the_environment(cast, monkeypatch):
    from allauth.socialaccount.models import SocialApp
    from django.core.management.base import CommandError

    args = [cast.school.slug, "--provider", "westfield-microsoft", "--domain", "school.example", "--add-app"]
    app_args = ["--name", "Microsoft 365", "--client-id", "abc"]
    with pytest.raises(CommandError, match="SIGN_IN_CLIENT_SECRET"):
        sign_in_command(*args, *app_args, "--server-url", "https://login.microsoftonline.com/t/v2.0")
    monkeypatch.setenv("SIGN_IN_CLIENT_SECRET", "s3cret")
    with pytest.raises(CommandError, match="any tenant"):
        sign_in_command(*args, *app_args, "--server-url", "https://login.microsoftonline.com/common/v2.0")
    out = sign_in_command(*args, *app_args, "--server-url", "https://login.microsoftonline.com/t/v2.0")
    app = SocialApp.objects.get(provider_id="westfield-microsoft")
    assert app.secret == "s3cret" and app.settings == {
        "server_url": "https://login.microsoftonline.com/t/v2.0"
    }
    assert "s3cret" not in out and "Microsoft 365" in out
    cast.school.refresh_from_db()
    assert sign_in_set_up.peek(cast.school)
