"""The images embedded in a PDF (a newsletter, a prospectus), with bounds: at most ``MAX_IMAGES`` images in at
most ``MAX_PAGES`` pages, each declaring at most ``MAX_PIXELS`` pixels (read from its dictionary before its
stream is decompressed), within ``DEADLINE`` seconds. pypdf bounds every decompressed stream (75 MB), so a
stream that inflates far past what it declares is refused, not decoded. JPEG (and JPEG 2000) streams are opened
by ``open_image``, whatever filter comes before: their real size checked, whatever the PDF declares, and decoded
straight at working size. Inline images (rare, and never photos) are not read."""

import io
import time

from PIL import Image
from pypdf import PdfReader
from pypdf.errors import LimitReachedError, PyPdfError

from saferstaff.imagematch.decode import ImageRefused, TooManyImages, check_pixels, open_image, working_copy

MAX_PAGES = 500
MAX_IMAGES = 400
MAX_PIXELS = 25_000_000  # 75 MB as 8-bit RGB: pypdf's own bound on one decoded image
DEADLINE = 30.0  # seconds for the whole PDF
MIN_SIDE = 16  # smaller images are rules and bullets, not photos: counted, not returned
MAX_FORM_DEPTH = 8
ENCODED = ("/DCTDecode", "/JPXDecode")  # a stream that is an image file: opened by ``open_image``


def images_in_pdf(
    data: bytes, *, max_images: int = MAX_IMAGES, max_pixels: int = MAX_PIXELS
) -> list[Image.Image]:
    """Every image in the PDF, in page order, each reduced to working size. Raises ``ImageRefused`` (the PDF
    could not be read, an image is too large or inflates too far, time ran out) or ``TooManyImages`` (with the
    first ``max_images`` images)."""
    walk = _Walk(max_images, max_pixels, time.monotonic() + DEADLINE)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ImageRefused("The PDF is locked with a password; its images could not be read.")
        if len(reader.pages) > MAX_PAGES:
            raise ImageRefused(
                f"The PDF has {len(reader.pages)} pages, more than {MAX_PAGES}; it was not read."
            )
        for number, page in enumerate(reader.pages, 1):
            walk.page = number
            walk.resources(page.get("/Resources"), 0)
    except ImageRefused:
        raise
    except LimitReachedError:
        raise ImageRefused(
            f"An image on page {walk.page} of the PDF inflates past every limit; it was refused."
        ) from None
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise ImageRefused("The PDF could not be read (it may be damaged or not a PDF).") from None
    return walk.images


class _Walk:
    def __init__(self, max_images: int, max_pixels: int, deadline: float):
        self.max_images, self.max_pixels, self.deadline = max_images, max_pixels, deadline
        self.images: list[Image.Image] = []
        self.seen: set[tuple[int, int]] = set()
        self.counted = 0
        self.page = 0

    def resources(self, resources, depth: int) -> None:
        if resources is None or depth > MAX_FORM_DEPTH:
            return
        xobjects = resources.get_object().get("/XObject")
        if xobjects is None:
            return
        for reference in xobjects.get_object().values():
            if time.monotonic() > self.deadline:
                raise ImageRefused(
                    f"Reading the PDF's images took longer than {DEADLINE:.0f} s; it was cut off."
                )
            key = (reference.idnum, reference.generation) if hasattr(reference, "idnum") else None
            if key in self.seen:
                continue  # the same image (a logo on every page) or a form drawn twice: once is enough
            if key:
                self.seen.add(key)
            xobject = reference.get_object()
            subtype = xobject.get("/Subtype")
            if subtype == "/Form":
                self.resources(xobject.get("/Resources"), depth + 1)
            elif subtype == "/Image":
                self.image(xobject)

    def image(self, xobject) -> None:
        self.counted += 1
        if self.counted > self.max_images:
            raise TooManyImages(
                f"The PDF holds more than {self.max_images} images; the first {self.max_images} were read.",
                self.images,
            )
        width, height = int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0))
        check_pixels(width, height, self.max_pixels)
        if min(width, height) < MIN_SIDE:
            return
        filters = xobject.get("/Filter")
        filters = [filters] if isinstance(filters, str) else list(filters or [])
        try:
            if filters and filters[-1] in ENCODED:
                # the JPEG (JPEG 2000) itself, after any filter before it: its own header gives its real size,
                # checked before it is decoded (pypdf decodes it whole, whatever the PDF declares)
                image = open_image(xobject.get_data(), max_pixels=self.max_pixels)
            else:
                image = working_copy(xobject.decode_as_image())
        except LimitReachedError:
            raise
        except ImageRefused:
            raise
        except (PyPdfError, OSError, ValueError, NotImplementedError, KeyError, TypeError):
            return  # a mask, a scan's fax image or a colour space Pillow cannot show: not a published photo
        self.images.append(image)
