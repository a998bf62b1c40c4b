"""Demo data for §5: the school's cameras, consent answers, an approved photo activity with a few made-up
pictures (coloured shapes, no people) and one waiting for approval. Called by ``load_demo``."""

import datetime
import io
import random

from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw

from saferstaff.consent import services as consent
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.photos import services
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Activity, Device, ImageTag
from saferstaff.schools.models import Guardianship, Pupil

CAMERA = ("Canon", "Canon PowerShot SX740 HS", "DEMO-CN-0001")


def picture(seed: int, camera=CAMERA) -> bytes:
    rnd = random.Random(seed)
    im = PILImage.new(
        "RGB", (1200, 800), (rnd.randint(150, 230), rnd.randint(150, 230), rnd.randint(150, 230))
    )
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y, r = rnd.randint(0, 1200), rnd.randint(0, 800), rnd.randint(30, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rnd.randint(0, 255) for _ in range(3)))
    exif = im.getexif()
    exif[0x010F], exif[0x0110] = camera[0], camera[1]
    exif.get_ifd(0x8769)[0xA431] = camera[2]
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=80)
    return out.getvalue()


def load(school, users) -> None:
    camera = Device.objects.create(
        school=school, make=CAMERA[0], model=CAMERA[1], serial=CAMERA[2], asset_tag="CAM-001"
    )
    Device.objects.create(school=school, kind=Device.Kind.TABLET, make="Apple", model="iPad (9th generation)",
                          serial="DEMO-IPAD-7", asset_tag="IPAD-007")  # fmt: skip
    purposes = {p.code: p for p in Purpose.objects.filter(school=school)}
    pupils = list(Pupil.objects.filter(school=school).order_by("pk"))
    links = {}
    for g in Guardianship.objects.filter(school=school, parental_responsibility=True).select_related(
        "guardian"
    ):
        links.setdefault(g.pupil_id, g.guardian)
    for n, pupil in enumerate(pupils):
        guardian = links.get(pupil.pk)
        if guardian is None or n % 10 == 9:
            continue  # not asked yet
        refuses_web = n % 7 == 3
        answers = [
            consent.Answer(pupil, purposes[c], ConsentRecord.Answer.YES)
            for c in ("learning_records", "display", "print")
        ]
        answers.append(
            consent.Answer(
                pupil,
                purposes["website"],
                ConsentRecord.Answer.NO if refuses_web else ConsentRecord.Answer.YES,
            )
        )
        consent.record_answers(school, answers, source=ConsentRecord.Source.GUARDIAN, guardian=guardian,
                               method=ConsentRecord.Method.PORTAL if n % 2 else ConsentRecord.Method.PAPER)  # fmt: skip
    teacher, head = users["teacher"], users["head"]
    year1 = [p for p in pupils if p.year_group == "1"][:20] or pupils[:20]
    harvest = services.request_activity(
        Activity(school=school, title="Harvest festival assembly", place="School hall", device=camera,
                 happens_on=timezone.localdate() - datetime.timedelta(days=7), not_one_to_one=True,
                 after_use="Uploaded to saferstaff, then deleted from the camera"),
        purposes=[purposes["learning_records"], purposes["website"], purposes["print"]],
        pupils=year1, by=teacher,
    )  # fmt: skip
    services.decide_activity(harvest, by=head, approve=True)
    images = add_images(harvest, [(f"IMG_{100 + i}.JPG", picture(i)) for i in range(6)], by=teacher)
    for i, image in enumerate(images):
        for pupil in year1[i * 3 : i * 3 + 3]:
            services.tag(image, pupil, by=teacher, source=ImageTag.Source.MANUAL)
    services.request_activity(
        Activity(school=school, title="Sports day", place="School field", device=camera,
                 happens_on=timezone.localdate() + datetime.timedelta(days=14), not_one_to_one=True,
                 after_use="Best photos on the website; the rest deleted after a year"),
        purposes=[purposes["website"], purposes["social_media"]], pupils=pupils, by=teacher,
    )  # fmt: skip
