"""DfE Common Transfer File (CTF) XML, as every English MIS exports it.

    CTfile
      Header / SourceSchool / {LEA, Estab, URN, SchoolName}
      CTFpupilData / Pupil
        UPN, FormerUPN, Surname, Forename, PreferredSurname, PreferredForename, DOB, Gender (Sex) …
        BasicDetails / {NCyearActual, PreferredSurname, PreferredForename, FormerSurname, MiddleNames,
                        FormerUPN, …}
        Contacts / Contact
          Order, Title, Surname, Forename, Relationship (DfE code, e.g. PAM), Responsibility (true/false),
          Email, Phones / Phone / {TelephoneType (DfE code: H home, M mobile, W work, F fax), PhoneNo}

Real files put some pupil fields directly under Pupil and some under BasicDetails, and versions differ;
each field is looked for in both places. saferstaff keeps one phone number per contact: the mobile if
there is one (consent requests can go by text), else home, else work, else any other (never a fax).

A CTF carries much more than saferstaff needs (addresses, attendance, assessments, SEN and free school
meal history…). Those parts are not read, and the import's notes say which of them the file held, so the
school knows they were left out on purpose. Namespaces, if a file has one, are ignored. The XML is read
with defusedxml and any DTD is refused: a CTF never needs one, and one is how XML bombs (billion laughs)
and external-entity attacks (reading files off the server) arrive.
"""

import xml.etree.ElementTree as StdET

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from saferstaff.numbers import parse_int

from . import checks
from .records import GuardianRecord, ParsedRoster, Problems, PupilRecord, RosterError
from .values import (
    clean,
    normalise_email,
    normalise_year_group,
    parse_birth_date,
    parse_bool,
    relationship_label,
)

FORMAT = "ctf"
# DfE telephone type codes (H home, M mobile, W work, F fax), in the order saferstaff prefers a contact's
# number; any other code comes last, and a fax is never used.
PHONE_PREFERENCE = ("M", "H", "W", "")
# Parts of a CTF saferstaff deliberately does not keep: element (under Pupil or BasicDetails) -> words.
NOT_KEPT = {
    "Address": "addresses",
    "Phones": "pupils' own phone numbers",
    "Email": "pupils' own email addresses",
    "Ethnicity": "ethnicity",
    "Languages": "languages",
    "MedicalFlag": "medical flags",
    "Disabilities": "disabilities",
    "LookedAfter": "looked-after status",
    "FSMhistory": "free school meal history",
    "NAWdetails": "Welsh (NAW) details",
    "SENhistory": "SEN records",
    "Admissions": "admissions",
    "Attendance": "attendance",
    "StageAssessments": "assessment results",
    "SchoolHistory": "school history",
}
REEXPORT = "Export the CTF again from the MIS (without editing it) and upload that file."


def _strip_namespaces(root) -> None:
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]


def _text(element, *paths: str) -> str:
    """The text of the first of ``paths`` (relative to ``element``) that exists, stripped."""
    if element is None:
        return ""
    for path in paths:
        found = element.find(path)
        if found is not None:
            return clean("".join(found.itertext()))
    return ""


def _pupil_text(pupil, *names: str) -> str:
    """A pupil field, directly under Pupil or under BasicDetails."""
    basic = pupil.find("BasicDetails")
    for name in names:
        for parent in (pupil, basic):
            if parent is None:
                continue
            found = parent.find(name)
            if found is not None:
                return clean("".join(found.itertext()))
    return ""


def _has(pupil, name: str) -> bool:
    return pupil.find(name) is not None or pupil.find(f"BasicDetails/{name}") is not None


