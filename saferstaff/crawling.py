"""Sweeping a school's own website (§5): every page of the site, within limits, and every image on it (and in
the PDFs it links to) looked up among the photos the school must not show there any more.

The walk: from the start URLs, following ``<a href>`` links; same host only (a start URL's scheme, host and
port, and https for the same host when it started on http); robots.txt honoured (RFC 9309: a robots.txt that is
missing or gives a 4xx allows everything, one that gives a 5xx stops the walk of that host; one that cannot be
fetched at all allows everything); at most ``max_pages`` pages and ``max_bytes`` bytes in all, within
``max_seconds``; ``delay`` seconds between requests, longer when robots.txt asks (up to ``MAX_CRAWL_DELAY``).
A link answered by a PDF is read for its images; a link answered by an image (a gallery's full-size photo) is an
image of the page that linked it.

Every request goes through ``saferstaff.fetching.fetch`` (SSRF-safe: no private address, every redirect
checked, bounded in bytes and time). A page's redirect is followed by the sweep, as a link (same host,
robots.txt, once); an image's or robots.txt's by the fetch. Each image URL is fetched once in a sweep, opened
with bounds (``imagematch.decode``), fingerprinted and looked up in the index given (``HashIndex``, or anything
with its ``matches``). Nothing on a page makes the sweep raise: what is refused is counted by reason (``reason``:
short, the same for every URL, naming no address) in the summary.

Plain Python: no Django, nothing of the rooms."""

import time
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from saferstaff.fetching import REDIRECTS, Fetched, FetchRefused, fetch
from saferstaff.imagematch import ImageRefused, TooManyImages, fingerprint, images_in_html, images_in_pdf
from saferstaff.imagematch.webpage import read_html

AGENT = "saferstaff"
MAX_LINKS = 2000  # per page; a page with more is a list no school site needs walking in full
MAX_CRAWL_DELAY = 30.0  # seconds: a robots.txt's Crawl-delay is honoured up to this
HTML = {"text/html", "application/xhtml+xml"}


@dataclass(frozen=True)
class Limits:
    max_pages: int = 500
    max_bytes: int = 500_000_000  # every body fetched, pages, PDFs and images together
    max_seconds: float = 3600.0  # the whole sweep, delays included
    delay: float = 1.0  # seconds between requests
    page_bytes: int = 5_000_000
    pdf_bytes: int = 50_000_000
    image_bytes: int = 20_000_000
    images_per_page: int = 200
    timeout: float = 20.0  # one request
    allow_loopback: bool = False  # tests and benchmarks only


@dataclass(frozen=True)
class FoundCopy:
    page_url: str  # the page showing the image, or the PDF holding it
    image_url: str  # the image; for an image inside a PDF, the PDF
    key: object  # the index's key of the photo it matched
    distance: int  # pHash + dHash bits between them (0: identical)
    in_pdf: int | None = None  # which image of the PDF (1 = the first), for an image inside a PDF
    hashes: tuple[str, str] | None = None  # the image's own pHash and dHash, in hex (as a check keeps them)


@dataclass
class Summary:
    pages: int = 0  # pages, PDFs and linked images read (a 200 answer); what the school is told was checked
    fetched: int = 0  # every answer, a 404 or a redirect too: what the page limit counts
    bytes: int = 0
    images: int = 0  # images fingerprinted and looked up
    findings: int = 0
    refused: Counter = field(default_factory=Counter)  # reason → how many
    stopped: str = ""  # why the walk ended early, if it did
    seconds: float = 0.0  # the sweep's time without its polite delays
    waited: float = 0.0  # time spent in polite delays


def _normal(url: str) -> str:
    """One spelling of a page's address: a default, empty or zero-padded port ("host:080") is no new page."""
    parts = urlsplit(url)
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower().removesuffix(":")
    try:
        port = parts.port
    except ValueError:
        port = None  # left as it is: the fetch refuses it
    if port is not None:
        host = netloc.rsplit(":", 1)[0]
        netloc = host if port == {"http": 80, "https": 443}.get(scheme) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def reason(exc: Exception) -> str:
    """A refusal's reason, short and the same for every URL (the messages name the limit, for staff)."""
    message = str(exc)
    if isinstance(exc, TooManyImages):
        return "too many images"
    if isinstance(exc, ImageRefused):
        if "larger than any photo" in message or "more pixels" in message:
            return "too many pixels"
        if "inflates" in message:
            return "image inflates too far"
        if "PDF" in message:
            return "PDF unreadable"
        return "image unreadable"
    if isinstance(exc, FetchRefused):
        for phrase, code in (
            ("larger than", "too large"),
            ("did not answer", "too slow"),
            ("did not finish", "too slow"),
            ("public internet", "not a public address"),
            ("redirected more than", "too many redirects"),
        ):
            if phrase in message:
                return code
        return "could not fetch"
    return f"error: {type(exc).__name__}"


