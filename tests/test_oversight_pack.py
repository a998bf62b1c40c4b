"""§2: the inspection evidence pack — one POST makes a zip of a signed PDF and the registers as CSVs. Every figure in
the PDF is worded as ``oversight.figures.all_figures`` words it, each CSV agrees with the figure it lists, the PDF's
signature verifies against the school's certificate (and a changed byte breaks it), no pupil is named anywhere in
it, and only the Headteacher and senior leaders can make one."""

import csv
import datetime
import hashlib
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from pypdf import PdfReader

from saferstaff.audit.models import AuditEvent
from saferstaff.conduct.models import (
    ContactChannel,
    ContactPermission,
    ContactPermissionPupil,
    EquipmentPermission,
)
from saferstaff.incidents.models import Case, Contact, Involved
from saferstaff.oversight import pack as packs
from saferstaff.oversight import pack_tables
from saferstaff.oversight import services as review_doors
from saferstaff.oversight.areas import AREAS
from saferstaff.oversight.figures import all_figures
from saferstaff.rules.engine import Refused

from .conftest import PASSWORD, signed_in
from .image_samples import pupil_with_parents, purpose
from .test_access_map import _image_sample
from .test_acknowledgements import published
from .test_oversight_figures import _accept

FORENAME, SURNAME = "Zephyrine", "Quillfeather"  # a pupil whose name must appear nowhere in the pack
NOW = timezone.now()


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("signing")  # one key for the module: an RSA key takes a moment to make


@pytest.fixture(autouse=True)
def _signing_key(settings, key_dir):
    settings.EVIDENCE_SIGNING_KEY = key_dir / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = key_dir / "cert.pem"


@pytest.fixture
def school_with_records(cast, storage):
    """Something in every register, the distinctive pupil in each one that can hold a pupil."""
    version = published(cast)
    for user in (cast.head, cast.teacher, cast.slt, cast.dsl):  # the gate lets the Headteacher through
        _accept(cast, user, version)
    pupil, _ = pupil_with_parents(cast.school, FORENAME, SURNAME)
    _image_sample("takedown_done", cast, cast.school, cast.head)  # a publication and its takedown
    channel = ContactChannel.objects.filter(school=cast.school).first()
    today = timezone.localdate()
    contact = ContactPermission.objects.create(
        school=cast.school, requested_by=cast.teacher, purpose=f"Football club with {FORENAME} {SURNAME}",
        starts_on=today, ends_on=today + datetime.timedelta(days=30), status="approved", decided_by=cast.head,
        decided_at=NOW, channel=channel, year_groups=["5", "6"], group_name=f"{SURNAME}'s team",
    )  # fmt: skip
    ContactPermissionPupil.objects.create(school=cast.school, permission=contact, pupil=pupil)
    EquipmentPermission.objects.create(
        school=cast.school, requested_by=cast.slt, purpose="Calls from home", starts_on=today,
        ends_on=today + datetime.timedelta(days=30), status="approved", decided_by=cast.head, decided_at=NOW,
        device_kind="phone", make_model="Apple iPhone 13", conditions=["calls_only", "=cmd|' /C calc'!A0"],
    )  # fmt: skip
    for kind, lado in (
        (Case.Kind.PUPILS_ONLINE, None),
        (Case.Kind.ALLEGATION, NOW + datetime.timedelta(hours=20)),
    ):
        case = Case.objects.create(
            school=cast.school, kind=kind, reported_by=cast.teacher, happened_on=today, lado_due=lado,
            what_happened=f"{FORENAME} {SURNAME} was sent messages",
        )  # fmt: skip
        Involved.objects.create(school=cast.school, case=case, role="target", pupil=pupil, added_by=cast.dsl)
    Contact.objects.create(school=cast.school, case=case, kind=Contact.Kind.LADO, made_at=NOW, with_whom="LADO",
                           recorded_by=cast.head)  # fmt: skip
    review = review_doors.start_review(cast.actor(cast.head))
    for area in AREAS:
        review_doors.judge_area(cast.actor(cast.head), review, area=area.key, level="developing",
                                commentary=f"+{area.title} is in hand")  # fmt: skip
    review_doors.add_action(cast.actor(cast.head), review, area="policy", what="Remind new staff",
                            owner=cast.member(cast.slt), due_on=today)  # fmt: skip
    review_doors.complete_review(cast.actor(cast.head), review)
    return pupil


def _make(cast, user=None):
    """The pack made by someone who confirmed it is them a moment ago (the step-up it asks for)."""
    client = signed_in(user or cast.head, confirmed=True)
    return client.post(reverse("pack_make", kwargs={"school": cast.school.slug}))


