"""Made-up rosters for the import tests and the benchmark: CSV, CTF and OneRoster text built from one
list of sample pupils. Every name, email and phone number here is invented."""

import csv
import datetime
import io
import zipfile
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape

from saferstaff.textcheck.upn import upn_check_letter

FORENAMES = [
    "Amelia",
    "Oliver",
    "Zoë",
    "Siân",
    "Noah",
    "Isla",
    "Mohammed",
    "Ava",
    "Leo",
    "Freya",
    "Oscar",
    "Aoife",
]
SURNAMES = ["Smith", "Jones", "Patel", "O'Brien", "Nowak", "Williams", "Khan", "Brown", "Evans", "Taylor"]
_TODAY = datetime.date.today()
SCHOOL_YEAR = _TODAY.year if _TODAY.month >= 9 else _TODAY.year - 1  # the school year starts on 1 September
PARENT_FORENAMES = ["Sarah", "David", "Aisha", "James", "Emma", "Tomasz", "Fatima", "Gareth"]


def make_upn(n: int, *, la: int = 383, estab: int = 2001) -> str:
    """A valid (made-up) UPN, different for every n below 90,000."""
    body = f"{la:03d}{estab:04d}{10 + n // 1000:02d}{n % 1000:03d}"
    return upn_check_letter(body) + body


def make_temporary_upn(n: int) -> str:
    body = f"38320011{n % 100:02d}{n // 100 % 10}" + "ABCDEFGHJKLMNPQRTUVWXYZ"[n % 23]
    return upn_check_letter(body) + body


@dataclass(frozen=True)
class SampleContact:
    forename: str
    surname: str
    title: str = "Mrs"
    relationship: str = "PAM"
    responsibility: bool = True
    email: str = ""
    phone: str = ""
    order: int = 1
    source_id: str = ""


@dataclass(frozen=True)
class SamplePupil:
    upn: str
    forename: str
    surname: str
    dob: datetime.date
    year: str = "3"
    preferred_forename: str = ""
    preferred_surname: str = ""
    source_id: str = ""
    contacts: tuple[SampleContact, ...] = field(default_factory=tuple)


def sample_pupils(
    count: int, *, contacts: int = 2, start: int = 0, siblings_every: int = 0
) -> list[SamplePupil]:
    """``count`` pupils with ``contacts`` contacts each. With ``siblings_every=k``, every k-th pupil shares
    the previous pupil's contacts (same names and emails), as brothers and sisters do."""
    pupils = []
    for i in range(start, start + count):
        surname = SURNAMES[i % len(SURNAMES)]
        year = (i % 6) + 1
        month = 1 + i % 12  # born in the school year that puts them in their year group today
        cohort = SCHOOL_YEAR - 5 - year
        dob = datetime.date(cohort if month >= 9 else cohort + 1, month, 1 + i % 28)
        family = i - 1 if siblings_every and i % siblings_every == 0 and i > start else i
        kids_contacts = tuple(
            SampleContact(
                forename=PARENT_FORENAMES[(family + c) % len(PARENT_FORENAMES)],
                surname=SURNAMES[family % len(SURNAMES)],
                title="Mrs" if c == 0 else "Mr",
                relationship="PAM" if c == 0 else "PAF",
                responsibility=c == 0 or family % 3 != 0,
                email=f"parent{family}.{c}@example.org",
                phone=f"07700 9{family % 10000:04d}{c}",
                order=c + 1,
                source_id=f"g{family}-{c}",
            )
            for c in range(contacts)
        )
        pupils.append(
            SamplePupil(
                upn=make_upn(i),
                forename=FORENAMES[i % len(FORENAMES)],
                surname=SURNAMES[family % len(SURNAMES)] if family != i else surname,
                dob=dob,
                year=str(year),
                preferred_forename="Ollie" if i % 7 == 1 else "",
                source_id=f"s{i}",
                contacts=kids_contacts,
            )
        )
    return pupils


def changed(pupil: SamplePupil, **changes) -> SamplePupil:
    return replace(pupil, **changes)


# --- CSV ----------------------------------------------------------------------------------------------