def _robots_lines(text: str) -> list[str]:
    """robots.txt's lines, less a Crawl-delay or Request-rate written in other digits ("²"): the standard
    parser takes them for numbers and raises, which left the whole site unswept."""
    return [
        line
        for line in text.splitlines()
        if line.isascii() or line.split(":", 1)[0].strip().lower() not in ("crawl-delay", "request-rate")
    ]


class _Links(HTMLParser):
    def __init__(self, base: str):
        super().__init__(convert_charrefs=True)
        self.base, self.based, self.links = base, False, []

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        try:
            if tag == "base" and a.get("href") and not self.based:
                self.base, self.based = urljoin(self.base, a["href"]), True
            elif tag == "a" and a.get("href") and len(self.links) < MAX_LINKS:
                self.links.append(urljoin(self.base, a["href"].strip()))
        except ValueError:  # not an address at all ("http://[")
            pass

    handle_startendtag = handle_starttag


def links_in_html(html: bytes, base_url: str) -> list[str]:
    """The http(s) addresses of a page's ``<a href>`` links (at most ``MAX_LINKS``), fragments dropped."""
    parser = _Links(base_url)
    read_html(parser, html.decode("utf-8", errors="replace"))
    return [_normal(url) for url in parser.links if urlsplit(url).scheme in ("http", "https")]


