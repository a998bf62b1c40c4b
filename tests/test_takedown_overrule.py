"""§5: senior management overrules a check that found "still there" when the image found is not the withdrawn
photo (another shot of the same scene, a photo the school may show): the place then counts as gone for closing,
by the page and by the door, the overrule is kept on the check (who, when, why) and audited with ids, and the
photo found again at another image address is not covered."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

import pytest
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.photos import checks, takedowns
from saferstaff.photos.models import PlaceCheck
from saferstaff.rules.engine import Refused

from .conftest import signed_in
from .test_publication_places import _files, photos  # noqa: F401
from .test_takedown_checks import copy_as_found, latest, page, published, site, take_down  # noqa: F401

R = PlaceCheck.Result
WHY = "Another photo of the same class taken a minute later; every pupil in it has consent"


def _url(name, cast, takedown):
    return reverse(name, kwargs={"school": cast.school.slug, "pk": takedown.pk})


def test_a_senior_leader_overrules_on_the_page_and_the_publisher_closes_on_the_checks(cast, published, site):
    takedown = take_down(cast, published)
    check = latest(takedown)
    assert check.result == R.STILL_THERE
    slt = signed_in(cast.slt)
    shown = slt.get(_url("takedown_done", cast, takedown)).content.decode()
    overrule_url = _url("takedown_overrule", cast, takedown)
    assert f"{overrule_url}?place={check.place_id}" in shown
    assert slt.get(f"{overrule_url}?place={check.place_id}").status_code == 200

    refused = slt.post(overrule_url, {"place": check.place_id, "reason": "  "})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert 'href="#id_reason">Why the image found is not the withdrawn photo: Enter a reason<' in body
    check.refresh_from_db()
    assert check.overruled_at is None

    assert slt.post(overrule_url, {"place": check.place_id, "reason": WHY}).status_code == 302
    check.refresh_from_db()
    assert check.overruled_by == cast.slt and check.overruled_at and check.overrule_reason == WHY
    event = AuditEvent.objects.filter(action="images.takedown.check_overruled").latest("seq")
    assert event.detail == {"check": check.pk, "place": check.place_id, "publication": published.pk}
    assert WHY not in str(event.detail)  # ids, not what was written

    teacher = signed_in(cast.teacher)
    shown = teacher.get(_url("takedown_done", cast, takedown)).content.decode()
    assert "Counts as gone" in shown and WHY in shown and "Close: the check shows" in shown
    assert overrule_url not in shown  # the publisher is not offered it
    assert teacher.post(_url("takedown_done", cast, takedown), {"action": "on_checks"}).status_code == 302
    takedown.refresh_from_db()
    assert takedown.done_at and takedown.closed_on_checks
    assert "senior management said the image found is not the withdrawn photo" in takedown.evidence_note
    done = AuditEvent.objects.filter(action="images.takedown.done").latest("seq")
    assert done.detail["overruled"] == [check.pk] and done.detail["checks"] == [check.pk]


def test_the_door_honours_an_overrule_when_closing_with_a_note(cast, published, site):
    takedown = take_down(cast, published)
    with pytest.raises(Refused):
        takedowns.finish_takedown(takedown, by=cast.teacher, note="It is a different photo")
    checks.overrule(latest(takedown), by=cast.head, reason=WHY)
    assert checks.still_there(takedown) == [] and checks.all_gone(takedown)
    takedowns.finish_takedown(takedown, by=cast.teacher, note="Senior management looked: a different photo")
    takedown.refresh_from_db()
    assert takedown.done_at and not takedown.closed_on_checks


def test_only_the_headteacher_or_a_senior_leader_overrules_and_says_why(cast, published, site):
    takedown = take_down(cast, published)
    check = latest(takedown)
    for user in (cast.teacher, cast.dsl, cast.dpo, cast.other_teacher):
        with pytest.raises(Refused):
            checks.overrule(check, by=user, reason=WHY)
    for user in (cast.teacher, cast.dsl):
        response = signed_in(user).post(
            _url("takedown_overrule", cast, takedown), {"place": check.place_id, "reason": WHY}
        )
        assert response.status_code == 403
    with pytest.raises(Refused) as blank:
        checks.overrule(check, by=cast.head, reason=" ")
    assert [r.field for r in blank.value.decision.reasons] == ["reason"]
    check.refresh_from_db()
    assert check.overruled_at is None and not AuditEvent.objects.filter(
        action="images.takedown.check_overruled"
    )


def test_only_the_newest_still_there_of_an_open_takedown_is_overruled(cast, published, site):
    takedown = take_down(cast, published)
    older = latest(takedown)
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    checks.queue_checks(takedown)
    gone = latest(takedown)
    assert gone.result == R.GONE
    for check in (older, gone):  # an older check; a check that found it gone
        with pytest.raises(Refused):
            checks.overrule(check, by=cast.head, reason=WHY)
    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)
    with pytest.raises(Refused):  # taken down already
        checks.overrule(older, by=cast.head, reason=WHY)


def test_the_photo_found_again_at_another_image_address_is_not_covered(cast, published, site):
    takedown = take_down(cast, published)
    checks.overrule(latest(takedown), by=cast.slt, reason=WHY)
    checks.queue_checks(takedown)  # the same image at the same address: still covered
    again = latest(takedown)
    assert again.result == R.STILL_THERE and again.overruled_at is None
    assert checks.all_gone(takedown) and checks.still_there(takedown) == []

    site.routes["/img/moved.jpg"] = (200, "image/jpeg", copy_as_found(published))
    site.routes["/news"] = (200, "text/html", page("/img/moved.jpg"))
    checks.queue_checks(takedown)
    moved = latest(takedown)
    assert moved.result == R.STILL_THERE and moved.found_url.endswith("/img/moved.jpg")
    assert checks.still_there(takedown) == [moved] and not checks.all_gone(takedown)
    for kwargs in ({"on_checks": True}, {"note": "Removed it"}):
        with pytest.raises(Refused):
            takedowns.finish_takedown(takedown, by=cast.teacher, **kwargs)
    shown = signed_in(cast.head).get(_url("takedown_done", cast, takedown)).content.decode()
    assert "Still there" in shown and "overruled by" in shown  # the earlier overrule stays in the history
