"""Turn an uploaded policy file (plain text, Markdown or Word .docx) into text for :func:`.parse.parse_sections`.

Every refusal is a :class:`~.parse.DocumentError` whose message tells a school office what to do next.

Word files: each paragraph of ``word/document.xml`` becomes a paragraph of text (joined by a blank line).
Paragraphs styled Heading 1/2/3 become Markdown headings (``#``, ``##``, ``###``) so the parser knows they
are headings; "Title" and every other style, numbered lists included, are plain paragraphs. Numbers that Word
adds automatically are not in the text, so headings need their number typed in to become sections.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import PurePath
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeET

from saferstaff.zips import ZIP_ERRORS

from .parse import DocumentError

MB = 1024 * 1024
MAX_UNZIPPED = 50 * MB  # all the members of a .docx together, uncompressed
MAX_ZIP_MEMBERS = 5000
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_EXTENSIONS = {".txt", ".md", ".markdown", ".text"}

SAVE_AS_DOCX = "In Word choose File › Save As › Word Document (.docx), or save as plain text."
NOT_DOCX = "This is not a Word .docx file. " + SAVE_AS_DOCX
_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
# C0 control characters other than tab, newline, vertical tab, form feed and carriage return: binary, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def read_document(filename: str, data: bytes, *, max_bytes: int = 10 * MB) -> str:
    """The text of an uploaded policy document, ready for :func:`.parse.parse_sections`."""
    if len(data) > max_bytes:
        raise DocumentError(
            f"The file is {_size(len(data), round_up=True)}; the limit is {_size(max_bytes)}. Remove large pictures from the "
            "document, or save it as plain text, and upload it again."
        )
    extension = PurePath(filename or "").suffix.lower()
    if data.startswith(b"%PDF") or extension == ".pdf":
        raise DocumentError(
            "PDFs are not supported; save the document as .docx or plain text and upload that."
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError(
            "This is an old-style Word .doc file, or a password-protected Word file, which cannot be read. "
            "Remove any password, then " + SAVE_AS_DOCX[0].lower() + SAVE_AS_DOCX[1:]
        )
    if extension == ".doc":
        raise DocumentError("Old-style Word .doc files cannot be read. " + SAVE_AS_DOCX)
    if data.startswith(b"{\\rtf"):
        raise DocumentError("Rich Text (.rtf) files cannot be read. " + SAVE_AS_DOCX)
    if extension == ".docx" or data.startswith(b"PK\x03\x04"):
        text = _read_docx(data)
    else:
        text = _read_text(data)
    if not text.strip():
        raise DocumentError("The document is empty. Check you chose the right file and upload it again.")
    return text


def _size(n: int, *, round_up: bool = False) -> str:
    """ "10 MB", "10.5 MB", "300 KB"; ``round_up`` so a file just over the limit never reads as equal to it."""
    for unit, name, digits in ((MB, "MB", 1), (1024, "KB", 0)):
        if n >= unit:
            scale = 10**digits
            value = (math.ceil if round_up else round)(n / unit * scale) / scale
            return f"{value:.{digits}f}".removesuffix(".0") + " " + name
    return f"{n} bytes"


def _read_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Notepad's "Unicode" (UTF-16 with a byte-order mark)
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    elif b"\x00" in data:
        text = None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = None
    if text is None or _CONTROL.search(text):
        raise DocumentError(
            "This file does not look like text or a Word document. Save the policy as a Word document "
            "(.docx) or as plain text (.txt) and upload that."
        )
    return text


def _read_docx(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except ZIP_ERRORS:
        raise DocumentError(NOT_DOCX) from None
    with archive:
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
            raise DocumentError(
                "This Word file unpacks to more than 50 MB, which is too big to read. Remove large pictures, "
                "or save it as plain text, and upload it again."
            )
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError:
            raise DocumentError(NOT_DOCX) from None
        try:
            with archive.open(info) as member:
                xml = member.read(MAX_UNZIPPED + 1)
        except ZIP_ERRORS:
            raise DocumentError(
                "This Word file is damaged or locked and cannot be read. Open it in Word and save a fresh copy "
                "as .docx, or save it as plain text."
            ) from None
    if len(xml) > MAX_UNZIPPED:
        raise DocumentError("This Word file is too big to read. Save it as plain text and upload that.")
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise DocumentError(
            "This Word file contains hidden instructions (XML entities) that are refused for safety. Copy the "
            "text into a new Word document, save it as .docx and upload that."
        ) from None
    except SafeET.ParseError:
        raise DocumentError(
            "This Word file is damaged and cannot be read. Open it in Word and save a fresh copy as .docx, "
            "or save it as plain text."
        ) from None
    paragraphs = []
    for p in root.iter(f"{W}p"):
        text = _paragraph_text(p).strip()
        if not text:
            continue
        level = _heading_level(p)
        if level:
            text = "#" * level + " " + " ".join(text.split())
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _paragraph_text(p: Element) -> str:
    """The text of one ``w:p``, without the text of paragraphs nested inside it (text boxes are listed by
    :meth:`Element.iter` as paragraphs of their own). Iterative, so deep nesting cannot exhaust the stack."""
    parts: list[str] = []
    stack = list(reversed(p))
    while stack:
        element = stack.pop()
        tag = element.tag
        if tag == f"{W}t":
            parts.append(element.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        elif tag != f"{W}p":
            stack.extend(reversed(element))
    return "".join(parts)


def _heading_level(p: Element) -> int:
    style = p.find(f"{W}pPr/{W}pStyle")
    value = style.get(f"{W}val", "") if style is not None else ""
    m = _HEADING_STYLE.match(value.strip())
    return min(int(m[1]), 6) if m else 0
