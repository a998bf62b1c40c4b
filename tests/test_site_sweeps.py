"""§5: the weekly sweep of a school's own websites, on a real site on loopback. A photo published through
saferstaff whose consent was later withdrawn becomes a takedown with the page as its place (and the check finds it
still there); a library original never published, copied there by hand (resized, with a caption bar), is reported
to senior management naming the page and the image; an unrelated photo is nothing."""

# ruff: noqa: F811  (``photos`` is a fixture imported from test_publication_places)

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from saferstaff.audit.models import AuditEvent
from saferstaff.consent.services import Answer, record_answers
from saferstaff.notifications.models import Notification
from saferstaff.photos import sites
from saferstaff.photos.models import (
    Image,
    PlaceCheck,
    PublicationPlace,
    SchoolSite,
    SiteSweep,
    Takedown,
)
from saferstaff.rules.engine import Refused

from .conftest import signed_in
from .image_samples import purpose
from .loopback_site import html, serve
from .photo_scenes import captioned, resized

# The photos fixture (two photos of Noah, website consent given), and the one that runs after-commit work at once.
from .test_publication_places import _files, _publish, photos  # noqa: F401


def jpeg(image: PILImage.Image, quality: int = 75) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def opened(field) -> PILImage.Image:
    with field.open("rb") as f:
        return PILImage.open(io.BytesIO(f.read())).convert("RGB")


def unrelated() -> bytes:
    return jpeg(PILImage.effect_mandelbrot((400, 300), (-2, -1.2, 1, 1.2), 60))


