"""The chair of governors has a rule (one chair, who is a governor: KCSIE routes concerns about the
Headteacher to them), and the conduct room's daily chase works by state, not by what was opened."""

import datetime

from django.urls import reverse
from django.utils import timezone

from saferstaff.conduct import daily, services
from saferstaff.conduct.models import ContactChannel, Disclosure
from saferstaff.notifications.models import Notification
from saferstaff.schools.models import Membership, Role
from saferstaff.schools.roles import Actor
from tests.conftest import PASSWORD, signed_in


def roles_page(cast, member):
    client = signed_in(cast.head)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    return client, reverse("staff_roles", kwargs={"school": cast.school.slug, "pk": member.pk})


def test_a_second_chair_of_governors_is_refused_beside_the_field(cast):
    dpo = cast.member(cast.dpo)
    client, url = roles_page(cast, dpo)
    response = client.post(url, {"roles": ["dpo", "governor"], "is_chair_of_governors": "on"})
    page = response.content.decode()
    assert response.status_code == 200 and "one chair" in page and "(§2)" in page
    assert 'href="#id_is_chair_of_governors"' in page
    dpo.refresh_from_db()
    assert not dpo.is_chair_of_governors and Role.GOVERNOR not in dpo.roles  # nothing half-saved


def test_the_chair_of_governors_must_hold_the_governor_role(cast):
    governor = cast.member(cast.governor)
    client, url = roles_page(cast, governor)
    response = client.post(url, {"roles": ["staff"], "is_chair_of_governors": "on"})
    assert response.status_code == 200 and "Governor role" in response.content.decode()
    governor.refresh_from_db()
    assert governor.is_chair_of_governors and governor.roles == {Role.GOVERNOR}
    # Moving the chair: untick the old one, then tick the new one.
    assert client.post(url, {"roles": ["governor"]}).status_code == 302
    client2, url2 = roles_page(cast, cast.member(cast.dpo))
    assert (
        client2.post(url2, {"roles": ["dpo", "governor"], "is_chair_of_governors": "on"}).status_code == 302
    )
    assert Membership.objects.get(pk=cast.member(cast.dpo).pk).is_chair_of_governors


def _old_disclosure(cast, days=2):
    d = services.disclose(
        Actor.of(cast.teacher, cast.school),
        who=Disclosure.Who.THINK_PUPIL,
        channel=ContactChannel.objects.get(school=cast.school, name="Snapchat"),
        happened_on=timezone.localdate(),
        what_happened="A message",
    )
    Disclosure.objects.filter(pk=d.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))
    return d


def test_a_disclosure_without_an_outcome_is_chased_every_day_even_once_opened(cast):
    d = _old_disclosure(cast)
    Notification.objects.all().update(read_at=timezone.now())  # the Headteacher opened the alert
    assert daily.chase(cast.school) == 1
    chased = Notification.objects.get(user=cast.head, kind=daily.CHASE_KIND)
    assert chased.url == reverse("conduct_waiting", kwargs={"school": cast.school.slug})
    assert daily.chase(cast.school) == 0  # once a day, not once a run
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    assert daily.chase(cast.school, now=tomorrow) == 1
    services.record_outcome(Actor.of(cast.head, cast.school), d, outcome="advice")
    assert daily.chase(cast.school, now=tomorrow + datetime.timedelta(days=1)) == 0


def test_a_fresh_disclosure_is_not_chased_yet_and_the_discloser_never_is(cast):
    _old_disclosure(cast, days=0)
    assert daily.chase(cast.school) == 0
    assert not Notification.objects.filter(user=cast.teacher, kind=daily.CHASE_KIND).exists()


def test_requests_and_concerns_are_chased_to_whoever_decides_them(cast):
    actor = Actor.of(cast.teacher, cast.school)
    p = services.request_equipment(
        actor,
        device_kind="phone",
        purpose="Trip",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    c = services.raise_concern(
        actor, subject=cast.member(cast.head), happened_on=timezone.localdate(), what="Shouted at a pupil"
    )
    later = timezone.now() + datetime.timedelta(days=2)
    owed = daily.waiting(cast.school, later)
    assert owed[cast.governor.pk] == 1  # the concern about the Headteacher, to the chair
    assert owed[cast.slt.pk] == 1 and owed[cast.head.pk] == 1  # the request, to senior management
    assert cast.teacher.pk not in owed
    assert p.pk and c.pk
