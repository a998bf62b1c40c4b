"""saferstaff.fetching: a URL typed by a member of staff never reaches the server's own network, and a page
that is too large, never ends or redirects somewhere private is refused with a reason — against a real HTTP
server on loopback."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from saferstaff.fetching import FetchRefused, fetch, resolve


class Pages(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/ok":
            self._send(200, b"<html><body>Posts</body></html>", "text/html; charset=utf-8")
        elif self.path == "/scripted":
            body = b"<html><head><title>T</title><style>p{}</style></head><body><p>You are</p><script>x()</script><p>a liar</p></body></html>"
            self._send(200, body, "text/html")
        elif self.path == "/to-ok":
            self._redirect("/ok")
        elif self.path == "/to-private":
            self._redirect("http://10.0.0.1/admin")
        elif self.path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif self.path == "/loop":
            self._redirect("/loop")
        elif self.path == "/declared-huge":
            self.send_response(200)
            self.send_header("Content-Length", str(2 * 1024**3))
            self.end_headers()
        elif self.path == "/endless":
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass
        elif self.path == "/trickle":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
        else:
            self._send(404, b"no", "text/plain")

    def _send(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, where):
        self.send_response(302)
        self.send_header("Location", where)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_page_is_fetched_with_its_redirects_when_loopback_is_allowed(site):
    page = fetch(site + "/to-ok", allow_loopback=True)
    assert page.status == 200 and page.body == b"<html><body>Posts</body></html>"
    assert page.final_url == site + "/ok" and page.redirects == [site + "/to-ok"]
    assert page.content_type == "text/html" and page.address == "127.0.0.1"


def test_a_redirect_is_returned_as_it_is_when_the_caller_follows_redirects_itself(site):
    page = fetch(site + "/to-private", allow_loopback=True, follow_redirects=False)
    assert page.status == 302 and page.header("location") == "http://10.0.0.1/admin"
    assert page.final_url == site + "/to-private" and page.redirects == []


def test_loopback_is_refused_unless_the_caller_allows_it(site):
    with pytest.raises(FetchRefused, match="not on the public internet"):
        fetch(site + "/ok")
    port = site.rsplit(":", 1)[1]
    for host in ("localhost", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0"):
        with pytest.raises(FetchRefused):
            fetch(f"http://{host}:{port}/ok")


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "fd00::1",
        "fe80::1",
        "224.0.0.1",
    ],
)
def test_private_link_local_and_reserved_addresses_are_refused(address):
    with pytest.raises(FetchRefused, match="not on the public internet"):
        resolve(address, 80)


def test_a_redirect_to_a_private_address_is_refused(site):
    for path in ("/to-private", "/to-metadata"):
        with pytest.raises(FetchRefused, match="not on the public internet"):
            fetch(site + path, allow_loopback=True)


def test_only_http_and_https_without_credentials(site):
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x", "javascript:alert(1)", "http://"):
        with pytest.raises(FetchRefused, match="http:// or https://"):
            fetch(url)
    with pytest.raises(FetchRefused, match="user name or password"):
        fetch(site.replace("http://", "http://user:secret@") + "/ok", allow_loopback=True)


def test_too_many_redirects_are_refused(site):
    with pytest.raises(FetchRefused, match="redirected more than"):
        fetch(site + "/loop", allow_loopback=True)


def test_a_page_too_large_is_refused_declared_or_streamed(site):
    with pytest.raises(FetchRefused, match="larger than"):
        fetch(site + "/declared-huge", allow_loopback=True, max_bytes=1_000_000)
    with pytest.raises(FetchRefused, match="larger than"):
        fetch(site + "/endless", allow_loopback=True, max_bytes=1_000_000)


def test_a_page_that_trickles_is_cut_off_at_the_whole_fetchs_limit(site):
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="within 1 seconds"):
        fetch(site + "/trickle", allow_loopback=True, timeout=1.0)
    assert time.monotonic() - started < 3


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(FetchRefused, match="could not be found"):
        fetch("http://no-such-host.invalid/")
