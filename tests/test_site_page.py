"""§5: the school's websites page — "Check now" sweeps one listed site (senior management, as adding one), removing
a site asks first on a page of its own, a check in progress says so with a plain "Refresh" link, a name typed with
a colon or repeating the address is not shown twice, and a bad start address names its field once."""

# ruff: noqa: F811  (fixtures imported from test_site_sweeps and test_publication_places)

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.models import AuditEvent
from saferstaff.photos import sites
from saferstaff.photos.models import SchoolSite, SiteSweep
from saferstaff.rules.engine import Refused

from .conftest import signed_in
from .test_publication_places import _files, photos  # noqa: F401
from .test_site_sweeps import school_site, website  # noqa: F401


def _url(cast):
    return reverse("site_list", kwargs={"school": cast.school.slug})


def test_check_now_sweeps_that_site_alone_and_does_not_put_off_the_weekly_sweep(cast, school_site, website):
    other = SchoolSite.objects.create(school=cast.school, url="https://blog.school.example/")
    site = SchoolSite.objects.get(school=cast.school, label="School website")
    assert signed_in(cast.slt).post(_url(cast), {"action": "check", "site": site.pk}).status_code == 302
    sweep = SiteSweep.objects.get()
    assert sweep.site == site and sweep.finished_at is not None  # the worker ran it (at once in tests)
    assert sweep.summary["pages"] == 3  # the loopback site only: the blog was not walked
    assert sweep.summary["refused"] == {}
    event = AuditEvent.objects.filter(action="images.site_sweep.queued").latest("seq")
    assert event.detail == {"site": site.pk}
    assert sites.queue_due_sweeps() == 1  # the weekly sweep of every site is still due
    assert SiteSweep.objects.filter(site__isnull=True).count() == 1
    assert other.pk  # listed, and swept by the weekly sweep


def test_check_now_follows_the_rule_for_changing_the_sites(cast, school_site):
    site = SchoolSite.objects.get(school=cast.school)
    for user in (cast.teacher, cast.dsl):
        assert signed_in(user).post(_url(cast), {"action": "check", "site": site.pk}).status_code == 403
        with pytest.raises(Refused):
            sites.check_now(site, by=user)
    assert not SiteSweep.objects.exists()


def test_a_check_in_progress_says_so_with_a_refresh_link_and_is_not_queued_twice(cast, school_site):
    site = SchoolSite.objects.get(school=cast.school)
    running = SiteSweep.objects.create(school=cast.school)  # the worker has not finished it
    assert sites.check_now(site, by=cast.head) == (running, False)
    shown = signed_in(cast.head).get(_url(cast)).content.decode()
    assert "Checking the school's websites now" in shown and "(checking)" in shown
    assert f'href="{_url(cast)}">Refresh</a>' in shown
    SiteSweep.objects.filter(pk=running.pk).update(finished_at=timezone.now() + datetime.timedelta(seconds=1))
    assert "Refresh</a>" not in signed_in(cast.head).get(_url(cast)).content.decode()


@pytest.mark.parametrize(
    ("typed", "kept"), [("Blog:", "Blog"), ("  News page : ", "News page"), ("https://blog.example/", "")]
)
def test_a_name_is_not_shown_twice(cast, typed, kept):
    site, _ = sites.add_site(cast.school, "https://blog.example", label=typed, by=cast.head)
    assert site.label == kept
    shown = signed_in(cast.head).get(_url(cast)).content.decode()
    # the link's address and text, and the hidden names of its two buttons: never as a name before it
    assert shown.count("blog.example") == 4
    assert "::" not in shown


def test_a_bad_start_address_names_its_field_once(cast):
    page = signed_in(cast.head).post(_url(cast), {"url": "ftp://school.example/"}).content.decode()
    assert "Start address of the website: Enter the web address with https://" in page
    assert page.count("Start address") == 2  # the summary and the field's label, not the message again


def test_findings_are_one_entry_per_image_each_worded_by_what_it_matched_and_counted_honestly(cast, photos):
    from .test_publication_places import _publish

    pubs = [_publish(cast, photos[0]) for _ in range(3)]
    image, pages = (
        "https://school.example/img/a.jpg",
        ["https://school.example/", "https://school.example/news"],
    )
    kinds = ["withdrawn", "expired", "taken_down"]
    findings = [
        {"kind": kind, "page": page, "image": image, "publication": pub.pk}
        for page in pages
        for kind, pub in zip(kinds, pubs, strict=True)
    ] + [
        {
            "kind": "original",
            "page": pages[0],
            "image": "https://school.example/img/b.jpg",
            "image_id": photos[1].pk,
        }
    ]
    SiteSweep.objects.create(
        school=cast.school, finished_at=timezone.now(), findings=findings,
        summary={"pages": 2, "images": 2, "findings": len(findings), "takedowns_raised": 0, "flags": 1},
    )  # fmt: skip
    shown = signed_in(cast.head).get(_url(cast)).content.decode()
    assert "2 pages and 2 images checked; 2 images found that the school must not show;" in shown
    assert shown.count(f"{image} on {pages[0]}, {pages[1]}") == 1  # one entry, both pages: not six lines
    assert "consent for it is no longer given" in shown
    assert "past its retention period" in shown and "taken down, but back on the site" in shown
    assert "never published through saferstaff" in shown
    assert shown.count("without consent now") == 0
    for pub in pubs:
        assert (
            shown.count(reverse("publication_detail", kwargs={"school": cast.school.slug, "pk": pub.pk})) == 1
        )


def test_one_image_matching_two_publications_of_the_same_photo_is_one_line(cast, photos):
    """The same library photo published twice (two publications, one image number), both past their retention
    period and found as one image: one line naming what it matched, with a link to each publication."""
    from .test_publication_places import _publish

    pubs = [_publish(cast, photos[0]) for _ in range(2)]
    image, page = "https://school.example/img/a.jpg", "https://school.example/news"
    findings = [{"kind": "expired", "page": page, "image": image, "publication": pub.pk} for pub in pubs]
    SiteSweep.objects.create(
        school=cast.school, finished_at=timezone.now(), findings=findings,
        summary={"pages": 1, "images": 1, "findings": 2, "takedowns_raised": 0, "flags": 0},
    )  # fmt: skip
    shown = signed_in(cast.head).get(_url(cast)).content.decode()
    assert shown.count("published, but past its retention period") == 1
    for pub in pubs:
        assert (
            shown.count(reverse("publication_detail", kwargs={"school": cast.school.slug, "pk": pub.pk})) == 1
        )
