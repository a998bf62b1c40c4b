"""Turn an uploaded policy file (plain text, Markdown or Word .docx) into text for :func:`.parse.parse_sections`.

Every refusal is a :class:`~.parse.DocumentError` whose message tells a school office what to do next.

Word files: each paragraph of ``word/document.xml`` becomes a paragraph of text (joined by a blank line).
Paragraphs in a heading style become Markdown headings (``#``, ``##``, ``###``) so the parser knows they are
headings. A heading style is recognised by its id (``Heading1``) or by its name in ``word/styles.xml`` (WPS
Office writes the id ``2`` for the style named "heading 1"), by an outline level set on the paragraph or its
style, or through the style it is based on. Contents-list paragraphs (the "toc 1" … styles Word's table of
contents uses, and its "TOC Heading") are left out. "Title" and every other style, numbered lists included,
are plain paragraphs. A document with no heading style at all often marks headings by bold alone: then
short paragraphs set wholly in bold (not sentences, not in tables) become headings. Numbers that Word
adds automatically are not in the text; headings without numbers are numbered by position by the parser.

Accepted files: Word (.docx), Markdown (.md, .markdown) and plain text (.txt); anything else (.pdf, .doc,
.rst, .odt …) is refused with a message naming those formats.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as SafeET

from saferstaff.numbers import parse_int
from saferstaff.zips import ZIP_ERRORS

from .parse import DocumentError

MB = 1024 * 1024
MAX_UNZIPPED = 50 * MB  # all the members of a .docx together, uncompressed
MAX_ZIP_MEMBERS = 5000
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_EXTENSIONS = {".txt", ".md", ".markdown", ".text"}
ACCEPTED = "saferstaff reads Word (.docx), Markdown (.md) and plain text (.txt) files"
_STYLE_CHAIN_LIMIT = 10

SAVE_AS_DOCX = "In Word choose File › Save As › Word Document (.docx), or save as plain text."
NOT_DOCX = "This is not a Word .docx file. " + SAVE_AS_DOCX
_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_CONTENTS_STYLE = re.compile(
    r"^(?:toc\s*[1-9]|toc\s*heading|contents\s*heading|table\s*of\s*contents)$", re.IGNORECASE
)
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
            f"PDFs are not supported; save the document as .docx or plain text and upload that ({ACCEPTED})."
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DocumentError(
            "This is an old-style Word .doc file, or a password-protected Word file, which cannot be read. "
            "Remove any password, then " + SAVE_AS_DOCX[0].lower() + SAVE_AS_DOCX[1:] + f" ({ACCEPTED}.)"
        )
    if extension == ".doc":
        raise DocumentError("Old-style Word .doc files cannot be read. " + SAVE_AS_DOCX + f" ({ACCEPTED}.)")
    if data.startswith(b"{\\rtf"):
        raise DocumentError("Rich Text (.rtf) files cannot be read. " + SAVE_AS_DOCX + f" ({ACCEPTED}.)")
    if extension and extension != ".docx" and extension not in TEXT_EXTENSIONS:
        raise DocumentError(
            f"This is a {extension} file, not a Word .docx file, Markdown or plain text: {ACCEPTED}. "
            "Open it, save it as one of those (in Word: File › Save As › Word Document (.docx)) and upload that."
        )
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
            styles_xml = None
            if "word/styles.xml" in archive.namelist():
                with archive.open("word/styles.xml") as member:
                    styles_xml = member.read(MAX_UNZIPPED + 1)
        except ZIP_ERRORS:
            raise DocumentError(
                "This Word file is damaged or locked and cannot be read. Open it in Word and save a fresh copy "
                "as .docx, or save it as plain text."
            ) from None
    if len(xml) > MAX_UNZIPPED:
        raise DocumentError("This Word file is too big to read. Save it as plain text and upload that.")
    root = _parse_xml(xml)
    styles = _styles(_parse_xml(styles_xml)) if styles_xml else {}
    in_tables = {id(p) for table in root.iter(f"{W}tbl") for p in table.iter(f"{W}p")}
    paragraphs: list[tuple[str, int, bool]] = []  # (text, heading level, looks like a bold heading)
    for p in root.iter(f"{W}p"):
        style = _style_id(p)
        if style in styles and styles[style].contents:
            continue  # a line of Word's table of contents
        text = _paragraph_text(p).strip()
        if not text:
            continue
        bold = id(p) not in in_tables and _bold_heading_like(p, text)
        paragraphs.append((text, _heading_level(p, style, styles), bold))
    # Without any heading style, short paragraphs set wholly in bold are the headings (as many early-years
    # policies written from templates have them).
    use_bold = not any(level for _t, level, _b in paragraphs) and sum(b for _t, _l, b in paragraphs) >= 2
    out = []
    for text, level, bold in paragraphs:
        level = level or (2 if use_bold and bold else 0)
        out.append("#" * level + " " + " ".join(text.split()) if level else text)
    return "\n\n".join(out)


def _bold_heading_like(p: Element, text: str) -> bool:
    """A short paragraph, not a sentence, whose every run of text is bold ('Policy statement')."""
    if len(text) > 90 or "\n" in text or text.endswith((".", ",", ";")) or not text[0].isupper():
        return False
    runs = [r for r in p.iter(f"{W}r") if "".join(t.text or "" for t in r.iter(f"{W}t")).strip()]
    return bool(runs) and all(_is_bold(r) for r in runs)


def _is_bold(run: Element) -> bool:
    b = run.find(f"{W}rPr/{W}b")
    return b is not None and b.get(f"{W}val", "true").lower() not in ("0", "false", "off")


def _parse_xml(xml: bytes) -> Element:
    try:
        return SafeET.fromstring(xml, forbid_dtd=True)
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
    except (LookupError, ValueError):  # the XML names an encoding the parser cannot use (Word writes UTF-8)
        raise DocumentError(
            "This Word file declares a character encoding that cannot be read. Open it in Word and save a fresh "
            "copy as .docx, or save it as plain text."
        ) from None


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


@dataclass(frozen=True)
class _Style:
    name: str
    based_on: str
    outline_level: int | None  # Word's 0-based outline level; 9 means body text
    contents: bool  # a table-of-contents style


def _styles(root: Element) -> dict[str, _Style]:
    """Paragraph styles from ``word/styles.xml``, by style id."""
    styles = {}
    for style in root.iter(f"{W}style"):
        if style.get(f"{W}type", "paragraph") != "paragraph":
            continue
        style_id = style.get(f"{W}styleId", "")
        name_element = style.find(f"{W}name")
        name = name_element.get(f"{W}val", "") if name_element is not None else ""
        based = style.find(f"{W}basedOn")
        styles[style_id] = _Style(
            name=name,
            based_on=based.get(f"{W}val", "") if based is not None else "",
            outline_level=_outline_level(style),
            contents=bool(_CONTENTS_STYLE.match(name.strip()) or _CONTENTS_STYLE.match(style_id)),
        )
    return styles


def _outline_level(element: Element) -> int | None:
    found = element.find(f"{W}pPr/{W}outlineLvl")
    value = found.get(f"{W}val", "") if found is not None else ""
    return parse_int(value, max_digits=2)


def _style_id(p: Element) -> str:
    style = p.find(f"{W}pPr/{W}pStyle")
    return (style.get(f"{W}val", "") if style is not None else "").strip()


def _heading_level(p: Element, style_id: str, styles: dict[str, _Style]) -> int:
    """1–6 for a heading paragraph, 0 for any other: its own outline level, else its style's (by name, by
    id, or by outline level), else the style it is based on, and so on."""
    own = _outline_level(p)
    if own is not None:
        return own + 1 if own < 6 else 0
    seen = 0
    while style_id and seen < _STYLE_CHAIN_LIMIT:
        style = styles.get(style_id)
        for label in ((style.name,) if style else ()) + (style_id,):
            if m := _HEADING_STYLE.match(label.strip()):
                return min(int(m[1]), 6)
        if style is None:
            return 0
        if style.outline_level is not None:
            return style.outline_level + 1 if style.outline_level < 6 else 0
        style_id, seen = style.based_on, seen + 1
    return 0
