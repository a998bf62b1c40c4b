"""Image matching (§5 takedown checks): copies match the photo they copy, other photos do not (not even another
shot of the same scene), the index finds what a linear scan finds, and images are found in pages and PDFs
within bounds. Generated scenes throughout; the face photos in ../shared/data/faces for real photos."""

import io
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, StreamObject

from saferstaff.imagematch import (
    Fingerprint,
    ImageRefused,
    TooManyImages,
    distance,
    fingerprint,
    images_in_html,
    images_in_pdf,
    open_image,
    same_photo,
)
from saferstaff.imagematch.hashes import PHASH_MAX
from saferstaff.imagematch.index import HashIndex, LinearScan
from tests.photo_scenes import captioned, encoded, pdf_with, resized, scene, shoot, transformations

from .conftest import skip_or_fail

FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces"
SEEDS = range(6)
COPIES = transformations(images_in_pdf)
# The newsletter copy (resized, captioned, re-encoded, in a PDF) is measured by the benchmark (about 95% match)
# rather than asserted here.
ASSERTED = [name for name in COPIES if not name.startswith("newsletter")]


@pytest.fixture(scope="module")
def photos():
    return {seed: shoot(scene(seed)) for seed in SEEDS}


@pytest.mark.parametrize("name", ASSERTED)
def test_each_kind_of_copy_matches_the_photo_it_copies(photos, name):
    for seed, photo in photos.items():
        assert same_photo(fingerprint(photo), fingerprint(COPIES[name](photo))), seed


def test_unrelated_photos_do_not_match():
    prints = [fingerprint(shoot(scene(100 + s))) for s in range(20)]
    matches = [
        (i, j) for i, a in enumerate(prints) for j, b in enumerate(prints) if i != j and same_photo(a, b)
    ]
    assert matches == []


def test_another_shot_of_the_same_scene_does_not_match(photos):
    for seed, photo in photos.items():
        assert not same_photo(fingerprint(photo), fingerprint(shoot(scene(seed), retake=1))), seed


@pytest.mark.parametrize("seed", [175, 192])
def test_the_retakes_the_full_benchmark_matched_at_the_earlier_thresholds_do_not_match(seed):
    """The two other shots of one scene the full run matched at pHash ≤ 10, dHash ≤ 5 (8 and 4 bits apart;
    6 and 5): a different photo, which a check must not call "still there"."""
    published, retake = fingerprint(shoot(scene(seed))), fingerprint(shoot(scene(seed), retake=1))
    assert not same_photo(published, retake)
    assert distance(published, retake)[0] > PHASH_MAX


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_resized_recompressed_captioned_copy_still_matches(seed):
    """What a school's website does to a photo: made smaller, a caption bar under it, saved as a JPEG again."""
    photo = shoot(scene(seed))
    copy = encoded(captioned(resized(photo, 0.6), 0.12, top=False, colour=(255, 255, 255)), "JPEG", 70)
    assert same_photo(fingerprint(photo), fingerprint(copy))


def test_a_caption_band_is_cut_off_and_the_photo_under_it_is_hashed():
    photo = fingerprint(shoot(scene(3))).variants[0][0]
    print_ = fingerprint(captioned(shoot(scene(3)), 0.15, top=False, colour=(255, 255, 255)))
    assert len(print_.variants) == 2  # as found, and without the band
    as_found, cut = ((p ^ photo).bit_count() for p, _ in print_.variants)
    assert cut <= 4 < as_found


def test_a_transparent_png_and_a_16_bit_grey_copy_match_the_photo(photos):
    photo = photos[4]
    rgba = photo.convert("RGBA")
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    sixteen = Image.fromarray(np.asarray(photo.convert("L"), dtype=np.uint16) * 257)
    assert same_photo(fingerprint(photo), fingerprint(buffer.getvalue()))
    assert same_photo(fingerprint(photo), fingerprint(sixteen))


def test_a_fingerprint_is_stored_in_a_few_bytes_and_read_back(photos):
    print_ = fingerprint(photos[0])
    stored = print_.to_bytes()
    assert len(stored) <= 2 + 16 * (3 + 13)
    again = Fingerprint.from_bytes(stored)
    assert again.variants == print_.variants and again.crops == print_.crops
    assert same_photo(again, fingerprint(COPIES["resized 50%"](photos[0])))
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(stored[:-1])


