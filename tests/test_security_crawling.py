"""Attacks on the sweep of a school's site (saferstaff.crawling) and on what it opens (imagematch), each written
to fail before its fix: an image that breaks the hashing and so hid every later image on its page, a robots.txt
that made the whole site unswept, a few hundred KB of PNG that cost half a gigabyte, decoders no web page needs,
a PDF image whose real size hides behind its declared one, and one page walked again under endless port
spellings."""

import io
import time
import zlib

import numpy as np
import pytest
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from saferstaff.crawling import Limits, Sweep, links_in_html
from saferstaff.imagematch import (
    ImageRefused,
    fingerprint,
    images_in_html,
    images_in_pdf,
    open_image,
    same_photo,
)
from saferstaff.imagematch.index import HashIndex
from tests.loopback_site import html, serve
from tests.photo_scenes import scene, shoot
from tests.test_imagematch import pdf_of_streams

LIMITS = Limits(delay=0, allow_loopback=True, timeout=5)


def saved(image: Image.Image, kind: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def photo():
    return shoot(scene(7))


def test_an_unreadable_image_does_not_hide_the_next_image_on_its_page(photo):
    # A CIE Lab TIFF made fingerprint() raise ValueError, not ImageRefused: the sweep lost the rest of the page.
    index = HashIndex()
    index.add("photo-7", fingerprint(photo))
    lab = saved(Image.new("LAB", (64, 48)), "TIFF")
    site = serve(
        {
            "/": html('<img src="/lab.tif"><img src="/copy.jpg">'),
            "/lab.tif": (200, "image/tiff", lab),
            "/copy.jpg": (200, "image/jpeg", saved(photo.convert("RGB"), "JPEG")),
        }
    )
    try:
        sweep = Sweep([site.url + "/"], index, LIMITS)
        findings = list(sweep)
    finally:
        site.shutdown()
    assert [f.key for f in findings] == ["photo-7"]
    assert sweep.summary.images == 2  # the Lab image is read as colour now, and looked up too
    assert not [r for r in sweep.summary.refused if r.startswith("error")]


def test_a_16_bit_photo_larger_than_working_size_is_fingerprinted(photo):
    # reduce() has no 16-bit mode: a 16-bit grey TIFF over 1,024 pixels a side raised ValueError.
    grey = photo.convert("L").resize((1600, 1200))
    deep = Image.fromarray(np.asarray(grey).astype(np.uint16) * 257)
    assert deep.mode == "I;16"
    assert same_photo(fingerprint(grey), fingerprint(saved(deep, "TIFF")))


def test_a_small_png_that_decodes_to_hundreds_of_megabytes_is_refused_before_decoding():
    # 25 megapixels of RGBA: ~100 KB of PNG, 100 MB decoded whole (a PNG cannot be decoded small as a JPEG can).
    bomb = saved(Image.new("RGBA", (5000, 5000)), "PNG")
    assert len(bomb) < 200_000
    started = time.monotonic()
    with pytest.raises(ImageRefused, match="larger than any photo"):
        open_image(bomb)
    assert time.monotonic() - started < 0.5


def test_a_big_jpeg_is_still_opened_decoded_small():
    big = saved(Image.new("RGB", (6000, 4500), (90, 120, 40)), "JPEG")
    assert max(open_image(big).size) <= 1000


def test_a_camera_jpeg_with_a_second_picture_is_decoded_small(monkeypatch):
    # Pillow names a JPEG carrying MPF data (many cameras and phones) "MPO": it was decoded whole.
    im = Image.new("RGB", (4000, 3000), (10, 200, 90))
    mpo = saved(im, "MPO", save_all=True, append_images=[im.resize((400, 300))])
    drafted = []
    draft = JpegImageFile.draft
    monkeypatch.setattr(JpegImageFile, "draft", lambda self, *a: drafted.append(a) or draft(self, *a))
    assert max(open_image(mpo).size) <= 1000
    assert drafted


@pytest.mark.parametrize("kind", ["PCX", "SGI", "TGA", "PPM", "ICO"])
def test_a_format_no_web_page_shows_is_not_decoded(kind):
    # Every Pillow decoder (PCX, SGI, TGA, PSD, FLI, EPS through Ghostscript…) was reachable from any web page.
    with pytest.raises(ImageRefused, match="could not be read"):
        open_image(saved(Image.new("RGB", (64, 48), (1, 2, 3)), kind))


def test_a_pdf_image_larger_than_it_declares_is_refused():
    # Declared 100 × 100 (passes the bound), really 6,000 × 5,000 behind a FlateDecode: pypdf decoded it whole.
    real = saved(Image.new("L", (6000, 5000), 128), "JPEG")
    stream = {"data": zlib.compress(real), "width": 100, "height": 100}
    pdf = pdf_of_streams([stream])
    pdf = pdf.replace(b"/Filter [ /FlateDecode ]", b"/Filter [ /FlateDecode /DCTDecode ]")
    with pytest.raises(ImageRefused, match="larger than any photo"):
        images_in_pdf(pdf)


def test_a_robots_txt_crawl_delay_in_other_digits_does_not_stop_the_sweep():
    # "Crawl-delay: ²" made the standard parser raise: robots.txt was fetched again for every page, and every
    # page failed, so nothing of the site was swept.
    site = serve(
        {
            "/robots.txt": (
                200,
                "text/plain",
                "User-agent: *\nCrawl-delay: ²\nDisallow: /private/\n".encode(),
            ),
            "/": html('<a href="/news">n</a><a href="/private/x">p</a>'),
            "/news": html(""),
        }
    )
    try:
        sweep = Sweep([site.url + "/"], HashIndex(), LIMITS)
        list(sweep)
    finally:
        site.shutdown()
    assert sweep.summary.pages == 2
    assert site.hits["/robots.txt"] == 1
    assert sweep.summary.refused["disallowed by robots.txt"] == 1


def test_one_page_is_walked_once_however_its_port_is_spelled():
    # ":0PORT", ":00PORT"… are the same page: each spelling was a new page to fetch.
    site = serve({})
    port = site.url.rsplit(":", 1)[1]
    links = "".join(f'<a href="http://127.0.0.1:{"0" * n}{port}/">x</a>' for n in range(1, 30))
    site.routes["/"] = html(links)
    try:
        sweep = Sweep([site.url + "/"], HashIndex(), LIMITS)
        list(sweep)
    finally:
        site.shutdown()
    assert site.hits["/"] == 1
    assert sweep.summary.pages == 1


@pytest.mark.parametrize(
    "style", ["background:" + "url(" * 20_000, "@font-face{" * 20_000, 'background:url("' + 'url("a' * 20_000]
)
def test_a_style_the_page_never_closes_is_read_in_linear_time(style):
    # An unquoted url( or an @font-face { never closed was tried again from each start: 80 KB of "url(" took
    # 30 s, 160 KB over two minutes, and a 5 MB page holds the worker for hours (no deadline cuts a regex).
    page = f'<div style="{style}"></div><style>{style}</style><img src="/a.jpg">'.encode()
    started = time.monotonic()
    assert images_in_html(page, "https://school.example/")[-1] == "https://school.example/a.jpg"
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("tail", ["<a " * 20_000, "<!--" * 20_000])
def test_a_page_left_open_at_its_end_is_read_in_linear_time(tail):
    # html.parser's close() tried what a page leaves open again from each "<" to the end: 60 KB of "<a " took
    # 64 s in each of the two readers of a page (its links, its images).
    page = ('<img src="/a.jpg"><a href="/next">n</a>' + tail).encode()
    started = time.monotonic()
    assert images_in_html(page, "https://school.example/") == ["https://school.example/a.jpg"]
    assert links_in_html(page, "https://school.example/") == ["https://school.example/next"]
    assert time.monotonic() - started < 1.0


def test_a_construct_the_parser_gives_up_on_does_not_hide_the_images_before_it():
    # "<![<![" made html.parser raise AssertionError: images_in_html raised, and none of the page's images
    # (all before it) was looked up.
    page = b'<img src="/a.jpg"><a href="/next">n</a><![<![<![ and the rest'
    assert images_in_html(page, "https://school.example/") == ["https://school.example/a.jpg"]
    assert links_in_html(page, "https://school.example/") == ["https://school.example/next"]
