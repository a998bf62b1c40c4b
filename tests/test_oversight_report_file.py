"""§2: the governors' report keeps the PDF it made in the file storage every kept file is in (the disk; the S3
bucket in CI's S3 stage, through the ``storage`` fixture). A download serves exactly those bytes, whatever
changes in the layout since; a stored file changed or removed is refused with a plain message and recorded in
the audit trail (ids only); made again, the new file replaces the old; the file goes with its row."""

import hashlib
import importlib
import pathlib

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.oversight import report as report_module
from saferstaff.oversight import report_pdf
from saferstaff.oversight.models import GovernorsReport
from saferstaff.oversight.report import make_report

from .conftest import ON_S3, make_school, s3_client, signed_in

FOLDER = "governors-reports"


def stored(folder: str = FOLDER) -> list[str]:
    """Every file under ``folder`` in the storage (the disk or S3)."""
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    return [f"{folder}/{f}" for f in files] + [n for d in dirs for n in stored(f"{folder}/{d}")]


def in_the_storage_itself(name: str) -> bytes:
    """The file's bytes read past Django: from the bucket with boto3, or from the disk under MEDIA_ROOT."""
    if ON_S3:
        bucket = settings.STORAGES["default"]["OPTIONS"]["bucket_name"]
        return s3_client().get_object(Bucket=bucket, Key=name)["Body"].read()
    return (pathlib.Path(settings.MEDIA_ROOT) / name).read_bytes()


def download(cast, report, user=None, **kwargs):
    where = reverse("report_pdf", kwargs={"school": cast.school.slug, "pk": report.pk})
    return signed_in(user or cast.governor).get(where, **kwargs)


@pytest.fixture
def made(cast, storage, monkeypatch):
    """This term's report, made by the Headteacher, and the bytes its making drew."""
    drawn = []
    real = report_module.draw

    def drawing(figures, context):
        drawn.append(real(figures, context))
        return drawn[-1]

    monkeypatch.setattr(report_module, "draw", drawing)
    report = make_report(cast.school, by=cast.actor(cast.head))
    monkeypatch.setattr(report_module, "draw", real)
    (pdf,) = drawn
    return report, pdf


def test_the_pdf_made_is_kept_in_the_storage_and_downloaded_byte_for_byte(cast, made):
    report, pdf = made
    assert stored() == [report.pdf.name] and report.pdf.name.startswith(f"{FOLDER}/{cast.school.pk}/")
    assert in_the_storage_itself(report.pdf.name) == pdf
    got = download(cast, report)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert got.content == pdf and hashlib.sha256(got.content).hexdigest() == report.pdf_sha256
    assert download(cast, report, cast.head).content == pdf
    assert (
        AuditEvent.objects.filter(action="oversight.report.downloaded", object_id=str(report.pk)).count() == 2
    )


def test_a_change_to_the_layout_after_making_changes_no_download_and_raises_no_alarm(cast, made, monkeypatch):
    report, pdf = made
    monkeypatch.setattr(
        report_pdf, "render_to_string", lambda *a, **k: "<h1>A new layout</h1><p>Reworded</p>"
    )
    assert report_pdf.draw(report.figures, report.context) != pdf  # the layout really is another now
    got = download(cast, report)
    assert got.status_code == 200 and got.content == pdf
    assert not AuditEvent.objects.filter(action="oversight.report.altered").exists()


def test_a_stored_file_changed_or_removed_is_refused_plainly_and_recorded(cast, made):
    report, pdf = made
    with default_storage.open(report.pdf.name, "wb") as handle:  # altered behind saferstaff's back
        handle.write(pdf.replace(b"%PDF-", b"%PDF-\n% one byte or more changed\n", 1))
    for attempt in (1, 2):
        page = download(cast, report, follow=True)
        assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
        text = " ".join(page.content.decode().split())
        assert "has been changed or removed since it was made" in text and "so it is not given out" in text
        altered = AuditEvent.objects.filter(action="oversight.report.altered").order_by("pk")
        assert altered.count() == attempt
        assert altered.last().object_id == str(report.pk) and altered.last().detail == {"term": report.term}
        default_storage.delete(report.pdf.name)  # and then gone altogether: as altered as a changed byte
    assert not AuditEvent.objects.filter(action="oversight.report.downloaded").exists()


def test_made_again_the_new_file_replaces_the_old(cast, made, django_capture_on_commit_callbacks):
    first, _ = made
    with django_capture_on_commit_callbacks(execute=True):
        again = make_report(cast.school, by=cast.actor(cast.slt))
    assert again.pk == first.pk and again.pdf.name != first.pdf.name
    assert stored() == [again.pdf.name]
    assert hashlib.sha256(in_the_storage_itself(again.pdf.name)).hexdigest() == again.pdf_sha256
    made_events = AuditEvent.objects.filter(action="oversight.report.made", object_id=str(first.pk))
    assert [e.detail["sha256"] for e in made_events.order_by("pk")] == [first.pdf_sha256, again.pdf_sha256]


def test_a_report_that_cannot_be_kept_leaves_no_file(cast, storage, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(report_module, "record", broken)
    with pytest.raises(RuntimeError):
        make_report(cast.school)
    assert not GovernorsReport.objects.exists() and stored() == []


def test_deleting_a_report_or_its_school_deletes_its_file(cast, storage, django_capture_on_commit_callbacks):
    report = make_report(cast.school)
    closing = make_school("Closing Primary", "100010", "2010", cast.trust)
    theirs = make_report(closing)
    assert sorted(stored()) == sorted([report.pdf.name, theirs.pdf.name])
    with django_capture_on_commit_callbacks(execute=True):
        report.delete()
    assert stored() == [theirs.pdf.name]
    with django_capture_on_commit_callbacks(execute=True):
        closing.delete()  # its report goes by the cascade, and the file with it
    assert not GovernorsReport.objects.exists() and stored() == []


def test_a_report_made_before_its_pdf_was_kept_gets_it_drawn_once_and_stored(cast, storage):
    report = make_report(cast.school)
    default_storage.delete(report.pdf.name)
    GovernorsReport.objects.filter(pk=report.pk).update(pdf="", pdf_sha256="0" * 64)
    migration = importlib.import_module("saferstaff.oversight.migrations.0004_governors_report_pdf")
    migration.keep_pdfs(apps, None)
    report.refresh_from_db()
    assert stored() == [report.pdf.name]
    kept = in_the_storage_itself(report.pdf.name)
    assert hashlib.sha256(kept).hexdigest() == report.pdf_sha256 and download(cast, report).content == kept
    migration.keep_pdfs(apps, None)  # drawn once: a report with its file is left as it is
    assert GovernorsReport.objects.get(pk=report.pk).pdf.name == report.pdf.name and len(stored()) == 1