def _open(response) -> tuple[zipfile.ZipFile, dict[str, list[list[str]]], str]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    tables = {
        name: list(csv.reader(io.StringIO(archive.read(name).decode())))
        for name in archive.namelist()
        if name.endswith(".csv")
    }
    pdf = archive.read(packs.PDF_NAME)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return archive, tables, text


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_pack_has_every_part_and_the_pdf_lists_each_csv_with_its_hash(cast, school_with_records):
    response = _make(cast)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="evidence-pack-')
    archive, tables, text = _open(response)
    assert set(tables) == {
        f"csv/{name}.csv"
        for name in ("figures", "guidance", "acceptances", "consent", "publications", "takedowns",
                     "contact-permissions", "equipment-permissions", "cases", "self-review", "self-review-actions")
    }  # fmt: skip
    assert {packs.PDF_NAME, packs.CERT_NAME} <= set(archive.namelist())
    flat = _flat(text)
    # The review's CSVs come after its section, in the list at the end: the PDF says so, and dates read in words.
    assert _flat("in the CSV files listed at the end of this pack") in flat and "listedabove" not in flat
    assert re.search(r"Self-review1,completed\d{1,2}[A-Z][a-z]+20\d\d", flat)
    for name in tables:
        assert name in flat and hashlib.sha256(archive.read(name)).hexdigest() in flat, name
        assert len(tables[name][0]) >= 3, name  # a header row
    # The zip and its PDF are recorded in the audit trail by their SHA-256, ids only.
    event = AuditEvent.objects.get(action="oversight.pack.exported")
    assert event.detail["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert event.detail["pdf_sha256"] == hashlib.sha256(archive.read(packs.PDF_NAME)).hexdigest()
    assert event.object_id == str(cast.school.pk) and event.actor_id == cast.head.pk


def _validate(pdf: bytes, cert: bytes):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from saferstaff.incidents import signing

    path = signing.ensure_keys()[1]
    assert path.read_bytes() == cert  # the certificate in the zip is the school's
    (sig,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    return validate_pdf_signature(sig, ValidationContext(trust_roots=[load_cert_from_pemder(str(path))]))


def test_the_pdf_signature_verifies_against_the_certificate_and_a_changed_byte_breaks_it(
    cast, school_with_records
):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    archive, _, _ = _open(_make(cast))
    pdf, cert = archive.read(packs.PDF_NAME), archive.read(packs.CERT_NAME)
    status = _validate(pdf, cert)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    changed = bytearray(pdf)
    changed[len(pdf) // 3] ^= 0x01
    assert not _validate(bytes(changed), cert).bottom_line
    # The certificate offered on the page is the same one.
    page_cert = signed_in(cast.head).get(reverse("pack_certificate", kwargs={"school": cast.school.slug}))
    assert page_cert.content == cert


def test_every_figure_is_worded_as_all_figures_gives_it_and_the_csvs_agree(cast, school_with_records):
    _, tables, text = _open(_make(cast))
    flat = _flat(text)
    # As the pack counted them: its own making is a read of records, recorded once the pack is made.
    made = AuditEvent.objects.get(action="oversight.pack.exported").at
    found = all_figures(cast.school, made - datetime.timedelta(microseconds=1))
    for m in found.values():
        assert _flat(capfirst(m.wording)) in flat, m.key
        assert _flat(f"Source: {m.source}.") in flat, m.key
        for label, words in m.parts:
            assert _flat(f"{label}: {words}") in flat, (m.key, label)
    assert "Access to records recorded" in text  # the reads of records, a figure like the others
    # figures.csv: one row per figure, worded the same, with its source and the moment taken.
    rows = {row[0]: row for row in tables["csv/figures.csv"][1:]}
    for m in found.values():
        assert rows[m.title][1:3] == [m.wording, m.source] and rows[m.title][3].startswith(str(NOW.date()))

    def rows_of(name):
        return tables[f"csv/{name}.csv"][1:]

    assert len(rows_of("acceptances")) == found["acceptance"].values["accepted"] == 4
    accepted = {u.get_full_name() for u in (cast.head, cast.teacher, cast.slt, cast.dsl)}
    assert {r[1] for r in rows_of("acceptances")} == accepted
    guidance = rows_of("guidance")
    assert sum(int(r[7]) for r in guidance) == found["acceptance"].values["accepted"]
    assert sum(int(r[6]) for r in guidance) == found["acceptance"].values["audience"]
    takedowns = found["takedowns"].values
    assert len(rows_of("takedowns")) == takedowns["open"] + takedowns["done"]
    assert len(rows_of("contact-permissions")) == found["conduct"].values["contact_permissions"] == 1
    assert len(rows_of("equipment-permissions")) == found["conduct"].values["equipment_permissions"] == 1
    assert len(rows_of("cases")) == sum(found["incidents"].values.values()) == 2
    lado = found["lado"].values
    clocks = [r[7] for r in rows_of("cases") if r[7]]
    assert clocks.count("on time") == lado["on_time"] == 1
    consent = {r[0]: r for r in rows_of("consent")}
    for use, given in found["consent"].values["given"].items():
        assert int(consent[use][2]) == given and int(consent[use][1]) == found["consent"].values["pupils"]
    assert len(rows_of("self-review")) == len(AREAS) and len(rows_of("self-review-actions")) == 1


def test_no_pupil_is_named_anywhere_in_the_pack_and_cells_are_safe_for_spreadsheets(
    cast, school_with_records
):
    archive, tables, text = _open(_make(cast))
    assert FORENAME not in text and SURNAME not in text
    for name in archive.namelist():
        raw = archive.read(name)
        assert FORENAME.encode() not in raw and SURNAME.encode() not in raw, name
    # A cell starting with = + - @ is neutralised: the commentary starts with "+", a condition with "=".
    commentary = [r[2] for r in tables["csv/self-review.csv"][1:]]
    assert all(c.startswith("'+") for c in commentary)
    for rows in tables.values():
        for row in rows[1:]:
            assert not any(cell[:1] in "=+-@" and cell for cell in row), row


def test_only_the_headteacher_and_senior_leaders_make_it_and_only_by_post(cast, school_with_records):
    for user in (cast.dsl, cast.dpo, cast.governor, cast.teacher, cast.office):
        assert _make(cast, user).status_code == 403, user.email
    with pytest.raises(Refused):
        packs.build(cast.actor(cast.dpo))
    url = reverse("pack_make", kwargs={"school": cast.school.slug})
    head = signed_in(cast.head, confirmed=True)
    page = head.get(reverse("pack_page", kwargs={"school": cast.school.slug}))
    assert page.status_code == 200 and "Make the evidence pack" in page.content.decode()
    assert head.get(url).status_code == 405  # a GET never makes a pack, nor does opening its page
    assert not AuditEvent.objects.filter(action="oversight.pack.exported").exists()
    # The same signed-in Headteacher, without the form's CSRF token: refused, and no pack made.
    head.handler.enforce_csrf_checks = True
    assert head.post(url).status_code == 403
    assert not AuditEvent.objects.filter(action="oversight.pack.exported").exists()
    # A senior leader who is not a designated person gets the pack without the case-by-case list, and reads the
    # incident counts blurred as the self-review shows them (two cases: "fewer than 3").
    archive, tables, text = _open(_make(cast, cast.slt))
    assert (
        "csv/cases.csv" not in tables
        and "listed only in a pack made by a designated person" in _flat_words(text)
    )
    # A figure's sentence starting a line starts with a capital (its stored wording does not change).
    assert "Fewer than 3 cases reported in the last 12 months" in _flat_words(text)
    assert AuditEvent.objects.filter(action="oversight.pack.exported", actor_id=cast.slt.pk).count() == 1


def _flat_words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_cases_about_the_maker_are_left_out_and_the_pack_says_so_without_telling_them_how_many(
    cast, school_with_records
):
    """A teacher reports allegations about the Headteacher and a senior leader; the Headteacher makes the pack.
    The case about them is in neither its figures nor cases.csv, and the PDF says plainly, in its summary and
    beside cases.csv, that cases about its maker are left out — in the same words whether or not there is one, so
    that the pack does not tell its maker that an allegation about them exists. The case about the senior leader
    is in it, and the PDF's count of cases agrees with cases.csv."""
    _, _, before = _open(_make(cast))  # no case about the Headteacher yet
    about = {}
    for user, route in ((cast.head, Case.Route.CHAIR), (cast.slt, Case.Route.DESIGNATED)):
        about[user] = Case.objects.create(
            school=cast.school, kind=Case.Kind.ALLEGATION, reported_by=cast.teacher,
            happened_on=timezone.localdate(), what_happened="x", subject=cast.member(user), routed_to=route,
        ).pk  # fmt: skip
    _, tables, text = _open(_make(cast))
    listed = {int(r[0]) for r in tables["csv/cases.csv"][1:]}
    assert about[cast.head] not in listed and about[cast.slt] in listed and len(listed) == 3
    words = _flat_words(text)
    assert "3 cases reported in the last 12 months" in words  # the figure agrees with cases.csv
    assert _flat(pack_tables.LEFT_OUT) in _flat(text) and _flat(pack_tables.LEFT_OUT) in _flat(before)
    assert _flat(pack_tables.CASES_NOTE) in _flat(text)  # beside cases.csv in the list of files
    assert "Keeping children safe in education, Part 4" in words
    # Said the same way with and without a case about the maker: nothing in the text gives it away.
    assert (
        _flat(before).count(_flat(pack_tables.LEFT_OUT))
        == _flat(text).count(_flat(pack_tables.LEFT_OUT))
        == 1
    )


def test_consent_is_counted_per_use(cast, school_with_records):
    website = purpose(cast.school, "website")
    _, tables, _ = _open(_make(cast))
    assert website.name in {r[0] for r in tables["csv/consent.csv"][1:]}


def test_making_the_pack_asks_a_stale_sign_in_to_confirm_it_is_them_and_a_fresh_one_not(
    cast, school_with_records, settings
):
    """As a case's chronology asks before its signed download: the zip of staff names and case dates is made
    only for someone who confirmed it is them within the last few minutes. The button is a plain form (no
    JavaScript): sent after the confirmation lapsed, it makes nothing, and the person confirms and comes back to
    the pack's page, whose button then makes it."""
    make = reverse("pack_make", kwargs={"school": cast.school.slug})
    page = reverse("pack_page", kwargs={"school": cast.school.slug})
    confirm = f"{reverse('account_reauthenticate')}?{urlencode({'next': page})}"
    fresh = signed_in(cast.head, confirmed=True)
    assert fresh.get(page).status_code == 200  # a fresh confirmation is not asked again
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # the same sign-in, its confirmation now stale
    response = fresh.post(make)
    assert response.status_code == 302 and response["Location"] == confirm
    assert not AuditEvent.objects.filter(action="oversight.pack.exported").exists()
    assert fresh.get(page)["Location"] == confirm  # the page asks first too
    asked = fresh.get(confirm).content.decode()
    assert "making the evidence pack needs you to confirm who you are first" in asked
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    back = fresh.post(confirm, {"password": PASSWORD})
    assert back.status_code == 302 and back["Location"] == page
    made = fresh.post(make)
    assert made.status_code == 200 and made["Content-Type"] == "application/zip"
    assert AuditEvent.objects.filter(action="oversight.pack.exported").count() == 1
    # Signed in but never confirmed (as after a sign-in some hours ago): asked, nothing made.
    assert signed_in(cast.slt).post(make)["Location"] == confirm
    assert AuditEvent.objects.filter(action="oversight.pack.exported").count() == 1


def test_the_self_review_actions_carry_forward_the_open_ones_with_their_status(cast, school_with_records):
    """As the governors' report lists them (``changes.open_actions``): an action still open from an earlier
    review is carried forward into the last review's list, and each action says whether it is open or done."""
    head = cast.actor(cast.head)
    review = review_doors.start_review(head)
    for area in AREAS:
        review_doors.judge_area(head, review, area=area.key, level="established", commentary="Done")
    today = timezone.localdate()
    for what in ("Check the register", "Train the governors"):
        review_doors.add_action(
            head, review, area="policy", what=what, owner=cast.member(cast.slt), due_on=today
        )
    review_doors.complete_review(head, review)
    trained = review.actions.get(what="Train the governors")
    review_doors.complete_action(head, trained)
    trained.refresh_from_db()
    _, tables, text = _open(_make(cast))
    header, *rows = tables["csv/self-review-actions.csv"]
    assert header[-2:] == ["Agreed in", "Status"]
    status = {row[1]: (row[-2], row[-1]) for row in rows}
    assert status == {
        "Remind new staff": ("Self-review 1", "Open"),  # carried forward from the first review
        "Check the register": ("Self-review 2", "Open"),
        "Train the governors": (
            "Self-review 2",
            f"Done on {timezone.localdate(trained.done_at).isoformat()}",
        ),
    }
    flat = _flat(text)
    assert _flat("Remind new staff") in flat and _flat("Agreed in") in flat and _flat("Status") in flat


def test_the_pdf_writes_dates_in_words_and_the_csvs_keep_iso_8601(cast, school_with_records):
    """Dates in the PDF read as on the school's pages ("7 December 2026"); the CSVs keep ISO 8601 for programs
    to read, and the PDF's notes on the files say so."""
    _, tables, text = _open(_make(cast))
    words = _flat_words(text)
    assert not re.search(r"\b20\d\d-\d\d-\d\d", text)  # no ISO date anywhere in the PDF
    today = timezone.localtime(NOW)
    assert re.search(rf"Taken {today:%-d %B %Y} at \d\d:\d\d \(UK time\)", words)
    assert "ISO 8601" in words
    reported = [row[3] for row in tables["csv/cases.csv"][1:]]
    assert reported and all(re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d", r) for r in reported)
    assert tables["csv/self-review-actions.csv"][1][3] == today.date().isoformat()
