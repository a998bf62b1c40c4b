"""Real photos and videos for the images tests: JPEGs and HEICs made with Pillow (and pillow-heif), carrying
the EXIF a school camera writes, and short MOVs made by ffmpeg carrying what a phone writes."""

import datetime
import io
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg
import pillow_heif
from PIL import Image as PILImage

from saferstaff.consent.models import Purpose
from saferstaff.photos.models import Activity, ActivityPupil, Device
from saferstaff.schools.models import Guardian, Guardianship, Pupil

SCHOOL_CAMERA = {"make": "Canon", "model": "Canon PowerShot SX740 HS", "serial": "CN1234567"}
PERSONAL_PHONE = {"make": "Apple", "model": "iPhone 15", "serial": "PHONE-99"}


def jpeg(
    *,
    make: str | None = "Canon",
    model: str | None = "Canon PowerShot SX740 HS",
    serial: str | None = "CN1234567",
    taken: datetime.datetime | None = None,
    gps: bool = False,
    size=(640, 480),
    colour=(90, 140, 200),
    orientation: int | None = None,
) -> bytes:
    im = PILImage.new("RGB", size, colour)
    exif = im.getexif()
    if make is not None:
        exif[0x010F] = make
    if model is not None:
        exif[0x0110] = model
    if orientation:
        exif[0x0112] = orientation
    sub = exif.get_ifd(0x8769)
    if serial is not None:
        sub[0xA431] = serial
    if taken is not None:
        sub[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    if gps:
        g = exif.get_ifd(0x8825)
        g[1] = "N"
        g[2] = (53.0, 52.0, 0.0)
        g[3] = "W"
        g[4] = (1.0, 42.0, 0.0)
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def heic(
    *, make="Apple", model="iPad (9th generation)", size=(640, 480), colour=(90, 140, 200), gps=False
) -> bytes:
    """A HEIC photo as an iPad takes it (HEVC in a HEIF container, EXIF inside)."""
    im = PILImage.new("RGB", size, colour)
    exif = im.getexif()
    exif[0x010F] = make
    exif[0x0110] = model
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (53.0, 52.0, 0.0), "W", (1.0, 42.0, 0.0)
    out = io.BytesIO()
    pillow_heif.from_pillow(im).save(out, format="HEIF", exif=exif.tobytes())
    return out.getvalue()


def video(*, make="Apple", model="iPhone 15", recorded="2026-05-04T10:11:12Z", location=True,
          caption_track=False, seconds=1, size="320x240") -> bytes:  # fmt: skip
    """A short MOV as a phone records it: picture, sound, the camera's make and model, its recording time,
    where it was (ISO 6709) — and, with ``caption_track``, a third track that is neither picture nor sound."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "clip.mov"
        args = [ffmpeg, "-nostdin", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=10",
                "-f", "lavfi", "-i", f"sine=d={seconds}"]  # fmt: skip
        if caption_track:
            srt = Path(folder) / "where.srt"
            srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nAt +53.87-001.70 Acacia Avenue\n")
            args += ["-i", str(srt)]
        args += ["-map", "0:v", "-map", "1:a"] + (
            ["-map", "2:s", "-c:s", "mov_text"] if caption_track else []
        )
        args += [
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-metadata",
            f"creation_time={recorded}",
        ]
        if make:
            args += ["-metadata", f"com.apple.quicktime.make={make}"]
        if model:
            args += ["-metadata", f"com.apple.quicktime.model={model}"]
        if location:
            args += ["-metadata", "com.apple.quicktime.location.ISO6709=+53.8700-001.7000/"]
        args += ["-movflags", "use_metadata_tags", str(out)]
        subprocess.run(args, check=True, timeout=60)
        return out.read_bytes()


def add_device(school, **camera) -> Device:
    camera = camera or SCHOOL_CAMERA
    n = Device.objects.filter(school=school).count() + 1
    return Device.objects.create(school=school, asset_tag=f"CAM-{n:03d}", **camera)


def pupil_with_parents(school, forename="Amelia", surname="Oakes", *, dob=datetime.date(2019, 3, 1), year="1",
                       parents=1, without_pr=0):  # fmt: skip
    pupil = Pupil.objects.create(
        school=school, legal_forename=forename, legal_surname=surname, date_of_birth=dob, year_group=year,
        source_id=f"{forename}-{surname}-{Pupil.objects.count()}",
    )  # fmt: skip
    guardians = []
    for i in range(parents + without_pr):
        g = Guardian.objects.create(
            school=school, match_key=f"{pupil.pk}-{i}", forename=f"Parent{i}", surname=surname,
            email=f"parent{i}.{surname.lower()}.{pupil.pk}@home.example",
        )  # fmt: skip
        Guardianship.objects.create(
            school=school, pupil=pupil, guardian=g, relationship="Parent" if i < parents else "Grandparent",
            parental_responsibility=i < parents, contact_order=i + 1,
        )  # fmt: skip
        guardians.append(g)
    return pupil, guardians


def purpose(school, code) -> Purpose:
    return Purpose.objects.get(school=school, code=code)


def approved_activity(school, requested_by, approved_by, *, codes=("learning_records", "website"), pupils=()):
    device = Device.objects.filter(school=school).first() or add_device(school)
    activity = Activity.objects.create(
        school=school, title="Nativity play", happens_on=datetime.date.today(), place="School hall",
        device=device, after_use="Kept in the library for two years", not_one_to_one=True,
        requested_by=requested_by, status=Activity.Status.APPROVED, decided_by=approved_by,
    )  # fmt: skip
    activity.purposes.set(Purpose.objects.filter(school=school, code__in=codes))
    ActivityPupil.objects.bulk_create(
        [ActivityPupil(school=school, activity=activity, pupil=p) for p in pupils]
    )
    return activity
