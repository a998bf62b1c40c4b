"""Checking what staff upload, and making safe copies of it.

Nothing here trusts the file: the type comes from its first bytes, the pixel count is checked before
any decoding (decompression bombs), every photo is fully decoded once (truncated files), camera details
are cleaned and bounded, and zips are checked as a whole (paths, sizes, ratios, counts) before any member
is read. Each problem names the file and says what to do. Published copies are re-encoded from pixels, so
no camera, location or other metadata survives."""

import datetime
import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.utils import timezone
from PIL import ExifTags, ImageFile
from PIL import Image as PILImage

from saferstaff.faces.images import is_heif  # also lets Pillow open HEIC (pillow-heif)
from saferstaff.photos import video
from saferstaff.zips import ZIP_ERRORS

# Pillow's own guard, as a second line behind our explicit pixel check.
PILImage.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS

PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIC": "image/heic"}
# The file name extension for each type the library stores (the type is sniffed from the content on upload).
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic", "video/mp4": "mp4"}
THUMB_SIZE = (480, 480)
PUBLISH_LONG_SIDE = 2048


def _storage_errors() -> tuple[type[BaseException], ...]:
    """What the file store raises when it is down or refuses: the disk's OSError; S3's botocore errors (not
    OSErrors) when django-storages' S3 backend is installed."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return (OSError,)
    return (OSError, BotoCoreError, ClientError)


STORAGE_ERRORS = _storage_errors()


class StoreUnreachable(Exception):
    """The file store (S3 or the disk) did not take a file: nothing of the upload was kept."""

    message = (
        "The photo store could not be reached, so no images were added. Upload them again in a few minutes; "
        "if it keeps happening, tell whoever runs saferstaff for your school"
    )


class FileProblem(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass
class Checked:
    name: str
    data: bytes
    kind: str  # Image.Kind
    content_type: str
    sha256: str
    width: int | None = None
    height: int | None = None
    captured_at: datetime.datetime | None = None
    make: str = ""
    model: str = ""
    serial: str = ""
    had_gps: bool = False
    thumbnail: bytes | None = None


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def _text(value, limit: int = 60) -> str:
    """A camera field as bounded, printable text (junk and odd encodings are common)."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        value = str(value)
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value[: limit * 4]).split())[:limit]


def _exif_datetime(value) -> datetime.datetime | None:
    text = _text(value, 40)
    try:
        naive = datetime.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return timezone.make_aware(naive) if naive.year > 1970 else None


def sniff(data: bytes) -> str:
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if is_heif(head):
        return "HEIC"
    if head[4:8] == b"ftyp":
        return "MP4"
    return ""


def check_file(name: str, data: bytes) -> Checked:
    """Check one uploaded file; raise FileProblem with a message the school office can act on."""
    kind = sniff(data)
    if kind == "MP4":
        return _check_video(name, data)
    if kind not in PHOTO_TYPES:
        raise FileProblem(name, "is not a photo or video saferstaff takes (JPEG, PNG, HEIC, MP4 or MOV).")
    if len(data) > settings.IMAGE_MAX_BYTES:
        raise FileProblem(
            name,
            f"is {_mb(len(data))}; photos can be up to {_mb(settings.IMAGE_MAX_BYTES)}. Export a smaller copy.",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            warnings.simplefilter("error", UserWarning)  # Pillow only warns about corrupt EXIF
            im = PILImage.open(io.BytesIO(data))
            width, height = im.size
            if width * height > settings.IMAGE_MAX_PIXELS:
                raise FileProblem(
                    name,
                    f"says it is {width} × {height} pixels, far more than any school camera takes. "
                    "It may be a damaged or malicious file, and was not saved.",
                )
            if kind == "PNG" and width * height > 4_000_000 and width * height > 200 * len(data):
                raise FileProblem(
                    name,
                    "is a very large picture that compresses far too well to be a photo (it may be a "
                    "malicious file), and was not saved. Upload photos as JPEG.",
                )
            exif = _read_exif(name, im)
            im.draft("RGB", (THUMB_SIZE[0] * 2, THUMB_SIZE[1] * 2))
            # WeasyPrint sets this process-wide on import, which would let a cut-short photo through as a
            # grey-filled one. Nothing we render to PDF needs it, so it is switched back off here.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            im.load()  # decodes every byte: a truncated file fails here
            thumb = _thumbnail(im, exif.pop("_orientation", None))
    except FileProblem:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise FileProblem(
            name,
            "has far more pixels than any school camera takes. It may be a malicious file, and was not saved.",
        ) from None
    except UserWarning:
        raise FileProblem(name, DAMAGED_EXIF) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, ZeroDivisionError):
        raise FileProblem(
            name,
            "could not be read as a whole photo (it may be cut short or damaged). Copy it from the camera "
            "again, then upload it.",
        ) from None
    return Checked(
        name=name,
        data=data,
        kind="photo",
        content_type=PHOTO_TYPES[kind],
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        thumbnail=thumb,
        **exif,
    )


DAMAGED_EXIF = (
    "has damaged camera data (EXIF), so saferstaff cannot check which camera took it. Re-export the photo "
    "from the camera's software, then upload it again."
)


def _read_exif(name: str, im) -> dict:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # Pillow only warns about corrupt EXIF
            exif = im.getexif()
            sub = exif.get_ifd(ExifTags.IFD.Exif) if ExifTags.IFD.Exif in exif else {}
            gps = ExifTags.IFD.GPSInfo in exif and bool(exif.get_ifd(ExifTags.IFD.GPSInfo))
            orientation = exif.get(ExifTags.Base.Orientation)
    except Exception:  # Pillow raises many kinds on corrupt EXIF  # noqa: BLE001
        raise FileProblem(name, DAMAGED_EXIF) from None
    return {
        "make": _text(exif.get(ExifTags.Base.Make)),
        "model": _text(exif.get(ExifTags.Base.Model)),
        "serial": _text(sub.get(ExifTags.Base.BodySerialNumber)),
        "captured_at": _exif_datetime(
            sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
        ),
        "had_gps": bool(gps),
        "_orientation": orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else None,
    }


