"""Real photos for the images tests: JPEGs made with Pillow, carrying the EXIF a school camera writes."""

import datetime
import io

from PIL import Image as PILImage

from saferstaff.images.models import Activity, ActivityPupil, Device, Purpose
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
