"""Opening untrusted image bytes (a photo found on a web page, in a PDF) with bounds: only the formats a web page
or a PDF shows photos in are decoded (no other Pillow decoder is reachable from a page); the pixel count is read
from the header and checked before anything is decoded; a big JPEG is decoded straight at a small size (the
hashes need 32 × 32 pixels), any other format whole, so to a lower bound; an animated image gives its first
frame. Whatever goes wrong in Pillow is an ``ImageRefused``."""

import io
import warnings

from PIL import Image

# A school camera takes at most ~50 megapixels; a photo on a web page or in a newsletter far fewer.
MAX_PIXELS = 64_000_000
# A format decoded whole (PNG, WebP, GIF…): 16 megapixels is 64 MB as RGBA, where 64 megapixels of PNG (250 KB
# of file) took 8 s and 490 MB. A published copy is at most 2,048 pixels a side, so 4,000 × 4,000 is plenty.
MAX_WHOLE_PIXELS = 16_000_000
# The formats photos are shown in on a web page or held in a PDF. A camera's JPEG with a second picture in it
# opens through "JPEG" as "MPO", and is decoded small as a JPEG is.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP", "TIFF", "JPEG2000")
DRAFTS = ("JPEG", "MPO")  # decoded straight at a small size
# The hashes read 32 × 32 (pHash) and 9 × 8 (dHash) pixels and the caption-band check 128 wide: 512 pixels a
# side keeps the detail every one of them needs while JPEG decoding skips the rest.
WORKING_SIDE = 512


class ImageRefused(Exception):
    """An image (or a page, or a PDF) that was not read, or not read whole: the message says why, for staff."""


class TooManyImages(ImageRefused):
    """More images than the limit: ``first`` holds those found up to the limit, so they can still be checked."""

    def __init__(self, message: str, first: list):
        super().__init__(message)
        self.first = first


def check_pixels(width: int, height: int, max_pixels: int = MAX_PIXELS) -> None:
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise ImageRefused(
            f"An image of {width} × {height} pixels is larger than any photo a school publishes; it was not opened."
        )


def open_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The image in ``data``, decoded at no more than about ``WORKING_SIDE`` pixels a side where the format allows
    it (JPEG), else whole and then reduced. Raises ``ImageRefused``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=FORMATS)
            drafted = im.format in DRAFTS
            check_pixels(im.width, im.height, max_pixels if drafted else min(max_pixels, MAX_WHOLE_PIXELS))
            im.seek(0)
            if drafted and max(im.size) > WORKING_SIDE:
                im.draft("RGB" if im.mode != "L" else "L", (WORKING_SIDE, WORKING_SIDE))
            im.load()
            return working_copy(im)
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own bound (photos.files sets it for the whole process) can come before ours: the same words.
        raise ImageRefused(
            "The image declares more pixels than any photo; it is larger than any photo a school publishes and "
            "was not opened."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ImageRefused(
            "The image could not be read whole (it may be cut short or not an image)."
        ) from None


# The modes the hashes read (``hashes.luminance``); any other (CIE Lab, HSV, 16-bit colour…) is made RGB first.
MODES = frozenset("1 L LA P PA RGB RGBA RGBX CMYK YCbCr I F I;16 I;16B I;16L".split())


def working_copy(im: Image.Image) -> Image.Image:
    """Reduced to about ``WORKING_SIDE`` a side by whole-pixel averaging (``reduce``: exact, fast). Raises
    ``ImageRefused`` for an image in a mode that cannot be read as colour or grey."""
    try:
        if im.mode not in MODES:
            im = im.convert("RGB")
        factor = max(im.size) // WORKING_SIDE
        if factor >= 2:
            if im.mode.startswith("I;16"):  # reduce has no 16-bit mode; 32-bit keeps every level
                im = im.convert("I")
            im = im.reduce(factor)
    except (OSError, ValueError):
        raise ImageRefused(
            "The image could not be read whole (its colours are in a form photos are not kept in)."
        ) from None
    return im
