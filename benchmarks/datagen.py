"""A national-scale data set on PostgreSQL: trusts and schools, their staff, pupils and guardians, photo
activities and images, policies with versions and acceptances, incident cases and consent answers.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/datagen.py [--schools 200 --images 1000000
        --cases 50000] [--small] [--baseline-rows 2000]

The database must be migrated and hold no school. Schools and trusts are set up through the product's own doors
(``create_trust``, ``create_school``: their audit events, seeded consent uses and conduct channels); everything
else goes in with PostgreSQL COPY (``executemany`` on SQLite, for tests), in one transaction per step, with ids
given by the generator (each table's sequence is moved past them at the end). Rows a door would audit one by one
(a roster import, a consent answer, an acceptance, a report) get no audit events here: they stand for years of
history, the audit chains stay valid (``verify_audit``), and the trail is not what the pages read. History
(simple_history) rows are not written either: the pages do not read them. All images of a school share one tiny
stored JPEG and its thumbnail; each row has its own sha256 (unique per activity, as the model requires), so the
file's bytes do not match it.

Prints rows per table and seconds per step, and the baseline: the ORM one row at a time (``Pupil.objects.create``
with its history row, each in a transaction of its own, as a loop over a roster would write them) measured on
``--baseline-rows`` rows, extrapolated to every row; the sample is rolled back.
"""

import argparse
import datetime
import hashlib
import io
import itertools
import time
from collections import Counter

import _django  # noqa: F401  (sets up Django)
from _django import database
from _machine import machine
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from saferstaff.consent.decided import redecide_all
from saferstaff.consent.models import ConsentRecord, Purpose, end_of_school_year
from saferstaff.schools.models import Pupil, Role, School
from saferstaff.schools.setup import create_school, create_trust

DOMAIN = "datagen.example"
PASSWORD = "datagen-staff-password-2026"  # every generated account's: load.py signs staff in without it
FORENAMES = (
    "Amelia Oliver Isla Noah Ava Arlo Freya Leo Mia Theo Ivy Finley Aria Jack Rosie Oscar Zara Alfie".split()
)
SURNAMES = (
    "Ahmed Bailey Brook Clegg Crowther Dyson Firth Gill Haigh Hussain Iqbal Jowett Kaur Lumb Patel".split()
)
# The first staff of every school: (local part, job title, employment, roles, chair of governors)
NAMED = [
    ("head", "Headteacher", "employee", (Role.HEADTEACHER, Role.SENIOR_LEADER), False),
    ("deputy", "Deputy Headteacher", "employee", (Role.SENIOR_LEADER, Role.LINE_MANAGER), False),
    ("dsl", "Designated Safeguarding Lead", "employee", (Role.DSL, Role.SENIOR_LEADER), False),
    ("office", "School Business Manager", "employee", (Role.OFFICE, Role.STAFF), False),
    ("governor", "Chair of Governors", "volunteer", (Role.GOVERNOR,), True),
    ("dpo", "Data Protection Officer", "contractor", (Role.DPO,), False),
    ("teacher", "Class Teacher", "employee", (Role.STAFF,), False),
]
POLICIES = [
    ("Online Safety and Social Media Guidance", "online_safety"),
    ("Code of Conduct", "code_of_conduct"),
    ("Internet Acceptable Use Policy", "acceptable_use"),
    ("Safeguarding and Child Protection Policy", "other"),
    ("Data Protection Policy", "other"),
]
VERSIONS, SECTIONS, IMAGES_PER_ACTIVITY, PUPILS_PER_ACTIVITY, DEVICES = 3, 6, 50, 12, 3


def staff_email(school_no: int, local: str) -> str:
    return f"{local}.{school_no}@{DOMAIN}"


class Ids:
    """Ids handed out by the generator, starting past each table's current largest."""

    def __init__(self):
        self.next: dict[str, int] = {}

    def take(self, table: str, n: int = 1) -> int:
        if table not in self.next:
            with connection.cursor() as cur:
                cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                self.next[table] = cur.fetchone()[0] + 1
        first = self.next[table]
        self.next[table] += n
        return first

    def move_sequences(self) -> None:
        if connection.vendor != "postgresql":
            return  # SQLite's AUTOINCREMENT moves past the largest id written by itself
        with connection.cursor() as cur:
            for table, after in self.next.items():
                cur.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, after - 1])


