"""A web page captured as evidence by its address (§9: keep the evidence): fetched once by the SSRF-safe fetcher
(``saferstaff.fetching``), in the worker, and kept as ONE item — a WARC file (the web archive format, written with
``warcio``) holding the request, the response exactly as received, and the page's visible text as a conversion
record. One file, one hash: what the school received cannot be told apart from what it keeps."""

import http.client
import io
from html.parser import HTMLParser

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
