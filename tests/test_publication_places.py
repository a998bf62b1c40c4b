"""§5: where a published copy appears. Its fingerprint is kept at publication (what a check of a takedown
compares found images with), and its places — the web addresses it went to — are recorded when it is
published and on its page, through one door each way, audited with ids only."""

import io

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from saferstaff.audit.models import AuditEvent
from saferstaff.imagematch import Fingerprint, fingerprint, same_photo
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag, Publication, PublicationPlace
from saferstaff.photos.places import add_place, clean_url, remove_place
from saferstaff.publishing import services as publishing
from saferstaff.publishing.models import PublicationRequest
from saferstaff.rules.engine import Refused

from .conftest import signed_in
from .image_samples import SCHOOL_CAMERA, add_device, approved_activity, pupil_with_parents, purpose
from .test_images_flows import consent


@pytest.fixture(autouse=True)
def _files(storage, monkeypatch):
    from django.db import transaction

    # File deletions run after commit; in a test nothing commits, so run them at once.
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
    return storage


def textured_jpeg(seed: int) -> bytes:
    """A photo with something in it (blocks of random shades, smoothed), with the school camera's EXIF: a
    plain colour would give every photo the same fingerprint."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    im = PILImage.fromarray(blocks).resize((640, 480), PILImage.Resampling.BICUBIC)
    exif = im.getexif()
    exif[0x010F], exif[0x0110] = SCHOOL_CAMERA["make"], SCHOOL_CAMERA["model"]
    exif.get_ifd(0x8769)[0xA431] = SCHOOL_CAMERA["serial"]
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


@pytest.fixture
def photos(cast):
    """Two photos of Noah (website consent given), uploaded by the teacher for an approved activity."""
    noah, (dad,) = pupil_with_parents(cast.school, "Noah", "Reed")
    consent(noah, dad, "learning_records")
    consent(noah, dad, "website", "yes", "portal")
    add_device(cast.school)
    activity = approved_activity(cast.school, cast.teacher, cast.slt, pupils=[noah])
    images = add_images(activity, [("a.jpg", textured_jpeg(1)), ("b.jpg", textured_jpeg(2))], by=cast.teacher)
    for image in images:
        ImageTag.objects.create(school=cast.school, image=image, pupil=noah, tagged_by=cast.teacher)
    return images


def _publish(cast, image, **kwargs) -> Publication:
    return publishing.check_and_publish(
        image, purpose(cast.school, "website"), "News", by=cast.teacher, **kwargs
    )


def _page(cast, pub) -> str:
    return reverse("publication_detail", kwargs={"school": cast.school.slug, "pk": pub.pk})


# --- The fingerprint ------------------------------------------------------------------------------------


def test_a_published_photo_keeps_a_fingerprint_that_matches_its_copy_and_not_another_photo(cast, photos):
    pub = _publish(cast, photos[0])
    kept = Fingerprint.from_bytes(bytes(pub.fingerprint))
    with pub.copy.open("rb") as f:
        copy = f.read()
    assert same_photo(kept, fingerprint(copy))
    with photos[1].original.open("rb") as f:
        assert not same_photo(kept, fingerprint(f.read()))


def test_the_command_fingerprints_copies_published_before_and_skips_those_taken_down(cast, photos):
    old, gone = _publish(cast, photos[0]), _publish(cast, photos[1])
    Publication.objects.filter(pk__in=[old.pk, gone.pk]).update(fingerprint=b"")
    Publication.objects.filter(pk=gone.pk).update(taken_down_at=timezone.now())
    out = io.StringIO()
    call_command("fingerprint_publications", stdout=out)
    assert "Fingerprinted 1;" in out.getvalue() and "still without a fingerprint 0" in out.getvalue()
    old.refresh_from_db()
    gone.refresh_from_db()
    with old.copy.open("rb") as f:
        assert same_photo(Fingerprint.from_bytes(bytes(old.fingerprint)), fingerprint(f.read()))
    assert bytes(gone.fingerprint) == b""
    event = AuditEvent.objects.get(action="images.publications.fingerprinted")
    assert (event.school_id, event.detail) == (cast.school.pk, {"count": 1})
    again = io.StringIO()
    call_command("fingerprint_publications", stdout=again)  # nothing left: nothing done, nothing recorded
    assert "Fingerprinted 0;" in again.getvalue()
    assert AuditEvent.objects.filter(action="images.publications.fingerprinted").count() == 1


# --- Web addresses: one check -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, words",
    [
        ("javascript:alert(1)", "https:// or http://"),
        ("ftp://school.example/photo.jpg", "https:// or http://"),
        ("http://user:pw@school.example/", "user name or password"),
        ("https://school.example/sports day", "without spaces"),
        ("https://", "website's name"),
        ("https://school.example/" + "a" * (2001 - 23), "at most 2,000 characters"),
        ("https://evil.example\\.school.example/", "website's name"),  # a browser would go to evil.example
        ("http://10.0.0.7/photos", "public web"),
        ("http://127.0.0.1:8000/", "public web"),
        ("http://[::1]/", "public web"),
        ("http://localhost:8000/news", "public web"),
        ("https://intranet.localhost./", "public web"),
    ],
)
def test_a_bad_web_address_is_refused_saying_what_is_wrong(url, words):
    with pytest.raises(ValidationError) as problem:
        clean_url(url)
    assert words in problem.value.messages[0]


def test_a_good_web_address_is_kept_as_given_or_encoded():
    longest = "https://school.example/" + "a" * (2000 - 23)
    assert clean_url(longest) == longest
    assert clean_url(" HTTPS://School.example/news?id=3 ") == "https://school.example/news?id=3"
    assert clean_url("https://école.example/été") == "https://xn--cole-9oa.example/%C3%A9t%C3%A9"
    assert clean_url("http://[2606:4700::1111]:8080/news") == "http://[2606:4700::1111]:8080/news"


def test_a_publication_lists_at_most_twenty_web_addresses_by_either_door(cast, photos):
    from saferstaff.photos.places import MAX_PLACES

    pub = _publish(cast, photos[0])
    for n in range(MAX_PLACES):
        add_place(pub, f"https://school.example/news/{n}", by=cast.teacher)
    add_place(pub, "https://school.example/news/0", by=cast.teacher)  # already listed: no change
    with pytest.raises(Refused, match="at most 20 web addresses"):
        add_place(pub, "https://school.example/news/one-more", by=cast.teacher)
    assert PublicationPlace.objects.filter(publication=pub).count() == MAX_PLACES
    page = signed_in(cast.teacher).post(
        _page(cast, pub), {"action": "add", "url": "https://school.example/x"}
    )
    assert page.status_code == 409 and "at most 20 web addresses" in page.content.decode()


# --- Every path to a place --------------------------------------------------------------------------------


def test_web_addresses_given_on_the_publish_form_become_places_of_the_publication(cast, photos):
    teacher = signed_in(cast.teacher)
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": photos[0].pk})
    lines = "https://school.example/news/1\r\n\r\n  \r\nhttps://school.example/newsletter.pdf\r\nhttps://school.example/news/1"
    response = teacher.post(
        url, {"channel": purpose(cast.school, "website").pk, "where": "News", "places": lines}
    )
    assert response.status_code == 302
    assert PublicationRequest.objects.get().places == [
        "https://school.example/news/1",
        "https://school.example/newsletter.pdf",
    ]
    assert "https://school.example/newsletter.pdf" in teacher.get(response["Location"]).content.decode()
    assert teacher.post(response["Location"], {"action": "publish"}).status_code == 302
    pub = Publication.objects.get()
    assert [p.url for p in pub.places.all()] == [
        "https://school.example/news/1",
        "https://school.example/newsletter.pdf",
    ]
    assert {p.added_by_id for p in pub.places.all()} == {cast.teacher.pk}
    events = AuditEvent.objects.filter(action="images.publication.place_added")
    assert [e.detail for e in events] == [{"publication": pub.pk}] * 2
    assert {e.object_id for e in events} == {str(p.pk) for p in pub.places.all()}


def test_bad_web_addresses_on_the_publish_form_name_the_field_and_the_line(cast, photos):
    teacher = signed_in(cast.teacher)
    url = reverse("image_publish", kwargs={"school": cast.school.slug, "pk": photos[0].pk})
    lines = "https://school.example/ok\njavascript:alert(1)\n\nftp://x.example/\nhttp://user:pw@x.example/\nhttps://x.example/a b"
    response = teacher.post(
        url, {"channel": purpose(cast.school, "website").pk, "where": "News", "places": lines}
    )
    assert response.status_code == 200 and not PublicationRequest.objects.exists()
    page = response.content.decode()
    for n in (2, 4, 5, 6):
        assert f"Web addresses, line {n}:" in page
    assert "line 1:" not in page and "line 3:" not in page
    too_long = "https://x.example/" + "a" * 1983
    response = teacher.post(
        url, {"channel": purpose(cast.school, "website").pk, "where": "News", "places": too_long}
    )
    assert (
        "Web addresses, line 1: Enter a web address of at most 2,000 characters" in response.content.decode()
    )


def test_the_publisher_adds_and_removes_a_place_on_the_publication_page(cast, photos):
    pub = _publish(cast, photos[0])
    teacher = signed_in(cast.teacher)
    register = teacher.get(reverse("publication_list", kwargs={"school": cast.school.slug})).content.decode()
    assert _page(cast, pub) in register
    assert (
        teacher.post(_page(cast, pub), {"action": "add", "url": "https://school.example/gallery"}).status_code
        == 302
    )
    page = teacher.get(_page(cast, pub)).content.decode()
    assert 'href="https://school.example/gallery" rel="noopener noreferrer"' in page and "Remove" in page
    bad = teacher.post(_page(cast, pub), {"action": "add", "url": "javascript:alert(1)"})
    assert (
        bad.status_code == 400
        and "Web address where this copy appears: Enter the web address with https://" in bad.content.decode()
    )
    empty = teacher.post(_page(cast, pub), {"action": "add", "url": ""})
    assert "Enter the web address where this copy appears" in empty.content.decode()
    place = PublicationPlace.objects.get()
    assert teacher.post(_page(cast, pub), {"action": "remove", "place": "x"}).status_code == 404
    assert teacher.post(_page(cast, pub), {"action": "remove", "place": place.pk}).status_code == 302
    assert not PublicationPlace.objects.exists()
    removed = AuditEvent.objects.get(action="images.publication.place_removed")
    assert (removed.object_id, removed.detail) == (str(place.pk), {"publication": pub.pk})


def test_who_may_open_a_publication_page_and_who_may_change_its_places(cast, photos):
    pub = _publish(cast, photos[0])
    add = {"action": "add", "url": "https://school.example/x"}
    for user in (cast.office, cast.line_manager):  # staff who did not publish it
        assert signed_in(user).get(_page(cast, pub)).status_code == 403
        assert signed_in(user).post(_page(cast, pub), add).status_code == 403
    assert signed_in(cast.volunteer).get(_page(cast, pub)).status_code == 403  # not in the access map
    assert signed_in(cast.other_teacher).get(_page(cast, pub)).status_code == 404  # another school's
    # The DSL sees every publication, as in the register, but changes none but their own.
    dsl = signed_in(cast.dsl)
    assert "Add the web address" not in dsl.get(_page(cast, pub)).content.decode()
    assert dsl.post(_page(cast, pub), add).status_code == 409 and not PublicationPlace.objects.exists()
    # Senior management adds one for the publisher.
    assert signed_in(cast.slt).post(_page(cast, pub), add).status_code == 302
    assert PublicationPlace.objects.get().added_by == cast.slt


def test_a_place_is_not_removed_once_the_copy_is_taken_down(cast, photos):
    pub = _publish(cast, photos[0], places=["https://school.example/news/1"])
    place = pub.places.get()
    Publication.objects.filter(pk=pub.pk).update(taken_down_at=timezone.now())
    pub.refresh_from_db()
    with pytest.raises(Refused) as refused:
        remove_place(place, by=cast.teacher)
    assert refused.value.decision.sections == ["§5"] and "taken down" in str(refused.value)
    teacher = signed_in(cast.teacher)
    assert teacher.post(_page(cast, pub), {"action": "remove", "place": place.pk}).status_code == 409
    assert "Remove" not in teacher.get(_page(cast, pub)).content.decode()
    assert PublicationPlace.objects.filter(pk=place.pk).exists()
    # Somewhere else it went can still be recorded, to be checked.
    add_place(pub, "https://elsewhere.example/", by=cast.teacher)
    assert pub.places.count() == 2


def test_the_doors_refuse_someone_who_neither_published_it_nor_leads_the_school(cast, photos):
    pub = _publish(cast, photos[0], places=["https://school.example/news/1"])
    with pytest.raises(Refused) as refused:
        add_place(pub, "https://school.example/x", by=cast.office)
    assert refused.value.decision.sections == ["§5"]
    with pytest.raises(Refused):
        remove_place(pub.places.get(), by=cast.office)
    with pytest.raises(Refused) as bad:
        add_place(pub, "javascript:alert(1)", by=cast.teacher)
    assert "https:// or http://" in str(bad.value)
    assert pub.places.count() == 1
    for event in AuditEvent.objects.filter(action__startswith="images.publication.place"):
        assert set(event.detail) == {"publication"}
