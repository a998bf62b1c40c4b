"""Irreversible and sensitive actions ask for the password again when the last confirmation is more than a few
minutes old (accounts.stepup.step_up), and the "Confirm it is you" page says what the person is about to do."""

from html import escape

import pytest
from django.urls import reverse

from saferstaff.schools.models import RosterImport
from tests.image_samples import pupil_with_parents

from .conftest import signed_in


def confirmed_a_while_ago(user, minutes: int = 10):
    """Signed in, and confirmed it is them ``minutes`` ago: longer than ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    client = signed_in(user, confirmed=True)
    session = client.session
    for authentication in session["account_authentication_methods"]:
        authentication["at"] -= minutes * 60
    session.save()
    return client


def _pupil(cast):
    return {"pk": pupil_with_parents(cast.school)[0].pk}


def _staged_import(cast):
    staged = RosterImport.objects.create(
        school=cast.school, filename="roster.csv", format="csv", sha256="0" * 64, content=b"x"
    )
    return {"pk": staged.pk}


ACTIONS = [
    # (url name, who, extra URL kwargs, POST data or None for a GET, what the page says)
    ("retention_due", "dpo", None, {"kind": "images", "all": "1"}, "destroying records"),
    ("retention_due", "head", None, {"kind": "notifications", "row": "1"}, "destroying records"),
    ("portal_links", "office", None, None, "sending consent links to guardians"),
    ("portal_links", "office", None, {"send": "all"}, "sending consent links to guardians"),
    ("pupil_faces", "office", _pupil, None, "enrolling a pupil for face matching"),
    ("faces_import", "office", None, None, "enrolling pupils for face matching from the MIS photos"),
    ("roster_preview", "head", _staged_import, {"action": "apply"}, "applying a pupil import"),
    ("school_settings", "head", None, None, "changing the school's settings"),
    ("staff_add", "head", None, None, "adding staff"),
]


@pytest.mark.parametrize(("name", "who", "extra", "data", "doing"), ACTIONS)
def test_each_action_asks_to_confirm_and_says_what_it_is(cast, name, who, extra, data, doing):
    kwargs = {"school": cast.school.slug, **(extra(cast) if extra else {})}
    url = reverse(name, kwargs=kwargs)
    client = confirmed_a_while_ago(getattr(cast, who))
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate")), response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert f"You are signed in, but {escape(doing)} needs you to confirm who you are first." in page
    if name == "roster_preview":  # nothing was applied
        assert RosterImport.objects.get(pk=kwargs["pk"]).status == RosterImport.Status.PREVIEWED


def test_a_recent_confirmation_lets_the_action_through(cast):
    url = reverse("retention_due", kwargs={"school": cast.school.slug})
    for client in (signed_in(cast.dpo, confirmed=True), confirmed_a_while_ago(cast.dpo, minutes=1)):
        response = client.post(url, {"kind": "images", "all": "1"})
        assert response.status_code == 302 and response["Location"].startswith(url)


def test_adding_an_authenticator_still_says_it_changes_how_you_sign_in(cast):
    client = confirmed_a_while_ago(cast.head)
    # The sentence of an earlier step-up does not follow the person to another page.
    asked = client.get(reverse("staff_add", kwargs={"school": cast.school.slug}))
    assert asked.status_code == 302 and "adding staff" in client.get(asked["Location"]).content.decode()
    page = client.get(f"{reverse('account_reauthenticate')}?next={reverse('mfa_activate_totp')}")
    assert "You are signed in, but changing how you sign in needs you" in page.content.decode()
