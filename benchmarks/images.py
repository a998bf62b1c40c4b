"""Benchmark: a §5 image feature over a 1,000,000-image library (target from the issue): withdrawal for a
pupil tagged in 2,000 of 1,000,000 images raises all takedowns in < 1 s. (The retention sweep, images among
every other kind of record, is measured by benchmarks/retention.py.)

    .venv/bin/python benchmarks/images.py [--images 1000000] [--tagged 2000] [--runs 3]

Uses a throwaway SQLite database under /tmp unless DATABASE_URL is set (point it at a scratch Postgres
database to measure that). Images are rows only (file names, no files): 500 photo activities. The withdrawing pupil is
tagged in ``--tagged`` images, each published on the school website, and recorded as in each publication
(``PublicationPupil``, as ``publish`` does); as noise, 50,000 tags of 250 other pupils and 20,000 other
publications (some of the pupil's own images on other channels, some already taken down). Everything is
made with ``bulk_create`` except the images themselves, which go in with one ``executemany`` per 20,000
(bulk_create's per-value work alone took 6 minutes for 1,000,000 rows on SQLite).

Side by side in the same run, each with the named baseline "per-image loop":

- takedowns: ``record_answers`` for a guardian's "no" after an earlier written "yes" (it calls
  ``raise_takedowns``), against the same ``record_answers`` with ``raise_takedowns`` swapped for a loop over
  the published images the pupil is in that loads each publication, checks its channel, checks for an
  existing takedown and creates takedowns one at a time (the same notifications and audit row). Reset
  between runs (not timed): the takedowns and the "no" are deleted.
Medians of ``--runs`` runs."""

import argparse
import contextlib
import datetime
import random
import shutil
import statistics
import sys
import time
from collections import defaultdict

from _django import (
    SCRATCH,  # noqa: E402  (sets up Django)
    database,  # noqa: E402
)
from _machine import machine  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from saferstaff.accounts.models import User  # noqa: E402
from saferstaff.audit.log import record  # noqa: E402
from saferstaff.consent.models import ConsentRecord, Purpose  # noqa: E402
from saferstaff.consent.services import Answer, record_answers  # noqa: E402
from saferstaff.consent.states import state_of  # noqa: E402
from saferstaff.notifications.service import notify  # noqa: E402
from saferstaff.photos import takedowns  # noqa: E402
from saferstaff.photos.models import (
    Activity,
    Device,
    Image,
    ImageTag,
    Publication,
    PublicationPupil,
    Takedown,
)
from saferstaff.schools.models import Pupil, School  # noqa: E402
from saferstaff.schools.setup import create_school  # noqa: E402
from tests.image_samples import pupil_with_parents  # noqa: E402

BATCH = 20_000
ACTIVITIES = 500
OTHER_PUPILS = 250
OTHER_TAGS = 50_000
OTHER_PUBLICATIONS = 20_000
PUBLISHERS = 5


