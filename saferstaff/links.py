"""Links to one page per row of a list (a pupil, a case, an image), made with one ``reverse`` per list: a
``{% url %}`` per row cost a measurable share of a long list's page."""

from collections.abc import Callable

from django.urls import reverse

# A stand-in id: reversed once, then each row's own id takes its place.
_STAND_IN = 987654321


def pk_links(viewname: str, **kwargs) -> Callable[[int], str]:
    """``link(pk)``, equal to ``reverse(viewname, kwargs={**kwargs, "pk": pk})``, for a page whose address
    takes an ``<id:pk>``. Reverses once; should the stand-in's digits appear elsewhere in the address too (a
    slug made of them), each link is reversed in full instead."""
    stand_in = str(_STAND_IN)
    head, found, tail = reverse(viewname, kwargs={**kwargs, "pk": _STAND_IN}).partition(stand_in)
    if not found or stand_in in tail:
        return lambda pk: reverse(viewname, kwargs={**kwargs, "pk": pk})
    return lambda pk: f"{head}{int(pk)}{tail}"
