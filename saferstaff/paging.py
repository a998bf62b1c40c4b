"""One way to cut a long list into pages. Every paged list calls ``page_of`` and draws
templates/includes/pagination.html, whose links change only ``page`` and keep the list's other query
parameters (a search, a year group, a filter)."""

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def page_of(request, items, per_page: int, *, count: Callable[[], int] | None = None) -> Page:
    """The page of ``items`` the request asks for (``?page=``): the first for a missing or malformed
    number, the last for one past the end.

    The page's rows are read first: a page with room to spare is the list's last, so how many the list holds
    is known from it, and the list is counted only when the page is full — by ``count()`` when given (a count
    the caller keeps, ``audit.log.kept``), else by the database."""
    paginator = Paginator(items, per_page)
    asked = request.GET.get("page")
    number = _plain_number(asked)
    if number is None or not isinstance(items, QuerySet):
        return paginator.get_page(asked)
    bottom = (number - 1) * paginator.per_page
    rows = list(items[bottom : bottom + paginator.per_page])
    if not rows and number > 1:  # past the end: the last page, as the paginator finds it
        return paginator.get_page(asked)
    if len(rows) < paginator.per_page:
        paginator.count = bottom + len(rows)  # the last page: the rows before it and its own
    elif count is not None:
        paginator.count = count()
    return Page(rows, number, paginator)


def _plain_number(asked) -> int | None:
    """The page asked for when it is a plain page number (none asked: the first); None for anything else (a
    word, a zero, a number too long for any list), which the paginator answers as it always has."""
    if asked is None:
        return 1
    plain = isinstance(asked, str) and 0 < len(asked) <= 9 and asked.isascii() and asked.isdigit()
    return int(asked) if plain and asked[0] != "0" else None


def page_again(number: int, count: int, per_page: int, object_list: list) -> Page:
    """A page as ``page_of`` gave it (its number, how many the list holds), rebuilt from what a list page
    kept of it (``schools.access.kept_page``, the case list's ``_kept_page``) without reading the list again:
    the pagination include reads only these."""
    paginator = Paginator([], per_page)
    paginator.count = count
    return Page(object_list, number, paginator)
