"""Perceptual fingerprints of a photo and the rule that says two are the same photo.

A fingerprint is two independent 64-bit hashes of the photo's luminance (so a grey copy hashes like the colour
one): a pHash (the signs, against their median, of the 64 lowest frequencies of a 32 × 32 DCT) and a dHash
(whether each of 8 × 8 cells is darker than its right-hand neighbour, 9 × 8 pixels). Each is kept for the
photo as found and for its mirror image, and again for the photo with a caption band cut off when one is
found along its top or bottom edge (a newsletter's caption under a photo). A published copy also keeps the
hashes of 13 crops of itself (a tenth cut from the centre, each side, each corner; a twentieth from each corner),
so a copy cut down by up to a tenth is near one of them. Nothing of the pixels is kept: ``to_bytes`` is 226
bytes for most photos (14 pairs of hashes), at most 258."""

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from saferstaff.imagematch.decode import ImageRefused, open_image, working_copy

# The match rule, set by benchmarks/image_match.py (figures in docs/imagematch.md): two copies are the same
# photo when, for some pair of their variants, both hashes are within these Hamming distances. The full run
# (238 sources × 16 copies, 10,000 unrelated photos, 286 same-scene pairs) chose (4, 6): recall 0.9895, no
# unrelated and no same-scene pair matched; at the earlier (10, 5), 2 of the 286 same-scene pairs matched.
PHASH_MAX = 4
DHASH_MAX = 6

# Hashes are taken from the photo at this many pixels on its longer side (INTER_AREA: every pixel counts).
HASH_SIDE = 256
# A copy cut down by up to a tenth of its width and height is nearest to one of these crops of the published
# copy (CROP of each side kept, or half as much cut): the centre, each side, each corner.
CROP = 0.9
CROPS = 13
# A caption band: along the top or bottom edge, 4-30% of the height, mostly (BAND_SHARE) within BAND_SHADE grey
# levels of its outermost row, ending at a row where BAND_EDGE of the columns step by more than BAND_STEP.
BAND_MIN, BAND_MAX = 0.04, 0.30
BAND_SHADE, BAND_SHARE = 16, 0.6
BAND_STEP, BAND_EDGE = 24, 0.6

# The pHash's 64 coefficients: the 8 × 8 lowest frequencies without the mean (which carries no sign), and the
# next vertical one. A mirror image flips the sign of every coefficient of odd horizontal frequency.
_ROWS, _COLS = np.array(
    [(v, u) for v in range(9) for u in range(8) if (v, u) != (0, 0) and (v < 8 or u == 0)]
).T
_BITS = 1 << np.arange(63, -1, -1, dtype=np.uint64)


