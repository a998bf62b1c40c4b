"""A pupil list exported from the MIS as CSV (SIMS, Arbor, Bromcom, ScholarPack… each spells its column
headings a little differently).

Headings are matched ignoring case, spaces and punctuation, so 'Legal Forename', 'legal_first_name' and
'LEGAL FIRST NAME' are the same heading. Required: UPN (or an MIS id column), legal forename, legal surname,
date of birth. The MIS id may be headed 'MIS Id', 'Person Id', 'Admission No', 'Admission Number' or
'Adno'. Optional: preferred forename/surname, year group, adult at risk, leaving date, former UPN,
and any number of contacts as 'Contact 1 Forename', 'Contact 1 Surname', 'Contact 1 Relationship',
'Contact 1 Parental Responsibility', 'Contact 1 Email', 'Contact 1 Phone', 'Contact 1 Title',
'Contact 1 Order', 'Contact 1 Id' ('Guardian 2 …', 'Parent 2 …' and 'Carer 2 …' also work).
Dates may be ISO (2015-05-03) or UK (03/05/2015).
"""

import csv
import io
import re
from dataclasses import dataclass, field

from saferstaff.numbers import parse_int

from . import checks
from .records import (
    GUARDIAN_OPTIONAL_FIELDS,
    GuardianRecord,
    ParsedRoster,
    Problems,
    PupilRecord,
    RosterError,
)
from .values import (
    decode_text,
    normalise_email,
    normalise_year_group,
    parse_birth_date,
    parse_bool,
    parse_date,
    relationship_label,
)

FORMAT = "csv"

# field -> accepted headings, normalised (lower case, letters and digits only), most specific first.
PUPIL_HEADERS: dict[str, tuple[str, ...]] = {
    "upn": ("upn", "uniquepupilnumber", "pupilupn"),
    "former_upn": ("formerupn", "previousupn", "oldupn"),
    "source_id": (
        "misid",
        "sourceid",
        "sourcedid",
        "pupilid",
        "personid",
        "admissionnumber",
        "admissionno",
        "admissionnum",
        "adno",
        "admno",
        "admnumber",
    ),
    "legal_forename": (
        "legalforename",
        "legalfirstname",
        "legalgivenname",
        "forename",
        "firstname",
        "givenname",
    ),
    "legal_surname": (
        "legalsurname",
        "legallastname",
        "legalfamilyname",
        "surname",
        "lastname",
        "familyname",
    ),
    "middle_names": ("middlenames", "middlename", "othernames", "legalmiddlenames", "legalmiddlename"),
    "former_surname": ("formersurname", "previoussurname", "formerlastname", "formerfamilyname"),
    "preferred_forename": (
        "preferredforename",
        "preferredfirstname",
        "chosenforename",
        "knownasforename",
        "knownas",
    ),
    "preferred_surname": ("preferredsurname", "preferredlastname", "chosensurname", "knownassurname"),
    "date_of_birth": ("dob", "dateofbirth", "birthdate"),
    "year_group": ("yeargroup", "ncyear", "ncyearactual", "year", "nationalcurriculumyear", "curriculumyear"),
    "adult_at_risk": ("adultatrisk", "isadultatrisk"),
    "leaving_date": ("leavingdate", "dateofleaving", "leavedate", "dateleft"),
}
# What to suggest when a required column is missing.
SUGGESTED = {
    "upn": "'UPN'",
    "legal_forename": "'Legal Forename' (or 'Forename')",
    "legal_surname": "'Legal Surname' (or 'Surname')",
    "date_of_birth": "'DOB' (or 'Date of Birth')",
}
LABELS = {
    "legal_forename": "legal forename",
    "legal_surname": "legal surname",
    "preferred_forename": "preferred forename",
    "preferred_surname": "preferred surname",
    "middle_names": "middle names",
    "former_surname": "former surname",
}

CONTACT_PREFIX = re.compile(r"^(?:contact|guardian|parent|carer)(\d{1,2})(.+)$")
CONTACT_HEADERS: dict[str, tuple[str, ...]] = {
    "forename": ("forename", "firstname", "givenname"),
    "surname": ("surname", "lastname", "familyname"),
    "title": ("title",),
    "relationship": ("relationship", "relationshiptopupil", "relationshiptochild", "relation"),
    "parental_responsibility": (
        "parentalresponsibility", "hasparentalresponsibility", "responsibility", "pr",
    ),
    "email": ("email", "emailaddress"),
    "phone": (
        "phone", "telephone", "phonenumber", "telephonenumber", "tel", "mobile", "mobilephone",
        "mobilenumber", "homephone", "workphone",
    ),
    "contact_order": ("order", "contactorder", "priority", "priorityorder"),
    "source_id": ("id", "misid", "sourceid", "contactid"),
}  # fmt: skip


def normalise_header(heading: str) -> str:
    return re.sub(r"[^a-z0-9]", "", heading.lower())


