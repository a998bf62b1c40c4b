"""The evidence vault (§9: evidence kept intact). An item is hashed on receipt and stored once under a name
nobody chooses; its type comes from its bytes, never from its name or the sender, and decides the extension a
download carries; nothing is ever rendered inline (``incidents.views`` serves every item as an attachment)."""

import hashlib
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

# The first bytes of the types schools send, and what a download is named and typed as.
SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
    (b"PK\x03\x04", "application/zip", "zip"),
    (b"WARC/1.", "application/warc", "warc"),
]
UNKNOWN = ("application/octet-stream", "bin")
MAX_BYTES = 50_000_000


class EvidenceProblem(Exception):
    """An item that cannot be kept, or one that no longer matches its hash: the message says what to do."""


def sniff(data: bytes, name: str) -> tuple[str, str]:
    """(content type, extension) from the bytes. An email is recognised by its headers; anything else that is
    not one of SIGNATURES is kept as bytes (.bin) — HTML, SVG and scripts included, never as themselves."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    if name.lower().endswith(".eml") and _looks_like_email(data):
        return "message/rfc822", "eml"
    return UNKNOWN


def _looks_like_email(data: bytes) -> bool:
    head = data[:4096].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].lower()
    return b"from:" in head and (b"date:" in head or b"subject:" in head)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store(folder: str, data: bytes) -> str:
    """Save ``data`` in ``folder`` under a random name nobody chooses (and the storage never overwrites: it
    answers with the name it used)."""
    return default_storage.save(f"{folder}/{uuid.uuid4().hex}", ContentFile(data))


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def discard(name: str) -> None:
    """Remove a file whose row was never saved (nothing half-kept)."""
    default_storage.delete(name)
