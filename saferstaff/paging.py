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


# A list page is kept (``audit.log.kept``) only for its first pages, and only for what the caller says is
# worth keeping (a plain visit, a filter from a fixed list): a typed search, or a page further on, is worked
# out each time, so no one can fill the cache by asking for many different pages or words.
KEPT_PAGES = 10


def kept_page(request, per_page: int, work_out: Callable, keep: Callable, *, worth_keeping: bool):
    """The page a list shows and what was drawn with it: ``work_out()`` gives ``(page, items, *drawn)`` (the
    page from ``page_of``, what the page should list -- ids, or the records themselves), ``keep(fn, number)``
    gives ``fn()`` kept under the caller's key and the page number. A kept page comes back rebuilt, without
    reading the list again: the pagination include reads only its number and count. Returns the page (its
    ``object_list`` is ``items``) and ``drawn`` as a tuple."""

    def worked():
        page, items, *drawn = work_out()
        return page.number, page.paginator.count, items, tuple(drawn)

    number = _plain_number(request.GET.get("page"))
    if worth_keeping and number is not None and number <= KEPT_PAGES:
        number, count, items, drawn = keep(worked, number)
    else:
        number, count, items, drawn = worked()
    paginator = Paginator([], per_page)
    paginator.count = count
    return Page(items, number, paginator), drawn
