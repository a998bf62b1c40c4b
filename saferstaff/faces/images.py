"""Decoding photos for the face pipeline: upright (EXIF orientation applied), 8-bit BGR, whatever the file
holds (CMYK JPEG, 16-bit or palette PNG, RGBA, the first frame of an animated GIF). The pixel count is
checked from the header before anything is decoded."""

import io
import warnings

import cv2
import numpy as np
import pillow_heif
from PIL import Image, ImageOps

from saferstaff.faces.types import FaceError

MAX_PIXELS = 64_000_000

# HEIC/HEIF, what school iPads and iPhones take by default: pillow-heif's wheels carry libheif, and once its
# opener is registered Pillow reads these photos like any other (the same pixel and damage checks apply).
pillow_heif.register_heif_opener()
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def load_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    return load_scaled(data, max_pixels=max_pixels)[0]


def load_scaled(
    data: bytes, *, max_side: int | None = None, max_pixels: int = MAX_PIXELS
) -> tuple[np.ndarray, float]:
    """The photo, and how many of the photo's own pixels one returned pixel stands for. With ``max_side`` a
    JPEG is decoded straight at a smaller size (the decoder skips detail, several times faster) — enough to
    find and describe faces; coordinates times the factor are the photo's own."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            if im.width * im.height > max_pixels:
                raise FaceError(
                    f"The photo is {im.width} × {im.height} pixels, more than any school camera takes; "
                    "it was not opened."
                )
            im.seek(0)  # an animated GIF: its first frame
            full_width = im.width
            if max_side and im.format == "JPEG" and max(im.size) > max_side:
                im.draft("RGB", (max_side, max_side))  # sets the smaller size at once
            scale = full_width / im.width  # a DCT scaling: the same factor for both sides
            im = ImageOps.exif_transpose(im)
            im.load()
    except FaceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FaceError(
            "The photo has far more pixels than any school camera takes; it was not opened."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise FaceError("The photo could not be read whole (it may be cut short or not a photo).") from None
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(im, dtype=np.float32)
        top = float(array.max()) or 1.0
        im = Image.fromarray((array * (255.0 / top)).astype(np.uint8))
    rgb = np.asarray(im if im.mode == "RGB" else im.convert("RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), scale  # BGR, as OpenCV's models expect
