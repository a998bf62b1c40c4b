"""§5: a takedown closes through one door (``takedowns.finish_takedown``), by the note path and on the checks,
and only when the checks allow it: a check still waiting and a place still there keep it open by every path
(the page's forms, the door, after the worker ran); a place saferstaff could not check is never gone, so the
note must then say what was done there (or a screenshot be added)."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from saferstaff.photos import checks, takedowns
from saferstaff.photos.models import PlaceCheck, Takedown
from saferstaff.rules.engine import Refused

from .conftest import signed_in
from .test_publication_places import _files, photos  # noqa: F401
from .test_takedown_checks import _done, latest, page, published, site, take_down  # noqa: F401

R = PlaceCheck.Result


def _waiting_check(cast, published, site):
    """Taken down and found gone, then "Check again" asked but not run by the worker yet."""
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    takedown = take_down(cast, published)
    assert latest(takedown).result == R.GONE
    queued = PlaceCheck.objects.create(
        school=cast.school, takedown=takedown, place=published.places.get(), requested_by=cast.teacher
    )
    return takedown, queued


def test_a_check_still_waiting_keeps_it_open_by_every_path(cast, published, site):
    takedown, queued = _waiting_check(cast, published, site)
    for kwargs in ({"on_checks": True}, {"note": "It has been taken down"}):
        with pytest.raises(Refused, match="still running"):
            takedowns.finish_takedown(takedown, by=cast.teacher, **kwargs)
    client = signed_in(cast.teacher)
    for data in ({"action": "on_checks"}, {"note": "It has been taken down"}):
        response = client.post(_done(cast, takedown), data)
        assert response.status_code == 409 and "is still running" in response.content.decode()
    takedown.refresh_from_db()
    assert takedown.done_at is None
    # The worker runs it: the photo is back, so it stays open; the publisher is not misled.
    site.routes["/news"] = (200, "text/html", page("/img/ours.jpg"))
    checks.run_check(queued.pk)
    with pytest.raises(Refused, match="still there"):
        takedowns.finish_takedown(takedown, by=cast.teacher, note="It has been taken down")


def test_when_the_waiting_check_ends_gone_it_closes(cast, published, site):
    takedown, queued = _waiting_check(cast, published, site)
    checks.run_check(queued.pk)
    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)
    takedown.refresh_from_db()
    assert takedown.done_at is not None and takedown.closed_on_checks


def test_a_lost_check_given_up_is_could_not_check_and_needs_the_note_to_say_what_was_done(
    cast, published, site
):
    takedown, queued = _waiting_check(cast, published, site)
    hours = datetime.timedelta(hours=1)
    PlaceCheck.objects.exclude(pk=queued.pk).update(requested_at=queued.requested_at - 3 * hours)
    PlaceCheck.objects.filter(pk=queued.pk).update(requested_at=queued.requested_at - 2 * hours)
    assert checks.give_up_lost_checks() == 1
    with pytest.raises(Refused) as refused:
        takedowns.finish_takedown(takedown, by=cast.teacher, note="It has been taken down")
    assert refused.value.decision.reasons[0].field == "note"
    with pytest.raises(Refused):
        takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)


def test_could_not_check_needs_the_note_to_say_what_was_done_on_the_page_too(cast, published, site):
    site.routes["/news"] = (500, "text/html", b"down")
    takedown = take_down(cast, published)
    assert latest(takedown).result == R.NOT_CHECKED
    client = signed_in(cast.teacher)
    response = client.post(_done(cast, takedown), {"note": "It has been taken down"})
    shown = response.content.decode()
    assert response.status_code == 409
    assert 'href="#id_note"' in shown and "could not check" in shown  # beside the field, named in the summary
    takedown.refresh_from_db()
    assert takedown.done_at is None
    response = client.post(
        _done(cast, takedown), {"note": "Deleted the news item from the website's editor on Monday"}
    )
    assert response.status_code == 302
    takedown.refresh_from_db()
    assert takedown.done_at is not None and not takedown.closed_on_checks


def test_could_not_check_closes_with_a_screenshot_and_a_short_note(cast, published, site):
    site.routes["/news"] = (404, "text/html", b"gone")
    takedown = take_down(cast, published)
    shot = SimpleUploadedFile("shot.png", _png(), content_type="image/png")
    takedowns.finish_takedown(takedown, by=cast.teacher, note="Removed", evidence=shot)
    assert Takedown.objects.get(pk=takedown.pk).done_at is not None


def test_a_place_never_checked_counts_as_not_checked(cast, published, site):
    takedown = take_down(cast, published)
    PlaceCheck.objects.filter(takedown=takedown).delete()
    with pytest.raises(Refused, match="could not check"):
        takedowns.finish_takedown(takedown, by=cast.teacher, note="Done")


def _png() -> bytes:
    import io

    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), "white").save(out, "PNG")
    return out.getvalue()