DEFAULT_HEADERS = {
    "upn": "UPN",
    "forename": "Legal Forename",
    "surname": "Legal Surname",
    "preferred_forename": "Preferred Forename",
    "dob": "DOB",
    "year": "Year",
}


def csv_text(
    pupils: list[SamplePupil],
    *,
    headers: dict[str, str] | None = None,
    contacts: int = 0,
    uk_dates: bool = True,
    extra: dict[str, list[str]] | None = None,
) -> str:
    """A CSV pupil list. ``headers`` renames (or, with a value of None, drops) columns; ``contacts`` adds
    'Contact N …' columns for the first N contacts; ``extra`` adds columns given as heading → values."""
    headers = {**DEFAULT_HEADERS, **(headers or {})}
    columns = [(key, heading) for key, heading in headers.items() if heading]
    contact_fields = [
        "Title",
        "Forename",
        "Surname",
        "Relationship",
        "Parental Responsibility",
        "Email",
        "Phone",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    heading_row = [heading for _key, heading in columns]
    for n in range(1, contacts + 1):
        heading_row += [f"Contact {n} {name}" for name in contact_fields]
    heading_row += list((extra or {}).keys())
    writer.writerow(heading_row)
    for index, pupil in enumerate(pupils):
        row = []
        for key, _heading in columns:
            value = getattr(pupil, key)
            if key == "dob":
                value = value.strftime("%d/%m/%Y") if uk_dates else value.isoformat()
            row.append(value)
        for n in range(contacts):
            if n < len(pupil.contacts):
                c = pupil.contacts[n]
                row += [
                    c.title,
                    c.forename,
                    c.surname,
                    c.relationship,
                    "Yes" if c.responsibility else "No",
                    c.email,
                    c.phone,
                ]
            else:
                row += [""] * len(contact_fields)
        for values in (extra or {}).values():
            row.append(values[index])
        writer.writerow(row)
    return out.getvalue()


# --- CTF ----------------------------------------------------------------------------------------------


def ctf_xml(
    pupils: list[SamplePupil],
    *,
    urn: str = "100001",
    la: str = "383",
    estab: str = "2001",
    namespace: str | None = None,
    names_in_basic_details: bool = False,
) -> str:
    """A DfE Common Transfer File. With ``names_in_basic_details`` the names and DOB sit inside
    BasicDetails (as some MIS versions write them) instead of directly under Pupil."""
    e = escape
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<CTfile xmlns="{namespace}">' if namespace else "<CTfile>",
        "<Header><Document><Type>Full</Type></Document><CTFversion>19.0</CTFversion>",
        f"<SourceSchool><LEA>{la}</LEA><Estab>{estab}</Estab><URN>{urn}</URN>"
        "<SchoolName>Westfield Infant</SchoolName><AcademicYear>2025</AcademicYear></SourceSchool>",
        "<DestSchool><LEA>MMM</LEA><Estab>MMMM</Estab></DestSchool></Header>",
        "<CTFpupilData>",
    ]
    for pupil in pupils:
        names = (
            f"<Surname>{e(pupil.surname)}</Surname><Forename>{e(pupil.forename)}</Forename>"
            f"<DOB>{pupil.dob.isoformat()}</DOB><Sex>F</Sex>"
        )
        preferred = f"<PreferredForename>{e(pupil.preferred_forename)}</PreferredForename>"
        parts.append(f"<Pupil><UPN>{pupil.upn}</UPN>")
        if not names_in_basic_details:
            parts.append(names)
        parts.append("<BasicDetails>")
        if names_in_basic_details:
            parts.append(names)
        parts.append(
            f"{preferred}<NCyearActual>{e(pupil.year)}</NCyearActual><Ethnicity>WBRI</Ethnicity></BasicDetails>"
        )
        parts.append("<Contacts>")
        for c in pupil.contacts:
            parts.append(
                f"<Contact><Order>{c.order}</Order><Title>{e(c.title)}</Title><Surname>{e(c.surname)}</Surname>"
                f"<Forename>{e(c.forename)}</Forename><Gender>F</Gender><Relationship>{c.relationship}</Relationship>"
                f"<Responsibility>{'true' if c.responsibility else 'false'}</Responsibility>"
                f"<Phones><Phone><TelephoneType>M</TelephoneType><PhoneNo>{e(c.phone)}</PhoneNo></Phone></Phones>"
                f"<Email>{e(c.email)}</Email></Contact>"
            )
        parts.append("</Contacts></Pupil>")
    parts.append("</CTFpupilData></CTfile>")
    return "\n".join(parts)


