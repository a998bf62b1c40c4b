"""``page_of`` answers every ``?page=`` as Django's paginator does — the same rows, page number, number of pages —
for lists that end short of a page, fill it exactly or run on; it asks the database to count only when the page
it shows is full (a page with room to spare is the last, and says how many the list holds)."""

import datetime

from django.core.paginator import Paginator
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from saferstaff.paging import page_of
from saferstaff.schools.models import Pupil

ASKED = [None, "1", "2", "3", "4", "0", "-1", "01", "1.0", "two", "", "999999999", "99999999999999999999999"]


def _request(asked):
    return RequestFactory().get("/", {} if asked is None else {"page": asked})


def test_every_page_asked_for_is_the_page_the_paginator_gives(cast):
    per_page = 5
    for size in (0, 1, 4, 5, 6, 10, 11):
        Pupil.objects.filter(school=cast.school).delete()
        for k in range(size):
            Pupil.objects.create(school=cast.school, legal_forename=f"P{k}", legal_surname="Lee", year_group="3",
                                 date_of_birth=datetime.date(2018, 1, 1))  # fmt: skip
        pupils = Pupil.objects.filter(school=cast.school).order_by("pk")
        for asked in ASKED:
            page = page_of(_request(asked), pupils, per_page)
            expected = Paginator(pupils, per_page).get_page(asked)
            got = (page.number, [p.pk for p in page.object_list], page.paginator.num_pages, page.has_next())
            want = (expected.number, [p.pk for p in expected.object_list], expected.paginator.num_pages,
                    expected.has_next())  # fmt: skip
            assert got == want, (size, asked)


def test_the_list_is_counted_only_when_the_page_is_full(cast):
    for k in range(7):
        Pupil.objects.create(school=cast.school, legal_forename=f"P{k}", legal_surname="Lee", year_group="3",
                             date_of_birth=datetime.date(2018, 1, 1))  # fmt: skip
    pupils = Pupil.objects.filter(school=cast.school).order_by("pk")
    for asked, counted in (("1", True), ("2", False)):
        with CaptureQueriesContext(connection) as ctx:
            page = page_of(_request(asked), pupils, 5)
            assert page.paginator.num_pages == 2 and len(page.object_list) == (5 if counted else 2)
        assert len(ctx.captured_queries) == (2 if counted else 1), asked
        assert any("COUNT(" in q["sql"] for q in ctx.captured_queries) == counted, asked
