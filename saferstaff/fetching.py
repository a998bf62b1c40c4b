"""Fetching a page from the web on a school's behalf, safely: a page captured as evidence (§9) or a place a
photo was published, checked after a takedown (§5). Runs in the worker, never in a request.

Server-side request forgery is what this guards against: a URL typed by a member of staff must not reach the
server's own network. So: http and https only; the host's name is resolved ONCE and every address it gives must
be public (no private, loopback, link-local, multicast, reserved or unspecified address — loopback only when the
caller allows it, for tests); the connection goes to that checked address (the name is sent as the Host header and
for TLS), so a second lookup cannot swap in another; every redirect is checked the same way, at most
``MAX_REDIRECTS``; the body is read up to ``max_bytes`` and the whole fetch ends by ``timeout`` seconds.

Plain Python (the standard library and certifi): no Django, nothing of the rooms."""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import certifi

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "saferstaff (a school's safeguarding record; one page, on request)"


def _in_words(exc: Exception) -> str:
    """Why a fetch failed, for school staff (never a Python class name)."""
    if isinstance(exc, ConnectionRefusedError):
        return "the site refused the connection"
    if isinstance(exc, ConnectionError):
        return "the site closed the connection"
    if isinstance(exc, ssl.SSLError):
        return "the site's secure connection could not be checked"
    if isinstance(exc, (http.client.HTTPException, ValueError)):
        return "the site's answer could not be read"
    return "the site could not be reached"


class FetchRefused(Exception):
    """The URL may not be fetched, or the fetch broke a limit: the message says which, for the school office."""


@dataclass
class Fetched:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    address: str  # the IP address connected to
    redirects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        """The first header of that name (any case), or ""."""
        return next((v for n, v in self.headers if n.lower() == name.lower()), "")

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";", 1)[0].strip().lower()


def _public(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address)
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    return not (
        ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
        or getattr(ip, "is_site_local", False)  # fec0::/10: deprecated, still routed inside some networks
        or not ip.is_global
    )  # fmt: skip


def refuse_private_literal(host: str, *, allow_loopback: bool = False) -> None:
    """A host written as an IP address is checked at once, before anything waits for a fetch: the person who
    typed it is told there and then. A name is resolved, and its addresses checked, only by ``resolve``."""
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        return
    if not _public(address, allow_loopback):
        raise FetchRefused(f"{host} is not on the public internet, so saferstaff does not fetch it")


def resolve(host: str, port: int, *, allow_loopback: bool = False) -> str:
    """The one address to connect to for ``host``: refused unless every address the name gives is public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(f"The address {host!r} could not be found") from None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise FetchRefused(f"The address {host!r} could not be found")
    for address in addresses:
        if not _public(address, allow_loopback):
            shown = host if host == address else f"{host} ({address})"
            raise FetchRefused(f"{shown} is not on the public internet, so saferstaff does not fetch it")
    return addresses[0]


class _Pinned(http.client.HTTPConnection):
    """A connection to an address already checked, whatever the name resolves to now."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        context = ssl.create_default_context(cafile=certifi.where())
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = raw  # held here first: the watchdog cuts a handshake that never ends too
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def fetch(
    url: str,
    *,
    max_bytes: int = 20_000_000,
    timeout: float = 20.0,
    allow_loopback: bool = False,
    follow_redirects: bool = True,
) -> Fetched:
    """GET ``url`` within the limits above. Raises FetchRefused with a reason a school office can act on.
    ``follow_redirects=False`` returns a redirect as it is (its Location in ``headers``), for a caller that
    decides itself where it may go next (a sweep: robots.txt, the site's own host)."""
    deadline = time.monotonic() + timeout
    asked, redirects = url, []
    for _ in range(MAX_REDIRECTS + 1):
        try:
            parts = urlsplit(url)
        except ValueError:  # an address that is none at all ("http://[oops"), asked for or redirected to
            raise FetchRefused("Only web addresses starting http:// or https:// are fetched") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchRefused("Only web addresses starting http:// or https:// are fetched")
        if parts.username or parts.password:
            raise FetchRefused("A web address with a user name or password in it is not fetched")
        port = _port(parts)
        address = resolve(parts.hostname, port, allow_loopback=allow_loopback)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused(f"The page did not answer within {timeout:.0f} seconds")
        kind = _PinnedTLS if parts.scheme == "https" else _Pinned
        conn = kind(parts.hostname, port, address, timeout=left)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        watchdog = _cut_at(deadline, conn)
        try:
            conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            sock = conn.sock  # the connection lets go of it once the response is read to its end
            response = conn.getresponse()
            if follow_redirects and response.status in REDIRECTS and response.getheader("Location"):
                redirects.append(url)
                url = urljoin(url, response.getheader("Location"))
                conn.close()
                continue
            body = _read(sock, response, max_bytes, deadline, timeout)
            return Fetched(asked, url, response.status, response.getheaders(), body, address, redirects)
        except TimeoutError:
            raise FetchRefused(f"The page did not answer within {timeout:.0f} seconds") from None
        # ValueError: a Location that is no address ("http://[oops"), a header no request may carry
        except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as exc:
            if time.monotonic() >= deadline:  # cut off by the watchdog
                raise FetchRefused(f"The page did not answer within {timeout:.0f} seconds") from None
            raise FetchRefused(f"The page could not be fetched: {_in_words(exc)}") from None
        finally:
            watchdog.cancel()
            conn.close()
    raise FetchRefused(f"The page redirected more than {MAX_REDIRECTS} times")


def _cut_at(deadline: float, conn) -> threading.Timer:
    """A watchdog that shuts the connection at ``deadline``, whatever it is waiting for: a socket's timeout
    counts each read alone, so a server sending its headers a byte at a time would otherwise hold the worker
    for as long as it likes."""

    def cut():
        if (sock := conn.sock) is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), cut)
    timer.daemon = True
    timer.start()
    return timer


def _port(parts) -> int:
    """The port to connect to; an address whose port no server can have (out of range, not a number) is refused
    here, as every other unfetchable address is, never left to fail later."""
    try:
        port = parts.port
    except ValueError:
        raise FetchRefused("The web address has a port that cannot exist: check the address") from None
    return port or (443 if parts.scheme == "https" else 80)


def _read(sock, response, max_bytes: int, deadline: float, timeout: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.isascii() and length.isdigit() and int(length) > max_bytes:
        raise FetchRefused(f"The page is larger than {max_bytes // 1_000_000} MB: it is not fetched")
    chunks, size = [], 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused(f"The page did not finish within {timeout:.0f} seconds")
        if response.isclosed():  # the whole body has been read
            return b"".join(chunks)
        sock.settimeout(left)  # a page that trickles is held to the whole fetch's limit, not each read's
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise FetchRefused(f"The page is larger than {max_bytes // 1_000_000} MB: it is not fetched")
        chunks.append(chunk)
