"""Sessions and passwords: those holding a role in schools.roles.SHORT_IDLE are signed out after
PRIVILEGED_IDLE_MINUTES without a request (others keep SESSION_COOKIE_AGE), and passwords are hashed with Argon2,
older hashes upgraded when their owner signs in."""

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from saferstaff import settings as project_settings
from saferstaff.accounts import middleware
from saferstaff.schools.models import Role
from saferstaff.schools.roles import SHORT_IDLE, TRUST_ADMIN

from .conftest import PASSWORD, signed_in

pytestmark = pytest.mark.django_db

START = 1_900_000_000.0


@pytest.fixture
def clock(monkeypatch):
    """The idle clock, moved by hand: ``clock.now`` seconds since the epoch."""

    class Clock:
        now = START

    monkeypatch.setattr(middleware, "_now", lambda: Clock.now)
    return Clock


def test_the_short_idle_roles_are_the_leadership_and_the_trusts_admins():
    assert SHORT_IDLE == {Role.HEADTEACHER, Role.SENIOR_LEADER, Role.DSL, Role.DPO, TRUST_ADMIN}


@pytest.mark.parametrize("who", ["head", "slt", "dsl", "dpo", "trust_admin"])
def test_a_privileged_person_idle_past_the_limit_is_sent_to_sign_in_and_told_why(cast, clock, settings, who):
    settings.PRIVILEGED_IDLE_MINUTES = 30
    client = signed_in(getattr(cast, who))
    page = reverse("notification_list")
    assert client.get(page).status_code == 200
    clock.now += 29 * 60
    assert client.get(page).status_code == 200
    clock.now += 31 * 60  # 31 minutes after the last request
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login")) and "next=" in response["Location"]
    shown = client.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in shown
    # Signed out for real: the next page asks for sign-in again.
    assert client.get(page)["Location"].startswith(reverse("account_login"))


def test_activity_resets_the_clock(cast, clock):
    client = signed_in(cast.dsl)
    page = reverse("notification_list")
    for _ in range(4):  # two hours in all, never 30 minutes apart
        assert client.get(page).status_code == 200
        clock.now += 25 * 60
    assert client.get(page).status_code == 200


def test_a_teacher_keeps_the_ordinary_session(cast, clock):
    client = signed_in(cast.teacher)
    page = reverse("notification_list")
    assert client.get(page).status_code == 200
    clock.now += 4 * 60 * 60  # within SESSION_COOKIE_AGE (8 hours)
    assert client.get(page).status_code == 200


def test_the_limit_comes_from_the_setting(cast, clock, settings):
    settings.PRIVILEGED_IDLE_MINUTES = 5
    client = signed_in(cast.head)
    page = reverse("notification_list")
    client.get(page)
    clock.now += 6 * 60
    assert client.get(page).status_code == 302


def test_an_idle_privileged_persons_post_is_not_carried_out(cast, clock):
    client = signed_in(cast.head)
    client.get(reverse("notification_list"))
    clock.now += 31 * 60
    response = client.post(reverse("notification_list"), {})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_production_hashes_with_argon2_and_upgrades_an_older_hash_at_sign_in(cast, client, settings):
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = cast.teacher
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)
