"""Attacks on saferstaff.fetching, each written to fail before its fix: a hostile site's redirect to an address
that is no address at all, and an IPv6 site-local address (fec0::/10, deprecated but still routed inside some
networks) passed as public."""

import socket

import pytest

from saferstaff.fetching import FetchRefused, fetch, refuse_private_literal, resolve
from tests.loopback_site import serve


@pytest.fixture(scope="module")
def site():
    server = serve({"/broken": (302, "text/plain", b"http://[oops/"), "/ok": (200, "text/plain", b"ok")})
    yield server
    server.shutdown()


def test_a_redirect_to_a_broken_address_is_refused_not_raised(site):
    # Before: ValueError ("Invalid IPv6 URL") escaped fetch(), which promises FetchRefused for every refusal.
    with pytest.raises(FetchRefused, match="could not be fetched"):
        fetch(site.url + "/broken", allow_loopback=True, timeout=5)
    assert site.hits["/broken"] == 1


def test_a_broken_address_asked_for_is_refused_not_raised():
    with pytest.raises(FetchRefused, match="http:// or https://"):
        fetch("http://[oops/", timeout=1)


def test_an_ipv6_site_local_address_is_not_public(monkeypatch):
    with pytest.raises(FetchRefused, match="not on the public internet"):
        refuse_private_literal("fec0::1")

    def site_local(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fec0::1", port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", site_local)
    with pytest.raises(FetchRefused, match="not on the public internet"):
        resolve("intranet.example", 80)
    with pytest.raises(FetchRefused, match="not on the public internet"):
        fetch("http://intranet.example/", timeout=1)
