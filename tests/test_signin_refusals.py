"""Why a sign-in through a school's own provider was refused is logged for IT, as a code with ids (never an
address or a name); and when several schools' apps share a name, each button names its school."""

import logging

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from .test_signin_sso import providers, through_provider  # noqa: F401

LOGGER = "saferstaff.accounts.adapters"


def refusal_logged(caplog) -> str:
    lines = [
        r.getMessage() for r in caplog.records if r.name == LOGGER and "sign-in refused" in r.getMessage()
    ]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    ("provider_id", "email", "claims", "code", "school"),
    [
        ("westfield-microsoft", "tom.teacher@school.example", {"tid": "t"}, "unverified", None),
        (
            "westfield-microsoft",
            "otto.teacher@other.example",
            {"xms_edov": True, "tid": "t"},
            "outside_domain",
            None,
        ),
        (
            "moorside-google",
            "otto.teacher@other.example",
            {"email_verified": True},
            "not_the_schools_workspace",
            "other_school",
        ),
        (
            "westfield-microsoft",
            "nobody.here@school.example",
            {"xms_edov": True, "tid": "t"},
            "no_such_staff",
            "school",
        ),
    ],
)
def test_each_refusal_is_logged_with_its_reason_and_ids_only(
    cast,
    providers,  # noqa: F811
    caplog,
    provider_id,
    email,
    claims,
    code,
    school,
):
    caplog.set_level(logging.INFO, logger=LOGGER)
    _, response = through_provider(providers, provider_id, {"email": email, **claims})
    assert response.status_code == 403
    line = refusal_logged(caplog)
    school_id = getattr(cast, school).pk if school else None
    assert line == f"school sign-in refused: provider={provider_id} school={school_id} reason={code}"
    assert email.split("@")[0] not in caplog.text


def test_someone_who_has_left_is_logged_as_left(cast, providers, caplog):  # noqa: F811
    from saferstaff.schools.staff import mark_as_left

    mark_as_left(cast.member(cast.teacher), by=cast.head)
    caplog.set_level(logging.INFO, logger=LOGGER)
    through_provider(
        providers, "westfield-microsoft", {"email": cast.teacher.email, "xms_edov": True, "tid": "t"}
    )
    assert refusal_logged(caplog).endswith(f"school={cast.school.pk} reason=left")
    assert cast.teacher.email not in caplog.text


def test_a_failure_at_the_provider_is_logged_with_allauths_code(cast, providers, caplog):  # noqa: F811
    app = SocialApp.objects.get(provider_id="westfield-microsoft")
    app.settings = {
        "server_url": providers["westfield-microsoft"].issuer,
        "openid_configuration_overrides": {"issuer": providers["moorside-google"].issuer},
    }
    app.save()
    caplog.set_level(logging.INFO, logger=LOGGER)
    _, response = through_provider(
        providers, "westfield-microsoft", {"email": cast.teacher.email, "xms_edov": True}
    )
    assert response.status_code == 401
    assert "provider=westfield-microsoft school=None reason=provider_error error=" in refusal_logged(caplog)


def test_two_schools_with_apps_of_the_same_name_get_buttons_that_name_them(cast, providers, client):  # noqa: F811
    SocialApp.objects.filter(provider_id="moorside-google").update(name="Microsoft 365")
    html = client.get(reverse("account_login")).content.decode()
    assert f"Sign in with Microsoft 365 — {cast.school.name}</a>" in html
    assert f"Sign in with Microsoft 365 — {cast.other_school.name}</a>" in html
    assert html.count("Sign in with Microsoft 365</a>") == 0


def test_apps_of_different_names_keep_their_plain_labels(cast, providers, client):  # noqa: F811
    html = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Microsoft 365</a>" in html and "Sign in with Google Workspace</a>" in html
    assert "—" not in html.split("Or use your school")[1].split("</div>")[0]
