"""Benchmark: publishing a 12-megapixel photo with faces blurred — how long the web request takes, before
(everything in the request: decode, screening, both detectors, blurring) and now (the faces are found by the
worker; the request that publishes only decodes at about the copy's size, blurs and encodes) — and how long
counting the faces of a photo attached to a draft check takes (bounded in the request).

    .venv/bin/python benchmarks/publish_blur.py [--data ../shared/data/faces] [--runs 3]

The photo: 4000 × 3000, a face cut from each photo in DIR/enrol (up to eight) on a textured background, with
the real models. Run on this 2-core machine while other work shared it: the figures vary from run to run."""

import argparse
import io
import statistics
import time
from pathlib import Path

from _machine import machine

ROOT = Path(__file__).resolve().parent.parent


def make_photo(data: Path) -> bytes:
    import cv2
    import numpy as np
    from PIL import Image as PILImage

    from saferstaff.faces.images import load_image
    from saferstaff.faces.models import default

    rng = np.random.default_rng(3)
    canvas = rng.integers(90, 200, (3000, 4000, 3), dtype=np.uint8)
    detector = default()[0]
    for i, path in enumerate(sorted((data / "enrol").iterdir())[:8]):
        image = load_image(path.read_bytes())
        x, y, w, h = detector.detect(image)[0].box
        m = w // 2
        crop = image[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m]
        crop = cv2.resize(crop, (420, round(420 * crop.shape[0] / crop.shape[1])))[:600]
        top, left = 300 + (i // 4) * 1300, 200 + (i % 4) * 950
        canvas[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    out = io.BytesIO()
    PILImage.fromarray(canvas[:, :, ::-1]).save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "faces")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from _django import database  # sets up Django with a scratch database

    run(args, database)


def run(args, database) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from saferstaff.accounts.models import User
    from saferstaff.biometrics import blurring
    from saferstaff.biometrics.enrolment import blur_detectors
    from saferstaff.consent.models import Purpose
    from saferstaff.faces.blur import blur, find_faces
    from saferstaff.faces.images import load_image
    from saferstaff.photos.files import copy_from_pixels
    from saferstaff.photos.library import add_images
    from saferstaff.photos.models import Activity, Device, Image
    from saferstaff.postcheck.views import _faces_in
    from saferstaff.publishing import services as publishing
    from saferstaff.schools.setup import create_school

    call_command("migrate", verbosity=0)
    school = create_school(name="Publish Primary", urn="999003", la_number="999", establishment_number="9003")
    teacher = User.objects.create(email="t@bench.example", first_name="T", last_name="T", password="!")
    device = Device.objects.create(school=school, asset_tag="CAM-1", make="Canon", model="X", serial="1")
    website = Purpose.objects.get(school=school, code="website")

    def activity():  # one per run: the same photo is not added twice to one activity
        a = Activity.objects.create(
            device=device, school=school, title="Sports day", happens_on=timezone.localdate(), place="Field",
            after_use="Kept", not_one_to_one=True, requested_by=teacher, status=Activity.Status.APPROVED,
            decided_by=teacher,
        )  # fmt: skip
        a.purposes.add(website)
        return a

    photo = make_photo(args.data)
    old, start_times, check_times, publish_times, drafts = [], [], [], [], []
    for run in range(args.runs):
        (image,) = add_images(activity(), [("p.jpg", photo)], by=teacher)
        Image.objects.filter(pk=image.pk).update(flag="", no_pupils=True)
        image = Image.objects.get(pk=image.pk)
        # Before: all of it in the request (decode in full, screen, both detectors, blur, encode).
        t = time.perf_counter()
        with image.original.open("rb") as f:
            picture = load_image(f.read())
        plan = blurring.plan(image, website, picture)
        copy_from_pixels(blur(picture, [f["box"] for f in plan.blur]))
        old.append(time.perf_counter() - t)
        Image.objects.filter(pk=image.pk).update(faces_screened_with="")
        image.faces.all().delete()
        # Now: the request queues the check; the worker finds the faces; the publishing request blurs.
        t = time.perf_counter()
        req = publishing.start(image, website, "web", by=teacher, blur_faces=True)
        start_times.append(time.perf_counter() - t)  # (the test settings' immediate backend is not used here)
        t = time.perf_counter()
        publishing.check(req)
        check_times.append(time.perf_counter() - t)
        req.refresh_from_db()
        other = User.objects.create(
            email=f"s{run}@bench.example", first_name="S", last_name="S", password="!"
        )
        Image.objects.filter(pk=image.pk).update(no_pupils_by=other)
        t = time.perf_counter()
        publishing.publish(req, by=teacher)
        publish_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        _faces_in(io.BytesIO(photo))
        drafts.append(time.perf_counter() - t)
    faces = len(find_faces(load_image(photo), blur_detectors()))
    med = statistics.median
    print(f"# Publishing a 12-megapixel photo with faces blurred — {machine()}, {database()}")
    print(f"faces in the photo: {faces}; runs: {args.runs} (medians)")
    print(f"before, all in the web request:        {med(old):.2f} s")
    print(f"now, the request that asks to publish:  {med(start_times):.3f} s (queues the check)")
    print(f"now, the worker's check (faces found):  {med(check_times):.2f} s (off the request path)")
    print(
        f"now, the request that publishes:        {med(publish_times):.2f} s (decoded at half size, blurred, encoded)"
    )
    print(f"draft check, counting a photo's faces:  {med(drafts):.2f} s (decoded at half size)")


if __name__ == "__main__":
    main()
