"""§5: what the weekly sweep of the school's own websites does with a takedown that changes under it — closed by
its publisher while the sweep runs, raised at the same moment by a guardian's withdrawal or another sweep — and
that one finding failing never loses the others."""

# ruff: noqa: F811  (fixtures imported from the other test files)

import threading

import pytest
from django.db import connection
from django.urls import reverse

from saferstaff.notifications.models import Notification
from saferstaff.photos import checks, places, sites, takedowns
from saferstaff.photos.models import PlaceCheck, Publication, Takedown

from .conftest import signed_in
from .photo_scenes import captioned, resized
from .test_publication_places import _files, photos  # noqa: F401
from .test_site_sweeps import jpeg, opened, school_site, website, withdraw  # noqa: F401
from .test_takedown_checks import published, site  # noqa: F401


def _closed_during_the_sweep(cast, monkeypatch, takedown):
    """The publisher closes the takedown after the sweep built its index and before it acts on its findings."""
    built = sites.not_to_show

    def then_closed(*args, **kwargs):
        found = built(*args, **kwargs)
        takedowns.finish_takedown(takedown, by=cast.teacher, note="Removed from the news page")
        return found

    monkeypatch.setattr(sites, "not_to_show", then_closed)


def test_a_takedown_closed_while_the_sweep_runs_is_reopened_and_the_sweep_finishes(
    cast, photos, website, school_site, monkeypatch
):
    pub = school_site
    noah = pub.pupils.get().pupil
    withdraw(cast, noah)
    takedown = Takedown.objects.get(publication=pub, pupil=noah)
    _closed_during_the_sweep(cast, monkeypatch, takedown)
    Notification.objects.all().delete()

    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)

    assert sweep.finished_at is not None and not sweep.summary["stopped"]
    reopened = Takedown.objects.get(publication=pub)  # the same one, open again: the photo is still there
    assert reopened.pk == takedown.pk and reopened.done_at is None and reopened.pupil == noah
    assert sweep.summary["takedowns_raised"] == 1 and sweep.summary["failed"] == 0
    assert Notification.objects.filter(user=cast.teacher, kind="images.takedown").exists()
    assert {f["kind"] for f in sweep.findings} == {"withdrawn", "original"}  # the others were kept


def test_one_finding_failing_does_not_lose_the_others(cast, photos, website, school_site, monkeypatch):
    withdraw(cast, school_site.pupils.get().pupil)

    def broken(*args, **kwargs):
        raise RuntimeError("raising broke")

    monkeypatch.setattr(takedowns, "raise_found", broken)
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    assert sweep.finished_at is not None and sweep.summary["failed"] == 1
    assert sweep.summary["flags"] == 1  # the original never published was still told
    assert Notification.objects.filter(user=cast.head, kind="images.site_sweep.found").exists()


@pytest.mark.django_db(transaction=True)
def test_two_raisers_of_the_same_publication_and_pupil_at_once_make_one_takedown(
    cast, photos, website, school_site
):
    """Two sweeps (or a sweep and a guardian's withdrawal) raising for the same publication and pupil at once:
    the publication is locked by the door, so the second finds the first's takedown (on SQLite the write
    transaction itself is the lock: it begins IMMEDIATE)."""
    pub = school_site
    noah = pub.pupils.get().pupil
    barrier, errors, got = threading.Barrier(2), [], []

    def raise_one():
        try:
            barrier.wait(timeout=10)
            got.append(takedowns.raise_found(pub, [], pupil=noah, reason="Found")[0].pk)
        except Exception as problem:  # noqa: BLE001  the test says which
            errors.append(problem)
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and len(set(got)) == 1
    assert Takedown.objects.filter(publication=pub, pupil=noah).count() == 1


def test_an_image_senior_management_overruled_is_not_found_again_until_it_changes(
    cast, photos, website, school_site
):
    """Overruled ("not the withdrawn photo") at the image's own address and closed: the weekly sweep finds the same
    image (address and hashes) and raises nothing; a changed image at that address is a new finding."""
    pub = school_site
    ours = f"{website.url}/img/ours.jpg"
    places.add_place(pub, ours, by=cast.teacher)
    takedown = takedowns.take_down(pub, by=cast.head, reason="A parent asked")
    (check,) = checks.latest(takedown).values()
    assert check.result == PlaceCheck.Result.STILL_THERE and check.found_url == ours
    checks.overrule(check, by=cast.head, reason="Another photo of the same class; all consented")
    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)

    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    assert sweep.summary["takedowns_raised"] == 0 and sweep.summary["overruled"] == 1
    assert not Takedown.objects.filter(publication=pub, done_at__isnull=True).exists()
    assert not [f for f in sweep.findings if f["kind"] == "taken_down"]
    shown = (
        signed_in(cast.head).get(reverse("site_list", kwargs={"school": cast.school.slug})).content.decode()
    )
    assert "1 image was left alone: senior management had said it is not the withdrawn photo." in shown

    copy = opened(pub.image.original)
    website.routes["/img/ours.jpg"] = (200, "image/jpeg", jpeg(captioned(resized(copy, 0.5), 0.12, top=True)))
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    assert sweep.summary["takedowns_raised"] == 1
    assert Takedown.objects.filter(publication=pub, done_at__isnull=True).exists()


def test_a_photo_never_published_is_told_to_senior_management_once_until_it_changes(
    cast, photos, website, school_site
):
    def told():
        return Notification.objects.filter(user=cast.head, kind="images.site_sweep.found").count()

    for _ in range(2):
        sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    assert told() == 1  # the same image (by its hashes) at the next weekly sweep: not told again
    changed = captioned(resized(opened(photos[1].original), 0.4), 0.2, top=True)
    website.routes["/img/copied.jpg"] = (200, "image/jpeg", jpeg(changed))
    sweep = sites.run_sweep(sites.queue_sweep(cast.school.pk).pk)
    assert sweep.summary["flags"] == 1 and told() == 2  # changed: told again


def test_a_reopened_takedown_closed_again_with_a_screenshot_leaves_one_file(cast, published, site):
    """The screenshot of the first close is replaced by the second's, and the first file deleted: no stored copy
    of a page showing a pupil is left without its row."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_takedown_evidence_files import stored

    pupil = published.pupils.get().pupil
    takedowns.raise_for(cast.school, pupil, Publication.objects.filter(pk=published.pk))
    takedown = Takedown.objects.get(pupil=pupil)
    site.routes["/news"] = (404, "text/html", b"gone")
    checks.queue_checks(takedown)
    shot = SimpleUploadedFile("shot.pdf", b"%PDF-1.4 first", content_type="application/pdf")
    takedowns.finish_takedown(takedown, by=cast.teacher, note="Removed from the news page", evidence=shot)
    again, raised = takedowns.raise_found(published, [], pupil=pupil, reason="Found on the school's website")
    assert raised and again.pk == takedown.pk and again.done_at is None
    shot = SimpleUploadedFile("shot.pdf", b"%PDF-1.4 second", content_type="application/pdf")
    takedowns.finish_takedown(again, by=cast.teacher, note="Removed from the news page again", evidence=shot)
    again.refresh_from_db()
    assert stored("takedown-evidence") == [again.evidence.name]
