"""The consent register (§5): one row per pupil, one cell per use, each cell the tag of the pupil's state for
that use; the pupil's name links to their consent page. The states' reasons are not on the register, so they
are put into words only where a page or a rule reads them."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from saferstaff.consent import states
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.services import Answer, record_answers

from .conftest import signed_in
from .image_samples import pupil_with_parents, purpose
from .test_query_counts import one_minute

Y, N = ConsentRecord.Answer.YES, ConsentRecord.Answer.NO


@pytest.fixture(autouse=True)
def _files(storage):
    return storage


def answer(pupil, code, value, guardian, *, method="paper", **kw):
    record_answers(
        pupil.school, [Answer(pupil, purpose(pupil.school, code), value)],
        source=ConsentRecord.Source.GUARDIAN, method=method, guardian=guardian, **kw,
    )  # fmt: skip


def test_each_cell_shows_the_tag_of_the_pupils_state_for_that_use_and_the_name_links_to_their_page(cast):
    pupil, (mum,) = pupil_with_parents(cast.school)
    answer(pupil, "website", Y, mum)
    answer(pupil, "social_media", N, mum)
    answer(pupil, "display", Y, mum)
    answer(pupil, "display", N, mum)
    answer(pupil, "print", Y, mum, method="phone")
    answer(pupil, "press", Y, mum, expires_on=timezone.localdate() - datetime.timedelta(days=1))
    slug = cast.school.slug
    page = signed_in(cast.office).get(reverse("consent_register", kwargs={"school": slug})).content.decode()
    link = reverse("pupil_consent", kwargs={"school": slug, "pk": pupil.pk})
    row = re.search(
        rf'<th scope="row"[^>]*><a class="govuk-link" href="{link}">Amelia Oakes</a>.*?</tr>', page, re.S
    )
    assert row, "the pupil's row, with their name linking to their consent page"
    cells = re.findall(
        r'<td class="govuk-table__cell"><strong class="govuk-tag govuk-tag--(\w+)">([^<]+)</strong></td>',
        row[0],
    )
    uses = list(Purpose.objects.filter(school=cast.school, active=True).values_list("code", flat=True))
    assert dict(zip(uses, cells, strict=True)) == {
        "learning_records": ("grey", "Not asked"),
        "display": ("red", "Withdrawn"),
        "website": ("green", "Yes"),
        "social_media": ("red", "No"),
        "print": ("yellow", "Waiting"),
        "press": ("orange", "Expired"),
        "video": ("grey", "Not asked"),
        "biometric": ("grey", "Not asked"),
    }


def test_the_reasons_are_put_into_words_only_when_read(cast, monkeypatch):
    pupil, (mum,) = pupil_with_parents(cast.school)
    answer(pupil, "website", Y, mum)
    days = []
    monkeypatch.setattr(states, "_day", lambda moment: days.append(moment) or "1 September 2026")
    website = purpose(cast.school, "website")
    got = states.states_for(cast.school, [pupil], Purpose.objects.filter(school=cast.school))
    assert got[(pupil.pk, website.pk)].status == states.GIVEN and days == []
    assert [str(r) for r in got[(pupil.pk, website.pk)].reasons] == [
        "Amelia O. — written guardian consent for 'School website' given on 1 September 2026 (§5)"
    ]
    assert len(days) == 1


def test_an_answer_shows_on_the_very_next_register_and_a_kept_register_asks_fewer_queries(cast):
    """The register keeps its uses, statuses and year groups per state of the school (ADR 0014)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pupil, (mum,) = pupil_with_parents(cast.school, "<script>alert(1)</script>", "O'Hara")
    client = signed_in(cast.office)
    url = reverse("consent_register", kwargs={"school": cast.school.slug})
    with (
        one_minute()
    ):  # what is kept for the minute is not worked out again as the clock passes a minute's end
        assert "govuk-tag--green" not in client.get(url).content.decode()
        answer(pupil, "website", Y, mum)  # a door: an event, the school's generation bumped
        with CaptureQueriesContext(connection) as afresh:
            page = client.get(url).content.decode()
        assert "govuk-tag--green" in page
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; O&#x27;Hara" in page
        with CaptureQueriesContext(connection) as kept:
            assert "govuk-tag--green" in client.get(url).content.decode()
    # Kept: the generations only, not the page of pupils, the uses, the school's settings, the guardians, the
    # answers, the years — the page and its rows drawn are kept together (schools.access.kept_page) — nor the
    # school's year groups (which say whether a year group asked for is one worth keeping), nor the
    # compulsory-policy gate's read of the published versions, kept the same way (ADR 0014) — nor the five
    # queries of the summary's coverage (decided.coverage_for: the uses, the pupils on roll, the kept states that
    # hold, those of pupils who left, and those that have lapsed).
    assert len(kept.captured_queries) == len(afresh.captured_queries) - 8 - 5


def test_the_register_opens_with_the_schools_coverage_worded_as_the_self_reviews_consent_figure(cast):
    """Above the search and the table: for each use, how many of all the pupils on roll have consent given and
    where the rest stand — consent.decided.coverage, the count the self-review's consent figure reads, in the
    same words."""
    from django.utils.html import escape

    from saferstaff.oversight import figures

    pupil, (mum,) = pupil_with_parents(cast.school)
    pupil_with_parents(cast.school, "Ben", "Two")
    answer(pupil, "website", Y, mum)
    answer(pupil, "social_media", N, mum)
    url = reverse("consent_register", kwargs={"school": cast.school.slug})
    page = signed_in(cast.office).get(f"{url}?q=Ben").content.decode()  # the summary is the whole school's
    search = page.index('<label class="govuk-label govuk-label--s" for="q">')
    assert page.index("Across the school") < search < page.index('<table class="govuk-table">')
    summary = page[page.index("Across the school") : search]
    m = figures.consent(cast.school, timezone.now())
    assert len(m.parts) == Purpose.objects.filter(school=cast.school, active=True).count()
    for name, words in m.parts:
        row = rf'<dt class="govuk-summary-list__key">{re.escape(escape(name))}</dt>\s*<dd[^>]*><p class="govuk-body">'
        assert re.search(row + re.escape(escape(words)), summary), name
    website = escape(purpose(cast.school, "website").name)
    assert re.search(rf"{website}</dt>\s*<dd[^>]*><p[^>]*>1 of 2 pupils have consent given \(50%\)", summary)
    assert "Refused: 1" in summary and "Not asked yet: 2" in summary
