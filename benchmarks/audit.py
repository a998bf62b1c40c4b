"""Benchmark: what one view of the image library costs in audit rows and time.

    .venv/bin/python benchmarks/audit.py [--images 100] [--runs 5]

A school with an approved activity of ``--images`` photos (small JPEGs stored as uploads are, with their
thumbnails), viewed by its Headteacher. One "page view" is what a browser does: GET the library filtered to
the activity (48 images a page), then GET every thumbnail the page's HTML names (the grid's ``<img src>``),
one after another through Django's test client (no network, no static files). Reported per page view: audit
rows written, SQL queries, and wall-clock and CPU milliseconds (medians of ``--runs``), and the same for the activity's own page.

The script reads nothing but the HTML and the audit table's row count, so the same file runs against older
code: to measure "before", export that commit (``git archive COMMIT | tar -x -C DIR``), copy this file into
DIR/benchmarks and run it there."""

import argparse
import re
import statistics
import time

import _django  # noqa: F401  (sets up Django)
from _machine import machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from saferstaff.accounts.models import User
from saferstaff.audit.models import AuditEvent
from saferstaff.consent.models import Purpose
from saferstaff.photos.library import add_images
from saferstaff.photos.models import Activity, Device
from saferstaff.schools.models import Membership, Role, RoleGrant
from saferstaff.schools.setup import create_school


def build(n_images: int):
    import datetime
    import io

    from allauth.mfa.totp.internal.auth import TOTP
    from PIL import Image as PILImage

    school = create_school(name="Bench Infant", urn="199999", la_number="383", establishment_number="2999")
    head = User.objects.create_user(email="head@bench.example", password="bench-password-1234")
    membership = Membership.objects.create(school=school, user=head)
    RoleGrant.objects.create(school=school, membership=membership, role=Role.HEADTEACHER)
    TOTP.activate(head, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    device = Device.objects.create(
        school=school, asset_tag="CAM-001", make="Canon", model="Canon PowerShot SX740 HS", serial="CN1"
    )
    activity = Activity.objects.create(
        school=school, title="Sports day", happens_on=datetime.date.today(), place="Field", device=device,
        after_use="Kept two years", not_one_to_one=True, requested_by=head,
        status=Activity.Status.APPROVED, decided_by=head,
    )  # fmt: skip
    activity.purposes.set(Purpose.objects.filter(school=school)[:1])
    files = []
    for n in range(n_images):
        im = PILImage.new("RGB", (320, 240), (n % 256, (n * 7) % 256, 120))
        exif = im.getexif()
        exif[0x010F], exif[0x0110] = "Canon", "Canon PowerShot SX740 HS"
        exif.get_ifd(0x8769)[0xA431] = "CN1"
        out = io.BytesIO()
        im.save(out, "JPEG", exif=exif, quality=80)
        files.append((f"IMG_{n:04d}.jpg", out.getvalue()))
    images = add_images(activity, files, by=head)
    assert len(images) == n_images
    return school, head, activity


def page_view(client: Client, url: str) -> tuple[int, int, int]:
    """GET the page and every thumbnail it shows; (rows written, thumbnails fetched, SQL queries)."""
    before = AuditEvent.objects.count()
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    # Not CaptureQueriesContext: each request's start clears the query log it reads.
    with connection.execute_wrapper(count):
        thumbs = _fetch(client, url)
    return AuditEvent.objects.count() - before, thumbs, len(queries)


def _fetch(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    thumbs = re.findall(r'<img src="([^"]+/thumbnail/[^"]*)"', response.content.decode())
    for src in thumbs:
        thumb = client.get(src.replace("&amp;", "&"))
        assert thumb.status_code == 200, (src, thumb.status_code)
        b"".join(thumb.streaming_content)
    return len(thumbs)


def measure(client: Client, url: str, runs: int) -> dict:
    page_view(client, url)  # warm up
    times, cpu, rows, thumbs, queries = [], [], 0, 0, 0
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        rows, thumbs, queries = page_view(client, url)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "rows": rows,
        "thumbs": thumbs,
        "queries": queries,
        "ms": statistics.median(times),
        "cpu": statistics.median(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    school, head, activity = build(args.images)
    client = Client()
    client.force_login(head)
    pages = {
        "image library, one activity": f"/s/{school.slug}/images/?activity={activity.pk}",
        "the activity's page": f"/s/{school.slug}/activities/{activity.pk}/",
    }
    print(f"{machine()}; {_django.database()}")
    print(
        f"{args.images} images in one activity; median of {args.runs} page views, each with its thumbnails\n"
    )
    print("| page | thumbnails | audit rows per page view | SQL queries | ms per page view | CPU ms |")
    print("|---|---|---|---|---|---|")
    for label, url in pages.items():
        r = measure(client, url, args.runs)
        print(f"| {label} | {r['thumbs']} | {r['rows']} | {r['queries']} | {r['ms']:.0f} | {r['cpu']:.0f} |")


if __name__ == "__main__":
    main()
