"""IMS OneRoster 1.1 CSV: ``users.csv`` on its own, or the whole OneRoster zip (1.2 zips are read too).

Students (role ``student``) become pupils, keyed by ``sourcedId``. Their parents, guardians and relatives
(roles ``parent``, ``guardian``, ``relative``) become contacts, linked through ``agentSourcedIds`` — a
student lists their contacts' ids there, in contact order, and a contact lists their children's; either
side is enough. Rows whose ``status`` is ``tobedeleted`` are skipped, so those pupils count as leaving.

OneRoster 1.1 keeps dates of birth in ``demographics.csv``, not ``users.csv``: upload the zip (saferstaff
reads ``users.csv``, ``demographics.csv``, ``roles.csv`` and ``manifest.csv`` from it and nothing else), or
a ``users.csv`` with an extra ``birthDate`` (or ``metadata.birthDate``) column. A UPN is read from
``metadata.upn``, or from ``identifier`` when that holds something shaped like a UPN. Year groups come from ``grades`` (the first
one listed; UK year codes such as 'R', 'N2', '03', and the OneRoster codes KG → R, PK → N2, PR/IT → N1).
OneRoster does not say who holds parental responsibility, so an import from it never changes that flag.

OneRoster 1.2 moved each user's role out of ``users.csv`` into ``roles.csv`` (and renamed the preferred-name
columns ``preferredGivenName``/``preferredFamilyName``): a 1.2 zip is read with its roles.csv; a 1.2
users.csv on its own is refused with what to upload instead. A zip whose ``manifest.csv`` says
``file.demographics,absent`` was exported without dates of birth: the school is told to tick demographics
in the export.
"""

import csv
import io
import re
import zipfile

from django.conf import settings

from saferstaff.zips import ZIP_ERRORS

from . import checks
from .records import GuardianRecord, ParsedRoster, Problems, PupilRecord, RosterError
from .values import decode_text, normalise_email, normalise_year_group, parse_birth_date, parse_bool

FORMAT = "oneroster"
CONTACT_ROLES = {"parent": "Parent", "guardian": "Guardian", "relative": "Relative"}
REQUIRED = ("sourcedid", "role", "givenname", "familyname")
# users.csv columns that only OneRoster 1.2 has.
V12_COLUMNS = {
    "usermasteridentifier",
    "primaryorgsourcedid",
    "preferredgivenname",
    "preferredfamilyname",
    "pronouns",
}
ZIP_MEMBERS = ("users.csv", "demographics.csv", "roles.csv", "manifest.csv")
EXPORT_DEMOGRAPHICS = (
    "Export the OneRoster zip again with demographics included (in the MIS's OneRoster export settings, "
    "tick 'demographics', which holds dates of birth) and upload the new zip."
)
ONEROSTER_GRADES = {"KG": "R", "PK": "N2", "PR": "N1", "IT": "N1", "TK": "R", "PS": "", "UG": "", "OTHER": ""}
_UPN_SHAPE = re.compile(r"^[A-Za-z]\d{11}[A-Za-z0-9]$")
ZIP_MAGIC = b"PK\x03\x04"


def looks_like_users_csv(headings: list[str]) -> bool:
    """OneRoster's users.csv: 1.1 has a role column; 1.2 has none (roles.csv holds them), so its own columns
    or OneRoster's enabledUser/username mark it."""
    keys = {h.strip().lower() for h in headings}
    marked = bool({"role", "roles", "enableduser", "username"} & keys or V12_COLUMNS & keys)
    return "sourcedid" in keys and marked and bool({"agentsourcedids", "givenname", "familyname"} & keys)


def _read_zip(data: bytes) -> dict[str, bytes]:
    """users.csv (and demographics.csv, roles.csv and manifest.csv, if there) from a OneRoster zip, reading
    no more than the size limit from any, whatever the zip claims (a small zip can expand to gigabytes)."""
    limit = settings.ROSTER_MAX_BYTES
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename.rsplit("/", 1)[-1].lower(): info for info in archive.infolist()}
        if "users.csv" not in members:
            raise RosterError.single(
                "file",
                "this zip file has no users.csv, so it is not a OneRoster export. Upload the OneRoster zip "
                "from the MIS, or its users.csv.",
            )
        found = {}
        for name in ZIP_MEMBERS:
            if name not in members:
                continue
            with archive.open(members[name]) as member:
                content = member.read(limit + 1)
            if len(content) > limit:
                raise RosterError.single(
                    name,
                    f"is larger than {limit // (1024 * 1024)} MB once unzipped, the most saferstaff accepts. "
                    "Export only current pupils and their contacts.",
                )
            found[name] = content
    except ZIP_ERRORS:
        raise RosterError.single(
            "file",
            "the zip file is damaged or uses a kind of compression saferstaff cannot read. Export it again.",
        ) from None
    return found