def load(data: bytes):
    """Parse the XML safely and return the root element, or raise RosterError."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise RosterError.single(
            "file",
            "the file contains a DTD or entity declarations (<!DOCTYPE …> or <!ENTITY …>). saferstaff refuses "
            f"these for safety: a CTF never needs them, and they are how attacks on XML files work. {REEXPORT}",
        ) from None
    except StdET.ParseError as error:
        line, column = getattr(error, "position", (0, 0))
        reason = str(error).split(":", 1)[0]
        raise RosterError.single(
            f"line {line}" if line else "file",
            f"the file is not well-formed XML ({reason}, at column {column + 1}). It may be cut short or have "
            f"been edited by hand. {REEXPORT}",
        ) from None
    except (LookupError, ValueError):  # an encoding in the XML declaration the parser cannot use
        raise RosterError.single(
            "file",
            f"the file declares a character encoding saferstaff cannot read (a CTF is UTF-8). {REEXPORT}",
        ) from None
    _strip_namespaces(root)
    return root


def parse(data: bytes) -> ParsedRoster:
    root = load(data)
    if root.tag != "CTfile":
        raise RosterError.single(
            f"<{root.tag}>",
            f"this XML file is not a DfE Common Transfer File: its top element is <{root.tag}>, not <CTfile>. "
            "Export a CTF from the MIS (or use a CSV or OneRoster export instead).",
        )
    source = root.find("Header/SourceSchool")
    source_school = {
        key: value
        for key, value in {
            "urn": _text(source, "URN"),
            "la_number": _text(source, "LEA"),
            "establishment_number": _text(source, "Estab"),
        }.items()
        if value
    }
    container = root.find("CTFpupilData")
    elements = container.findall("Pupil") if container is not None else []
    if not elements:
        raise RosterError.single(
            "<CTFpupilData>",
            "the CTF has no pupils in it (no <CTFpupilData>/<Pupil> elements). Check the export's "
            "selection of pupils in the MIS and export again.",
        )

    problems = Problems()
    pupils = []
    any_contacts = any(p.find("Contacts") is not None for p in elements)
    pupil_fields = {"year_group"} if any(_has(p, "NCyearActual") for p in elements) else set()
    if any(_has(p, "PreferredForename") for p in elements):
        pupil_fields.add("preferred_forename")
    if any(_has(p, "PreferredSurname") for p in elements):
        pupil_fields.add("preferred_surname")
    if any(_has(p, "MiddleNames") for p in elements):
        pupil_fields.add("middle_names")
    if any(_has(p, "FormerSurname") for p in elements):
        pupil_fields.add("former_surname")
    for number, element in enumerate(elements, start=1):
        record = _pupil(element, number, problems)
        if record is not None:
            pupils.append(record)
    checks.check_duplicates(pupils, problems)
    problems.raise_if_any()
    return ParsedRoster(
        format=FORMAT,
        pupils=tuple(pupils),
        notes=_not_kept_notes(elements),
        pupil_fields=frozenset(pupil_fields),
        guardian_fields=(
            frozenset(
                {
                    "title",
                    "forename",
                    "email",
                    "phone",
                    "relationship",
                    "parental_responsibility",
                    "contact_order",
                }
            )
            if any_contacts
            else frozenset()
        ),
        source_school=source_school,
        partial=_text(root, "Header/DocumentQualifier").lower() == "partial",
    )


def _pupil(element, number: int, problems: Problems) -> PupilRecord | None:
    raw_upn = _pupil_text(element, "UPN")
    where = f"Pupil {number}" + (f" (UPN {raw_upn})" if raw_upn else "")
    before = len(problems)
    if not raw_upn:
        problems.add(where, "has no <UPN>. Every pupil needs their UPN: add it in the MIS and export again.")
    upn = checks.upn(problems, where, raw_upn, label="<UPN>")
    former_upn = checks.upn(problems, where, _pupil_text(element, "FormerUPN"), label="<FormerUPN>")
    legal_forename = checks.text(
        problems,
        where,
        "<Forename>",
        _pupil_text(element, "Forename", "LegalForename"),
        checks.NAME_MAX,
        required=True,
    )
    legal_surname = checks.text(
        problems,
        where,
        "<Surname>",
        _pupil_text(element, "Surname", "LegalSurname"),
        checks.NAME_MAX,
        required=True,
    )
    preferred_forename = checks.text(
        problems, where, "<PreferredForename>", _pupil_text(element, "PreferredForename"), checks.NAME_MAX
    )
    preferred_surname = checks.text(
        problems, where, "<PreferredSurname>", _pupil_text(element, "PreferredSurname"), checks.NAME_MAX
    )
    middle_names = checks.text(
        problems, where, "<MiddleNames>", _pupil_text(element, "MiddleNames"), checks.NAME_MAX
    )
    former_surname = checks.text(
        problems, where, "<FormerSurname>", _pupil_text(element, "FormerSurname"), checks.NAME_MAX
    )
    dob = checks.convert(problems, where, "<DOB>", parse_birth_date, _pupil_text(element, "DOB"), None)
    year_group = checks.convert(
        problems, where, "<NCyearActual>", normalise_year_group, _pupil_text(element, "NCyearActual"), ""
    )
    contacts = []
    for position, contact in enumerate(element.findall("Contacts/Contact"), start=1):
        guardian = _contact(contact, position, where, problems)
        if guardian is not None:
            contacts.append(guardian)
    if len(problems) > before or dob is None:
        return None
    return PupilRecord(
        upn=upn,
        former_upn=former_upn,
        legal_forename=legal_forename,
        legal_surname=legal_surname,
        middle_names=middle_names,
        former_surname=former_surname,
        preferred_forename=preferred_forename,
        preferred_surname=preferred_surname,
        date_of_birth=dob,
        year_group=year_group,
        guardians=checks.sort_contacts(contacts),
        where=where,
    )


def _contact(contact, position: int, pupil_where: str, problems: Problems) -> GuardianRecord | None:
    where = f"{pupil_where}, Contact {position}"
    order_text = _text(contact, "Order")
    order = position
    if order_text:
        if (number := parse_int(order_text, max_digits=2)) is not None and number >= 1:
            order = number
        else:
            problems.add(where, f"<Order> '{order_text}' is not a whole number from 1 to 99. {REEXPORT}")
    surname = checks.text(
        problems, where, "<Surname>", _text(contact, "Surname"), checks.NAME_MAX, required=True
    )
    email = checks.convert(
        problems, where, "<Email>", normalise_email,
        _text(contact, "Email/EmailAddress", "Emails/Email/EmailAddress", "Email", "EmailAddress"), "",
    )  # fmt: skip
    phone = checks.text(problems, where, "<PhoneNo>", _best_phone(contact), checks.PHONE_MAX)
    return GuardianRecord(
        surname=surname,
        forename=checks.text(problems, where, "<Forename>", _text(contact, "Forename"), checks.NAME_MAX),
        title=checks.text(problems, where, "<Title>", _text(contact, "Title"), checks.TITLE_MAX),
        email=email,
        phone=phone,
        relationship=checks.text(
            problems, where, "<Relationship>", relationship_label(_text(contact, "Relationship")),
            checks.RELATIONSHIP_MAX,
        ),
        parental_responsibility=checks.convert(
            problems, where, "<Responsibility>", parse_bool, _text(contact, "Responsibility"), False
        ),
        contact_order=order,
        where=where,
    )  # fmt: skip


def _best_phone(contact) -> str:
    """The contact's number saferstaff keeps: see ``PHONE_PREFERENCE``."""
    numbers: dict[str, str] = {}
    for phone in contact.findall("Phones/Phone"):
        number = _text(phone, "PhoneNo")
        kind = _text(phone, "TelephoneType").upper()
        if number and kind != "F":
            numbers.setdefault(kind if kind in PHONE_PREFERENCE else "", number)
    return next((numbers[kind] for kind in PHONE_PREFERENCE if kind in numbers), "")


def _not_kept_notes(elements) -> tuple[str, ...]:
    """One note naming what the file holds that saferstaff does not keep, and one if contacts have more
    phone numbers than the one kept."""
    held = [
        words
        for name, words in NOT_KEPT.items()
        if any(_has(pupil, name) for pupil in elements)
        or (name == "Address" and any(p.find("Contacts/Contact/Address") is not None for p in elements))
    ]
    notes = []
    if held:
        listed = ", ".join(held[:-1]) + (" and " if len(held) > 1 else "") + held[-1]
        notes.append(
            f"The file also holds {listed}. saferstaff does not keep these (it needs only names, dates of "
            "birth, year groups and contacts), so they were not imported."
        )
    if any(
        len([p for p in contact.findall("Phones/Phone") if _text(p, "PhoneNo")]) > 1
        for pupil in elements
        for contact in pupil.findall("Contacts/Contact")
    ):
        notes.append(
            "Some contacts have more than one phone number. saferstaff keeps one for each: the mobile if "
            "there is one, else the home number, else another (never a fax)."
        )
    return tuple(notes)