_ROTATE = {
    3: PILImage.Transpose.ROTATE_180,
    6: PILImage.Transpose.ROTATE_270,
    8: PILImage.Transpose.ROTATE_90,
}


def _upright(im, orientation):
    """The picture turned the right way up, carrying nothing but pixels (no EXIF, ICC, XMP or text)."""
    op = _ROTATE.get(orientation or 1)
    im = im.transpose(op) if op is not None else im.copy()
    im.info = {}
    return im


def _thumbnail(im, orientation) -> bytes:
    small = _upright(im.convert("RGB"), orientation)
    small.thumbnail(THUMB_SIZE)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def _check_video(name: str, data: bytes) -> Checked:
    if len(data) > settings.VIDEO_MAX_BYTES:
        raise FileProblem(
            name,
            f"is {_mb(len(data))}; videos can be up to {_mb(settings.VIDEO_MAX_BYTES)}. Trim it to the part you need.",
        )
    try:
        probe = video.probe(data)
    except video.VideoProblem as exc:
        raise FileProblem(name, str(exc)) from None
    return Checked(
        name=name,
        data=data,
        kind="video",
        content_type="video/mp4",
        sha256=hashlib.sha256(data).hexdigest(),
        width=probe.width,
        height=probe.height,
        captured_at=probe.recorded_at,
        make=_text(probe.make),
        model=_text(probe.model),
        had_gps=probe.had_location,
    )


def clean_copy_bytes(data: bytes, kind: str) -> bytes:
    """A copy for publication, re-encoded so no camera, location or other metadata survives: photos from
    pixels (upright, at most 2048 px, JPEG), videos by ffmpeg (picture and sound only, H.264/AAC)."""
    if kind == "video":
        return video.clean_copy(data)
    im = PILImage.open(io.BytesIO(data))
    im = _upright(im.convert("RGB"), im.getexif().get(ExifTags.Base.Orientation))
    im.thumbnail((PUBLISH_LONG_SIDE, PUBLISH_LONG_SIDE))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=88)
    return out.getvalue()


def copy_from_pixels(bgr) -> bytes:
    """A publication copy from an upright BGR array (after blurring): at most 2048 px, JPEG, no metadata."""
    im = PILImage.fromarray(bgr[:, :, ::-1].copy())
    im.thumbnail((PUBLISH_LONG_SIDE, PUBLISH_LONG_SIDE))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=88)
    return out.getvalue()


def clean_copy(image) -> bytes:
    with image.original.open("rb") as f:
        data = f.read()
    return clean_copy_bytes(data, image.kind)


# --- Zips ------------------------------------------------------------------------------------------------

_IGNORED = re.compile(r"(^|/)(__MACOSX/|\._|\.DS_Store$|Thumbs\.db$|desktop\.ini$)", re.I)
MAX_RATIO = 100  # photos and videos barely compress; a member that shrinks 100-fold is a bomb


def zip_members(name: str, fileobj) -> Iterator[tuple[str, bytes]]:
    """Check the zip as a whole before reading anything, then yield (member name, bytes) one at a time,
    never reading more than the member said it holds."""
    try:
        zf = zipfile.ZipFile(fileobj)
        infos = [i for i in zf.infolist() if not i.is_dir() and not _IGNORED.search(i.filename)]
    except ZIP_ERRORS:
        raise FileProblem(
            name, "is not a zip file saferstaff can open. Make the zip again from the folder of photos."
        ) from None
    if not infos:
        raise FileProblem(name, "has no photos or videos in it.")
    if len(infos) > settings.ZIP_MAX_FILES:
        raise FileProblem(
            name,
            f"holds {len(infos)} files; a zip can hold up to {settings.ZIP_MAX_FILES}. Split it into smaller zips.",
        )
    for i in infos:
        path = PurePosixPath(i.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", i.filename):
            raise FileProblem(
                name,
                f"holds a file with an unsafe path ({_text(i.filename, 80)}). Nothing was saved. Make the zip "
                "again from the folder of photos.",
            )
        if i.flag_bits & 0x1:
            raise FileProblem(name, "is password-protected. Make the zip again without a password.")
        if i.file_size > max(settings.IMAGE_MAX_BYTES, settings.VIDEO_MAX_BYTES):
            raise FileProblem(
                name, f"holds {_text(i.filename, 80)}, which is {_mb(i.file_size)}: too big to take."
            )
        if i.file_size > 1024 * 1024 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise FileProblem(
                name,
                f"holds {_text(i.filename, 80)}, which unpacks to {_mb(i.file_size)} from "
                f"{i.compress_size} bytes. That is not a photo; the zip may be malicious. Nothing was saved.",
            )
    total = sum(i.file_size for i in infos)
    if total > settings.ZIP_MAX_BYTES:
        raise FileProblem(
            name,
            f"unpacks to {_mb(total)}; a zip can unpack to {_mb(settings.ZIP_MAX_BYTES)}. Split it into smaller zips.",
        )
    for i in infos:
        member = _text(i.filename, 200)
        try:
            with zf.open(i) as f:
                data = f.read(i.file_size + 1)
        except ZIP_ERRORS:
            raise FileProblem(
                member, "could not be unpacked from the zip (it is damaged). Make the zip again."
            ) from None
        if len(data) > i.file_size:
            raise FileProblem(
                member, "holds more than the zip said it would; the zip may be malicious. Nothing was saved."
            )
        yield member, data