class Loader:
    """COPY into PostgreSQL (``executemany`` on SQLite, 5,000 rows at a time), counting rows per table and timing
    each step."""

    def __init__(self):
        self.rows: Counter = Counter()
        self.steps: list[tuple[str, float, int]] = []

    def copy(self, table: str, columns: str, rows) -> None:
        n = 0
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        n += 1
            else:
                sql = (
                    f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * (columns.count(',') + 1))})"
                )
                for chunk in itertools.batched(map(_for_sqlite, rows), 5000):
                    cur.executemany(sql, chunk)
                    n += len(chunk)
        self.rows[table] += n

    def step(self, name: str, fn, *args) -> None:
        before = sum(self.rows.values())
        t0 = time.perf_counter()
        with transaction.atomic():
            fn(*args)
        self.steps.append((name, time.perf_counter() - t0, sum(self.rows.values()) - before))
        print(f"  {name:34} {self.steps[-1][1]:7.1f} s  {self.steps[-1][2]:>10,} rows", flush=True)


def tiny_jpeg() -> bytes:
    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", (64, 48), (120, 140, 160)).save(out, "JPEG", quality=60)
    return out.getvalue()


def _for_sqlite(row: tuple) -> tuple:
    """Dates and times as Django stores them in SQLite (UTC, no offset)."""
    ops = connection.ops
    return tuple(
        ops.adapt_datetimefield_value(v) if isinstance(v, datetime.datetime)
        else v.isoformat() if isinstance(v, datetime.date) else v
        for v in row
    )  # fmt: skip


