"""Scans kept as evidence: a signed paper consent form, a signed paper acceptance of a policy, a screenshot
showing that a published photo came down. One check on the way in, one name to store them under and one way
to hand them back out, for every kind.

- The type comes from the file's first bytes (PDF, JPEG or PNG), never from the name or the browser's
  say-so, and the stored name is random with the extension of that type: an uploaded name may hold a
  person's name, and a ``.html`` scan must never be served as a page.
- A scan goes back out only as a download (``Content-Disposition: attachment``) with the sniffed type,
  ``nosniff``, a sandboxing CSP and no caching; the caller checks who may see it, and the download is
  audited."""

import uuid

from django.http import FileResponse, Http404

from saferstaff.audit.log import record

MAX_BYTES = 10 * 1024 * 1024
TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
WHAT = "a PDF, JPEG or PNG file"


def kind_of(head: bytes) -> str | None:
    """The scan's type from its first bytes: "pdf", "jpg", "png", or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    return head


def problem(upload) -> str | None:
    """Why an uploaded scan cannot be kept, in words the school office can act on, or None."""
    if upload.size > MAX_BYTES:
        return "The scan is larger than 10 MB: scan it at a lower resolution and try again"
    if kind_of(_head(upload)) is None:
        return f"The scan must be {WHAT}"
    return None


def stored_name(upload) -> str:
    """A random name with the extension of the type found in the file (call after ``problem``)."""
    return f"{uuid.uuid4().hex}.{kind_of(_head(upload)) or 'bin'}"


def audited_download(obj, fieldfile, *, action: str, stem: str) -> FileResponse:
    """The scan kept on ``obj`` as a download, recorded in the audit trail as ``action``; 404 if none."""
    if not fieldfile:
        raise Http404
    record(action, obj)
    return download(fieldfile, stem=stem)


def download(fieldfile, *, stem: str, kind: str | None = None) -> FileResponse:
    """The stored scan as a download named ``stem`` plus the extension of its actual type (``kind``: a file
    saferstaff wrote itself, of a type it knows, e.g. a page kept as a WARC)."""
    handle = fieldfile.open("rb")
    kind = kind or kind_of(handle.read(8)) or "bin"
    handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{stem}.{kind}",
        content_type={**TYPES, "warc": "application/warc"}.get(kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
