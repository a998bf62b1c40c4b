"""A web page captured as evidence by its address (§9: keep the evidence): fetched once by the SSRF-safe fetcher
(``saferstaff.fetching``), in the worker, and kept as ONE item — a WARC file (the web archive format, written with
``warcio``) holding the request, the response exactly as received, and the page's visible text as a conversion
record. One file, one hash: what the school received cannot be told apart from what it keeps."""

import base64
import http.client
import io
import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from saferstaff.fetching import USER_AGENT, Fetched, fetch

SKIP = {"script", "style", "noscript", "template", "svg", "head"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(" ".join(data.split()))


def visible_text(page: Fetched) -> str:
    """The words a reader sees on the page (scripts, styles and the head left out); other types: none."""
    if page.content_type not in ("text/html", "application/xhtml+xml", "text/plain"):
        return ""
    text = page.body.decode("utf-8", errors="replace")
    if page.content_type == "text/plain":
        return text
    parser = _Text()
    parser.feed(text)
    parser.close()
    return "\n".join(parser.parts)


def warc_of(page: Fetched) -> bytes:
    """The capture as a WARC file: request, response (headers and body as received), the visible text."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    target = page.final_url
    request = writer.create_warc_record(
        target, "request", payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders(f"GET {target} HTTP/1.1", [("User-Agent", USER_AGENT)], is_http_request=True),
    )  # fmt: skip
    response = writer.create_warc_record(
        target, "response", payload=io.BytesIO(page.body),
        http_headers=StatusAndHeaders(
            f"{page.status} {http.client.responses.get(page.status, '')}".strip(), page.headers, protocol="HTTP/1.1"
        ),
        warc_headers_dict={"WARC-IP-Address": page.address},
    )  # fmt: skip
    writer.write_record(request)
    writer.write_record(response)
    text = visible_text(page)
    if text:
        writer.write_record(
            writer.create_warc_record(
                target,
                "conversion",
                payload=io.BytesIO(text.encode()),
                warc_content_type="text/plain; charset=utf-8",
            )  # fmt: skip
        )
    return out.getvalue()


def capture(
    url: str, *, allow_loopback: bool = False, max_bytes: int = 20_000_000, timeout: float = 20.0
) -> bytes:
    """Fetch ``url`` (refusing what ``fetching.fetch`` refuses) and return the WARC of it."""
    return warc_of(fetch(url, allow_loopback=allow_loopback, max_bytes=max_bytes, timeout=timeout))


# --- A picture of the page, drawn offline from the kept copy ----------------------------------------------------
# The page goes to Chromium as a data: address (an opaque origin: it reaches no file of the server), with a
# policy in front of it that allows no script and nothing fetched, and a proxy that goes nowhere (loopback too),
# so nothing in the page can reach the network or the server. A data: address must fit on the command line.
SCREENSHOT_MAX_HTML = 90_000
SCREENSHOT_SIZE = "1200,1800"
OFFLINE = (
    b"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
    b'img-src data:; font-src data:">'
)
_DOCTYPE = re.compile(rb"^\s*<!doctype[^>]*>", re.IGNORECASE)


def kept_html(warc: bytes) -> bytes | None:
    """The HTML body of the response kept in ``warc`` (a capture by ``warc_of``), or None for anything else."""
    for record in ArchiveIterator(io.BytesIO(warc)):
        if record.rec_type == "response":
            kind = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
            body = record.content_stream().read()
            return body if kind in ("text/html", "application/xhtml+xml") else None
    return None


def screenshot(warc: bytes, *, chromium: str, timeout: float = 30.0) -> bytes | None:
    """A PNG of the page kept in ``warc`` as Chromium draws it with no script and no network; None when there
    is no Chromium, the page is not HTML or is too long to hand over, or Chromium draws nothing in time."""
    html = kept_html(warc)
    if not html or len(html) > SCREENSHOT_MAX_HTML or not chromium or not Path(chromium).exists():
        return None
    doctype = _DOCTYPE.match(html)
    at = doctype.end() if doctype else 0
    page = html[:at] + OFFLINE + html[at:]
    with tempfile.TemporaryDirectory(prefix="saferstaff-shot-") as folder:
        out = Path(folder) / "page.png"
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--dns-prefetch-disable", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={folder}/profile", f"--window-size={SCREENSHOT_SIZE}", "--virtual-time-budget=2000",
            f"--screenshot={out}", "data:text/html;base64," + base64.b64encode(page).decode("ascii"),
        ]  # fmt: skip
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        data = out.read_bytes() if out.exists() else b""
    return data if data.startswith(b"\x89PNG") else None
