"""Every upload saferstaff reads, fuzzed: any input is either taken or refused with the reader's own error (the
one the page turns into a message naming the field), never another exception, never a hang, and a refusal
saves nothing. Valid files with byte edits, structure-aware rows of odd cells, booby-trapped files, raw bytes.

Short and deterministic in `make test`; ``SAFERSTAFF_FUZZ_SECONDS=N`` fuzzes each reader for ~N seconds
(tests/fuzzing.py; CI's fuzz stage)."""

import csv
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st

from saferstaff import scans
from saferstaff.audit.models import AuditEvent
from saferstaff.photos.files import FileProblem, check_file, zip_members
from saferstaff.photos.library import UploadProblems, add_images
from saferstaff.photos.models import Image
from saferstaff.policies.documents.parse import DocumentError
from saferstaff.policies.models import PolicySection, PolicyVersion
from saferstaff.policies.services import import_policy
from saferstaff.schools.models import Membership, Pupil, RosterImport
from saferstaff.schools.rosters.records import RosterError
from saferstaff.schools.rosters.service import import_file
from saferstaff.schools.staff import StaffImportError, import_staff

from .fuzzing import inputs, run_fuzz
from .image_samples import approved_activity, jpeg
from .roster_samples import csv_text, ctf_xml, oneroster_zip, sample_pupils
from .test_policy_documents import docx, w_paragraph

pytestmark = pytest.mark.django_db

# Cells a spreadsheet might hold: anything, quotes and line breaks, a formula, one longer than csv's limit.
CELL = st.one_of(
    st.text(max_size=40),
    st.sampled_from(['"', '""', "\r\n", "=HYPERLINK(1)", "\x00", "a" * 140_000, "Ⅻ", "\ud7ff"]),
)


def csv_rows(header: list[str]) -> st.SearchStrategy[bytes]:
    """A CSV with ``header`` and rows of odd cells, in UTF-8 or Windows-1252 as Excel saves it."""

    def write(rows, encoding):
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return out.getvalue().encode(encoding, "replace")

    rows = st.lists(st.lists(CELL, max_size=len(header) + 2), max_size=4)
    return st.builds(write, rows, st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))


def counts(*models) -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in models}


def refused_without_a_trace(do, error, models, seen: set[str]):
    """``do()`` either succeeds or raises ``error``; if refused, no row of ``models`` was added. Adds to
    ``seen`` which of the two it was, so a test can check its inputs reached both."""
    before = counts(*models)
    try:
        do()
    except error:
        assert counts(*models) == before, "a refused upload left rows behind"
        seen.add("refused")
    else:
        seen.add("accepted")


# --- Pupil rosters: MIS CSV, CTF XML, OneRoster zip ----------------------------------------------------------

ROSTER_FILES = {
    "roster.csv": csv_text(sample_pupils(3), contacts=1).encode(),
    "roster.xml": ctf_xml(sample_pupils(3)).encode(),
    "oneroster.zip": oneroster_zip(sample_pupils(3)),
}
BOOBY_TRAPPED_XML = [
    b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><CTfile>&b;</CTfile>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CTfile>&e;</CTfile>',
    b"<CTfile>" + b"<a>" * 50_000 + b"</CTfile>",
]


@pytest.mark.parametrize("filename", sorted(ROSTER_FILES))
def test_a_roster_file_is_imported_or_refused_cleanly(filename, cast):
    header = csv_text(sample_pupils(1), contacts=1).splitlines()[0].split(",")
    extra = [csv_rows(header)] if filename.endswith(".csv") else []
    extra += [st.sampled_from(BOOBY_TRAPPED_XML)] if filename.endswith(".xml") else []
    seen: set[str] = set()
    run_fuzz(
        lambda data: refused_without_a_trace(
            lambda: import_file(cast.school, filename, data, user=cast.office),
            RosterError,
            (Pupil, RosterImport, AuditEvent),
            seen,
        ),
        inputs([ROSTER_FILES[filename]], *extra),
    )
    assert seen == {"accepted", "refused"}, seen  # the inputs reached both outcomes


