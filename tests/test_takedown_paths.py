"""§5: every way to the same state of a takedown obeys the same rules. Consent that stops being given without a
"no" (an answer lapsing, a guardian losing parental responsibility, a pupil reaching the age of their own say)
takes a live publication down as a "no" does; a pupil's record is not destroyed while their takedown is open; no
check is queued for a takedown already done; a publication's other takedowns closed with it on the checks say so;
a photo written into the page itself is compared like any other; the door that closes a takedown asks who may."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

import base64
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from saferstaff.consent.models import ConsentRecord
from saferstaff.imagematch import TooManyImages, images_in_html
from saferstaff.photos import checks, daily, takedowns
from saferstaff.photos.models import PlaceCheck, Publication, Takedown
from saferstaff.privacy import destruction
from saferstaff.privacy.models import DueRecord
from saferstaff.rules.engine import Refused
from saferstaff.schools.models import Guardianship, SchoolSettings

from .conftest import signed_in
from .test_publication_places import _files, _publish, photos  # noqa: F401
from .test_takedown_checks import copy_as_found, latest, page, published, site, take_down  # noqa: F401

# --- Consent no longer given, with no "no" said ------------------------------------------------------------


def lapsed(cast, noah) -> datetime.date:
    """The day after the website answer's expiry (an annual answer lapses after 31 August)."""
    expiry = ConsentRecord.objects.get(pupil=noah, purpose__code="website").expires_on
    return expiry + datetime.timedelta(days=1)


def lost_responsibility(cast, noah) -> None:
    link = Guardianship.objects.get(pupil=noah)
    link.parental_responsibility = False  # the only parent who said yes (a court order, a roster correction)
    link.save()


def own_say(cast, noah) -> None:
    """Noah (7) is now of the age at which his own yes is needed for publicity, and has not given it."""
    school_settings = SchoolSettings.for_school(cast.school)
    school_settings.pupil_voice_age = 5
    school_settings.save()


@pytest.mark.parametrize("path", [lapsed, lost_responsibility, own_say])
def test_consent_no_longer_given_without_a_no_takes_the_publication_down(cast, photos, path):
    pub = _publish(cast, photos[0])
    noah = pub.pupils.get().pupil
    assert takedowns.take_down_unconsented() == 0  # consent given: nothing
    on = path(cast, noah)
    assert takedowns.take_down_unconsented(on) == 1
    takedown = Takedown.objects.get()
    assert (takedown.publication, takedown.pupil, takedown.assigned_to, takedown.done_at) == (
        pub, noah, cast.teacher, None,
    )  # fmt: skip
    assert takedowns.take_down_unconsented(on) == 0  # raised once
    # The publisher reads why, as it is: nobody said "no" here, so the page does not say consent was withdrawn.
    url = reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    shown = signed_in(cast.teacher).get(url).content.decode()
    assert "§5" in takedown.reason and escape(takedown.reason) in shown
    assert "withdrawn" not in takedown.reason and "was withdrawn" not in shown


def test_the_daily_job_raises_them(cast, photos):
    pub = _publish(cast, photos[0])
    lost_responsibility(cast, pub.pupils.get().pupil)
    said = list(daily.daily())
    assert Takedown.objects.filter(publication=pub, done_at__isnull=True).count() == 1
    assert any(line.startswith("1 takedowns raised") for line in said)


def test_a_publication_taken_down_already_or_still_consented_is_left_alone(cast, photos):
    kept, gone = _publish(cast, photos[0]), _publish(cast, photos[1])
    take_down(cast, gone)
    takedowns.finish_takedown(Takedown.objects.get(publication=gone), by=cast.teacher, note="Removed")
    assert takedowns.take_down_unconsented() == 0
    lost_responsibility(cast, kept.pupils.get().pupil)
    assert takedowns.take_down_unconsented() == 1
    assert Takedown.objects.filter(publication=gone).count() == 1  # only the one by hand, done


def test_a_days_lapses_tell_each_publisher_once(cast, photos):
    """1 September lapses every annual answer at once: each publisher gets one notice for the day's takedowns of
    the school, not one per pupil."""
    from saferstaff.notifications.models import Notification
    from saferstaff.photos.models import ImageTag

    from .image_samples import pupil_with_parents
    from .test_images_flows import consent

    ava, (mum,) = pupil_with_parents(cast.school, "Ava", "Stone")
    consent(ava, mum, "learning_records")
    consent(ava, mum, "website", "yes", "portal")
    ImageTag.objects.create(school=cast.school, image=photos[0], pupil=ava, tagged_by=cast.teacher)
    pubs = [_publish(cast, photos[0]), _publish(cast, photos[1])]
    told = Notification.objects.filter(user=cast.teacher, kind="images.takedown")
    before = told.count()
    own_say(cast, None)  # Noah and Ava, 7, now need their own yes for the website, and neither gave it
    assert takedowns.take_down_unconsented() == 3  # Noah in both photos, Ava in the first
    assert Takedown.objects.filter(publication__in=pubs, done_at__isnull=True).count() == 3
    assert told.count() == before + 1
    assert told.latest("pk").title == "Consent is missing: take down 3 published images (§5)"