class Generator:
    def __init__(self, args):
        self.a, self.ids, self.load = args, Ids(), Loader()
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        self.schools: list[School] = []
        self.staff: dict[int, list[tuple[int, int]]] = {}  # school id -> [(user id, membership id)]
        self.pupils: dict[int, range] = {}  # school id -> pupil ids
        self.guardian_of: dict[int, int] = {}  # pupil id -> first guardian id
        self.versions: dict[int, list[tuple[int, str]]] = {}  # school id -> [(version id, text sha256)]

    # --- through the product's doors --------------------------------------------------------------------
    def schools_and_trusts(self) -> None:
        trust = None
        for n in range(self.a.schools):
            if n % self.a.schools_per_trust == 0:
                t = n // self.a.schools_per_trust
                trust, _ = create_trust(
                    name=f"Datagen Trust {t + 1}", kind="trust", admin_email=staff_email(t + 1, "trustadmin")
                )
            self.schools.append(
                create_school(
                    name=f"Datagen School {n + 1}",
                    urn=f"{900000 + n:06d}",
                    la_number=f"{800 + n // 5000:03d}",
                    establishment_number=f"{2000 + n % 5000:04d}",
                    trust=trust,
                )
            )

    # --- COPY ---------------------------------------------------------------------------------------------
    def people(self) -> None:
        password = make_password(PASSWORD)
        per = self.a.staff
        users, members, grants = [], [], []
        for no, school in enumerate(self.schools, start=1):
            u0, m0 = self.ids.take("accounts_user", per), self.ids.take("schools_membership", per)
            self.staff[school.pk] = [(u0 + i, m0 + i) for i in range(per)]
            for i in range(per):
                local, title, kind, roles, chair = NAMED[i] if i < len(NAMED) else (
                    f"staff{i}", "Teaching Assistant", "employee", (Role.STAFF,), False
                )  # fmt: skip
                first, last = FORENAMES[(no + i) % len(FORENAMES)], SURNAMES[(no * 7 + i) % len(SURNAMES)]
                users.append((u0 + i, password, False, first, last, False, True, self.now,
                              staff_email(no, local), 0))  # fmt: skip
                manager = m0 + 1 if i >= len(NAMED) else None
                members.append((m0 + i, kind, title, chair, self.today - datetime.timedelta(days=400), None,
                                manager, u0 + i, school.pk, None, ""))  # fmt: skip
                grants += [(role, self.now, m0 + i, school.pk) for role in roles]
        self.load.copy("accounts_user", "id, password, is_superuser, first_name, last_name, is_staff, is_active, "
                       "date_joined, email, sessions_generation", users)  # fmt: skip
        self.load.copy("schools_membership", "id, employment_type, job_title, is_chair_of_governors, started_on, "
                       "ended_on, line_manager_id, user_id, school_id, invited_at, invited_name", members)  # fmt: skip
        self.load.copy("schools_rolegrant", "role, granted_at, membership_id, school_id", grants)

    def pupils_and_guardians(self) -> None:
        per = self.a.pupils
        pupils, guardians, links = [], [], []
        for school in self.schools:
            p0, g0 = self.ids.take("schools_pupil", per), self.ids.take("schools_guardian", 2 * per)
            self.pupils[school.pk] = range(p0, p0 + per)
            for i in range(per):
                age = 4 + i % 7  # primary school: under the pupil-voice age, guardians answer for them
                dob = datetime.date(self.today.year - age - 1, 9, 1) + datetime.timedelta(days=(i * 37) % 365)
                surname = SURNAMES[i % len(SURNAMES)]
                upn = f"D{school.pk:06d}{i:06d}"
                pupils.append((p0 + i, upn, f"datagen-{i}", FORENAMES[(i * 5) % len(FORENAMES)], surname, "", "",
                               dob, "R" if age == 4 else str(age - 4), False, None, self.now, school.pk, "", ""))  # fmt: skip
                for k in range(2):
                    g = g0 + 2 * i + k
                    guardians.append((g, f"datagen-g{2 * i + k}", f"datagen-g{2 * i + k}", ("Mrs", "Mr")[k],
                                      FORENAMES[(i + k) % len(FORENAMES)], surname,
                                      f"guardian{2 * i + k}.{school.pk}@{DOMAIN}", "", self.now, school.pk))  # fmt: skip
                    links.append((("Mother", "Father")[k], True, k + 1, g, p0 + i, school.pk))
                self.guardian_of[p0 + i] = g0 + 2 * i
        self.load.copy("schools_pupil", "id, upn, source_id, legal_forename, legal_surname, preferred_forename, "
                       "preferred_surname, date_of_birth, year_group, adult_at_risk, leaving_date, updated_at, "
                       "school_id, former_surname, middle_names", pupils)  # fmt: skip
        self.load.copy("schools_guardian", "id, source_id, match_key, title, forename, surname, email, phone, "
                       "updated_at, school_id", guardians)  # fmt: skip
        self.load.copy("schools_guardianship", "relationship, parental_responsibility, contact_order, guardian_id, "
                       "pupil_id, school_id", links)  # fmt: skip

    def consent(self) -> None:
        """One written answer from the first guardian for every pupil and every use the school asks about:
        yes, except one pupil in eight says no to publicity uses, and no to face matching throughout."""
        purposes = list(Purpose.objects.filter(active=True).values_list("school_id", "pk", "publicity",
                                                                         "biometric", "renew_annually"))  # fmt: skip
        expires = end_of_school_year(self.today)
        by_school: dict[int, list] = {}
        for row in purposes:
            by_school.setdefault(row[0], []).append(row[1:])

        def rows():
            for school in self.schools:
                head = self.staff[school.pk][0][0]
                for n, pupil in enumerate(self.pupils[school.pk]):
                    for purpose, publicity, biometric, annual in by_school[school.pk]:
                        answer = "no" if biometric or (publicity and n % 8 == 7) else "yes"
                        yield (answer, ConsentRecord.Source.GUARDIAN, ConsentRecord.Method.PORTAL, self.now,
                               expires if annual else None, "", "", "", self.guardian_of[pupil], pupil, head,
                               school.pk, purpose)  # fmt: skip

        self.load.copy("images_consentrecord", "answer, source, method, recorded_at, expires_on, evidence, note, "
                       "receipt, guardian_id, pupil_id, recorded_by_id, school_id, purpose_id", rows())  # fmt: skip

    def consent_states(self) -> None:
        """Each pupil's consent state per use, kept as the doors keep it (ADR 0018): the answers above were
        copied in bulk, past the doors."""
        redecide_all([school.pk for school in self.schools])

    def policies(self) -> None:
        policies, versions, sections, acceptances = [], [], [], []
        for school in self.schools:
            head = self.staff[school.pk][0][0]
            p0 = self.ids.take("policy_policy", len(POLICIES))
            v0 = self.ids.take("policy_policyversion", len(POLICIES) * VERSIONS)
            self.versions[school.pk] = []
            for k, (title, kind) in enumerate(POLICIES):
                policies.append((p0 + k, title, kind, True, "[]", "[]", self.now, school.pk))
                for number in range(1, VERSIONS + 1):
                    v = v0 + k * VERSIONS + number - 1
                    body = [(f"Section {s + 1} of version {number}", f"{title}, version {number}: what staff "
                             f"must do under part {s + 1}.") for s in range(SECTIONS)]  # fmt: skip
                    sha = hashlib.sha256("\n".join(t for _, t in body).encode()).hexdigest()
                    published = self.now - datetime.timedelta(days=365 * (VERSIONS - number) + 30)
                    status = "published" if number == VERSIONS else "archived"
                    versions.append((v, number, status, "", sha, published, published, False,
                                     self.today + datetime.timedelta(days=300), "", head, p0 + k, head, school.pk))  # fmt: skip
                    sections += [(s + 1, str(s + 1), heading, 1, f"s{s + 1}", text, school.pk, v)
                                 for s, (heading, text) in enumerate(body)]  # fmt: skip
                    self.versions[school.pk].append((v, sha, published, number == VERSIONS))
            for i, (user, _) in enumerate(self.staff[school.pk]):
                for v, sha, published, latest in self.versions[school.pk]:
                    if latest and i >= len(NAMED) and i % 10 == 9:
                        continue  # one member of staff in ten has not yet accepted the latest versions
                    acceptances.append((f"Staff {i}", published + datetime.timedelta(days=2), sha, None,
                                        "accepted", "", "", "", None, school.pk, user, v))  # fmt: skip
        self.load.copy("policy_policy", "id, title, kind, compulsory, audience_roles, audience_employment, "
                       "created_at, school_id", policies)  # fmt: skip
        self.load.copy("policy_policyversion", "id, number, status, source_filename, text_sha256, created_at, "
                       "published_at, minor_change, review_date, change_note, created_by_id, policy_id, "
                       "published_by_id, school_id", versions)  # fmt: skip
        self.load.copy("policy_policysection", "position, number, title, level, anchor, text, school_id, "
                       "version_id", sections)  # fmt: skip
        self.load.copy("acknowledgements_acceptance", "typed_name, accepted_at, text_sha256, ip_address, outcome, "
                       "decline_reason, note, evidence, on_behalf_by_id, school_id, user_id, version_id",
                       acceptances)  # fmt: skip

    def images(self) -> None:
        jpeg = tiny_jpeg()
        per = self.a.images // len(self.schools)
        n_act = max(1, -(-per // IMAGES_PER_ACTIVITY))
        devices, activities, purposes, activity_pupils, files = [], [], [], [], {}
        channels = dict(Purpose.objects.filter(code__in=["learning_records", "website"])
                        .values_list("school_id", "pk").order_by("code"))  # fmt: skip
        learning = dict(Purpose.objects.filter(code="learning_records").values_list("school_id", "pk"))
        plan: dict[int, list[tuple[int, int, list[int]]]] = {}
        for school in self.schools:
            head, photographer = self.staff[school.pk][0][0], self.staff[school.pk][6][0]
            d0, a0 = self.ids.take("images_device", DEVICES), self.ids.take("images_activity", n_act)
            devices += [(d0 + k, "camera", "Canon", f"PowerShot SX{740 + k}", f"SN{school.pk}{k}", f"CAM-{k + 1}",
                         None, self.now, None, school.pk) for k in range(DEVICES)]  # fmt: skip
            pupils = self.pupils[school.pk]
            plan[school.pk] = []
            for k in range(n_act):
                group = [
                    pupils[(k * PUPILS_PER_ACTIVITY + j) % len(pupils)] for j in range(PUPILS_PER_ACTIVITY)
                ]
                when = self.today - datetime.timedelta(days=(k * 3) % 900)
                activities.append((a0 + k, f"Activity {k + 1}", when, "Classroom", "Kept for the year's record",
                                   False, self.now, "approved", self.now, "", head, photographer, school.pk,
                                   d0 + k % DEVICES))  # fmt: skip
                purposes += [(a0 + k, learning[school.pk]), (a0 + k, channels[school.pk])]
                activity_pupils += [(a0 + k, p, school.pk) for p in group]
                plan[school.pk].append((a0 + k, d0 + k % DEVICES, group))
            files[school.pk] = (
                default_storage.save(f"images/{school.pk}/originals/datagen", ContentFile(jpeg)),
                default_storage.save(f"images/{school.pk}/thumbnails/datagen.jpg", ContentFile(jpeg)),
            )
        self.load.copy("images_device", "id, kind, make, model, serial, asset_tag, retired_on, added_at, "
                       "lent_to_id, school_id", devices)  # fmt: skip
        self.load.copy("images_activity", "id, title, happens_on, place, after_use, not_one_to_one, requested_at, "
                       "status, decided_at, decision_note, decided_by_id, requested_by_id, school_id, device_id",
                       activities)  # fmt: skip
        self.load.copy("images_activity_purposes", "activity_id, purpose_id", purposes)
        self.load.copy("images_activitypupil", "activity_id, pupil_id, school_id", activity_pupils)
        first = self.ids.take("images_image", per * len(self.schools))
        tags = []

        def images():
            n = first
            for school in self.schools:
                original, thumb = files[school.pk]
                photographer = self.staff[school.pk][6][0]
                for k in range(per):
                    activity, device, group = plan[school.pk][k // IMAGES_PER_ACTIVITY]
                    taken = self.now - datetime.timedelta(minutes=37 * k)
                    sha = hashlib.sha256(n.to_bytes(8, "big")).hexdigest()
                    yield (n, "photo", original, thumb, f"IMG_{k:05d}.jpg", "image/jpeg", len(jpeg), sha, 64, 48,
                           taken, taken, "Canon", f"PowerShot SX{740 + (device - 1) % DEVICES}", "", False, "",
                           None, "", False, None, "", activity, device, None, None, school.pk, photographer,
                           None)  # fmt: skip
                    tags.append(("manual", taken, n, group[k % len(group)], school.pk, photographer))
                    tags.append(("manual", taken, n, group[(k + 1) % len(group)], school.pk, photographer))
                    n += 1

        self.load.copy("images_image", "id, kind, original, thumbnail, original_name, content_type, size, sha256, "
                       "width, height, uploaded_at, captured_at, camera_make, camera_model, camera_serial, "
                       "had_gps, flag, flag_cleared_at, flag_note, no_pupils, destruction_queued_at, "
                       "faces_screened_with, activity_id, device_id, flag_cleared_by_id, no_pupils_by_id, "
                       "school_id, uploaded_by_id, equipment_permission_id", images())  # fmt: skip
        self.load.copy(
            "images_imagetag", "source, tagged_at, image_id, pupil_id, school_id, tagged_by_id", tags
        )

    def cases(self) -> None:
        per = self.a.cases // len(self.schools)
        kinds, channels = ["bullying", "pupils", "breach"], ["email", "social", "messaging", "phone"]
        cases, involved = [], []
        for school in self.schools:
            staff, pupils = self.staff[school.pk], self.pupils[school.pk]
            dsl = staff[2][0]
            c0 = self.ids.take("incidents_case", per)
            for k in range(per):
                at = self.now - datetime.timedelta(hours=7 * k)
                status = ("new", "open", "open", "closed", "closed", "closed", "closed", "closed", "closed",
                          "closed")[k % 10]  # fmt: skip
                triaged = status != "new"
                closed = status == "closed"
                cases.append((c0 + k, kinds[k % 3], "pupils", channels[k % 4], at, at.date(),
                              f"Generated report {k + 1}.", status, "designated", None,
                              ("low", "medium", "high")[k % 3] if triaged else "", at if triaged else None, "",
                              "Resolved with the pupils and their families." if closed else "",
                              at + datetime.timedelta(days=5) if closed else None, dsl if triaged else None,
                              dsl if closed else None, None, staff[len(NAMED) + k % (len(staff) - len(NAMED))][0],
                              school.pk, None, dsl if triaged else None))  # fmt: skip
                involved.append(("target", "", at, dsl, c0 + k, None, pupils[k % len(pupils)], school.pk))
        self.load.copy("incidents_case", "id, kind, by_whom, channel, reported_at, happened_on, what_happened, "
                       "status, routed_to, lado_due, risk, triaged_at, outcome, closed_reason, closed_at, "
                       "assigned_to_id, closed_by_id, from_concern_id, reported_by_id, school_id, subject_id, "
                       "triaged_by_id", cases)  # fmt: skip
        self.load.copy("incidents_involved", "role, outsider, added_at, added_by_id, case_id, member_id, pupil_id, "
                       "school_id", involved)  # fmt: skip

    def finish(self) -> None:
        self.ids.move_sequences()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


def table_rows() -> list[tuple[str, int]]:
    """Every table with rows in it, largest first (exact counts)."""
    with connection.cursor() as cur:
        counts = []
        for table in connection.introspection.table_names(cur):
            cur.execute(f'SELECT count(*) FROM "{table}"')
            counts.append((table, cur.fetchone()[0]))
    return sorted(((t, n) for t, n in counts if n), key=lambda tn: -tn[1])


def generate(g: Generator) -> float:
    """Every step in order; the seconds it all took."""
    t0 = time.perf_counter()
    g.load.step("trusts and schools (ORM, the doors)", g.schools_and_trusts)
    g.load.step("staff, memberships, roles", g.people)
    g.load.step("pupils, guardians", g.pupils_and_guardians)
    g.load.step("consent answers", g.consent)
    g.load.step("consent states (consent.decided)", g.consent_states)
    g.load.step("policies, versions, acceptances", g.policies)
    g.load.step("devices, activities, images, tags", g.images)
    g.load.step("incident cases", g.cases)
    g.load.step("sequences, ANALYZE", g.finish)
    return time.perf_counter() - t0


class _RollBack(Exception):
    pass


def orm_baseline(n: int) -> float:
    """Rows per second of ``Pupil.objects.create`` one at a time, each in a transaction of its own (a savepoint)
    with its history row, as a loop over a roster would write them; on a school made for the purpose. All of it
    is rolled back at the end, so the database holds only the generated data."""
    try:
        with transaction.atomic():
            school = create_school(
                name="Datagen baseline school", urn="899999", la_number="899", establishment_number="9999"
            )
            t0 = time.perf_counter()
            for i in range(n):
                with transaction.atomic():
                    Pupil.objects.create(school=school, upn=f"B{i:012d}", legal_forename="Ava", legal_surname="Gill",
                                         date_of_birth=datetime.date(2018, 9, 1), year_group="2")  # fmt: skip
            rate = n / (time.perf_counter() - t0)
            raise _RollBack
    except _RollBack:
        return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--schools-per-trust", type=int, default=10)
    parser.add_argument("--staff", type=int, default=60)
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--images", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--baseline-rows", type=int, default=2000)
    parser.add_argument(
        "--small", action="store_true", help="10 schools, 20,000 images, 1,000 cases (for CI)"
    )
    args = parser.parse_args()
    if args.small:
        args.schools, args.images, args.cases, args.baseline_rows = 10, 20_000, 1_000, 300
    if args.staff < len(NAMED) + 1:
        parser.error(f"--staff must be at least {len(NAMED) + 1}")
    if School.objects.exists():
        raise SystemExit("the database already has schools: datagen.py fills a migrated, empty database")

    g = Generator(args)
    print(f"{database()}; {args.schools} schools × ({args.staff} staff, {args.pupils} pupils, 2 guardians each), "
          f"{args.images:,} images, {args.cases:,} cases", flush=True)  # fmt: skip
    total = generate(g)
    rows = sum(g.load.rows.values())
    rate = orm_baseline(args.baseline_rows)

    print(f"\n{machine()}; {database()}\n")
    print("| table | rows | written by |\n|---|---|---|")
    for table, n in table_rows():
        copied = g.load.rows.get(table, 0)
        by = "migrate" if table.startswith(("django_", "auth_")) else "the doors"
        by = "COPY" if copied == n else f"COPY {copied:,}, the doors {n - copied:,}" if copied else by
        print(f"| {table} | {n:,} | {by} |")
    print("\n| step | seconds | rows |\n|---|---|---|")
    for name, seconds, n in g.load.steps:
        print(f"| {name} | {seconds:.1f} | {n:,} |")
    print(f"| **all** | **{total:.1f}** | **{rows:,}** |")
    print(f"\nCOPY: {rows / total:,.0f} rows/s over the whole run ({total / 60:.1f} min)")
    print(f"baseline, the ORM one row at a time (Pupil.objects.create, {args.baseline_rows:,} rows): {rate:,.0f} "
          f"rows/s -> {rows / rate / 60:,.0f} min for the same {rows:,} rows ({rows / rate / total:,.0f}× longer)")  # fmt: skip


if __name__ == "__main__":
    main()