# --- OneRoster ----------------------------------------------------------------------------------------

USERS_HEADINGS = [
    "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username", "userIds",
    "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds",
    "grades", "password",
]  # fmt: skip


def oneroster_users_csv(pupils: list[SamplePupil], *, birth_dates: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(USERS_HEADINGS + (["birthDate"] if birth_dates else []))
    written: set[str] = set()
    for pupil in pupils:
        agents = ",".join(c.source_id for c in pupil.contacts)
        row = [pupil.source_id, "", "", "true", "org1", "student", pupil.source_id, "", pupil.forename,
               pupil.surname, "", pupil.upn, "", "", "", agents, pupil.year.zfill(2), ""]  # fmt: skip
        writer.writerow(row + ([pupil.dob.isoformat()] if birth_dates else []))
    for pupil in pupils:
        for c in pupil.contacts:
            if c.source_id in written:
                continue
            written.add(c.source_id)
            row = [c.source_id, "", "", "true", "org1", "guardian" if c.order == 1 else "parent", c.email, "",
                   c.forename, c.surname, "", "", c.email, "", c.phone, pupil.source_id, "", ""]  # fmt: skip
            writer.writerow(row + ([""] if birth_dates else []))
    return out.getvalue()


def oneroster_zip(pupils: list[SamplePupil], *, version: str = "1.1", demographics: bool = True) -> bytes:
    """A OneRoster bulk zip. ``version="1.2"`` moves roles out of users.csv into roles.csv and uses 1.2's
    column names, as 1.2 does; ``demographics=False`` leaves demographics.csv out and says so in the
    manifest ("absent"), as an export without demographics ticked does."""
    demographics_csv = io.StringIO()
    writer = csv.writer(demographics_csv, lineterminator="\n")
    writer.writerow(["sourcedId", "status", "dateLastModified", "birthDate", "sex"])
    for pupil in pupils:
        writer.writerow([pupil.source_id, "", "", pupil.dob.isoformat(), "female"])
    users = oneroster_users_csv(pupils, birth_dates=False)
    roles = None
    if version == "1.2":
        rows = list(csv.reader(io.StringIO(users)))
        role_index = rows[0].index("role")
        roles = io.StringIO()
        roles_writer = csv.writer(roles, lineterminator="\n")
        roles_writer.writerow(["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role",
                               "orgSourcedId", "beginDate", "endDate", "userProfileSourcedId"])  # fmt: skip
        out = io.StringIO()
        users_writer = csv.writer(out, lineterminator="\n")
        rename = {"middleName": "preferredMiddleName"}
        users_writer.writerow(
            [rename.get(h, h) for i, h in enumerate(rows[0]) if i != role_index] + ["userMasterIdentifier"]
        )
        for n, row in enumerate(rows[1:]):
            roles_writer.writerow([f"r{n}", "", "", row[0], "primary", row[role_index], "org1", "", "", ""])
            users_writer.writerow([c for i, c in enumerate(row) if i != role_index] + [""])
        users = out.getvalue()
    manifest = (
        f"propertyName,value\nmanifest.version,1.0\noneroster.version,{version}\nfile.users,bulk\n"
        f"file.demographics,{'bulk' if demographics else 'absent'}\n"
        f"file.roles,{'bulk' if roles is not None else 'absent'}\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", manifest)
        archive.writestr("users.csv", users)
        if demographics:
            archive.writestr("demographics.csv", demographics_csv.getvalue())
        if roles is not None:
            archive.writestr("roles.csv", roles.getvalue())
    return buffer.getvalue()


def oneroster_zip_member(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode()
