"""saferstaff.crawling: a sweep of a school's own site, against real HTTP servers on loopback serving generated
pages, photos and PDFs — it stays on the site, honours robots.txt and its limits, fetches each image once, finds
a copy of an indexed photo on a page and in a PDF, and bounds every bad thing a page can hold."""

import io
import time
import zlib

import pytest

from saferstaff import fetching
from saferstaff.crawling import Limits, Sweep, links_in_html
from saferstaff.imagematch import fingerprint, images_in_html
from saferstaff.imagematch.index import HashIndex
from tests.loopback_site import html, serve
from tests.photo_scenes import captioned, pdf_with, resized, scene, shoot
from tests.test_imagematch import pdf_of_streams, png_header_declaring

LIMITS = Limits(delay=0, allow_loopback=True, timeout=5)
WHITE = (255, 255, 255)


def jpeg(image, quality=85) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photos():
    return {seed: shoot(scene(seed)) for seed in (1, 2, 3, 4, 10)}


@pytest.fixture(scope="module")
def index(photos):
    """The photos the school must not show: 1 (copied on a page), 2 (in a PDF), 3 (behind robots.txt), 4 (on
    another site). 10 is on the page too, and not in the index."""
    index = HashIndex()
    for seed in (1, 2, 3, 4):
        index.add(f"photo-{seed}", fingerprint(photos[seed]))
    return index


@pytest.fixture(scope="module")
def sites(photos):
    other = serve({"/": html('<img src="/copy4.jpg">'), "/copy4.jpg": (200, "image/jpeg", jpeg(photos[4]))})
    copy = jpeg(captioned(resized(photos[1], 0.5), 0.15, top=False, colour=WHITE), 70)
    newsletter = pdf_with([captioned(resized(photos[2], 0.6), 0.15, top=False, colour=WHITE)])
    school = serve(
        {
            "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/": html(
                '<a href="/news">News</a> <a href="/private/staff">Staff</a> <a href="/newsletter.pdf">N</a>'
                f' <a href="{other.url}/">Friends</a> <a href="/gallery#top">Gallery</a> <a href="/staff">Staff</a>'
                '<img src="/img/sports-day.jpg"><img src="/img/unrelated.jpg">'
            ),
            "/news": html('<a href="/">Home</a><img src="/img/sports-day.jpg"><a href="/news/2">Older</a>'),
            "/news/2": html('<a href="/news">Newer</a>'),
            "/gallery": html('<a href="/img/unrelated.jpg">full size</a>'),
            "/private/staff": html('<img src="/img/secret.jpg">'),
            "/staff": (302, "text/html", b"/private/rota"),
            "/private/rota": html('<img src="/img/secret.jpg">'),
            "/img/sports-day.jpg": (200, "image/jpeg", copy),
            "/img/unrelated.jpg": (200, "image/jpeg", jpeg(photos[10])),
            "/img/secret.jpg": (200, "image/jpeg", jpeg(photos[3])),
            "/newsletter.pdf": (200, "application/pdf", newsletter),
        }
    )
    yield school, other
    school.shutdown()
    other.shutdown()


def swept(start: str, index, limits: Limits = LIMITS):
    sweep = Sweep([start], index, limits)
    return list(sweep), sweep.summary


def test_a_copy_of_an_indexed_photo_is_found_on_a_page_and_inside_a_pdf(sites, index):
    school, _ = sites
    findings, summary = swept(school.url + "/", index)
    found = {
        (f.page_url.removeprefix(school.url), f.image_url.removeprefix(school.url), f.key, f.in_pdf)
        for f in findings
    }
    assert ("/", "/img/sports-day.jpg", "photo-1", None) in found
    assert ("/news", "/img/sports-day.jpg", "photo-1", None) in found
    assert ("/newsletter.pdf", "/newsletter.pdf", "photo-2", 1) in found
    assert all(f.distance <= 15 for f in findings)
    assert summary.findings == len(findings) == 3  # the unrelated photo matched nothing
    assert not [r for r in summary.refused if r.startswith("error")]


def test_an_unrelated_photo_is_looked_up_and_not_found(sites, index):
    school, _ = sites
    findings, summary = swept(school.url + "/gallery", index)
    assert summary.images == 1 and school.hits["/img/unrelated.jpg"] >= 1
    assert findings == []


def test_only_the_start_host_is_walked(sites, index):
    school, other = sites
    before = sum(other.hits.values())
    findings, summary = swept(school.url + "/", index)
    assert sum(other.hits.values()) == before  # the link to another site (another port) is never followed
    assert summary.refused["link to another site"] == 1
    assert "photo-4" not in {f.key for f in findings}


