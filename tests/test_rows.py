"""List rows drawn by Jinja2 (saferstaff.rows, ADR 0017): escaped exactly as Django escapes, dates as Django
formats them, a misspelt field an error rather than an empty cell."""

import datetime

import pytest
from django.template.defaultfilters import date as django_date
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from jinja2 import UndefinedError

from saferstaff.rows import _date, _escaped, draw, environment
from saferstaff.schools.access import DATE_OF_BIRTH, NAME, YEAR_GROUP, pupil_view
from saferstaff.schools.models import Pupil

from .conftest import signed_in
from .image_samples import pupil_with_parents


@pytest.fixture
def pupil(cast):
    pupil, _ = pupil_with_parents(cast.school, "<script>alert('x')</script>", 'O\'Brien & "Co"')
    Pupil.objects.filter(pk=pupil.pk).update(preferred_forename="<script>alert('x')</script>")
    return pupil


def test_a_pupil_named_like_markup_is_shown_escaped_on_the_pupil_list(cast, pupil):
    page = signed_in(cast.head).get(reverse("pupil_list", kwargs={"school": cast.school.slug}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert" not in html
    # Django's escaping byte for byte (&#x27; and &quot;), not Jinja2's (&#39; and &#34;).
    assert escape("<script>alert('x')</script> O'Brien & \"Co\"") in html


def test_a_value_marked_safe_is_kept_and_everything_else_escaped():
    drawn = draw("schools/pupil_rows.jinja", rows=[], fields=frozenset())
    assert drawn == ""
    template = environment().from_string("{{ a }}|{{ b }}|{{ c }}")
    assert template.render(a="<b>", b=mark_safe("<b>"), c=None) == "&lt;b&gt;|<b>|None"


def test_each_value_is_escaped_as_djangos_conditional_escape_escapes_it():
    values = ["", "plain", "<b>&'\"", "O'Brien & \"Co\"", 0, 12, -3, True, None, 1.5, mark_safe("<i>"),
              translation.gettext_lazy("Jan."), datetime.date(2011, 3, 4), ("a", "<")]  # fmt: skip
    for value in values:
        assert _escaped(value) == conditional_escape(value), repr(value)


@pytest.mark.parametrize("language", ["en-gb", "cy"])
def test_the_lists_day_format_is_djangos(language):
    days = [datetime.date(2011, m, d) for m in range(1, 13) for d in (1, 28)] + [datetime.date(987, 3, 4)]
    with translation.override(language):
        for day in days:
            assert _date(day, "j M Y") == django_date(day, "j M Y")
        assert _date(None, "j M Y") == django_date(None, "j M Y")
        # A page's rows: the month names of the request's language, looked up once by ``draw``.
        pupil = Pupil(pk=7, legal_forename="Ann", legal_surname="Lee", date_of_birth=days[4], year_group="2")
        view = pupil_view(pupil, frozenset({NAME, YEAR_GROUP, DATE_OF_BIRTH}), with_guardians=False)
        drawn = draw("schools/pupil_rows.jinja", rows=[(view, "/p/7/")], fields=view.fields)
        assert f">{django_date(days[4], 'j M Y')}</td>" in drawn


def test_a_misspelt_field_fails_instead_of_drawing_nothing():
    with pytest.raises(UndefinedError):
        environment().from_string("{{ p.nmae }}").render(p=object())


def test_a_moment_is_shown_on_the_schools_day_as_a_django_template_shows_it(settings):
    from django.template import engines

    settings.TIME_ZONE = "Europe/London"
    late = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)  # 1 July in London
    django = engines["django"].from_string('{{ at|date:"j M Y" }}').render({"at": late})
    assert environment().from_string('{{ at|date("j M Y") }}').render(at=late) == django == "1 Jul 2026"