@pytest.fixture
def website(settings):
    settings.CAPTURE_ALLOW_LOOPBACK = True
    settings.SITE_SWEEP_LIMITS = {"max_pages": 20, "max_seconds": 60.0, "delay": 0.0}
    server = serve({})
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def school_site(cast, photos, website):
    """/ links /news (the published copy, re-encoded, beside an unrelated photo) and /gallery (image 2, never
    published, resized to half with a caption bar added)."""
    pub = _publish(cast, photos[0])
    copy = opened(pub.copy)
    website.routes.update(
        {
            "/": html('<a href="/news">News</a> <a href="/gallery">Gallery</a>'),
            "/news": html('<img src="/img/other.jpg" alt=""><img src="/img/ours.jpg" alt="">'),
            "/gallery": html('<img src="/img/copied.jpg" alt="">'),
            "/img/ours.jpg": (200, "image/jpeg", jpeg(copy.resize((copy.width * 3 // 5, copy.height * 3 // 5)))),
            "/img/other.jpg": (200, "image/jpeg", unrelated()),
            "/img/copied.jpg": (
                200, "image/jpeg", jpeg(captioned(resized(opened(photos[1].original), 0.5), 0.12, top=False), 70),
            ),
        }
    )  # fmt: skip
    sites.add_site(cast.school, website.url + "/", label="School website", by=cast.head)
    return pub


def withdraw(cast, pupil):
    record_answers(
        cast.school, [Answer(pupil, purpose(cast.school, "website"), "no")],
        source="guardian", method="phone", guardian=pupil.guardianships.first().guardian,
    )  # fmt: skip


def test_a_photo_whose_consent_was_withdrawn_is_found_and_its_takedown_gets_the_page_as_a_place(
    cast, photos, website, school_site
):
    pub = school_site
    noah = pub.pupils.get().pupil
    withdraw(cast, noah)
    takedown = Takedown.objects.get(publication=pub)  # the withdrawal raised it, with nowhere to check yet
    assert not pub.places.exists()

    assert sites.queue_due_sweeps() == 1  # the weekly job: run at once here
    assert sites.queue_due_sweeps() == 0  # not again within the week

    news, ours = f"{website.url}/news", f"{website.url}/img/ours.jpg"
    assert set(pub.places.values_list("url", flat=True)) == {news, ours}
    assert Takedown.objects.filter(publication=pub).get() == takedown
    checked = PlaceCheck.objects.filter(takedown=takedown)
    assert {c.result for c in checked} == {PlaceCheck.Result.STILL_THERE}
    sweep = SiteSweep.objects.get()
    assert sweep.finished_at is not None
    assert {"kind": "withdrawn", "page": news, "image": ours, "publication": pub.pk} in sweep.findings
    assert sweep.summary["withdrawn"] == 1 and sweep.summary["takedowns_raised"] == 0


def test_a_photo_past_its_retention_period_found_there_becomes_a_takedown_for_its_publisher(
    cast, photos, website, school_site
):
    pub = school_site
    Image.objects.filter(pk=pub.image_id).update(destruction_queued_at=timezone.now())
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    takedown = Takedown.objects.get(publication=pub)
    assert (takedown.assigned_to, takedown.pupil, takedown.reason) == (cast.teacher, None, sites.EXPIRED)
    assert f"{website.url}/news" in set(pub.places.values_list("url", flat=True))
    assert sweep.summary["takedowns_raised"] == 1
    assert Notification.objects.filter(user=cast.teacher, kind="images.takedown").exists()


def test_a_copy_taken_down_that_comes_back_on_the_site_is_taken_down_again(
    cast, photos, website, school_site
):
    """A takedown closed, and the photo put back on the school's website (or a page restored): the sweep finds
    the copy by the fingerprint kept after its file was deleted, and raises a new takedown for its publisher."""
    from saferstaff.photos import takedowns

    pub = school_site
    first = takedowns.take_down(pub, by=cast.head, reason="Taken off the website")
    takedowns.finish_takedown(first, by=cast.teacher, note="Removed from the news page")
    pub.refresh_from_db()
    assert pub.taken_down_at is not None and not pub.copy  # our copy deleted; its fingerprint kept
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    again = Takedown.objects.filter(publication=pub, done_at__isnull=True).get()
    assert (again.assigned_to, again.pupil) == (cast.teacher, None) and "again" in again.reason
    assert f"{website.url}/img/ours.jpg" in set(pub.places.values_list("url", flat=True))
    assert sweep.summary["taken_down"] == 1 and sweep.summary["takedowns_raised"] == 1
    assert {"kind": "taken_down", "page": f"{website.url}/news", "image": f"{website.url}/img/ours.jpg",
            "publication": pub.pk} in sweep.findings  # fmt: skip


def test_an_original_never_published_copied_there_by_hand_is_told_to_senior_management_never_taken_down(
    cast, photos, website, school_site
):
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    page, image = f"{website.url}/gallery", f"{website.url}/img/copied.jpg"
    (hashes,) = [f.pop("hashes") for f in sweep.findings]  # the image found's own, so it is told once
    assert len(hashes) == 2 and all(len(h) == 16 for h in hashes)
    assert sweep.findings == [{"kind": "original", "page": page, "image": image, "image_id": photos[1].pk}]
    for leader in (cast.head, cast.slt):
        told = Notification.objects.get(user=leader, kind="images.site_sweep.found")
        assert page in told.title and image in told.title
    assert not Notification.objects.filter(user=cast.teacher, kind="images.site_sweep.found").exists()
    assert not Takedown.objects.exists() and not PublicationPlace.objects.exists()
    # The unrelated photo, and the published copy whose consent stands, are nothing.
    assert sweep.summary["findings"] == 1 and sweep.summary["images"] == 3
    assert sweep.summary["originals"] == 1 and sweep.summary["originals_left_out"] == 0
    done = AuditEvent.objects.get(action="images.site_sweep.done")
    assert done.detail["flags"] == 1


def test_the_originals_looked_for_are_capped_and_the_summary_says_how_many_were_left_out(
    cast, photos, website, school_site, settings
):
    settings.SITE_SWEEP_ORIGINALS = 0
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    assert sweep.findings == [] and sweep.summary["originals_left_out"] == 1


def test_the_sites_page_lists_adds_and_removes_for_senior_management_only(cast, photos, website, school_site):
    url = reverse("site_list", kwargs={"school": cast.school.slug})
    head = signed_in(cast.head)
    page = head.get(url)
    assert (
        page.status_code == 200
        and website.url in page.content.decode()
        and "Not checked yet." in page.content.decode()
    )
    assert head.post(url, {"url": "https://school.example/", "label": "Blog"}).status_code == 302
    assert SchoolSite.objects.filter(
        school=cast.school, url="https://school.example/", added_by=cast.head
    ).exists()
    again = head.post(url, {"url": "https://school.example/", "label": "Blog"}, follow=True).content.decode()
    assert "already listed" in again and SchoolSite.objects.filter(url="https://school.example/").count() == 1
    site = SchoolSite.objects.get(url="https://school.example/")
    asked = head.post(url, {"action": "remove", "site": site.pk})  # asked first, on a page of its own
    assert asked.status_code == 200 and "Remove this website?" in asked.content.decode()
    assert SchoolSite.objects.filter(pk=site.pk).exists()
    assert head.post(url, {"action": "remove", "site": site.pk, "confirm": "yes"}).status_code == 302
    assert not SchoolSite.objects.filter(pk=site.pk).exists()
    assert AuditEvent.objects.filter(action__in=["images.site.added", "images.site.removed"]).count() == 3


def test_a_sweep_that_could_read_no_page_says_so_and_why_never_that_nothing_was_found(
    cast, photos, website, school_site, settings
):
    """The site was added while it could be reached; now saferstaff may not fetch it (here: loopback refused, as
    in production) — the page must not read as a clean site."""
    settings.CAPTURE_ALLOW_LOOPBACK = False
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    assert sweep.summary["pages"] == 0 and sweep.summary["refused"]
    page = (
        signed_in(cast.head).get(reverse("site_list", kwargs={"school": cast.school.slug})).content.decode()
    )
    assert "No page of the website could be read (not a public address)" in page
    assert "nothing found that the school must not show" not in page
    settings.CAPTURE_ALLOW_LOOPBACK = True  # and one that read the site lists what it did not read
    website.routes["/gallery"] = (500, "text/html", b"broken")
    sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    page = (
        signed_in(cast.head).get(reverse("site_list", kwargs={"school": cast.school.slug})).content.decode()
    )
    assert "Not read: 1 × HTTP 500." in page


def test_wrong_role_cannot_add_a_site(cast, photos, website, school_site):
    url = reverse("site_list", kwargs={"school": cast.school.slug})
    assert signed_in(cast.teacher).post(url, {"url": "https://school.example/"}).status_code == 403
    with pytest.raises(Refused):
        sites.add_site(cast.school, "https://school.example/", by=cast.teacher)
    assert SchoolSite.objects.filter(school=cast.school).count() == 1


@pytest.mark.parametrize(
    "bad", ["ftp://school.example/", "https://user:pw@school.example/", "not an address", ""]
)
def test_a_bad_address_gives_a_field_error(cast, bad):
    url = reverse("site_list", kwargs={"school": cast.school.slug})
    page = signed_in(cast.head).post(url, {"url": bad})
    assert page.status_code == 400
    assert page.context["form"].errors["url"]
    assert 'href="#id_url"' in page.content.decode()
    assert not SchoolSite.objects.exists()


def test_another_schools_site_cannot_be_removed_and_a_failed_sweep_is_not_left_running(
    cast, photos, website, school_site, monkeypatch
):
    theirs = SchoolSite.objects.create(school=cast.other_school, url="https://other.example/")
    url = reverse("site_list", kwargs={"school": cast.school.slug})
    assert signed_in(cast.head).post(url, {"action": "remove", "site": theirs.pk}).status_code == 404
    assert SchoolSite.objects.filter(pk=theirs.pk).exists()

    def broken(*args, **kwargs):
        raise RuntimeError("index broke")

    monkeypatch.setattr(sites, "not_to_show", broken)
    sweep = SiteSweep.objects.create(school=cast.school)
    with pytest.raises(RuntimeError):
        sites.run_sweep(sweep.pk)
    sweep.refresh_from_db()
    assert sweep.finished_at is not None and sweep.summary["stopped"]
    shown = signed_in(cast.head).get(url).content.decode()
    assert "Stopped early: the check failed inside saferstaff." in shown and "images checked" not in shown
