"""One way to cut a long list into pages. Every paged list calls ``page_of`` and draws
templates/includes/pagination.html, whose links change only ``page`` and keep the list's other query
parameters (a search, a year group, a filter)."""

from django.core.paginator import Page, Paginator


def page_of(request, items, per_page: int) -> Page:
    """The page of ``items`` the request asks for (``?page=``): the first for a missing or malformed
    number, the last for one past the end."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))
