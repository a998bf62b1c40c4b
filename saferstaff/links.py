"""Addresses of a school's pages for the page frame and long lists, worked out once per process rather than once
per link: ``reverse`` costs tens of microseconds, and a list page asked it for every row.

An address that varies only by the school is reversed once per school; one that also takes a row's id is
reversed once with a marker id in its place, and each row's address is the text either side of the marker with
the id between — the same text ``reverse`` gives (``tests/test_links.py`` checks it page by page)."""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

_MARKER = 987654321987654321  # an id no table reaches, matched by the ``id`` and ``int`` converters
_LARGEST = 10**18 - 1  # the ``id`` converter takes up to 18 digits (saferstaff/urls.py)


def site_url(name: str) -> str:
    """``reverse(name)`` of a page that takes nothing (signing out, your account), once per process."""
    return _site_page(get_script_prefix(), name)


def school_url(name: str, slug: str, pk=None) -> str:
    """``reverse(name, kwargs={"school": slug})``, or with ``pk`` too, without reversing each time."""
    if pk is None:
        return _school_page(get_script_prefix(), name, slug)
    if type(pk) is not int or not 0 <= pk <= _LARGEST:  # not a row's id: as reverse answers it (or refuses)
        return reverse(name, kwargs={"school": slug, "pk": pk})
    before, after = _row_page(get_script_prefix(), name, slug)
    return f"{before}{pk}{after}"


def school_urls(name: str, slug: str):
    """``school_url(name, slug, pk)`` for every row of a long list: the address's text either side of the id is
    looked up once for the page (the script prefix, too, is read once), and each row's address is formatted."""
    before, after = _row_page(get_script_prefix(), name, slug)

    def url(pk) -> str:
        if type(pk) is not int or not 0 <= pk <= _LARGEST:
            return school_url(name, slug, pk)
        return f"{before}{pk}{after}"

    return url


@lru_cache(maxsize=256)
def _site_page(prefix: str, name: str) -> str:
    return reverse(name)


@lru_cache(maxsize=4096)
def _school_page(prefix: str, name: str, slug: str) -> str:
    return reverse(name, kwargs={"school": slug})


@lru_cache(maxsize=4096)
def _row_page(prefix: str, name: str, slug: str) -> tuple[str, str]:
    address = reverse(name, kwargs={"school": slug, "pk": _MARKER})
    before, marker, after = address.partition(str(_MARKER))
    if not marker or str(_MARKER) in after:
        raise ValueError(f"{name}: its address does not carry the id once")
    return before, after


@receiver(setting_changed)
def _addresses_changed(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":  # a test with its own addresses
        _site_page.cache_clear()
        _school_page.cache_clear()
        _row_page.cache_clear()
