"""Opening untrusted image bytes (a photo found on a web page, in a PDF) with bounds: the pixel count is read
from the header and checked before anything is decoded; a big JPEG is decoded straight at a small size (the
hashes need 32 × 32 pixels); an animated image gives its first frame."""

import io
import warnings

from PIL import Image

# A school camera takes at most ~50 megapixels; a photo on a web page or in a newsletter far fewer.
MAX_PIXELS = 64_000_000
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
            im = Image.open(io.BytesIO(data))
            check_pixels(im.width, im.height, max_pixels)
            im.seek(0)
            if im.format == "JPEG" and max(im.size) > WORKING_SIDE:
                im.draft("RGB" if im.mode != "L" else "L", (WORKING_SIDE, WORKING_SIDE))
            im.load()
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
    return working_copy(im)


def working_copy(im: Image.Image) -> Image.Image:
    """Reduced to about ``WORKING_SIDE`` a side by whole-pixel averaging (``reduce``: exact, fast)."""
    factor = max(im.size) // WORKING_SIDE
    if factor >= 2:
        im = im.reduce(factor)
    return im