@dataclass
class Columns:
    pupil: dict[str, int] = field(default_factory=dict)
    # contact number -> field -> (preference, column index), most preferred first
    contacts: dict[int, dict[str, list[tuple[int, int]]]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def map_headers(headings: list[str]) -> Columns:
    columns = Columns()
    normalised = [normalise_header(h) for h in headings]
    for name, aliases in PUPIL_HEADERS.items():
        for alias in aliases:
            if alias in normalised:
                columns.pupil[name] = normalised.index(alias)
                break
    used = set(columns.pupil.values())
    for index, key in enumerate(normalised):
        if index in used or not key:
            continue
        match = CONTACT_PREFIX.match(key)
        if match:
            number, suffix = int(match.group(1)), match.group(2)
            for name, aliases in CONTACT_HEADERS.items():
                if suffix in aliases:
                    bucket = columns.contacts.setdefault(number, {}).setdefault(name, [])
                    bucket.append((aliases.index(suffix), index))
                    bucket.sort()
                    used.add(index)
                    break
        if index not in used and key not in {a for aliases in PUPIL_HEADERS.values() for a in aliases}:
            columns.ignored.append(headings[index].strip())
    return columns


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in some locales) or tab: whichever the heading line — the line among the
    first few with the most of any of them — has most of."""
    lines = text[:20000].split("\n")[:10]
    counts = {d: max(line.count(d) for line in lines) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _find_header_row(rows: list[tuple[int, list[str]]]) -> tuple[int, Columns] | None:
    """The heading row: the first of the first few rows in which at least two pupil headings are
    recognised (some MIS reports put a title line above the headings)."""
    for position, (_line, row) in enumerate(rows[:10]):
        columns = map_headers(row)
        if len(columns.pupil) >= 2:
            return position, columns
    return None


def parse(data: bytes) -> ParsedRoster:
    text, notes = decode_text(data)
    problems = Problems()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((line, row))
            line = reader.line_num + 1
    except csv.Error as error:
        raise RosterError.single(
            f"line {reader.line_num}",
            f"cannot be read as CSV ({error}). The file may have been damaged or edited by hand: export it "
            "again from the MIS.",
        ) from None
    if not rows:
        raise RosterError.single("file", "the file has no rows. Export the pupil list from the MIS again.")

    found = _find_header_row(rows)
    if found is None:
        headings = ", ".join(f"'{h.strip()}'" for h in rows[0][1][:12] if h.strip())
        raise RosterError.single(
            "column headers",
            f"saferstaff cannot find the column headings (the first line has {headings or 'no headings'}). "
            "The first line of the file must name the columns: UPN, Legal Forename, Legal Surname, DOB. "
            "Export the pupil list again with column headings included.",
        )
    header_position, columns = found
    header_line, headings = rows[header_position]
    _check_required_columns(columns, headings, header_line, problems)
    problems.raise_if_any()
    if columns.ignored:
        shown = ", ".join(f"'{h}'" for h in columns.ignored[:10])
        more = f" and {len(columns.ignored) - 10} more" if len(columns.ignored) > 10 else ""
        notes.append(f"These columns were not used: {shown}{more}.")

    pupils = [
        _pupil(row, line, columns, len(headings), problems) for line, row in rows[header_position + 1 :]
    ]
    pupils = [p for p in pupils if p is not None]
    if not pupils and not problems:
        problems.add("file", "the file has column headings but no pupils. Export the pupil list again.")
    checks.check_duplicates(pupils, problems)
    problems.raise_if_any()

    pupil_fields = frozenset(name for name in columns.pupil if name in PUPIL_HEADERS) & {
        "middle_names", "former_surname", "preferred_forename", "preferred_surname", "year_group",
        "adult_at_risk", "leaving_date",
    }  # fmt: skip
    guardian_fields: frozenset[str] = frozenset()
    if columns.contacts:
        present = {name for fields in columns.contacts.values() for name in fields}
        guardian_fields = frozenset((present | {"contact_order"}) & GUARDIAN_OPTIONAL_FIELDS)
    return ParsedRoster(
        format=FORMAT,
        pupils=tuple(pupils),
        notes=tuple(notes),
        pupil_fields=pupil_fields,
        guardian_fields=guardian_fields,
    )


def _check_required_columns(columns: Columns, headings: list[str], line: int, problems: Problems) -> None:
    where = "column headers"
    for name in ("legal_forename", "legal_surname", "date_of_birth"):
        if name not in columns.pupil:
            label = LABELS.get(name, name.replace("_", " "))
            problems.add(
                where,
                f"there is no column for {label}. Add a column headed {SUGGESTED[name]} to the export "
                "(or rename the column that holds it) and upload the file again.",
            )
    if "upn" not in columns.pupil and "source_id" not in columns.pupil:
        problems.add(
            where,
            "there is no UPN column. Add a column headed 'UPN' (or the MIS's admission number, headed "
            "'Admission No') to the export and upload the file again (saferstaff uses it to recognise each "
            "pupil when the list is imported again).",
        )
    for number, fields in sorted(columns.contacts.items()):
        if "surname" not in fields:
            problems.add(
                where,
                f"contact {number} has no surname column. Add a column headed 'Contact {number} Surname', "
                f"or remove the other 'Contact {number}' columns, and upload the file again.",
            )


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _pupil(row: list[str], line: int, columns: Columns, width: int, problems: Problems) -> PupilRecord | None:
    where = f"line {line}"
    if len(row) > width and any(cell.strip() for cell in row[width:]):
        problems.add(
            where,
            f"has {len(row)} values but there are {width} column headings. A comma inside a name or "
            "address needs the value in double quotes: export the file again from the MIS rather than "
            "editing it by hand.",
        )
        return None
    col = columns.pupil
    before = len(problems)
    upn = checks.upn(problems, where, _cell(row, col.get("upn")))
    source_id = checks.text(problems, where, "MIS id", _cell(row, col.get("source_id")), checks.ID_MAX)
    if not upn and not source_id and len(problems) == before:
        problems.add(where, "UPN is blank. Every pupil needs their UPN: add it in the MIS and export again.")
    former_upn = checks.upn(problems, where, _cell(row, col.get("former_upn")), label="former UPN")
    names = {
        name: checks.text(
            problems, where, LABELS[name], _cell(row, col.get(name)), checks.NAME_MAX,
            required=name.startswith("legal"),
        )
        for name in (
            "legal_forename", "legal_surname", "middle_names", "former_surname", "preferred_forename",
            "preferred_surname",
        )
    }  # fmt: skip
    dob = checks.convert(
        problems, where, "date of birth", parse_birth_date, _cell(row, col.get("date_of_birth")), None
    )
    year_group = checks.convert(
        problems, where, "year group", normalise_year_group, _cell(row, col.get("year_group")), ""
    )
    adult_at_risk = checks.convert(
        problems, where, "adult at risk", parse_bool, _cell(row, col.get("adult_at_risk")), False
    )
    leaving = _cell(row, col.get("leaving_date"))
    leaving_date = (
        checks.convert(problems, where, "leaving date", parse_date, leaving, None) if leaving else None
    )
    guardians = _contacts(row, where, columns, problems)
    if len(problems) > before or dob is None:
        return None
    return PupilRecord(
        upn=upn,
        former_upn=former_upn,
        source_id=source_id,
        date_of_birth=dob,
        year_group=year_group,
        adult_at_risk=adult_at_risk,
        leaving_date=leaving_date,
        guardians=guardians,
        where=where,
        **names,
    )


def _contacts(row: list[str], where: str, columns: Columns, problems: Problems) -> tuple[GuardianRecord, ...]:
    contacts = []
    for number, fields in sorted(columns.contacts.items()):

        def value(name: str, fields=fields) -> str:
            return _contact_cell(row, fields, name)

        if not any(value(name) for name in ("surname", "forename", "email", "phone", "source_id")):
            continue  # an empty contact slot (some MIS fill its relationship or "No" regardless)
        label = f"contact {number}"
        surname = checks.text(
            problems, where, f"{label} surname", value("surname"), checks.NAME_MAX, required=True
        )
        order_text = value("contact_order")
        order = number
        if order_text:
            order = checks.convert(problems, where, f"{label} order", _order, order_text, number)
        contacts.append(
            GuardianRecord(
                surname=surname,
                forename=checks.text(problems, where, f"{label} forename", value("forename"), checks.NAME_MAX),
                title=checks.text(problems, where, f"{label} title", value("title"), checks.TITLE_MAX),
                email=checks.convert(problems, where, f"{label} email", normalise_email, value("email"), ""),
                phone=checks.text(problems, where, f"{label} phone", value("phone"), checks.PHONE_MAX),
                source_id=checks.text(problems, where, f"{label} id", value("source_id"), checks.ID_MAX),
                relationship=checks.text(
                    problems, where, f"{label} relationship", relationship_label(value("relationship")),
                    checks.RELATIONSHIP_MAX,
                ),
                parental_responsibility=checks.convert(
                    problems, where, f"{label} parental responsibility", parse_bool,
                    value("parental_responsibility"), False,
                ),
                contact_order=order,
                where=f"{where}, {label}",
            )
        )  # fmt: skip
    return checks.sort_contacts(contacts)


def _contact_cell(row: list[str], fields: dict[str, list[tuple[int, int]]], name: str) -> str:
    """The first non-blank of the columns that hold ``name`` for one contact (e.g. Phone, then Mobile)."""
    for _preference, index in fields.get(name, ()):
        if cell := _cell(row, index):
            return cell
    return ""


def _order(value: str) -> int:
    if (number := parse_int(value, max_digits=2)) is not None and number >= 1:
        return number
    raise ValueError(f"'{value}' is not a contact order; use a whole number from 1 (first to contact).")