def test_different_photos_of_the_same_person_do_not_match_and_a_resaved_photo_does():
    if not FACES.is_dir():
        skip_or_fail(f"{FACES} is absent: the face photos are needed")
    enrolled = {p.stem: fingerprint(p.read_bytes()) for p in (FACES / "enrol").glob("*.jpg")}
    probes = {p.stem: fingerprint(p.read_bytes()) for p in (FACES / "probe").iterdir()}
    for name, probe in probes.items():
        person = name.split("__")[0]
        if person in enrolled:
            assert not same_photo(enrolled[person], probe), name
    # obama__rgba32 is obama__1 saved again as a 32-bit PNG: the same photo
    assert same_photo(probes["obama__1"], probes["obama__rgba32"])


# --- The index ------------------------------------------------------------------------------------------------


def test_the_index_finds_what_a_linear_scan_finds():
    rng = np.random.default_rng(5)

    def random_print():
        pairs = [tuple(int(x) for x in rng.integers(0, 2**63, 2)) for _ in range(14)]
        return Fingerprint((pairs[0],), tuple(pairs[1:]), (pairs[0],))

    stored = [random_print() for _ in range(3000)]
    index, scan = HashIndex(), LinearScan()
    for key, fp in enumerate(stored):
        index.add(f"copy-{key}", fp)
        scan.add(f"copy-{key}", fp)
    queries = [random_print() for _ in range(50)]
    for k in range(0, 3000, 60):  # a crop variant with a few bits changed in each hash
        p, d = stored[k].crops[k % 13]
        near = (p ^ 0b1000000010000000000000000000000000000001, d ^ 0b101)
        queries.append(Fingerprint((near,), (), (near,)))
    found = 0
    for q in queries:
        assert index.matches(q) == scan.matches(q)
        found += bool(index.matches(q))
    assert found >= 50


def test_the_index_finds_a_copy_among_other_photos(photos):
    index = HashIndex()
    for s in range(30):
        index.add(("other", s), fingerprint(shoot(scene(200 + s), retake=0)))
    index.add(("published", 2), fingerprint(photos[2]))
    assert [key for key, _ in index.matches(fingerprint(COPIES["mirrored"](photos[2])))] == [("published", 2)]


# --- Images in a page -----------------------------------------------------------------------------------------

PAGE = """<!doctype html><html><head>
<meta property="og:image" content="/social/og.jpg">
<meta name="twitter:image" content="https://cdn.example.org/tw.jpg">
<link rel="image_src" href="img/linked.jpg">
<style>
  @font-face { font-family: x; src: url(/fonts/x.woff2); }
  .hero { background-image: url("/img/hero.jpg"); color: red }
  @import url(/more.css);
</style></head><body>
<img src="photos/a.jpg" alt=""><img src="photos/a.jpg#again" alt="">
<img srcset="photos/b-480.jpg 480w, photos/b-960.jpg 960w" src="photos/b.jpg" alt="">
<picture><source srcset="photos/c.webp 1x, photos/c@2x.webp 2x" type="image/webp"><img src="photos/c.jpg" alt=""></picture>
<img data-src="photos/lazy.jpg" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="">
<div style="background: #fff url('banner.png') no-repeat"></div>
<a href="photos/not-an-image-link.jpg">link</a>
</body></html>"""


def test_every_way_a_page_shows_an_image_is_found_in_page_order_once():
    assert images_in_html(PAGE, "https://school.example.org/news/") == [
        "https://school.example.org/social/og.jpg",
        "https://cdn.example.org/tw.jpg",
        "https://school.example.org/news/img/linked.jpg",
        "https://school.example.org/img/hero.jpg",
        "https://school.example.org/news/photos/a.jpg",
        "https://school.example.org/news/photos/b.jpg",
        "https://school.example.org/news/photos/b-480.jpg",
        "https://school.example.org/news/photos/b-960.jpg",
        "https://school.example.org/news/photos/c.webp",
        "https://school.example.org/news/photos/c@2x.webp",
        "https://school.example.org/news/photos/c.jpg",
        "https://school.example.org/news/photos/lazy.jpg",
        "https://school.example.org/news/banner.png",
    ]


