"""§2: the inspection evidence pack — what an inspector or the trust asks for, in one zip: a signed PDF and the
registers behind it as CSVs.

- Every figure is the one ``oversight.figures.all_figures`` gives (worded as the dashboards and the self-review
  word it), with the register it comes from and the moment it was taken; as the maker may read it (incident
  counts blurred for a senior leader who is not a designated person, as the self-review shows them).
- Every CSV has a header row, its cells made safe for spreadsheets (``exports.csv_safe``), and is listed in the
  PDF with its SHA-256: the PDF's signature (``incidents.signing``, the key the chronologies are signed with)
  then vouches for every file in the zip.
- Nothing is kept: the pack is made when asked and its SHA-256 (and the PDF's) recorded in the audit trail, so
  a pack handed over can be matched with the trail later."""

import csv
import datetime
import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from saferstaff import clocks
from saferstaff.audit.log import record
from saferstaff.exports import csv_safe
from saferstaff.incidents import signing
from saferstaff.incidents.trends import last_twelve_months
from saferstaff.oversight.figures import all_figures
from saferstaff.oversight.pack_tables import (
    LEFT_OUT,
    Table,
    all_tables,
    day_in_words,
    in_words,
    last_review,
    may_list_cases,
    review_tables,
)
from saferstaff.oversight.readers import shown_to
from saferstaff.rules.engine import refused
from saferstaff.schools.roles import Actor

SECTION = "§2"
PDF_NAME = "evidence-pack.pdf"
CERT_NAME = "signing-certificate.pem"


@dataclass(frozen=True)
class Pack:
    filename: str
    data: bytes  # the zip
    sha256: str
    pdf_sha256: str
    files: tuple[tuple[str, int, str], ...]  # (name, rows, sha256) of each CSV


def may_make(actor: Actor) -> None:
    """§2 puts the guidance's being shared and followed on the Headteacher (and governors): the pack speaks for
    the school, so the Headteacher and senior leaders make it. Not the DPO (whose logs are one part of it) nor
    a DSL who is not a senior leader (whose casework is another): neither answers for the whole."""
    if not actor.is_senior:
        raise refused("Only the Headteacher or a senior leader can make the evidence pack", SECTION)


def figures_for(actor: Actor, now: datetime.datetime) -> dict:
    """The figures as stored dicts, as ``actor`` may read them: every one of ``all_figures``."""
    return shown_to(actor, {key: m.as_stored() for key, m in all_figures(actor.school, now).items()})


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return out.getvalue().encode("utf-8")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(actor: Actor, now: datetime.datetime | None = None) -> Pack:
    """The zip, its PDF signed; nothing written but the audit event (its SHA-256, the PDF's, the files)."""
    may_make(actor)
    from weasyprint import HTML  # heavy, and only for the PDFs: as the chronology does

    now = now or timezone.now()
    school = actor.school
    months = last_twelve_months(timezone.localdate(now))
    since = datetime.datetime.combine(months[0], datetime.time(), tzinfo=clocks.UK)
    shown = figures_for(actor, now)
    review = last_review(school)
    tables = all_tables(actor, shown, now, since, review)
    files = [(f"csv/{t.name}", to_csv(t), t) for t in tables]
    manifest = [(name, len(t.rows), _digest(data), t) for name, data, t in files]
    html = render_to_string(
        "oversight/pack_pdf.html",
        {
            "school": school,
            "now": now,
            "taken": in_words(now),
            "since": since,
            "by": actor.user,
            "figures": [
                {**m, "taken": in_words(datetime.datetime.fromisoformat(m["taken_at"]))}
                for m in shown.values()
            ],
            "review": review,
            "review_tables": review_tables(review, day=day_in_words),  # as the CSVs, dates in words
            "manifest": manifest,
            "cases_listed": may_list_cases(actor),
            "left_out": LEFT_OUT,
            "fingerprint": signing.fingerprint(),
            "cert_name": CERT_NAME,
        },
    )
    pdf = signing.sign_pdf(
        HTML(string=html).write_pdf(), reason=f"Inspection evidence pack of {school.name}, {in_words(now)}"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PDF_NAME, pdf)
        for name, data, _ in files:
            archive.writestr(name, data)
        archive.writestr(CERT_NAME, signing.certificate_pem())
    data = buffer.getvalue()
    stamp = timezone.localtime(now).strftime("%Y-%m-%d-%H%M")
    pack = Pack(
        filename=f"evidence-pack-{slugify(school.name)}-{stamp}.zip",
        data=data,
        sha256=_digest(data),
        pdf_sha256=_digest(pdf),
        files=tuple((name, rows, sha) for name, rows, sha, _ in manifest),
    )
    record(
        "oversight.pack.exported",
        ("schools.school", school.pk),
        school=school,
        detail={"sha256": pack.sha256, "pdf_sha256": pack.pdf_sha256, "files": len(files) + 2},
    )
    return pack