def test_robots_txt_disallow_is_honoured(sites, index):
    school, _ = sites
    findings, summary = swept(school.url + "/", index)
    assert (
        school.hits["/private/staff"] == school.hits["/private/rota"] == school.hits["/img/secret.jpg"] == 0
    )
    # one link straight to a disallowed page, one by a redirect to another
    assert summary.refused["disallowed by robots.txt"] == 2
    assert "photo-3" not in {f.key for f in findings}


def test_each_image_is_fetched_once_in_a_sweep(sites, index):
    school, _ = sites
    school.hits.clear()
    swept(school.url + "/", index)
    # shown on two pages and linked from a third, each fetched once
    assert school.hits["/img/sports-day.jpg"] == 1
    assert school.hits["/img/unrelated.jpg"] == 1
    assert school.hits["/"] == 1  # "/gallery#top" and "/" from /news are the pages already seen


def test_the_page_limit_ends_the_walk(sites, index):
    school, _ = sites
    _, summary = swept(school.url + "/", index, Limits(max_pages=2, delay=0, allow_loopback=True))
    assert summary.pages == 2 and summary.stopped == "page limit"
    assert summary.refused["not visited: page limit"] >= 1


def test_a_page_that_answers_404_or_redirects_is_not_counted_as_checked():
    """The school reads "N pages checked": a missing page or a redirect was asked for, and counts towards the
    page limit, but nothing on it was checked -- it is listed under what was not read instead."""
    site = serve(
        {
            "/": html('<a href="/gone">old news</a> <a href="/moved">moved</a>'),
            "/moved": (302, "text/html", b""),
        }
    )
    try:
        _, summary = swept(site.url + "/", HashIndex())
        assert summary.pages == 1 and summary.fetched >= 3
        assert summary.refused["HTTP 404"] == 1
        _, summary = swept(site.url + "/", HashIndex(), Limits(max_pages=2, delay=0, allow_loopback=True))
        assert summary.pages == 1 and summary.fetched == 2 and summary.stopped == "page limit"
    finally:
        site.shutdown()


def test_the_byte_limit_ends_the_walk(sites, index):
    school, _ = sites
    limits = Limits(max_bytes=60_000, delay=0, allow_loopback=True)
    _, summary = swept(school.url + "/", index, limits)
    assert summary.stopped == "byte limit"
    assert summary.bytes <= 60_000
    assert summary.pages < 5