def _rows(data: bytes, name: str, notes: list[str]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    text, more_notes = decode_text(data)
    notes.extend(f"{name}: {note}" for note in more_notes)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        headings = [h.strip().lower() for h in header]
        rows = []
        line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((line, dict(zip(headings, (c.strip() for c in row), strict=False))))
            line = reader.line_num + 1
    except csv.Error as error:
        raise RosterError.single(
            f"{name} line {reader.line_num}", f"cannot be read as CSV ({error}). Export the file again."
        ) from None
    return headings, rows


def parse(data: bytes) -> ParsedRoster:
    notes: list[str] = []
    members: dict[str, bytes] = {}
    in_zip = data.startswith(ZIP_MAGIC)
    if in_zip:
        members = _read_zip(data)
        data = members["users.csv"]
    demographics_data = members.get("demographics.csv")
    manifest = _manifest(members.get("manifest.csv"), notes)
    headings, rows = _rows(data, "users.csv", notes)
    prefix = "users.csv line" if in_zip else "line"

    if "role" not in headings:
        _roles_from_roles_csv(members.get("roles.csv"), headings, rows, manifest, notes)
    missing = [name for name in REQUIRED if name not in headings]
    if missing:
        raise RosterError.single(
            "column headers",
            "this OneRoster users.csv has no "
            + ", ".join(f"'{m}'" for m in missing)
            + " column. Export users.csv again from the MIS with all the standard OneRoster columns.",
        )

    birth_dates: dict[str, tuple[str, str]] = {}
    if demographics_data is not None:
        demo_headings, demo_rows = _rows(demographics_data, "demographics.csv", notes)
        if "sourcedid" in demo_headings and "birthdate" in demo_headings:
            for line, row in demo_rows:
                if row.get("birthdate", ""):
                    birth_dates[row.get("sourcedid", "")] = (
                        row.get("birthdate", ""),
                        f"demographics.csv line {line}",
                    )
    dob_column = next((c for c in ("birthdate", "metadata.birthdate", "metadata.dob") if c in headings), None)
    if dob_column is None and in_zip and not birth_dates:
        said = (
            "its manifest.csv says demographics are absent"
            if manifest.get("file.demographics", "").lower() == "absent"
            else "it has no demographics.csv with dates of birth in it"
        )
        raise RosterError.single(
            "file", f"this OneRoster zip has no dates of birth: {said}. {EXPORT_DEMOGRAPHICS}"
        )
    if dob_column is None and not in_zip:
        raise RosterError.single(
            "column headers",
            "a OneRoster users.csv does not include dates of birth, and saferstaff needs them. Upload the "
            "whole OneRoster zip from the MIS (its demographics.csv has the dates of birth), or add a "
            "'birthDate' column (yyyy-mm-dd) to users.csv.",
        )

    problems = Problems()
    users: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in rows:
        sourced_id = row.get("sourcedid", "")
        if row.get("status", "").lower() == "tobedeleted":
            continue
        if not sourced_id:
            problems.add(f"{prefix} {line}", "sourcedId is blank. Export users.csv again from the MIS.")
            continue
        if sourced_id in users:
            problems.add(
                f"{prefix} {line}",
                f"sourcedId '{sourced_id}' is also on line {users[sourced_id][0]}. Each user must appear once: "
                "export users.csv again.",
            )
            continue
        users[sourced_id] = (line, row)

    has_agents = "agentsourcedids" in headings
    # student id -> the contacts whose own agentSourcedIds list that student.
    listed_by_contacts: dict[str, list[str]] = {}
    for sourced_id, (_line, row) in users.items():
        if row.get("role", "").lower() in CONTACT_ROLES:
            for child_id in _split(row.get("agentsourcedids", "")):
                listed_by_contacts.setdefault(child_id, []).append(sourced_id)

    pupils = []
    skipped_roles = 0
    for sourced_id, (line, row) in users.items():
        role = row.get("role", "").lower()
        if role != "student":
            if role not in CONTACT_ROLES:
                skipped_roles += 1
            continue
        where = f"{prefix} {line}"
        before = len(problems)
        dob_text, dob_where = (row.get(dob_column, ""), where) if dob_column else ("", where)
        if not dob_text and sourced_id in birth_dates:
            dob_text, dob_where = birth_dates[sourced_id]
        if not dob_text:
            problems.add(
                where,
                f"student '{sourced_id}' has no date of birth"
                + (" in demographics.csv" if demographics_data is not None else "")
                + ". Add it in the MIS and export again.",
            )
            dob = None
        else:
            dob = checks.convert(problems, dob_where, "birthDate", parse_birth_date, dob_text, None)
        upn_text = row.get("metadata.upn", "")
        if not upn_text and _UPN_SHAPE.match(row.get("identifier", "")):
            upn_text = row["identifier"]
        upn = checks.upn(problems, where, upn_text)
        grade = _split(row.get("metadata.yeargroup", "") or row.get("grades", ""))
        year_group = checks.convert(problems, where, "grades", _grade, grade[0] if grade else "", "")
        adult_at_risk = checks.convert(
            problems, where, "metadata.adultAtRisk", parse_bool, row.get("metadata.adultatrisk", ""), False
        )
        legal_forename = checks.text(
            problems, where, "givenName", row.get("givenname"), checks.NAME_MAX, required=True
        )
        legal_surname = checks.text(
            problems, where, "familyName", row.get("familyname"), checks.NAME_MAX, required=True
        )
        middle_names = checks.text(problems, where, "middleName", row.get("middlename"), checks.NAME_MAX)
        preferred_forename = checks.text(
            problems,
            where,
            "preferredFirstName",
            row.get("preferredfirstname") or row.get("preferredgivenname"),
            checks.NAME_MAX,
        )
        preferred_surname = checks.text(
            problems, where, "preferredLastName",
            row.get("preferredlastname") or row.get("preferredfamilyname"), checks.NAME_MAX,
        )  # fmt: skip
        contact_ids = _split(row.get("agentsourcedids", ""))
        contact_ids += [cid for cid in listed_by_contacts.get(sourced_id, ()) if cid not in contact_ids]
        guardians = []
        for order, contact_id in enumerate(contact_ids, start=1):
            guardian = _contact(contact_id, order, where, users, problems, prefix)
            if guardian is not None:
                guardians.append(guardian)
        if len(problems) > before or dob is None:
            continue
        pupils.append(
            PupilRecord(
                source_id=checks.text(problems, where, "sourcedId", sourced_id, checks.ID_MAX),
                upn=upn,
                legal_forename=legal_forename,
                legal_surname=legal_surname,
                middle_names=middle_names,
                preferred_forename=preferred_forename,
                preferred_surname=preferred_surname,
                date_of_birth=dob,
                year_group=year_group,
                adult_at_risk=adult_at_risk,
                guardians=checks.sort_contacts(guardians),
                where=where,
            )
        )
    if not pupils and not problems:
        problems.add(
            "file", "users.csv has no students (no rows with role 'student'). Export it again from the MIS."
        )
    checks.check_duplicates(pupils, problems)
    problems.raise_if_any()

    if skipped_roles:
        notes.append(f"{skipped_roles} staff and other non-pupil users in the file were not imported.")
    guardian_fields: frozenset[str] = frozenset()
    if has_agents:
        guardian_fields = frozenset(
            {"forename", "relationship", "contact_order"}
            | ({"email"} if "email" in headings else set())
            | ({"phone"} if {"phone", "sms"} & set(headings) else set())
        )
        notes.append(
            "OneRoster files do not say who has parental responsibility, so this import has not changed it. "
            "Record it in saferstaff, or import a CTF, which includes it."
        )
    pupil_fields = (
        {"preferred_forename"} if {"preferredfirstname", "preferredgivenname"} & set(headings) else set()
    )
    if {"preferredlastname", "preferredfamilyname"} & set(headings):
        pupil_fields.add("preferred_surname")
    if "middlename" in headings:
        pupil_fields.add("middle_names")
    if "grades" in headings or "metadata.yeargroup" in headings:
        pupil_fields.add("year_group")
    if "metadata.adultatrisk" in headings:
        pupil_fields.add("adult_at_risk")
    return ParsedRoster(
        format=FORMAT,
        pupils=tuple(pupils),
        notes=tuple(notes),
        pupil_fields=frozenset(pupil_fields),
        guardian_fields=guardian_fields,
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _grade(value: str) -> str:
    key = value.strip().upper()
    if key in ONEROSTER_GRADES:
        return ONEROSTER_GRADES[key]
    return normalise_year_group(value)


def _contact(contact_id, order, where, users, problems, prefix) -> GuardianRecord | None:
    if contact_id not in users:
        problems.add(
            where,
            f"agentSourcedIds lists '{contact_id}', who is not in users.csv. Export users.csv again with "
            "parents and guardians included.",
        )
        return None
    line, row = users[contact_id]
    role = row.get("role", "").lower()
    if role not in CONTACT_ROLES:
        return None  # a teacher or another student listed as an agent: not a contact
    contact_where = f"{prefix} {line}"
    return GuardianRecord(
        source_id=checks.text(problems, contact_where, "sourcedId", contact_id, checks.ID_MAX),
        surname=checks.text(
            problems, contact_where, "familyName", row.get("familyname"), checks.NAME_MAX, required=True
        ),
        forename=checks.text(problems, contact_where, "givenName", row.get("givenname"), checks.NAME_MAX),
        email=checks.convert(problems, contact_where, "email", normalise_email, row.get("email", ""), ""),
        phone=checks.text(
            problems, contact_where, "phone", row.get("phone") or row.get("sms"), checks.PHONE_MAX
        ),
        relationship=CONTACT_ROLES[role],
        contact_order=order,
        where=contact_where,
    )


def _manifest(data: bytes | None, notes: list[str]) -> dict[str, str]:
    """manifest.csv's propertyName → value: 'oneroster.version' → '1.2', 'file.demographics' → 'absent'…"""
    if data is None:
        return {}
    _headings, rows = _rows(data, "manifest.csv", notes)
    return {row.get("propertyname", "").lower(): row.get("value", "") for _line, row in rows}


def _roles_from_roles_csv(roles_data, headings: list[str], rows, manifest: dict[str, str], notes) -> None:
    """OneRoster 1.2: give each users.csv row the role roles.csv lists for that user (the primary one if it
    lists several), as if users.csv had 1.1's role column. Without roles.csv, a 1.2 file is refused."""
    is_v12 = manifest.get("oneroster.version", "").startswith("1.2") or bool(V12_COLUMNS & set(headings))
    if roles_data is None and "roles" in headings:
        # Some exports flatten 1.2's roles into one column: read it when each cell is a single plain role.
        words = [_split(row.get("roles", "").lower()) for _line, row in rows]
        if all(len(w) == 1 and w[0].isalpha() for w in words if w):
            headings.append("role")
            for (_line, row), w in zip(rows, words, strict=True):
                row["role"] = w[0] if w else ""
            return
        is_v12 = True
    if roles_data is None:
        if is_v12:
            raise RosterError.single(
                "column headers",
                "this is a OneRoster 1.2 users.csv, which has no 'role' column: OneRoster 1.2 keeps each "
                "user's role in roles.csv. Upload the whole OneRoster zip from the MIS (saferstaff reads its "
                "users.csv, roles.csv and demographics.csv), or export OneRoster 1.1 instead.",
            )
        return  # a 1.1 file missing its role column: the usual message about missing columns follows
    role_headings, role_rows = _rows(roles_data, "roles.csv", notes)
    if not {"usersourcedid", "role"} <= set(role_headings):
        raise RosterError.single(
            "roles.csv",
            "has no 'userSourcedId' or 'role' column. Export the OneRoster zip again from the MIS.",
        )
    roles: dict[str, str] = {}
    for _line, row in role_rows:
        if row.get("status", "").lower() == "tobedeleted":
            continue
        user = row.get("usersourcedid", "")
        if user not in roles or row.get("roletype", "").lower() == "primary":
            roles[user] = row.get("role", "")
    headings.append("role")
    for _line, row in rows:
        row["role"] = roles.get(row.get("sourcedid", ""), "")
