"""§5: where a published copy appears — its places, the web addresses a check of its takedown fetches. A
place is added and removed only through ``add_place`` and ``remove_place`` (the rule: ``rules.images
.may_change_places``), and every web address, typed on any form, is checked by ``clean_url``."""

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import iri_to_uri

from saferstaff.audit.log import record
from saferstaff.fetching import FetchRefused, refuse_private_literal
from saferstaff.photos.models import Publication, PublicationPlace
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.images import may_change_places
from saferstaff.schools.roles import Actor

URL_MAX = 2000
# Places of one publication: a copy goes to a handful of pages; each place is fetched by every check.
MAX_PLACES = 20
HOST_NAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.?")
NUMBER = re.compile(r"0x[0-9a-f]*|[0-9]+")


def _disguised_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a browser reads in a host whose last part is a number but which is not written as four
    decimal numbers: 2130706433, 0x7f.1, 0177.0.0.1, 127.1, 127.000.000.001 (the WHATWG URL standard's IPv4
    parser: hex, octal and short forms). None when the host is a name. An address that cannot exist raises
    ValueError."""
    parts = host.lower().rstrip(".").split(".")
    if not NUMBER.fullmatch(parts[-1]):
        return None
    if len(parts) > 4 or not all(NUMBER.fullmatch(p) for p in parts):
        raise ValueError(host)
    numbers = [
        int(p[2:] or "0", 16) if p.startswith("0x") else int(p, 8 if p[0] == "0" and len(p) > 1 else 10)
        for p in parts
    ]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(host)
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def clean_url(text: str) -> str:
    """The web address as stored (non-ASCII letters encoded), or a ValidationError saying, for the school
    office, what is wrong with it: http or https only, a host, no name or password in it, no spaces, at most
    2,000 characters."""
    url = text.strip()
    if not url:
        raise ValidationError("Enter the web address")
    if any(c.isspace() for c in url):
        raise ValidationError("Enter the web address without spaces (one address to a line)")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port  # a port that is not a number is refused here
    except ValueError:
        raise ValidationError("Enter the web address as it is shown in the browser") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("Enter the web address with https:// or http:// at the start")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationError("Enter the web address without a user name or password in it")
    if not host or host.startswith(".") or ".." in host:
        raise ValidationError(
            "Enter the web address with the website's name, like https://school.example/news"
        )
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError("Enter the web address with the website's name as it is shown") from None
    try:
        literal = ipaddress.ip_address(ascii_host)
    except ValueError:
        literal = None
        if not HOST_NAME.fullmatch(ascii_host.lower()):
            raise ValidationError("Enter the web address with the website's name as it is shown") from None
        try:
            disguised = _disguised_ipv4(ascii_host)
        except ValueError:
            raise ValidationError("Enter the web address with the website's name as it is shown") from None
        if disguised is not None:  # a number a browser reads as an address: refused, whichever it names
            raise ValidationError(
                "Enter the web address with the website's name, or an IP address written as four numbers "
                "like 203.0.113.5"
            ) from None
    # "localhost" and its subdomains name this computer by definition (RFC 6761): refused as a private address.
    this_computer = ascii_host.lower().rstrip(".")
    try:
        if this_computer == "localhost" or this_computer.endswith(".localhost"):
            refuse_private_literal("127.0.0.1", allow_loopback=settings.CAPTURE_ALLOW_LOOPBACK)
        refuse_private_literal(ascii_host, allow_loopback=settings.CAPTURE_ALLOW_LOOPBACK)
    except FetchRefused:
        raise ValidationError(
            "Enter an address on the public web: this one is on a private network, which saferstaff does not check"
        ) from None
    host_part = f"[{ascii_host}]" if literal is not None and literal.version == 6 else ascii_host
    netloc = host_part if port is None else f"{host_part}:{port}"
    # "https://school.example" and "https://school.example/" are the same page: kept with the "/".
    path = parts.path or "/"
    stored = iri_to_uri(parts._replace(scheme=parts.scheme.lower(), netloc=netloc, path=path).geturl())
    if len(stored) > URL_MAX:
        raise ValidationError(f"Enter a web address of at most {URL_MAX:,} characters")
    return stored


def _check(publication: Publication, by, *, removing: bool = False) -> None:
    enforce(may_change_places(Actor.of(by, publication.school), subject=publication, removing=removing))


def add_place(publication: Publication, url: str, *, by) -> PublicationPlace:
    """Record that the copy appears at ``url`` (the publisher or senior management; ``by`` None: saferstaff
    found it there, sweeping the school's own sites). An address already listed is returned as it is; a bad one
    is refused with what is wrong with it."""
    if by is not None:
        _check(publication, by)
    try:
        url = clean_url(url)
    except ValidationError as problem:
        raise Refused(refuse(Reason(problem.messages[0], "§5"))) from None
    with transaction.atomic():
        listed = PublicationPlace.objects.select_for_update().filter(publication=publication)
        # The cap is for people: a sweep adds only what it found on the school's own site, within its limits.
        if by is not None and len(listed) >= MAX_PLACES and not any(p.url == url for p in listed):
            raise Refused(refuse(Reason(f"A publication lists at most {MAX_PLACES} web addresses", "§5")))
        place, created = PublicationPlace.objects.get_or_create(
            school_id=publication.school_id, publication=publication, url=url, defaults={"added_by": by}
        )
        if created:
            record("images.publication.place_added", place, detail={"publication": publication.pk})
    return place


def remove_place(place: PublicationPlace, *, by) -> None:
    """Take a web address off a publication that is still published (the publisher or senior management). An
    address that has been checked is kept while a takedown of the publication is open: its checks are the
    takedown's evidence, and without it the takedown could close while the photo is still there. (Its checks are
    never deleted with it: ``PlaceCheck.place`` is RESTRICT, so a place goes only with its publication.)"""
    _check(place.publication, by, removing=True)
    with transaction.atomic():
        place = PublicationPlace.objects.select_for_update().get(pk=place.pk)
        if place.checks.exists():
            open_ = place.publication.takedowns.filter(done_at__isnull=True).exists()
            raise Refused(
                refuse(
                    Reason(
                        (
                            f"{place.url} cannot be removed while the photo is being taken down: it has been "
                            "checked, and its checks are the evidence"
                        )
                        if open_
                        else f"{place.url} has been checked: it is kept with its checks as the evidence",
                        "§5",
                        "place",
                    )
                )
            )
        record("images.publication.place_removed", place, detail={"publication": place.publication_id})
        place.delete()