class Sweep:
    """``for finding in Sweep(start_urls, index, limits)``: the findings as they are made; ``summary`` is
    filled in as the sweep goes, complete when the loop ends."""

    def __init__(self, start_urls: list[str], index, limits: Limits = Limits(), *, sleep=time.sleep):
        self.starts = [_normal(u) for u in start_urls]
        self.index, self.limits, self.sleep = index, limits, sleep
        self.summary = Summary()
        self.origins = set()
        for url in self.starts:
            scheme, host, port = _origin(url)
            self.origins.add((scheme, host, port))
            if scheme == "http" and port == 80:
                self.origins.add(("https", host, 443))
        self.robots: dict[tuple, RobotFileParser | None] = {}
        self.images: dict[str, list[tuple[object, int]]] = {}  # image URL → its matches (fetched once)
        self.hashes: dict[str, tuple[str, str]] = {}  # image URL → its own hashes
        self.off_site: set[str] = set()
        self.requested = self.spent = False
        self.delay = limits.delay  # raised by a robots.txt's Crawl-delay
        self.deadline = 0.0

    def __iter__(self):
        started = time.monotonic()
        self.deadline = started + self.limits.max_seconds
        try:
            yield from self._walk()
        finally:
            self.summary.seconds = time.monotonic() - started - self.summary.waited

    # --- the walk ---------------------------------------------------------------------------------------------

    def _walk(self):
        queue = deque((url, url) for url in self.starts)  # (page, the page that linked it)
        seen = set(self.starts)
        while queue:
            stop = self._stop()
            if stop:
                self.summary.stopped = stop
                self.summary.refused[f"not visited: {stop}"] += len(queue)
                return
            url, referrer = queue.popleft()
            try:
                for link in (yield from self._visit(url, referrer)):
                    if link in seen:
                        continue
                    if _origin(link) not in self.origins:
                        if link not in self.off_site and len(self.off_site) < 10 * self.limits.max_pages:
                            self.off_site.add(link)
                            self.summary.refused["link to another site"] += 1
                    elif len(seen) < 20 * self.limits.max_pages:
                        seen.add(link)
                        queue.append((link, url))
            except Exception as exc:  # noqa: BLE001 — one bad page never ends the sweep; counted by its kind
                self.summary.refused[reason(exc)] += 1

    def _visit(self, url: str, referrer: str):
        """Fetch one page and yield its findings; returns the links on it."""
        if url in self.images:  # an image already fetched, linked as a page
            yield from self._found(referrer, url)
            return []
        if not self._allowed(url):
            return []
        try:
            pdf = urlsplit(url).path.lower().endswith(".pdf")
            fetched = self._fetch(url, self.limits.pdf_bytes if pdf else self.limits.page_bytes, follow=False)
        except FetchRefused as exc:
            self.summary.refused[reason(exc)] += 1
            return []
        if fetched is None:
            return []
        self.summary.fetched += 1
        if fetched.status == 200:
            self.summary.pages += 1
        if fetched.status in REDIRECTS and fetched.header("Location"):
            # followed here, not by the fetch, so robots.txt and the site's bounds apply to where it goes
            try:
                target = _normal(urljoin(url, fetched.header("Location").strip()))
            except ValueError:
                target = ""
            if urlsplit(target).scheme in ("http", "https") and _origin(target) in self.origins:
                return [target]
            self.summary.refused["redirected off the site"] += 1
        elif fetched.status != 200:
            self.summary.refused[f"HTTP {fetched.status}"] += 1
        elif fetched.content_type in HTML:
            yield from self._page_images(fetched)
            return links_in_html(fetched.body, fetched.final_url)
        elif fetched.content_type == "application/pdf" or fetched.body.startswith(b"%PDF-"):
            yield from self._pdf(fetched)
        elif fetched.content_type.startswith("image/"):
            self._remember(url, fetched.body)
            yield from self._found(referrer, url)
        return []

    def _stop(self) -> str:
        if self.summary.fetched >= self.limits.max_pages:
            return "page limit"
        if self.spent or self.summary.bytes >= self.limits.max_bytes:
            return "byte limit"
        if time.monotonic() >= self.deadline:
            return "time limit"
        return ""

    def _allowed(self, url: str) -> bool:
        """robots.txt of the URL's host, read once per sweep."""
        origin = _origin(url)
        if origin not in self.robots:
            parts = urlsplit(url)
            self.robots[origin] = self._robots(
                urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
            )
        rules = self.robots[origin]
        if rules is None:  # RFC 9309: the whole host is off limits while its robots.txt is unavailable
            self.summary.refused["not visited: robots.txt unavailable (5xx)"] += 1
            self.summary.stopped = self.summary.stopped or "robots.txt unavailable (5xx)"
            return False
        if not rules.can_fetch(AGENT, url):
            self.summary.refused["disallowed by robots.txt"] += 1
            return False
        return True

    def _robots(self, url: str) -> RobotFileParser | None:
        rules = RobotFileParser()
        try:
            fetched = self._fetch(url, 500_000)
        except FetchRefused:
            fetched = None  # could not be fetched: allowed
        if fetched is None or 400 <= fetched.status < 500:
            rules.allow_all = True
        elif fetched.status >= 500:
            return None
        else:
            rules.parse(_robots_lines(fetched.body.decode("utf-8", errors="replace")))
            asked = rules.crawl_delay(AGENT)
            if asked:
                self.delay = max(self.delay, min(float(asked), MAX_CRAWL_DELAY))
        return rules

    def _fetch(self, url: str, max_bytes: int, *, follow: bool = True) -> Fetched | None:
        """One request, after the polite delay; None when the byte budget is spent. Bytes kept are counted."""
        budget = self.limits.max_bytes - self.summary.bytes
        if budget <= 0:
            return None
        if self.requested and self.delay > 0:
            waited = time.monotonic()
            self.sleep(self.delay)
            self.summary.waited += time.monotonic() - waited
        self.requested = True
        try:
            fetched = fetch(
                url,
                max_bytes=min(max_bytes, budget),
                timeout=min(self.limits.timeout, max(0.1, self.deadline - time.monotonic())),
                allow_loopback=self.limits.allow_loopback,
                follow_redirects=follow,
            )
        except FetchRefused as exc:
            if budget < max_bytes and reason(exc) == "too large":
                self.spent = True  # what is left of the budget is too little for this body: the walk ends
                return None
            raise
        self.summary.bytes += len(fetched.body)
        return fetched

    # --- images -----------------------------------------------------------------------------------------------

    def _page_images(self, page: Fetched):
        try:
            urls = images_in_html(page.body, page.final_url, limit=self.limits.images_per_page)
        except TooManyImages as exc:
            self.summary.refused[reason(exc)] += 1
            urls = exc.first
        for url in urls:
            if url not in self.images:
                if self._stop():
                    return
                self._image(url)
            yield from self._found(page.final_url, url)

    def _image(self, url: str) -> None:
        self.images[url] = []
        try:
            fetched = self._fetch(url, self.limits.image_bytes)
        except FetchRefused as exc:
            self.summary.refused[f"image {reason(exc)}"] += 1
            return
        if fetched is None:
            return
        if fetched.status != 200:
            self.summary.refused[f"image HTTP {fetched.status}"] += 1
            return
        self._remember(url, fetched.body)

    def _remember(self, url: str, data) -> None:
        """Fingerprint the image (bytes or a PIL image), look it up, and keep its matches under ``url``."""
        try:
            found = fingerprint(data)
        except ImageRefused as exc:
            self.summary.refused[reason(exc)] += 1
            self.images[url] = []
            return
        self.summary.images += 1
        self.images[url] = self.index.matches(found)
        phash, dhash = found.variants[0]
        self.hashes[url] = (f"{phash:016x}", f"{dhash:016x}")

    def _found(self, page_url: str, image_url: str, in_pdf: int | None = None):
        key = image_url if in_pdf is None else f"{image_url}#{in_pdf}"
        for matched, distance in self.images.get(key, []):
            self.summary.findings += 1
            yield FoundCopy(page_url, image_url, matched, distance, in_pdf, self.hashes.get(key))

    def _pdf(self, pdf: Fetched):
        try:
            images = images_in_pdf(pdf.body)
        except TooManyImages as exc:
            self.summary.refused[reason(exc)] += 1
            images = exc.first
        except ImageRefused as exc:
            self.summary.refused[reason(exc)] += 1
            return
        for number, image in enumerate(images, 1):
            if time.monotonic() >= self.deadline:
                return
            self._remember(f"{pdf.final_url}#{number}", image)
            yield from self._found(pdf.final_url, pdf.final_url, number)