# --- Staff CSV ---------------------------------------------------------------------------------------------

STAFF_HEADER = ["First name", "Last name", "Email", "Roles", "Employment type", "Job title"]
STAFF_CSV = b"First name,Last name,Email,Roles,Employment type,Job title\nAda,Byron,ada@school.example,dsl,employee,Teacher\n"


def test_a_staff_list_is_imported_or_refused_cleanly(cast):
    seen: set[str] = set()
    run_fuzz(
        lambda data: refused_without_a_trace(
            lambda: import_staff(cast.school, data, by=cast.head),
            StaffImportError,
            (Membership, AuditEvent),
            seen,
        ),
        inputs([STAFF_CSV], csv_rows(STAFF_HEADER)),
    )
    assert seen == {"accepted", "refused"}, seen  # the inputs reached both outcomes


def test_a_cell_longer_than_the_csv_reader_takes_is_a_problem_with_its_line(cast):
    data = STAFF_CSV + b'Bo,Peep,"' + b"b" * 140_000 + b'",,,\n'
    with pytest.raises(StaffImportError, match="Line 3"):
        import_staff(cast.school, data, by=cast.head)


# --- Policy documents: Word .docx, Markdown, plain text ------------------------------------------------------

POLICY_DOCX = docx(w_paragraph("1. Purpose", "Heading1") + w_paragraph("Staff keep pupils safe online."))
POLICY_TEXT = (
    b"# Online safety\n\n## 1. Purpose\n\nStaff keep pupils safe online.\n\n## 2. Scope\n\nEveryone.\n"
)


@pytest.mark.parametrize("filename", ["policy.docx", "policy.md", "policy.txt"])
def test_a_policy_document_is_imported_or_refused_cleanly(filename, cast):
    sample = POLICY_DOCX if filename.endswith(".docx") else POLICY_TEXT
    seen: set[str] = set()
    run_fuzz(
        lambda data: refused_without_a_trace(
            lambda: import_policy(
                cast.school, title="Online safety", filename=filename, data=data, by=cast.head
            ),
            DocumentError,
            (PolicyVersion, PolicySection, AuditEvent),
            seen,
        ),
        inputs([sample, POLICY_TEXT if sample is POLICY_DOCX else POLICY_DOCX]),
    )
    assert seen == {"accepted", "refused"}, seen  # the inputs reached both outcomes


# --- Photos and videos: one file, a zip of them, the whole upload -------------------------------------------


def _bomb_png() -> bytes:
    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("1", (30_000, 30_000)).save(out, "PNG")  # tiny on disk, 900 megapixels unpacked
    return out.getvalue()


IMAGE_FILES = [jpeg(size=(64, 48)), jpeg(size=(32, 32), gps=True, orientation=6)]
BOOBY_TRAPPED_IMAGES = [_bomb_png(), b"\xff\xd8\xff\xe1\xff\xffExif\x00\x00" + b"\x00" * 64]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_photo_is_checked_or_refused_cleanly():
    def check(data):
        try:
            check_file("photo.jpg", data)
        except FileProblem:
            pass

    run_fuzz(check, inputs(IMAGE_FILES, st.sampled_from(BOOBY_TRAPPED_IMAGES)))


def test_a_zip_of_photos_is_read_or_refused_cleanly():
    samples = [_zip({"a.jpg": IMAGE_FILES[0], "b/c.jpg": IMAGE_FILES[1]}), _zip({"../up.jpg": IMAGE_FILES[0]}),
               _zip({"big.jpg": b"\0" * 5_000_000})]  # fmt: skip

    def check(data):
        try:
            for _name, member in zip_members("album.zip", io.BytesIO(data)):
                try:
                    check_file("member.jpg", member)
                except FileProblem:
                    pass
        except FileProblem:
            pass

    run_fuzz(check, inputs(samples))


