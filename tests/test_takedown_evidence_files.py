"""§5, §8: a check's WARC and a takedown's screenshot are kept exactly as long as their rows — a checked place is
never removed from under them; a pupil destroyed by the retention schedule, a school's rows deleted in bulk: the files go with the rows, none is
left over."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import RestrictedError
from django.utils import timezone

from saferstaff.photos import checks, takedowns
from saferstaff.photos.models import PlaceCheck, Publication, Takedown
from saferstaff.photos.places import remove_place
from saferstaff.privacy import destruction
from saferstaff.privacy.models import DueRecord
from saferstaff.rules.engine import Refused

from .test_publication_places import _files, photos  # noqa: F401
from .test_takedown_checks import latest, page, published, site, take_down  # noqa: F401


def stored(folder: str) -> list[str]:
    """Every file under ``folder`` in the store (the disk or S3)."""
    if not default_storage.exists(folder) and not default_storage.listdir(folder)[1]:
        return []
    dirs, files = default_storage.listdir(folder)
    return [f"{folder}/{f}" for f in files] + [n for d in dirs for n in stored(f"{folder}/{d}")]


def _two_checks(cast, takedown) -> list[str]:
    checks.queue_checks(takedown)
    names = [c.page.name for c in PlaceCheck.objects.filter(takedown=takedown)]
    assert len(names) == 2 and all(default_storage.exists(n) for n in names)
    return names


def test_a_checked_place_is_not_removed_so_its_checks_and_warcs_stay(cast, published, site):
    takedown = take_down(cast, published)
    names = _two_checks(cast, takedown)
    with pytest.raises(Refused):
        remove_place(latest(takedown).place, by=cast.teacher)
    with pytest.raises(RestrictedError):  # the model keeps them too, whatever deletes the place alone
        latest(takedown).place.delete()
    assert PlaceCheck.objects.count() == 2 and sorted(stored("takedown-checks")) == sorted(names)


def test_a_pupil_destroyed_by_the_retention_schedule_takes_their_takedown_and_its_files(
    cast, published, site
):
    pupil = published.pupils.get().pupil
    assert takedowns.raise_for(cast.school, pupil, Publication.objects.filter(pk=published.pk)) == 1
    takedown = Takedown.objects.get(pupil=pupil)
    takedown.evidence.save("shot.pdf", ContentFile(b"%PDF-1.4 screenshot"))
    _two_checks(cast, takedown)
    assert len(stored("takedown-checks")) == 2 and len(stored("takedown-evidence")) == 1
    other = take_down(cast, published)  # by hand, no pupil: kept, with its checks
    kept = latest(other).page.name
    assert len(stored("takedown-checks")) == 3
    # The pupil's record goes once their photo has come down (an open takedown keeps it: test_takedown_paths).
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    checks.queue_checks(takedown)
    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)
    assert len(stored("takedown-checks")) == 4

    DueRecord.objects.create(school=cast.school, record_type="pupils", record_id=str(pupil.pk),
                             due_on=timezone.localdate(), status="confirmed")  # fmt: skip
    assert destruction.destroy_confirmed(school_id=cast.school.pk)["destroyed"] == 1
    assert not Takedown.objects.filter(pk=takedown.pk).exists()
    assert stored("takedown-checks") == [kept] and stored("takedown-evidence") == []


def test_a_schools_publications_deleted_in_bulk_leave_no_warc_or_screenshot_behind(cast, published, site):
    """saferstaff has no way to delete a school yet (its purposes, guardians, devices and activities protect
    it); when it has, its rows go in bulk by a cascade as these do, and their files with them."""
    takedown = take_down(cast, published)
    takedown.evidence.save("shot.pdf", ContentFile(b"%PDF-1.4 screenshot"))
    _two_checks(cast, takedown)
    assert len(stored("takedown-checks")) == 2 and len(stored("takedown-evidence")) == 1
    Publication.objects.filter(school=cast.school).delete()
    assert not PlaceCheck.objects.exists() and not Takedown.objects.exists()
    assert stored("takedown-checks") == [] and stored("takedown-evidence") == []