def test_base_href_and_commas_inside_srcset_urls():
    html = '<base href="https://img.example.org/x/"><img srcset="a,b.jpg 1x, c.jpg 2x" alt="">'
    assert images_in_html(html.encode(), "https://school.example.org/") == [
        "https://img.example.org/x/a,b.jpg",
        "https://img.example.org/x/c.jpg",
    ]


def test_a_page_with_too_many_images_is_cut_off_with_the_first_kept():
    html = "".join(f'<img src="/p/{n}.jpg" alt="">' for n in range(50))
    with pytest.raises(TooManyImages) as refused:
        images_in_html(html, "https://school.example.org/", limit=20)
    assert refused.value.first[-1] == "https://school.example.org/p/19.jpg" and len(refused.value.first) == 20


# --- Images in a PDF ------------------------------------------------------------------------------------------


def test_the_photos_in_a_pdf_newsletter_are_found_and_match(photos):
    images = images_in_pdf(pdf_with([photos[0], photos[1], photos[2]]))
    assert len(images) == 3
    for image, seed in zip(images, (0, 1, 2), strict=True):
        assert same_photo(fingerprint(photos[seed]), fingerprint(image))


def pdf_of_streams(streams: list[dict]) -> bytes:
    """A one-page PDF whose resources name each image stream given (dictionary entries and raw data)."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    xobjects = DictionaryObject()
    for n, spec in enumerate(streams):
        stream = StreamObject()
        stream.set_data(spec["data"])
        stream.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(spec["width"]),
                NameObject("/Height"): NumberObject(spec["height"]),
                NameObject("/ColorSpace"): NameObject("/DeviceGray"),
                NameObject("/BitsPerComponent"): NumberObject(8),
                NameObject("/Filter"): ArrayObject([NameObject("/FlateDecode")]),
            }
        )
        xobjects[NameObject(f"/Im{n}")] = writer._add_object(stream)
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_of_ten_thousand_images_is_cut_off_quickly():
    tiny = {"width": 16, "height": 16, "data": zlib.compress(bytes(256))}
    data = pdf_of_streams([tiny] * 10_000)
    started = time.monotonic()
    with pytest.raises(TooManyImages) as refused:
        images_in_pdf(data)
    assert time.monotonic() - started < 20
    assert "more than 400 images" in str(refused.value)


def test_an_image_declaring_too_many_pixels_in_a_pdf_is_refused():
    data = pdf_of_streams([{"width": 100_000, "height": 100_000, "data": zlib.compress(bytes(100))}])
    with pytest.raises(ImageRefused, match="larger than any photo"):
        images_in_pdf(data)


def test_a_pdf_image_that_inflates_far_past_what_it_declares_is_refused():
    bomb = zlib.compress(bytes(200_000_000), 9)  # 200 MB of zeros in about 200 KB
    data = pdf_of_streams([{"width": 100, "height": 100, "data": bomb}])
    with pytest.raises(ImageRefused, match="inflates"):
        images_in_pdf(data)


def test_not_a_pdf_is_refused():
    with pytest.raises(ImageRefused, match="could not be read"):
        images_in_pdf(b"%PDF-1.7 nothing else")


# --- Opening fetched image bytes ------------------------------------------------------------------------------


def png_header_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_an_image_declaring_a_huge_size_is_refused_before_it_is_decoded():
    with pytest.raises(ImageRefused):
        open_image(png_header_declaring(60_000, 60_000))
    with pytest.raises(ImageRefused, match="larger than any photo"):
        open_image(png_header_declaring(9_000, 9_000), max_pixels=50_000_000)


def test_damaged_bytes_are_refused_and_a_big_jpeg_is_decoded_small():
    with pytest.raises(ImageRefused, match="could not be read"):
        open_image(b"\xff\xd8\xff\xe0 not really a jpeg")
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (120, 80, 40)).save(buffer, "JPEG")
    assert max(open_image(buffer.getvalue()).size) <= 1000
