"""A list page's rows drawn by Jinja2 (docs/adr/0017-list-rows-drawn-by-jinja2.md).

Django's template engine costs tens of microseconds a row; a page of 50 rows spent more on drawing them than
on the rest of the page. A row partial (``templates/**/*.jinja``) is compiled to Python once and drawn here,
escaped exactly as a Django template escapes: every value shown goes through Django's ``conditional_escape``
(a value already marked safe is kept, everything else is escaped), so a page reads the same byte for byte.
The page around the rows stays a Django template and shows the result with ``{{ rows }}``."""

import datetime
import html
from functools import lru_cache

from django.conf import settings
from django.template.defaultfilters import date
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context

from saferstaff.links import school_url


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in settings.TEMPLATES[0]["DIRS"]]),
        # Escaping is Django's own, applied to every {{ value }} by ``finalize``; Jinja2's autoescape would
        # escape quotes differently (&#34; for &quot;) and change the page's bytes.
        autoescape=False,
        finalize=_escaped,
        undefined=StrictUndefined,  # a misspelt field fails the page's tests instead of drawing nothing
        auto_reload=settings.DEBUG,
        keep_trailing_newline=False,  # a partial's file ends with a newline the rows do not have
    )
    env.filters["date"] = _date_drawn
    env.globals["school_url"] = school_url  # ``{% school_url %}``'s addresses, reversed once per process
    return env


def _escaped(value) -> str:
    """Django's ``conditional_escape``, its commonest cases first: a plain string is escaped as Django's
    ``escape`` escapes it (``html.escape``, then marked safe), a whole number needs none; anything else (a value
    marked safe, None, a lazy translation) goes to Django's own (tests/test_rows.py compares the two)."""
    kind = type(value)
    if kind is str:
        return html.escape(value)
    if kind is int:
        return str(value)
    return conditional_escape(value)


@lru_cache(maxsize=16)
def _months(language: str | None) -> tuple[str, ...]:
    """The short month names Django's date format "M" gives in ``language``: worked out once, not per row."""
    return ("", *(date(datetime.date(2000, month, 1), "M") for month in range(1, 13)))


@pass_context
def _date_drawn(context, value, fmt: str):
    """The ``date`` filter of a row partial: ``_date`` with the month names ``draw`` looked up once for the rows
    (the request's language, read once rather than once a row)."""
    return _date(value, fmt, context.get("_months"))


def _date(value, fmt: str, months: tuple[str, ...] | None = None):
    """Django's date filter, a moment first in the school's time zone as a Django template has it; the lists'
    "j M Y" built from the month names Django gives, a twentieth of the cost of formatting each day anew
    (tests/test_rows.py compares the two)."""
    value = template_localtime(value)
    if fmt == "j M Y" and isinstance(value, datetime.date):
        month = (months or _months(get_language()))[value.month]
        return f"{value.day} {month} {value.year:04d}"
    return date(value, fmt)


def draw(template: str, **context) -> SafeString:
    """``template`` (a ``.jinja`` row partial) drawn with ``context``: safe to show, every value escaped."""
    rows = environment().get_template(template).render(context, _months=_months(get_language()))
    return mark_safe(rows)  # every value escaped by finalize