def test_an_upload_of_photos_is_saved_whole_or_not_at_all(cast):
    activity = approved_activity(cast.school, cast.head, cast.head)

    def upload(data):
        files = [("one.jpg", IMAGE_FILES[0]), ("two.jpg", data)]
        refused_without_a_trace(
            lambda: add_images(activity, files, by=cast.head),
            (FileProblem, UploadProblems),
            (Image, AuditEvent),
            seen,
        )
        Image.objects.filter(activity=activity).delete()  # the next example starts with an empty album

    seen: set[str] = set()
    run_fuzz(upload, inputs(IMAGE_FILES, st.sampled_from(BOOBY_TRAPPED_IMAGES)), examples=25)
    assert seen == {"accepted", "refused"}, seen  # the inputs reached both outcomes


# --- Scans kept as evidence (signed forms, screenshots): PDF, JPEG or PNG ------------------------------------


def test_a_scan_is_taken_or_refused_with_a_message():
    def check(data):
        upload = SimpleUploadedFile("scan.pdf", data)
        problem = scans.problem(upload)
        assert problem is None or problem.startswith("The scan"), problem
        if problem is None:
            assert scans.stored_name(upload).rsplit(".", 1)[1] in scans.TYPES

    run_fuzz(check, inputs([b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF", IMAGE_FILES[0]]))


# --- The guardian consent portal: its token, and the names and values of its form --------------------------


def test_the_consent_portal_takes_or_refuses_any_post(cast, client, monkeypatch):
    from django.core import mail
    from django.db import transaction

    from saferstaff.consent.models import ConsentRecord

    from .image_samples import pupil_with_parents, purpose
    from .test_images_consent import link_in, send_links

    amelia, _ = pupil_with_parents(cast.school)
    website = purpose(cast.school, "website")
    # The link goes out by email once the transaction commits; nothing commits in a test.
    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
    send_links(cast)
    url = link_in(mail.outbox[0])
    good = f"c-{amelia.pk}-{website.pk}"
    key = st.one_of(
        st.just(good),
        st.builds("c-{}-{}".format, st.integers(-5, 10**20), st.integers(-5, 10**20)),
        st.text(max_size=12).map("c-".__add__),
        st.text(max_size=12),
    )
    value = st.one_of(st.sampled_from(["yes", "no", ""]), st.text(max_size=12))
    token = st.text(st.characters(codec="ascii", exclude_characters="/?#%"), min_size=1, max_size=80)

    def post(case):
        form, bad_token = case
        before = ConsentRecord.objects.count()
        response = client.post(url, form)
        assert response.status_code in {200, 302, 400, 403}, (form, response.status_code)
        if response.status_code != 302:
            assert ConsentRecord.objects.count() == before, "a refused answer was saved"
        assert client.get(f"/portal/{bad_token}/").status_code in {400, 403, 404, 410}, bad_token

    run_fuzz(post, st.tuples(st.dictionaries(key, value, max_size=4), token), examples=40)


# Found by the fuzz above: an XML declaration naming an encoding Python's parser cannot use raised LookupError or
# ValueError out of the CTF and Word readers.
@pytest.mark.parametrize("encoding", ["TTF-8", "shift_jis", "rot13", "idna"])
def test_an_xml_file_in_an_unreadable_encoding_is_refused_by_name(encoding, cast):
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode()
    ctf = ROSTER_FILES["roster.xml"].split(b"?>", 1)[1]
    with pytest.raises(RosterError, match="encoding"):
        import_file(cast.school, "roster.xml", declaration + ctf)
    with pytest.raises(DocumentError, match="encoding"):
        import_policy(cast.school, title="Online safety", filename="policy.docx",
                      data=docx(document_xml=declaration.decode() + "<w:document/>"))  # fmt: skip
