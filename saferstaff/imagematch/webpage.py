"""The addresses of the images a web page shows: ``<img src>`` and ``srcset`` (and the ``data-src`` /
``data-srcset`` that lazy-loading scripts fill in), ``<picture><source srcset>``, CSS ``background-image``
``url()`` in ``style`` attributes and ``<style>`` elements, ``og:image`` / ``twitter:image`` meta tags and
``<link rel="image_src">``. Absolute (against ``<base href>`` when the page has one), http(s) only, each once,
in page order, at most ``MAX_IMAGES``. Images written into the page as ``data:image/`` addresses are listed only
when asked for (``inline``: a takedown's check compares them, as it compares every image the page shows), at
most ``limit`` of them besides the ``limit`` addresses to fetch."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from saferstaff.imagematch.decode import TooManyImages

MAX_IMAGES = 1000
CLOSE_MAX = 2000  # characters a page may leave open at its end and still be closed (see ``read_html``)

_META = {"og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"}
# CSS declarations that paint an image (not fonts, not @import): their url()s
_CSS_IMAGE = re.compile(
    r"(?:background(?:-image)?|list-style(?:-image)?|border-image(?:-source)?|content)\s*:\s*([^;}]*)", re.I
)
# An unquoted url() holds no bracket, quote or space (CSS): so each try stops at the next "url(", never at the
# end of the page, and a style never closed is read in linear time.
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^()\s'"]*))\s*\)""", re.I)


def images_in_html(
    html: str | bytes, base_url: str, *, limit: int = MAX_IMAGES, inline: bool = False
) -> list[str]:
    """Raises ``TooManyImages`` (holding the first ``limit``) when the page shows more."""
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    parser = _Images(base_url, limit, inline)
    read_html(parser, html)
    if parser.overflow:
        raise TooManyImages(
            f"The page shows more than {limit} images; the first {limit} were listed.", parser.urls
        )
    return parser.urls


def read_html(parser: HTMLParser, html: str) -> None:
    """Feed a whole page to ``parser`` in linear time. ``close()`` tries whatever a page leaves open at its end
    again from each "<" in it (60 KB of "<a " took 64 s), so it is called only when that is short; a page's
    unclosed last tag or comment is dropped, as a browser drops it. A construct the parser gives up on
    ("<![<![" raises AssertionError) ends the reading, keeping what was found before it."""
    try:
        parser.feed(html)
        if len(parser.rawdata) <= CLOSE_MAX:
            parser.close()
    except AssertionError:
        pass


def srcset_urls(value: str) -> list[str]:
    """The image candidates of a ``srcset``: each a URL (commas allowed inside it) and optional descriptors."""
    urls, i, n = [], 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0  # descriptors, up to the next comma outside brackets
            while i < n and (value[i] != "," or depth):
                depth += {"(": 1, ")": -1}.get(value[i], 0)
                i += 1
        if url:
            urls.append(url)
    return urls


def css_image_urls(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"@font-face\s*{[^{}]*}", "", css, flags=re.I)  # a block never closed: tried to the next "{"
    return [
        next(g for g in m.groups() if g is not None)
        for d in _CSS_IMAGE.finditer(css)
        for m in _CSS_URL.finditer(d.group(1))
    ]


class _Images(HTMLParser):
    def __init__(self, base_url: str, limit: int, inline: bool = False):
        super().__init__(convert_charrefs=True)
        self.base, self.limit, self.inline = base_url, limit, inline
        self.urls: list[str] = []
        self.written = 0  # of them, written into the page (``inline``): counted apart, as none is fetched
        self.seen: set[str] = set()
        self.overflow = False
        self.based = False
        self.in_style = False

    def add(self, url: str | None) -> None:
        url = (url or "").strip()
        if not url or self.overflow:
            return
        try:
            absolute = urljoin(self.base, url).split("#", 1)[0]
            written = self.inline and absolute[:11].lower() == "data:image/"
            if (urlsplit(absolute).scheme not in ("http", "https") and not written) or absolute in self.seen:
                return
        except ValueError:  # not an address at all ("http://[")
            return
        if (self.written if written else len(self.urls) - self.written) == self.limit:
            self.overflow = True
            return
        self.seen.add(absolute)
        self.urls.append(absolute)
        self.written += written

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "base" and "href" in a and not self.based:
            self.base, self.based = urljoin(self.base, a["href"]), True
        if tag == "img":
            for name in ("src", "data-src"):
                self.add(a.get(name))
        if tag in ("img", "source"):
            for name in ("srcset", "data-srcset"):
                for url in srcset_urls(a.get(name, "")):
                    self.add(url)
        if tag == "meta" and (a.get("property") or a.get("name") or "").strip().lower() in _META:
            self.add(a.get("content"))
        if tag == "link" and "image_src" in (a.get("rel") or "").lower().split():
            self.add(a.get("href"))
        if "style" in a:
            for url in css_image_urls(a["style"]):
                self.add(url)
        self.in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style:
            for url in css_image_urls(data):
                self.add(url)
