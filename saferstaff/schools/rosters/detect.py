"""Which kind of roster a file is, and the one entry point that parses any of them."""

from django.conf import settings

from . import csv_mis, ctf, oneroster
from .records import ParsedRoster, RosterError

PARSERS = {"csv": csv_mis.parse, "ctf": ctf.parse, "oneroster": oneroster.parse}
FORMAT_LABELS = {"csv": "CSV pupil list", "ctf": "Common Transfer File (CTF)", "oneroster": "OneRoster"}

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls (and .doc)


def _first_text(data: bytes, size: int = 4096) -> str:
    head = data[:size]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff")


def detect_format(filename: str, data: bytes) -> str:
    """'csv', 'ctf' or 'oneroster', from the content (the file name is only a hint for messages).

    XML (a '<' first, after any byte-order mark and spaces) is a CTF; a zip holding users.csv, or a CSV
    whose headings include OneRoster's sourcedId and role, is OneRoster; any other text is a CSV pupil list.
    Spreadsheets and other binary files are refused with what to do instead."""
    name = (filename or "").lower()
    if data.startswith(oneroster.ZIP_MAGIC):
        if b"users.csv" in data:
            return "oneroster"
        if b"xl/" in data or name.endswith((".xlsx", ".xlsm")):
            raise RosterError.single(
                "file",
                "this is an Excel workbook, not a CSV file. In Excel choose File › Save As › "
                "'CSV UTF-8 (Comma delimited) (*.csv)' and upload that file.",
            )
        raise RosterError.single(
            "file",
            "this zip file is not a OneRoster export (it has no users.csv). Upload the CSV or CTF file.",
        )
    if data.startswith(_OLE_MAGIC):
        raise RosterError.single(
            "file",
            "this is an old-style Excel (.xls) file, not a CSV file. In Excel choose File › Save As › "
            "'CSV UTF-8 (Comma delimited) (*.csv)' and upload that file.",
        )
    if data.startswith(b"%PDF"):
        raise RosterError.single(
            "file",
            "this is a PDF, which saferstaff cannot read. Export the pupil list from the MIS as CSV or CTF.",
        )
    text = _first_text(data).lstrip()
    if text.startswith("<"):
        return "ctf"
    first_line = text.split("\n", 1)[0]
    headings = [h.strip().strip('"') for h in first_line.replace(";", ",").split(",")]
    if oneroster.looks_like_users_csv(headings):
        return "oneroster"
    return "csv"


def check_size(data: bytes) -> None:
    check_file_size(len(data))
    if not data.strip():
        raise RosterError.single("file", "the file is empty. Export the pupil list from the MIS again.")


def check_file_size(size: int) -> None:
    """Refuse a file over ``settings.ROSTER_MAX_BYTES`` — by its size alone, before anything reads it."""
    limit = settings.ROSTER_MAX_BYTES
    if size > limit:
        raise RosterError.single(
            "file",
            f"the file is {_megabytes(size)}, larger than the {_megabytes(limit)} saferstaff accepts. "
            "Export only current pupils, with just the columns saferstaff uses (names, UPN, date of birth, "
            "year group, contacts) — a 2,000-pupil CTF is about 2 MB. Do not split the school into several "
            "files: each import treats pupils who are not in it as leaving.",
        )


def _megabytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, size // 1024)} KB" if size >= 1024 else f"{size} bytes"


def parse_roster(filename: str, data: bytes) -> ParsedRoster:
    """Size and emptiness first (before anything reads the content), then the format's parser."""
    check_size(data)
    return PARSERS[detect_format(filename, data)](data)