def endless(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    while True:
        handler.wfile.write(b"<p>more</p>" * 6000)


def test_robots_txt_5xx_stops_and_4xx_or_unfetchable_allows():
    down = serve({"/robots.txt": (503, "text/plain", b"busy"), "/": html('<a href="/a">a</a>')})
    missing = serve({"/": html('<a href="/a">a</a>'), "/a": html("a")})
    unreadable = serve({"/robots.txt": endless, "/": html('<a href="/a">a</a>'), "/a": html("a")})
    try:
        _, summary = swept(down.url + "/", HashIndex())
        assert summary.pages == 0 and down.hits["/"] == 0
        assert summary.refused["not visited: robots.txt unavailable (5xx)"] == 1
        assert summary.stopped == "robots.txt unavailable (5xx)"
        _, summary = swept(missing.url + "/", HashIndex())
        assert summary.pages == 2 and missing.hits["/robots.txt"] == 1
        _, summary = swept(unreadable.url + "/", HashIndex(), Limits(delay=0, allow_loopback=True, timeout=3))
        assert summary.pages == 2 and unreadable.hits["/robots.txt"] == 1  # endless: cut, and allowed
    finally:
        down.shutdown()
        missing.shutdown()
        unreadable.shutdown()


def declared_huge(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "image/jpeg")
    handler.send_header("Content-Length", str(2 * 1024**3))
    handler.end_headers()


def test_every_bad_thing_a_page_can_hold_is_bounded_and_counted(photos):
    many = pdf_of_streams([{"width": 16, "height": 16, "data": zlib.compress(bytes(256))}] * 10_000)
    bad = serve(
        {
            "/": html(
                '<a href="/endless">e</a><a href="/many.pdf">m</a><img src="/huge.jpg"><img src="/bomb.png">'
                '<img src="/broken.jpg"><img src="/gone.jpg">'
            ),
            "/endless": endless,
            "/many.pdf": (200, "application/pdf", many),
            "/huge.jpg": declared_huge,
            "/bomb.png": (200, "image/png", png_header_declaring(60_000, 60_000)),
            "/broken.jpg": (200, "image/jpeg", b"\xff\xd8\xff\xe0 not a photo"),
        }
    )
    try:
        limits = Limits(delay=0, allow_loopback=True, timeout=10, page_bytes=2_000_000)
        _, summary = swept(bad.url + "/", HashIndex(), limits)
    finally:
        bad.shutdown()
    assert summary.refused["too large"] == 1  # the endless page, cut at 2 MB
    assert summary.refused["image too large"] == 1  # 2 GB declared, not read
    assert summary.refused["too many pixels"] == 1  # the bomb: 3.6 gigapixels declared, never decoded
    assert summary.refused["image unreadable"] == 1
    assert summary.refused["image HTTP 404"] == 1
    assert summary.refused["too many images"] == 1  # the PDF of 10,000 images: the first 400 looked up
    assert summary.images == 400
    assert not [r for r in summary.refused if r.startswith("error")]


def test_a_redirect_to_loopback_is_refused_when_loopback_is_off(monkeypatch):
    inside = serve({"/": html("the server's own network"), "/photo.jpg": (200, "image/jpeg", b"")})
    school = serve(
        {
            "/": html('<a href="/moved">m</a><img src="/img/moved.jpg">'),
            "/moved": (302, "text/html", f"{inside.url}/".encode()),
            "/img/moved.jpg": (302, "text/html", f"{inside.url}/photo.jpg".encode()),
        },
        host="127.0.0.2",
    )
    public = fetching._public
    # 127.0.0.2 stands in for the school's public web server; every other address is judged as in production
    monkeypatch.setattr(fetching, "_public", lambda a, loopback: a == "127.0.0.2" or public(a, loopback))
    try:
        _, summary = swept(school.url + "/", HashIndex(), Limits(delay=0, allow_loopback=False))
        assert school.hits["/moved"] == 1 and school.hits["/img/moved.jpg"] == 1
        assert inside.hits.total() == 0
        assert summary.refused["redirected off the site"] == 1  # a page's redirect: not followed off the site
        assert summary.refused["image not a public address"] == 1  # an image's: refused by the fetch
    finally:
        inside.shutdown()
        school.shutdown()


def test_the_polite_delay_is_waited_between_requests_and_left_out_of_the_time(sites, index):
    school, _ = sites
    waits, before = [], school.hits.total()
    sweep = Sweep([school.url + "/news/2"], index, Limits(delay=0.5, allow_loopback=True), sleep=waits.append)
    list(sweep)
    requests = school.hits.total() - before  # robots.txt, /news/2, /news, /, its images, ...
    assert requests > 5 and waits == [0.5] * (requests - 1)
    assert sweep.summary.waited < 0.5  # the sleeps here return at once: nothing was waited, nothing taken off


def trickle(handler):
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    while True:
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.1)


def test_the_time_limit_cuts_a_slow_page_and_ends_the_walk():
    slow = serve(
        {"/": html('<a href="/slow">s</a><a href="/after">a</a>'), "/slow": trickle, "/after": html("")}
    )
    try:
        started = time.monotonic()
        _, summary = swept(slow.url + "/", HashIndex(), Limits(delay=0, allow_loopback=True, max_seconds=1.5))
        assert time.monotonic() - started < 4
    finally:
        slow.shutdown()
    assert summary.refused["too slow"] == 1
    assert summary.stopped == "time limit" and slow.hits["/after"] == 0


def test_the_site_is_its_start_hosts_and_https_of_an_http_start():
    sweep = Sweep(["http://School.example/", "https://blog.school.example:8443/news"], HashIndex())
    assert sweep.origins == {
        ("http", "school.example", 80),
        ("https", "school.example", 443),
        ("https", "blog.school.example", 8443),
    }


def test_links_are_absolute_without_fragments_and_a_broken_address_is_skipped():
    page = b'<base href="/news/"><a href="2#top">2</a><a href="http://[oops">x</a><a href="mailto:a@b">m</a>'
    assert links_in_html(page, "https://school.example/") == ["https://school.example/news/2"]


def test_a_broken_image_address_does_not_lose_the_page():
    page = b'<img src="http://[oops"><img src="/a.jpg"><a href="/next">n</a>'
    assert images_in_html(page, "https://school.example/") == ["https://school.example/a.jpg"]


def test_a_crawl_delay_in_robots_txt_lengthens_the_polite_delay_up_to_a_bound():
    polite = serve({"/robots.txt": (200, "text/plain", b"User-agent: *\nCrawl-delay: 3\n"), "/": html("")})
    greedy = serve(
        {"/robots.txt": (200, "text/plain", b"User-agent: *\nCrawl-delay: 86400\n"), "/": html("")}
    )
    try:
        for site, expected in ((polite, 3.0), (greedy, 30.0)):
            waits = []
            list(
                Sweep([site.url + "/"], HashIndex(), Limits(delay=1, allow_loopback=True), sleep=waits.append)
            )
            assert waits == [expected]  # robots.txt, then the page after the delay it asks for
    finally:
        polite.shutdown()
        greedy.shutdown()