# --- A pupil's record destroyed -------------------------------------------------------------------------------


def _due_pupil(cast, pupil) -> None:
    DueRecord.objects.create(school=cast.school, record_type="pupils", record_id=str(pupil.pk),
                             due_on=timezone.localdate(), status="confirmed")  # fmt: skip


def test_a_pupil_whose_takedown_is_open_is_kept_until_it_is_done(cast, published, site):
    pupil = published.pupils.get().pupil
    assert takedowns.raise_for(cast.school, pupil, Publication.objects.filter(pk=published.pk)) == 1
    takedown = Takedown.objects.get(pupil=pupil)
    assert checks.still_there(takedown)  # the photo is still on the page
    _due_pupil(cast, pupil)
    assert destruction.destroy_confirmed(school_id=cast.school.pk)["kept"] == 1
    assert Takedown.objects.filter(pk=takedown.pk, done_at__isnull=True).exists()
    assert PlaceCheck.objects.filter(takedown=takedown).exists()  # its proof stays with it
    # Once it has come down, the pupil's record goes, the takedown with it.
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    checks.queue_checks(takedown)
    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)
    DueRecord.objects.filter(record_type="pupils").update(status="confirmed")
    assert destruction.destroy_confirmed(school_id=cast.school.pk)["destroyed"] == 1
    assert not Takedown.objects.filter(pk=takedown.pk).exists()


# --- Checks and closing ---------------------------------------------------------------------------------------


def test_no_check_is_queued_for_a_takedown_already_done(cast, published, site):
    """The daily chase reads its list of open takedowns, then queues each one's checks: one closed in between
    gets none (its result, "still there" or not, would tell nobody)."""
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    takedown = take_down(cast, published)
    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)
    before = PlaceCheck.objects.count()
    assert checks.queue_checks(takedown) == []
    assert PlaceCheck.objects.count() == before


def test_every_takedown_of_a_publication_closed_on_the_checks_says_so(cast, published, site):
    pupil = published.pupils.get().pupil
    takedowns.raise_for(cast.school, pupil, Publication.objects.filter(pk=published.pk))
    by_hand = take_down(cast, published)
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    checks.queue_checks(by_hand)
    takedowns.finish_takedown(by_hand, by=cast.teacher, on_checks=True)
    assert list(Takedown.objects.values_list("closed_on_checks", flat=True)) == [True, True]


def test_a_photo_written_into_the_page_is_compared_and_a_placeholder_is_not_a_photo(cast, published, site):
    placeholder = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/other.jpg" alt="">'
    written = base64.b64encode(copy_as_found(published)).decode()
    body = f'{placeholder}<img src="data:image/jpeg;base64,{written}" alt="">'
    site.routes["/news"] = (200, "text/html", f"<html><body>{body}</body></html>".encode())
    takedown = take_down(cast, published)
    check = latest(takedown)
    assert check.result == PlaceCheck.Result.STILL_THERE
    assert check.found_url == f"{site.base}/news#inline-image-3"
    site.routes["/news"] = (200, "text/html", f"<html><body>{placeholder}</body></html>".encode())
    checks.queue_checks(takedown)
    assert latest(takedown).result == PlaceCheck.Result.GONE


def test_images_written_into_a_page_are_listed_when_asked_and_counted_apart_from_those_fetched():
    html = "".join(
        f'<img src="data:image/gif;base64,R0lGOD{i}" data-src="/p{i}.jpg" alt="">' for i in range(3)
    )
    base = "https://school.example/"
    fetched = [f"{base}p{i}.jpg" for i in range(3)]
    assert images_in_html(html, base, limit=3) == fetched  # the sweep's list: addresses to fetch
    listed = images_in_html(html, base, limit=3, inline=True)
    assert [u for u in listed if u.startswith("https:")] == fetched and len(listed) == 6
    with pytest.raises(TooManyImages):
        images_in_html(html + '<img src="data:image/png;base64,iVBOR" alt="">', base, limit=3, inline=True)


def test_only_the_publisher_or_senior_management_closes_a_takedown_whoever_calls_the_door(
    cast, published, site
):
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    takedown = take_down(cast, published)  # the teacher's, found gone
    for someone in (cast.dsl, cast.office, cast.other_teacher):
        with pytest.raises(Refused, match="Only the person taking it down or senior management"):
            takedowns.finish_takedown(takedown, by=someone, on_checks=True)
    assert Takedown.objects.get(pk=takedown.pk).done_at is None
    takedowns.finish_takedown(takedown, by=cast.slt, on_checks=True)
    assert Takedown.objects.get(pk=takedown.pk).done_by == cast.slt
