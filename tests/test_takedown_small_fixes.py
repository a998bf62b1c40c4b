"""§5, the smaller things a walkthrough found: overruling is offered only on "still there"; why a page could not
be fetched is said in plain words; an address with and without its "/" is one; adding one already listed says so;
"Take it down" without a reason names its field; a double click on "Check again" queues one check; a number
a browser reads as an address (2130706433 is 127.0.0.1) is refused when typed."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from saferstaff.fetching import FetchRefused, fetch
from saferstaff.photos import sites
from saferstaff.photos.models import PlaceCheck, PublicationPlace
from saferstaff.photos.places import clean_url

from .conftest import signed_in
from .test_publication_places import _files, _page, _publish, photos  # noqa: F401
from .test_takedown_checks import _done, latest, published, site, take_down  # noqa: F401

R = PlaceCheck.Result


def test_overrule_is_offered_and_opened_only_for_a_place_still_there(cast, published, site):
    site.routes["/news"] = (503, "text/html", b"busy")
    takedown = take_down(cast, published)
    assert latest(takedown).result == R.NOT_CHECKED
    head = signed_in(cast.head)
    assert "this is not the withdrawn photo" not in head.get(_done(cast, takedown)).content.decode()
    url = reverse("takedown_overrule", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    response = head.get(f"{url}?place={latest(takedown).place_id}")
    assert response.status_code == 302 and response.url == _done(cast, takedown)  # never the broken page


def test_a_refused_connection_is_said_in_plain_words(settings):
    import socket

    settings.CAPTURE_ALLOW_LOOPBACK = True
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    with pytest.raises(FetchRefused) as refused:
        fetch(f"http://127.0.0.1:{port}/", allow_loopback=True)
    assert str(refused.value) == "The page could not be fetched: the site refused the connection"
    assert "Error" not in str(refused.value)


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "127.000.000.001", "0x7f000001", "017700000001"]
)
def test_a_number_a_browser_reads_as_an_address_is_refused(settings, host):
    settings.CAPTURE_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError) as problem:
        clean_url(f"http://{host}/news")
    assert "four numbers" in problem.value.messages[0]


def test_an_address_with_and_without_its_slash_is_one_and_adding_it_again_says_so(cast, photos):
    assert clean_url("http://school.example:8791") == clean_url("http://school.example:8791/")
    head = signed_in(cast.head)
    url = reverse("site_list", kwargs={"school": cast.school.slug})
    head.post(url, {"url": "https://school.example:8791", "label": ""}, follow=True)
    again = head.post(url, {"url": "https://school.example:8791/", "label": ""}, follow=True).content.decode()
    assert "already listed" in again and "govuk-notification-banner--success" not in again
    assert sites.SchoolSite.objects.filter(school=cast.school).count() == 1
    pub = _publish(cast, photos[0], places=["https://school.example/news"])
    teacher = signed_in(cast.teacher)
    shown = teacher.post(
        _page(cast, pub), {"url": "https://school.example/news"}, follow=True
    ).content.decode()
    assert "That web address is already listed" in shown and "govuk-notification-banner--success" not in shown
    assert PublicationPlace.objects.filter(publication=pub).count() == 1


def test_take_it_down_without_a_reason_names_its_field(cast, photos):
    pub = _publish(cast, photos[0])
    url = reverse("publication_take_down", kwargs={"school": cast.school.slug, "pk": pub.pk})
    response = signed_in(cast.teacher).post(url, {"reason": "  "})
    shown = response.content.decode()
    assert response.status_code == 400
    assert f'href="#takedown-{pub.pk}"' in shown and "Say why it is being taken down" in shown
    assert f'id="takedown-{pub.pk}-error"' in shown and "At most 300 characters" in shown
    assert not pub.takedowns.exists()


def test_a_double_click_on_check_again_queues_one_check(cast, published, site, settings):
    takedown = take_down(cast, published)
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "checks"]}
    }  # the worker has not run the first yet
    url = reverse("takedown_check", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    teacher = signed_in(cast.teacher)
    teacher.post(url)
    second = teacher.post(url, follow=True).content.decode()
    assert "Already checking" in second
    assert PlaceCheck.objects.filter(takedown=takedown, result=R.WAITING).count() == 1


def test_the_note_made_from_the_checks_does_not_count_nothing():
    from saferstaff.photos.takedowns import _checked_note

    assert _checked_note(0, 2) == (
        "Checked by saferstaff: at 2 web addresses, senior management said the image found is not the withdrawn photo"
    )
    assert _checked_note(1, 1).startswith(
        "Checked by saferstaff: gone from 1 web address; at 1 more web address,"
    )


def test_the_limits_are_stated_and_a_text_too_long_is_refused_in_plain_words(cast, published, site):
    head = signed_in(cast.head)
    url = reverse("site_list", kwargs={"school": cast.school.slug})
    shown = head.post(url, {"url": "https://school.example/", "label": "x" * 101}).content.decode()
    assert "At most 100 characters" in shown and "Enter a name of at most 100 characters" in shown
    assert "Ensure this value" not in shown
    takedown = take_down(cast, published)
    shown = signed_in(cast.teacher).post(_done(cast, takedown), {"note": "x" * 501}).content.decode()
    assert "What you did: Enter at most 500 characters" in shown and "Ensure this value" not in shown


def test_a_takedown_done_recently_links_to_its_page_with_its_checks(cast, published, site):
    site.routes["/news"] = (200, "text/html", b"<html><body><h1>News</h1></body></html>")
    takedown = take_down(cast, published)
    from saferstaff.photos import takedowns

    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)
    listed = signed_in(cast.teacher).get(reverse("takedown_list", kwargs={"school": cast.school.slug}))
    assert f'href="{_done(cast, takedown)}"' in listed.content.decode()