@dataclass(frozen=True)
class Fingerprint:
    variants: tuple[tuple[int, int], ...]  # (pHash, dHash) as found; then with a caption band cut off
    crops: tuple[tuple[int, int], ...] = ()  # of the centre and each corner cut to CROP of each side
    mirrored: tuple[tuple[int, int], ...] = ()  # ``variants`` of the mirror image

    def to_bytes(self) -> bytes:
        """What a published copy keeps: its variants and crops (a found image is fingerprinted afresh)."""
        hashes = [h for pair in self.variants + self.crops for h in pair]
        return bytes([len(self.variants), len(self.crops)]) + b"".join(h.to_bytes(8, "big") for h in hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Fingerprint":
        n, c = data[0], data[1]
        if not 1 <= n <= 3 or c > CROPS or len(data) != 2 + 16 * (n + c):
            raise ValueError("not a stored fingerprint")
        hashes = [int.from_bytes(data[i : i + 8], "big") for i in range(2, len(data), 8)]
        pairs = tuple(zip(hashes[0::2], hashes[1::2], strict=True))
        return cls(pairs[:n], pairs[n:])


def fingerprint(image: Image.Image | bytes) -> Fingerprint:
    """The fingerprint of a PIL image or of image bytes (opened with ``open_image``'s bounds)."""
    im = open_image(image) if isinstance(image, bytes | bytearray) else working_copy(image)
    grey = luminance(im)
    scale = HASH_SIDE / max(grey.shape)
    if scale < 1:
        size = (max(9, round(grey.shape[1] * scale)), max(9, round(grey.shape[0] * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    found = [grey, *(grey[rows] for rows in caption_bands(grey))]
    h, w = grey.shape
    crops = [grey[top : h - bottom, left : w - right] for top, bottom, left, right in _crop_edges(h, w)]
    return Fingerprint(
        tuple(_hashes(g) for g in found),
        tuple(_hashes(g) for g in crops),
        tuple(_hashes(g[:, ::-1]) for g in found),
    )


def _crop_edges(h: int, w: int) -> list[tuple[int, int, int, int]]:
    """Rows and columns cut off (top, bottom, left, right): a tenth from the centre, each corner, each side;
    a twentieth from each corner."""
    dy, dx = round(h * (1 - CROP)), round(w * (1 - CROP))
    centre = (dy // 2, dy - dy // 2, dx // 2, dx - dx // 2)
    sides = [(dy, 0, 0, 0), (0, dy, 0, 0), (0, 0, dx, 0), (0, 0, 0, dx)]
    corners = [
        (t, y - t, left, x - left)
        for y, x in ((dy, dx), (dy // 2, dx // 2))
        for t in (0, y)
        for left in (0, x)
    ]
    return [centre, *sides, *corners]


def luminance(im: Image.Image) -> np.ndarray:
    """Grey levels 0-255 (float32); transparent pixels count as white, as a page shows them."""
    if im.width < 8 or im.height < 8:
        raise ImageRefused("The image is too small to be a photo.")
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(im, dtype=np.float32)
        return array * (255.0 / (float(array.max()) or 1.0))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return np.asarray(im.convert("L"), dtype=np.float32)


def caption_bands(grey: np.ndarray) -> list[slice]:
    """The rows left when a caption band is cut off the top, or the bottom: one slice for each band found. A
    band ends at a row where nearly every column steps sharply (the photo's edge), and most of it is the shade
    of its outermost row (the bar; its text is the rest)."""
    height = grey.shape[0]
    step = (np.abs(grey[2:] - grey[:-2]) > BAND_STEP).mean(axis=1)  # step[i]: between rows i and i + 2
    cuts = []
    for top in (True, False):
        # n rows of band, the photo from row n (top) or up to height - n (bottom); the widest band first: the
        # caption's own text makes steps too, nearer the edge
        widest, narrowest = round(BAND_MAX * height), max(2, round(BAND_MIN * height))
        for n in range(widest, narrowest - 1, -1):
            i = n - 1 if top else height - n - 1
            if step[i] < BAND_EDGE:
                continue
            band = grey[: n - 1] if top else grey[height - n + 1 :]
            shade = np.median(band[0] if top else band[-1])
            if (np.abs(band - shade) <= BAND_SHADE).mean() >= BAND_SHARE:
                cuts.append(slice(n, None) if top else slice(0, height - n))
                break
    return cuts


def _hashes(grey: np.ndarray) -> tuple[int, int]:
    return phash(grey), dhash(grey)


def phash(grey: np.ndarray) -> int:
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA)
    coefficients = cv2.dct(small)[_ROWS, _COLS]
    return _pack(coefficients > np.median(coefficients))


def dhash(grey: np.ndarray) -> int:
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA)
    return _pack(small[:, :-1] < small[:, 1:])


def _pack(bits: np.ndarray) -> int:
    return int(np.sum(_BITS[bits.ravel()], dtype=np.uint64))


def distance(published: Fingerprint, found: Fingerprint) -> tuple[int, int]:
    """(pHash, dHash) Hamming distances of the closest pair of variants (the found copy's mirror included)."""
    return min(
        ((a ^ c).bit_count(), (b ^ d).bit_count())
        for a, b in published.variants + published.crops
        for c, d in found.variants + found.mirrored
    )


def same_photo(published: Fingerprint, found: Fingerprint) -> bool:
    return any(
        (a ^ c).bit_count() <= PHASH_MAX and (b ^ d).bit_count() <= DHASH_MAX
        for a, b in published.variants + published.crops
        for c, d in found.variants + found.mirrored
    )
