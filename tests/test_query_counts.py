"""The key pages ask the database the same number of times for a small school as for the same school with three
times as much in it: each list is read in a fixed number of queries, never one more per row (an N+1). Each test
counts the queries of one page, adds twice as many of what that page lists again (pupils and their guardians,
consent answers, images with pupils tagged, cases with actions, staff, schools of the trust, saved checks), and
counts again: the counts must be equal. The demo school's figures are in README "Benchmarks"."""

import datetime
import itertools
import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit import log as audit_log
from saferstaff.consent import services as consent
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.incidents import services as incidents
from saferstaff.incidents.models import Case
from saferstaff.photos import services as photos
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag
from saferstaff.postcheck.models import SavedCheck
from saferstaff.schools.models import Role

from .conftest import make_person, make_school, signed_in
from .image_samples import approved_activity, jpeg, pupil_with_parents

_serial = itertools.count(1)


def add_everything(cast, n: int) -> None:
    """``n`` more of each thing a key page lists, each made through its door where it has one."""
    head, teacher = cast.head, cast.teacher
    purposes = list(Purpose.objects.filter(school=cast.school, code__in=["learning_records", "website"]))
    pupils = []
    for _ in range(n):
        k = next(_serial)
        pupil, guardians = pupil_with_parents(cast.school, forename=f"Pupil{k}", surname=f"Family{k}")
        pupils.append(pupil)
        answers = [consent.Answer(pupil, p, ConsentRecord.Answer.YES) for p in purposes]
        consent.record_answers(
            cast.school, answers, source=ConsentRecord.Source.GUARDIAN, guardian=guardians[0],
            method=ConsentRecord.Method.PAPER,
        )  # fmt: skip
        make_person(f"staff{k}@school.example", cast.school, {Role.STAFF})
        school = make_school(f"Academy {k}", f"2{k:05d}", f"{3000 + k}", cast.trust)
        make_person(f"teacher{k}@academy.example", school, {Role.STAFF})
        SavedCheck.objects.create(school=cast.school, author=head, text=f"Draft {k}", verdict="ok")
        case = incidents.report(
            cast.actor(teacher), kind=Case.Kind.BULLYING_OF_STAFF, happened_on=timezone.localdate(),
            what_happened=f"Abusive comments, report {k}",
        )  # fmt: skip
        incidents.add_action(
            cast.actor(cast.dsl), case, what="Ask the platform to remove the posts", owner=cast.member(head),
            due_on=timezone.localdate() + datetime.timedelta(days=3),
        )  # fmt: skip
    activity = approved_activity(cast.school, teacher, head, pupils=pupils)
    files = [(f"IMG_{i}.JPG", jpeg(colour=(10 * i % 250, 40, next(_serial) % 250))) for i in range(n)]
    for image, pupil in zip(add_images(activity, files, by=teacher), pupils, strict=True):
        photos.tag(image, pupil, by=teacher, source=ImageTag.Source.MANUAL)


PAGES = {
    "school overview": "school_dashboard",
    "image library": "image_list",
    "consent register": "consent_register",
    "pupil list": "pupil_list",
    "case list": "case_list",
    "check a post": "draft_check",
    "trust page": "trust_dashboard",
}


@contextmanager
def one_minute():
    """Requests within one minute, as a visit's are: what a page keeps for the minute (ADR 0014) is not worked out
    again because the clock passed a minute's end between two of them."""
    minute = audit_log._minute_parts()
    with mock.patch.object(audit_log, "_minute_parts", lambda: minute):
        yield


def queries_of(client, url) -> tuple[int, list[str]]:
    """How many queries one request for ``url`` asks, and their shapes (the SQL without its values)."""
    with one_minute():
        assert client.get(url).status_code == 200  # a first request warms what is read once per process
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return len(ctx.captured_queries), [
        re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in ctx.captured_queries
    ]


@pytest.mark.parametrize("page", PAGES, ids=PAGES.get)
def test_a_key_page_asks_the_same_number_of_queries_with_three_times_the_data(cast, page):
    name = PAGES[page]
    if name == "trust_dashboard":
        client, url = signed_in(cast.trust_admin), reverse(name, kwargs={"trust": cast.trust.slug})
    else:
        client, url = signed_in(cast.head), reverse(name, kwargs={"school": cast.school.slug})
    add_everything(cast, 3)
    small, small_sql = queries_of(client, url)
    add_everything(cast, 6)  # three times as many as the small school's
    large, large_sql = queries_of(client, url)
    repeated = [sql[:200] for sql in large_sql if large_sql.count(sql) > small_sql.count(sql)][:2]
    assert small == large, (
        f"{page}: {small} queries with the small school, {large} with 3× the data; asked more often: {repeated}"
    )


# The most queries a list page asks on a visit after the first (with three times the data above), counting the
# audit row's savepoint and its release inside a test's transaction: a page that comes to ask more fails here, not
# only one whose queries grow with the data. The register and the pupil list asked one more each before the
# generations were read once a request and the pupil list's year groups were kept.
# On PostgreSQL the audit row's append takes the chain's advisory lock first (saferstaff/audit/log.py), one query
# more than on SQLite, whose writes are serialised by the database itself.
MOST = {"consent_register": 10, "pupil_list": 10, "case_list": 11}
CHAIN_LOCK = {"postgresql": 1}


@pytest.mark.parametrize("name", MOST)
def test_a_list_page_asks_no_more_queries_than_it_did(cast, name):
    add_everything(cast, 6)
    asked, sql = queries_of(signed_in(cast.head), reverse(name, kwargs={"school": cast.school.slug}))
    most = MOST[name] + CHAIN_LOCK.get(connection.vendor, 0)
    assert asked <= most, f"{name}: {asked} queries: {[q[:120] for q in sql]}"


def test_the_overview_works_out_its_figures_in_the_same_number_of_queries_and_then_keeps_them(cast):
    """The Overview keeps what it worked out until the school changes (saferstaff/home/overview.py): working it
    out afresh asks a fixed number of queries too, and a request that finds it kept asks no more than a page
    that shows nothing (the ceiling's five): the school's generation is read once, by the compulsory-policy
    gate, and the Overview's key reuses it."""
    client, url = signed_in(cast.head), reverse("school_dashboard", kwargs={"school": cast.school.slug})
    counts = []
    for n in (3, 6):
        add_everything(cast, n)
        with one_minute():
            assert client.get(url).status_code == 200  # a first request warms what is read once per process
            caches["overview"].clear()
            with CaptureQueriesContext(connection) as afresh:
                assert client.get(url).status_code == 200
            with CaptureQueriesContext(connection) as kept:
                assert client.get(url).status_code == 200
        counts.append((len(afresh.captured_queries), len(kept.captured_queries)))
    assert counts[0] == counts[1], f"worked out afresh and kept, small and 3× the data: {counts}"
    assert counts[0][1] <= 5 < counts[0][0], counts