def insert_images(template: Image, rows: list[dict]) -> None:
    """Insert one batch of images: the rows ``Image.objects.bulk_create`` would write (each field's own
    preparation for the database, done once on ``template`` for the columns that do not vary), in one
    ``executemany``. Only data building: bulk_create's per-value work made 1,000,000 rows take 6 minutes
    on SQLite on the reference machine."""
    fields = [f for f in Image._meta.concrete_fields if not f.primary_key]
    base = [f.get_db_prep_save(f.pre_save(template, True), connection) for f in fields]
    position = {f.attname: k for k, f in enumerate(fields)}
    prepare = {
        "captured_at": connection.ops.adapt_datetimefield_value,
    }
    params = []
    for row in rows:
        values = base.copy()
        for name, value in row.items():
            values[position[name]] = prepare[name](value) if name in prepare else value
        params.append(values)
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(Image._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(sql, params)


# --- Building the library -----------------------------------------------------------------------------


def build(n_images: int, n_tagged: int, seed: int = 20240901) -> dict:
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    school = create_school(
        name="Benchmark Primary", urn="999001", la_number="999", establishment_number="9001"
    )
    purposes = {p.code: p for p in Purpose.objects.filter(school=school)}
    staff = User.objects.bulk_create(
        User(email=f"staff{i}@bench.example", first_name="Staff", last_name=f"{i}", password="!")
        for i in range(PUBLISHERS + 1)
    )
    head, publishers = staff[0], staff[1:]
    device = Device.objects.create(
        school=school, asset_tag="CAM-001", make="Canon", model="Canon PowerShot SX740 HS", serial="CN1"
    )
    n_activities = min(ACTIVITIES, n_images)
    # Activity a: the oldest first.
    activities = Activity.objects.bulk_create(
        Activity(
            school=school, title=f"Activity {a}", happens_on=today - datetime.timedelta(days=3 * (n_activities - a)),
            place="School hall", device=device, after_use="Kept for two years", not_one_to_one=True,
            requested_by=head, status=Activity.Status.APPROVED, decided_by=head, decided_at=now,
        )
        for a in range(n_activities)
    )  # fmt: skip
    Activity.purposes.through.objects.bulk_create(
        Activity.purposes.through(activity_id=a.pk, purpose_id=purposes[code].pk)
        for a in activities
        for code in ("learning_records", "website")
    )

    per_activity = -(-n_images // n_activities)
    template = Image(
        school_id=school.pk, activity_id=activities[0].pk, original="-", original_name="-", content_type="image/jpeg",
        size=0, sha256="-", width=4000, height=3000, uploaded_by_id=head.pk, uploaded_at=now, captured_at=now,
        camera_make="Canon", camera_model="Canon PowerShot SX740 HS", camera_serial="CN1", device_id=device.pk,
    )  # fmt: skip
    for start in range(0, n_images, BATCH):
        rows = []
        for i in range(start, min(start + BATCH, n_images)):
            a = i // per_activity
            act = activities[a]
            rows.append(
                {
                    "activity_id": act.pk, "original": f"images/{school.pk}/originals/{i:07d}",
                    "original_name": f"IMG_{i:07d}.JPG", "size": 2_400_000 + i % 100_000, "sha256": f"{i:064x}",
                    "captured_at": datetime.datetime.combine(act.happens_on, datetime.time(10), datetime.UTC)
                    + datetime.timedelta(seconds=i % per_activity),
                }
            )  # fmt: skip
        insert_images(template, rows)
    image_ids = list(Image.objects.filter(school=school).order_by("pk").values_list("pk", flat=True))
    # Inserted in order, so the i-th id is image i.
    assert Image.objects.get(pk=image_ids[-1]).sha256 == f"{n_images - 1:064x}"

    pupil, guardians = pupil_with_parents(school, "Withdrawing", "Pupil")
    others = Pupil.objects.bulk_create(
        Pupil(school=school, legal_forename=f"Other{i}", legal_surname="Pupil", date_of_birth=datetime.date(2018, 1, 1),
              year_group="2", source_id=f"other-{i}")
        for i in range(OTHER_PUPILS)
    )  # fmt: skip

    tagged = sorted(rng.sample(range(n_images), min(n_tagged, n_images)))
    tagged_set = set(tagged)
    tags = [ImageTag(school_id=school.pk, image_id=image_ids[i], pupil_id=pupil.pk, tagged_by_id=head.pk) for i in
            tagged]  # fmt: skip
    seen = set()
    while len(seen) < min(OTHER_TAGS, n_images * OTHER_PUPILS // 2):
        seen.add((rng.randrange(n_images), rng.randrange(OTHER_PUPILS)))
    tags += [ImageTag(school_id=school.pk, image_id=image_ids[i], pupil_id=others[p].pk, tagged_by_id=head.pk)
             for i, p in sorted(seen)]  # fmt: skip
    ImageTag.objects.bulk_create(tags, batch_size=BATCH)
    in_image: dict[int, list[int]] = defaultdict(list)  # image number -> pupils tagged in it
    for i in tagged:
        in_image[i].append(pupil.pk)
    for i, p in seen:
        in_image[i].append(others[p].pk)

    website = purposes["website"]
    pubs = [
        Publication(school_id=school.pk, image_id=image_ids[i], image_ref=image_ids[i], channel_id=website.pk,
                    where=f"https://school.example/gallery/{i}", copy=f"images/{school.pk}/published/{i}.jpg",
                    published_by_id=publishers[k % PUBLISHERS].pk, published_at=now)
        for k, i in enumerate(tagged)
    ]  # fmt: skip
    noise_channels = [purposes[c] for c in ("website", "social_media", "print", "display")]
    untagged = [
        i for i in rng.sample(range(n_images), min(n_images, OTHER_PUBLICATIONS * 2)) if i not in tagged_set
    ]
    for k in range(OTHER_PUBLICATIONS):
        if k < len(tagged) // 4:  # the pupil's own images, on other channels: must not be taken down
            i, channel = tagged[k], purposes["print" if k % 2 else "social_media"]
        else:
            i, channel = untagged[k % len(untagged)], noise_channels[k % len(noise_channels)]
        pubs.append(
            Publication(school_id=school.pk, image_id=image_ids[i], image_ref=image_ids[i], channel_id=channel.pk,
                        where=f"noise {k}", copy=f"images/{school.pk}/published/n{k}.jpg",
                        published_by_id=publishers[k % PUBLISHERS].pk, published_at=now,
                        taken_down_at=now if k % 10 == 9 else None)
        )  # fmt: skip
    Publication.objects.bulk_create(pubs, batch_size=BATCH)
    # Who was in each image when it was published (what ``publish`` records and takedowns are raised from).
    by_id = {image_id: i for i, image_id in enumerate(image_ids)}
    PublicationPupil.objects.bulk_create(
        (
            PublicationPupil(school_id=school.pk, publication_id=pub.pk, pupil_id=pupil_id)
            for pub in pubs
            for pupil_id in in_image[by_id[pub.image_id]]
        ),
        batch_size=BATCH,
    )

    # The guardian said yes in writing earlier, so the "no" is a withdrawal.
    record_answers(
        school, [Answer(pupil, website, "yes")], source="guardian", method="portal", guardian=guardians[0]
    )
    if connection.vendor == "postgresql":  # what autovacuum would have done by now
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    return {
        "school": school,
        "pupil": pupil,
        "guardian": guardians[0],
        "website": website,
        "today": today,
    }


# --- The naive baselines ------------------------------------------------------------------------------


def per_image_raise_takedowns(withdrawal: ConsentRecord) -> int:
    """raise_takedowns written the obvious way: for each published image the pupil was in, load the
    publication, check its channel and that it is live, check for an existing takedown and create one:
    a query or two per image."""
    state = state_of(withdrawal.pupil, withdrawal.purpose)
    if state.allowed:
        return 0
    rows = []
    for seen_in in PublicationPupil.objects.filter(
        school_id=withdrawal.school_id, pupil_id=withdrawal.pupil_id
    ):
        pub = Publication.objects.get(pk=seen_in.publication_id)
        if pub.channel_id != withdrawal.purpose_id or pub.taken_down_at is not None:
            continue
        if Takedown.objects.filter(publication=pub, pupil_id=withdrawal.pupil_id).exists():
            continue
        rows.append(
            Takedown.objects.create(
                school_id=withdrawal.school_id,
                publication=pub,
                pupil_id=withdrawal.pupil_id,
                consent_record=withdrawal,
                reason=str(state.reasons[0])[:300],
                assigned_to_id=pub.published_by_id,
            )
        )
    # The same notifications and audit row as saferstaff's, so only the way of finding and inserting differs.
    by_publisher: dict[int, int] = defaultdict(int)
    for row in rows:
        by_publisher[row.assigned_to_id] += 1
    if rows:
        url = reverse("takedown_list", kwargs={"school": withdrawal.school.slug})
        for user in User.objects.filter(pk__in=by_publisher):
            n = by_publisher[user.pk]
            notify(user, kind="images.takedown", title=f"Consent is missing: take down {n} images", url=url,
                   school=withdrawal.school)  # fmt: skip
        record(
            "images.takedowns.raised", withdrawal.pupil, school=withdrawal.school, detail={"count": len(rows)}
        )
    return len(rows)


# --- Measuring ----------------------------------------------------------------------------------------


class QueryCount:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def timed(fn):
    counter = QueryCount()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
    return seconds, counter.n, result


@contextlib.contextmanager
def swapped_raise_takedowns(fn):
    original = takedowns.raise_takedowns
    takedowns.raise_takedowns = fn
    try:
        yield
    finally:
        takedowns.raise_takedowns = original


def withdraw(ctx) -> int:
    records, _ = record_answers(
        ctx["school"], [Answer(ctx["pupil"], ctx["website"], "no")], source="guardian", method="portal",
        guardian=ctx["guardian"],
    )  # fmt: skip
    return Takedown.objects.filter(consent_record=records[0]).count()


def reset_withdrawal(ctx) -> None:
    Takedown.objects.filter(pupil=ctx["pupil"]).delete()
    ConsentRecord.objects.filter(pupil=ctx["pupil"], answer=ConsentRecord.Answer.NO).delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--tagged", type=int, default=2000, help="images the withdrawing pupil is tagged in")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median shown)")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    if School.objects.exists():
        sys.exit(
            "benchmarks/images.py builds its own school: point DATABASE_URL at an empty scratch database"
        )
    print(f"machine: {machine()}; database: {database()}")
    started = time.perf_counter()
    ctx = build(args.images, args.tagged)
    built = time.perf_counter() - started
    n_images = Image.objects.count()
    print(
        f"data: {n_images:,} images in {Activity.objects.count()} activities, {ImageTag.objects.count():,} tags, "
        f"{Publication.objects.count():,} publications ({PublicationPupil.objects.count():,} publication-pupil rows); the pupil is tagged in {args.tagged:,} images, each on "
        f"the website. "
        f"Built in {built:.0f} s. Median of {args.runs} runs.\n"
    )

    results: dict[str, list[tuple[float, int]]] = defaultdict(list)

    # Takedowns.
    for _ in range(args.runs):
        seconds, queries, n = timed(lambda: withdraw(ctx))
        assert n == args.tagged, f"saferstaff raised {n} takedowns, expected {args.tagged}"
        results["takedowns"].append((seconds, queries))
        reset_withdrawal(ctx)
        with swapped_raise_takedowns(per_image_raise_takedowns):
            seconds, queries, n = timed(lambda: withdraw(ctx))
        assert n == args.tagged, f"the baseline raised {n} takedowns, expected {args.tagged}"
        results["takedowns baseline"].append((seconds, queries))
        reset_withdrawal(ctx)

    def median(key):
        return statistics.median(s for s, _ in results[key]), results[key][-1][1]

    rows = [
        (f"withdrawal: {args.tagged:,} takedowns of {n_images:,} images", *median("takedowns"),
         *median("takedowns baseline"), 1.0, ""),
    ]  # fmt: skip
    headings = ("benchmark", "saferstaff (s)", "queries", "per-image loop (s)", "queries", "speed-up", "target",
                "result")  # fmt: skip
    table = [
        (name, f"{ours:.3f}", f"{q:,}", f"{base:.2f}" + (" *" if note else ""), f"{bq:,}", f"{base / ours:.0f}x",
         f"< {target:.0f} s", "pass" if ours < target else "FAIL")
        for name, ours, q, base, bq, target, note in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [headings, *table]) for i in range(len(headings))]
    line = " | ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in table:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    for *_, note in rows:
        if note:
            print(
                f"\n* per-image loop {note}; its time and queries are scaled linearly to {n_images:,} images"
            )
    print(
        "\nruns (s): " + "; ".join(f"{k}: " + ", ".join(f"{s:.3f}" for s, _ in v) for k, v in results.items())
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
