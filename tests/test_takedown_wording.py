"""§5, the takedown pages' wording and layout: a long reason with no spaces wraps in its table cell, a check that
found the image unchanged says "identical", a reason ends its sentence before "Remove the image", the median time
to close reads like the other pages' times, and the note's minimum over unchecked places is stated as a hint."""

# ruff: noqa: F811  (``photos``, ``published`` and ``site`` are fixtures imported from the other test files)

from django.urls import reverse

from saferstaff.photos import takedowns
from saferstaff.photos.models import PlaceCheck

from .conftest import signed_in
from .test_publication_places import _files, photos  # noqa: F401
from .test_takedown_checks import _done, latest, published, site  # noqa: F401


def test_a_long_reason_wraps_and_the_median_reads_in_hours(cast, published, site):
    reason = "x" * 300
    takedown = takedowns.take_down(published, by=cast.head, reason=reason)
    head = signed_in(cast.head)
    shown = head.get(reverse("takedown_list", kwargs={"school": cast.school.slug})).content.decode()
    assert (
        f'class="govuk-table__cell govuk-!-text-break-word" data-label="Pupil or reason">{reason}<' in shown
    )
    PlaceCheck.objects.filter(takedown=takedown).update(result=PlaceCheck.Result.GONE, found_url="")
    takedowns.finish_takedown(takedown, by=cast.teacher, note="Removed from the news page")
    shown = head.get(reverse("takedown_list", kwargs={"school": cast.school.slug})).content.decode()
    assert "a median of 0 hours from raised to done" in shown and "0.0 days" not in shown


def test_identical_a_full_stop_and_the_notes_minimum_as_a_hint(cast, published, site):
    takedown = takedowns.take_down(published, by=cast.head, reason="A parent asked")
    PlaceCheck.objects.filter(pk=latest(takedown).pk).update(distance=[0, 0])
    shown = signed_in(cast.teacher).get(_done(cast, takedown)).content.decode()
    assert "identical" in shown and "0 and 0 bits apart" not in shown
    assert "A parent asked. Remove the image" in shown
    assert f"at least {takedowns.UNCHECKED_NOTE_MIN} characters" in shown
