"""Readers for the values every roster format shares: text encodings, dates, year groups, yes/no.

Each raises ``ValueError`` whose message starts with the offending value in quotes and ends with what
to do, so a parser can put the field's name in front: "date of birth '31/02/2019' is not a real date…".
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from saferstaff.numbers import parse_int

from .records import RosterError

FIX_IN_MIS = "Correct it in the MIS and export again."
SAVE_AS_UTF8 = (
    "In Excel, open the file and choose File › Save As › 'CSV UTF-8 (Comma delimited) (*.csv)', "
    "then upload the new file. Or export it again from the MIS as UTF-8."
)

# --- Text -----------------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """Decode a text roster: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark
    (Excel's "Unicode text"), else Windows-1252 — what older MIS exports and Excel's plain "CSV" use —
    with a note asking the school to check accented names in the preview. Anything else is refused
    with the line of the first unreadable byte."""
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), notes
        except UnicodeDecodeError:
            raise RosterError.single(
                "file", f"the file says it is UTF-16 but parts of it are not. {SAVE_AS_UTF8}"
            ) from None
    if b"\x00" in data[:4096]:
        raise RosterError.single(
            "file",
            "this is not a text (CSV) file: it contains binary data. Upload the CSV file exported from "
            f"the MIS, not a spreadsheet or a document. {SAVE_AS_UTF8}",
        )
    try:
        return data.decode("utf-8-sig"), notes
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise RosterError.single(
                f"line {line}",
                f"has a character saferstaff cannot read (byte 0x{data[error.start]:02X}): the file is "
                f"neither UTF-8 nor Windows-1252. {SAVE_AS_UTF8}",
            ) from None
        line = data.count(b"\n", 0, utf8_error.start) + 1
        notes.append(
            "The file is not UTF-8, so it was read as Windows-1252 (what older MIS exports and Excel's "
            f"plain 'CSV' format use; the first such character is on line {line}). Check that names with "
            "accents (é, ë, â) look right in the preview. If they do not, save the file as "
            "'CSV UTF-8' and upload it again."
        )
        return text, notes


def clean(value: str | None) -> str:
    return (value or "").strip()


def check_length(value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(
            f"'{value[:30]}…' is {len(value)} characters long; saferstaff keeps at most {limit}. "
            f"Shorten it in the MIS and export again."
        )
    return value


def normalise_email(value: str) -> str:
    email = clean(value)
    if not email:
        return ""
    if len(email) > 254:
        raise ValueError(f"'{email[:30]}…' is longer than an email address can be. {FIX_IN_MIS}")
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError(f"'{email}' is not an email address. {FIX_IN_MIS}") from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


# --- Dates ----------------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+\-Z]*)?$")
_UK = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})(?: 00:00(?::00)?)?$")
_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def parse_date(value: str) -> datetime.date:
    """ISO (2015-05-03, optionally with a midnight time) or UK day/month/year (03/05/2015, 3/5/2015,
    03-05-2015, 03.05.2015). The date must be real: 31/02/2019 is refused, not rolled over."""
    text = clean(value)
    if not text:
        raise ValueError(f"is blank. {FIX_IN_MIS}")
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK.match(text):
        day, month, year = (int(g) for g in match.groups())
        if len(match.group(3)) != 4:
            raise ValueError(
                f"'{text}' has a two-digit year. Show the year in full (dd/mm/yyyy, e.g. 03/05/2015): "
                "in Excel, format the column as a date with a four-digit year, or export again from the MIS."
            )
    elif text.isdigit() and 3 <= len(text) <= 5:
        raise ValueError(
            f"'{text}' looks like a spreadsheet's date number, not a date. In Excel, format the column "
            "as a date (dd/mm/yyyy) before saving as CSV, or export again from the MIS."
        )
    else:
        raise ValueError(
            f"'{text}' is not a date saferstaff can read. Write dates as dd/mm/yyyy (e.g. 03/05/2015) "
            "or yyyy-mm-dd (2015-05-03)."
        )
    if not 1 <= month <= 12:
        raise ValueError(
            f"'{text}' is not a real date: there is no month {month}. Dates must be day/month/year "
            f"(dd/mm/yyyy), not month/day/year. {FIX_IN_MIS}"
        )
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a real date: {_MONTHS[month - 1]} {year} has no day {day}. {FIX_IN_MIS}"
        ) from None


def parse_birth_date(value: str, *, today: datetime.date | None = None) -> datetime.date:
    born = parse_date(value)
    today = today or datetime.date.today()
    if born > today:
        raise ValueError(f"'{clean(value)}' is in the future. {FIX_IN_MIS}")
    if born.year < 1900:
        raise ValueError(f"'{clean(value)}' is before 1900. {FIX_IN_MIS}")
    return born


# --- Year groups ------------------------------------------------------------------------------------

YEAR_GROUPS = ("N1", "N2", "R", *(str(n) for n in range(1, 15)), "X")
_YEAR_ALIASES = {
    "R": "R", "REC": "R", "RECEPTION": "R", "YR": "R", "F2": "R", "FS2": "R",
    "N1": "N1", "NURSERY1": "N1", "FS1": "N2", "N2": "N2", "NURSERY2": "N2",
    "X": "X", "NCX": "X",
}  # fmt: skip
_YEAR_PREFIX = re.compile(r"^(?:NCYEAR|NCYR|YEARGROUP|YEAR|YR|Y)(?=\d)")


def normalise_year_group(value: str) -> str:
    """'Year 3', 'Y3', 'yr 3', '03', '3' → '3'; 'R', 'Reception', 'YR' → 'R'; 'N1', 'Nursery 1' → 'N1';
    'N2', 'Nursery 2' → 'N2'; 12–14 for sixth form and post-16 provision; 'X' (not following the
    National Curriculum year structure, as the DfE codes it) → 'X'. Blank stays blank."""
    text = clean(value)
    key = re.sub(r"[\s_.\-]+", "", text).upper()
    if not key:
        return ""
    if key in _YEAR_ALIASES:
        return _YEAR_ALIASES[key]
    key = _YEAR_PREFIX.sub("", key)
    if (year := parse_int(key, max_digits=2)) is not None and 1 <= year <= 14:
        return str(year)
    raise ValueError(
        f"'{text}' is not a year group saferstaff recognises. Use N1, N2, R (Reception) or 1 to 14 "
        "(e.g. 'Year 3', 'Y3' or '3')."
    )


# Year groups as a number of years after Reception, for comparing with a date of birth.
_YEAR_INDEX = {"N1": -2, "N2": -1, "R": 0, **{str(n): n for n in range(1, 15)}}


def year_index(year_group: str) -> int | None:
    """'R' → 0, 'N2' → -1, 'N1' → -2, '3' → 3; None for 'X' (no National Curriculum year) or blank."""
    return _YEAR_INDEX.get(year_group)


def expected_year_index(born: datetime.date, on: datetime.date) -> int:
    """The year group a child born on ``born`` is in on ``on`` in England, as ``year_index`` counts them.
    A school year starts on 1 September; children born from 1 September to 31 August of the next year are
    one cohort, which starts Reception in the September after its fifth birthdays begin."""
    school_year = on.year if on.month >= 9 else on.year - 1
    cohort = born.year if born.month >= 9 else born.year - 1
    return school_year - cohort - 5


def year_label(index: int) -> str:
    names = {-2: "Nursery 1", -1: "Nursery 2", 0: "Reception"}
    if index in names:
        return names[index]
    return f"Year {index}" if index > 0 else "not yet of nursery age"


# --- Yes / no ---------------------------------------------------------------------------------------

_TRUE = {"y", "yes", "true", "t", "1"}
_FALSE = {"", "n", "no", "false", "f", "0"}


def parse_bool(value: str | None) -> bool:
    text = clean(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"'{clean(value)}' is not yes or no. Use Yes/No, Y/N, True/False or 1/0.")


# --- Relationships (DfE code set for a contact's relationship to the pupil, as CTFs carry it) --------

RELATIONSHIP_CODES = {
    "PAM": "Mother",
    "PAF": "Father",
    "PAR": "Parent",
    "STM": "Step-mother",
    "STF": "Step-father",
    "FOM": "Foster mother",
    "FOF": "Foster father",
    "CAR": "Carer",
    "CHM": "Childminder",
    "DOC": "Doctor",
    "FAM": "Other family member",
    "REL": "Other relative",
    "HTC": "Head teacher",
    "SWR": "Social worker",
    "RLG": "Religious or spiritual contact",
    "OTH": "Other contact",
}


def relationship_label(value: str) -> str:
    text = clean(value)
    return RELATIONSHIP_CODES.get(text.upper(), text)
