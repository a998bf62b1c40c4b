"""§5: while a publication is being taken down, a web address that has been checked cannot be removed — by the
page's Remove button, by the door (``places.remove_place``), by anything deleting the place alone — so its
checks (the evidence) stay and the takedown cannot close by removing the address where the photo is still
there. An address not checked yet can still be taken off (a mistyped one)."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

import pytest
from django.db.models import RestrictedError
from django.urls import reverse

from saferstaff.photos import takedowns
from saferstaff.photos.models import PlaceCheck, PublicationPlace
from saferstaff.photos.places import add_place, remove_place
from saferstaff.rules.engine import Refused

from .conftest import signed_in
from .test_publication_places import _files, photos  # noqa: F401
from .test_takedown_checks import _done, latest, published, site, take_down  # noqa: F401

R = PlaceCheck.Result


def _page(cast, pub):
    return reverse("publication_detail", kwargs={"school": cast.school.slug, "pk": pub.pk})


def test_a_still_there_place_cannot_be_removed_to_close_the_takedown_by_any_path(cast, published, site):
    takedown = take_down(cast, published)
    place = published.places.get()
    assert latest(takedown).result == R.STILL_THERE
    teacher = signed_in(cast.teacher)
    shown = teacher.get(_page(cast, published)).content.decode()
    assert "kept, with its checks" in shown and f'name="place" value="{place.pk}"' not in shown
    response = teacher.post(_page(cast, published), {"action": "remove", "place": place.pk})  # a forged POST
    body = response.content.decode()
    assert response.status_code == 409
    assert (
        f'href="#place-{place.pk}"' in body
        and "cannot be removed while the photo is being taken down" in body
    )
    assert 'class="govuk-error-message"' in body  # beside the address, too
    for by in (cast.teacher, cast.slt):
        with pytest.raises(Refused) as refused:
            remove_place(place, by=by)
        assert refused.value.decision.reasons[0].field == "place"
    with pytest.raises(RestrictedError):
        place.delete()
    assert (
        PublicationPlace.objects.filter(pk=place.pk).exists()
        and PlaceCheck.objects.filter(place=place).exists()
    )
    with pytest.raises(Refused, match="still there"):
        takedowns.finish_takedown(takedown, by=cast.teacher, note="Done")
    response = teacher.post(_done(cast, takedown), {"note": "Done"})
    assert response.status_code == 409


def test_a_place_still_waiting_for_its_first_check_is_kept_too(cast, published, site):
    takedown = take_down(cast, published)
    PlaceCheck.objects.filter(takedown=takedown).update(result=R.WAITING)
    with pytest.raises(Refused, match="being taken down"):
        remove_place(published.places.get(), by=cast.teacher)


def test_an_address_never_checked_can_be_taken_off_while_the_takedown_is_open(cast, published, site):
    take_down(cast, published)
    typo = add_place(published, "https://schoool.example/news", by=cast.teacher)  # after the checks ran
    assert not typo.checks.exists()
    assert (
        signed_in(cast.teacher)
        .post(_page(cast, published), {"action": "remove", "place": typo.pk})
        .status_code
        == 302
    )
    assert not PublicationPlace.objects.filter(pk=typo.pk).exists()


def test_a_publication_deleted_takes_its_places_and_checks_with_it(cast, published, site):
    take_down(cast, published)
    type(published).objects.filter(pk=published.pk).delete()  # RESTRICT lets the whole cascade through
    assert not PlaceCheck.objects.exists() and not PublicationPlace.objects.exists()
