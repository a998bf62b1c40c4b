"""Roster import: CSV, CTF and OneRoster files → preview plan → one all-or-nothing apply.

Every bad file must be refused with problems that name the line or element and the fix, and leave the
database exactly as it was."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from saferstaff.audit.models import AuditEvent
from saferstaff.schools.models import Guardian, Guardianship, Pupil, RosterImport, School
from saferstaff.schools.rosters import csv_mis, ctf, oneroster
from saferstaff.schools.rosters.detect import detect_format, parse_roster
from saferstaff.schools.rosters.plan import apply_plan, guardian_match_key, plan_import
from saferstaff.schools.rosters.records import MAX_PROBLEMS, GuardianRecord, RosterError
from saferstaff.schools.rosters.service import (
    apply_import,
    discard_import,
    import_file,
    preview_import,
    stage_upload,
)
from saferstaff.schools.rosters.values import normalise_year_group, parse_date

from .roster_samples import (
    changed,
    csv_text,
    ctf_xml,
    make_temporary_upn,
    make_upn,
    oneroster_users_csv,
    oneroster_zip,
    oneroster_zip_member,
    sample_pupils,
)

# --- Fixtures and helpers ---------------------------------------------------------------------------

DATA = Path(__file__).parent / "data" / "rosters"


@pytest.fixture
def school(db):
    return School.objects.create(
        name="Westfield Infant", slug="westfield", urn="100001", la_number="383", establishment_number="2001"
    )


def db_state() -> tuple[int, ...]:
    return (
        Pupil.objects.count(),
        Guardian.objects.count(),
        Guardianship.objects.count(),
        RosterImport.objects.count(),
        AuditEvent.objects.count(),
        Pupil.history.count(),
    )


def do_import(school, data: bytes | str, filename: str = "roster.csv"):
    if isinstance(data, str):
        data = data.encode("utf-8")
    plan = plan_import(school, parse_roster(filename, data))
    apply_plan(plan)
    return plan


def refused(school, data: bytes | str, filename: str = "roster.csv") -> RosterError:
    """Assert the file is refused through every entry point, and that nothing at all was saved."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    before = db_state()
    with pytest.raises(RosterError) as error:
        stage_upload(school, filename, data, None)
    with pytest.raises(RosterError):
        import_file(school, filename, data)
    assert db_state() == before
    for problem in error.value.problems:
        assert problem.where and problem.message
        assert str(problem)[0].isupper() or str(problem).startswith("<")
    return error.value


def messages(error: RosterError) -> list[str]:
    return [str(p) for p in error.problems]


# --- CSV --------------------------------------------------------------------------------------------


def test_csv_happy_path_with_contacts(school):
    pupils = sample_pupils(3)
    plan = do_import(school, csv_text(pupils, contacts=2))
    assert plan.format == "csv"
    assert plan.counts() == {
        "new": 3, "updated": 0, "returning": 0, "leaving": 0, "unchanged": 0, "guardians_new": 6,
        "guardians_updated": 0, "links_new": 6, "links_updated": 0, "links_removed": 0,
    }  # fmt: skip
    stored = Pupil.objects.get(upn=pupils[1].upn)
    assert (stored.legal_forename, stored.legal_surname) == (pupils[1].forename, pupils[1].surname)
    assert stored.preferred_forename == "Ollie"
    assert stored.date_of_birth == pupils[1].dob
    assert stored.year_group == pupils[1].year
    assert stored.school == school
    links = list(stored.guardianships.select_related("guardian").order_by("contact_order"))
    assert [link.relationship for link in links] == ["Mother", "Father"]
    assert [link.parental_responsibility for link in links] == [True, True]
    assert links[0].guardian.email == pupils[1].contacts[0].email
    assert links[0].guardian.phone == pupils[1].contacts[0].phone
    assert links[0].guardian.title == "Mrs"


@pytest.mark.parametrize(
    "headers",
    [
        {"upn": "upn", "forename": "legal_first_name", "surname": "Legal Surname", "preferred_forename": "preferred_first_name", "dob": "date_of_birth", "year": "year_group"},
        {"upn": "UPN", "forename": "Forename", "surname": "Surname", "preferred_forename": "Preferred Forename", "dob": "DOB", "year": "NC Year"},
        {"upn": "U.P.N.", "forename": "LEGAL FORENAME", "surname": "legal_surname", "preferred_forename": "Preferred forename", "dob": "Date of Birth", "year": "Year"},
    ],
)  # fmt: skip
def test_csv_header_aliases(school, headers):
    pupils = sample_pupils(2)
    do_import(school, csv_text(pupils, headers=headers, uk_dates=False))
    stored = Pupil.objects.get(upn=pupils[1].upn)
    assert stored.legal_forename == pupils[1].forename
    assert stored.preferred_forename == "Ollie"
    assert stored.date_of_birth == pupils[1].dob
    assert stored.year_group == pupils[1].year


def test_csv_uk_and_iso_dates_mean_the_same(school):
    pupils = sample_pupils(2)
    uk = parse_roster("a.csv", csv_text(pupils, uk_dates=True).encode())
    iso = parse_roster("a.csv", csv_text(pupils, uk_dates=False).encode())
    assert (
        [p.date_of_birth for p in uk.pupils]
        == [p.date_of_birth for p in iso.pupils]
        == [p.dob for p in pupils]
    )


def test_csv_title_line_semicolons_year_names_and_optional_columns(school):
    text = (
        "Pupil list exported 01/09/2025\n"
        "UPN;Forename;Surname;DOB;Year;Adult At Risk;Date of Leaving;Shoe size\n"
        f"{make_upn(1)};Ava;Khan;3/5/2015;Year 5;No;;4\n"
        f"{make_upn(2)};Leo;Brown;2007-01-09;Y13;Yes;31/07/2026;9\n"
        f"{make_upn(3)};Isla;Evans;1/9/2020;Reception;;;11\n"
    )
    parsed = parse_roster("list.csv", text.encode())
    assert [p.year_group for p in parsed.pupils] == ["5", "13", "R"]
    assert [p.adult_at_risk for p in parsed.pupils] == [False, True, False]
    assert parsed.pupils[1].leaving_date == datetime.date(2026, 7, 31)
    assert parsed.pupils[0].date_of_birth == datetime.date(2015, 5, 3)
    assert any("Shoe size" in note for note in parsed.notes)
    assert not parsed.has_contacts


def test_csv_bad_check_letter_names_line_and_fix(school):
    pupils = sample_pupils(3)
    bad = "A" + pupils[1].upn[1:] if pupils[1].upn[0] != "A" else "B" + pupils[1].upn[1:]
    error = refused(school, csv_text([pupils[0], changed(pupils[1], upn=bad), pupils[2]]))
    assert len(error.problems) == 1
    text = str(error.problems[0])
    assert text.startswith("Line 3: UPN '")
    assert "wrong check letter" in text and "export again" in text


def test_csv_missing_required_column(school):
    error = refused(school, csv_text(sample_pupils(2), headers={"dob": None}))
    assert error.problems[0].where == "column headers"
    assert "no column for date of birth" in error.problems[0].message
    assert "'DOB'" in error.problems[0].message


def test_csv_missing_upn_column(school):
    error = refused(school, csv_text(sample_pupils(2), headers={"upn": None}))
    assert "no UPN column" in messages(error)[0]


def test_csv_middle_names_and_former_surname(school):
    text = (
        "UPN,Forename,Middle Names,Surname,Former Surname,DOB\n"
        + f"{make_upn(1)},Ava,Rose May,Khan,Smith,03/05/2015\n"
    )
    do_import(school, text)
    assert Pupil.objects.values_list("middle_names", "former_surname").get() == ("Rose May", "Smith")


@pytest.mark.parametrize("heading", ["Admission No", "Adno", "Admission Number", "Adm. No."])
def test_csv_admission_number_is_the_mis_id(school, heading):
    text = f"{heading},Forename,Surname,DOB\n1234,Ava,Khan,03/05/2015\n"
    parsed = parse_roster("pupils.csv", text.encode())
    assert parsed.pupils[0].source_id == "1234" and parsed.notes == ()
    do_import(school, text)
    assert Pupil.objects.get().source_id == "1234"


def test_csv_duplicate_upn_names_both_lines(school):
    pupils = sample_pupils(3)
    error = refused(school, csv_text([pupils[0], pupils[1], changed(pupils[2], upn=pupils[0].upn)]))
    assert messages(error) == [
        f"Line 4: UPN '{pupils[0].upn}' is also used by line 2. Each pupil must appear once and each UPN "
        "belongs to one pupil: remove the duplicate (or correct the UPN in the MIS) and export again."
    ]


def test_csv_impossible_date(school):
    text = csv_text(sample_pupils(2)).replace(sample_pupils(2)[1].dob.strftime("%d/%m/%Y"), "31/02/2019")
    error = refused(school, text)
    assert messages(error) == [
        "Line 3: date of birth '31/02/2019' is not a real date: February 2019 has no day 31. "
        "Correct it in the MIS and export again."
    ]


def test_csv_reports_every_problem_not_just_the_first(school):
    pupils = sample_pupils(4)
    rows = csv_text(pupils).splitlines()
    rows[1] = rows[1].replace(pupils[0].upn, "X" + pupils[0].upn[1:])
    rows[2] = rows[2].replace(pupils[1].dob.strftime("%d/%m/%Y"), "2019-13-01")
    rows[3] = rows[3].replace(pupils[2].forename, "")
    rows[4] = rows[4].replace(f",{pupils[3].year}", ",Year 19")
    error = refused(school, "\n".join(rows) + "\n")
    wheres = [p.where for p in error.problems]
    assert wheres == ["line 2", "line 3", "line 4", "line 5"]
    assert "there is no month 13" in error.problems[1].message
    assert "legal forename is blank" in error.problems[2].message
    assert "'Year 19' is not a year group" in error.problems[3].message


def test_csv_problems_are_capped(school):
    pupils = [changed(p, upn=("A" if p.upn[0] != "A" else "B") + p.upn[1:]) for p in sample_pupils(80)]
    error = refused(school, csv_text(pupils))
    assert len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1].where == "file"
    assert "more problem" in error.problems[-1].message


def test_csv_windows_1252_is_accepted_with_a_note(school):
    text = csv_text(sample_pupils(4))  # pupils 2 and 3 are Zoë and Siân
    assert "Zoë" in text and "Siân" in text
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    plan = do_import(school, data)
    assert Pupil.objects.filter(legal_forename="Zoë").exists()
    assert Pupil.objects.filter(legal_forename="Siân").exists()
    assert any("Windows-1252" in note and "CSV UTF-8" in note for note in plan.notes)


def test_csv_utf8_with_bom_and_utf16_are_read(school):
    text = csv_text(sample_pupils(3))
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("utf-16")):
        parsed = parse_roster("a.csv", data)
        assert [p.legal_forename for p in parsed.pupils] == ["Amelia", "Oliver", "Zoë"]
        assert parsed.notes == ()


def test_csv_undecodable_bytes_get_a_clear_fix(school):
    data = csv_text(sample_pupils(3)).encode("utf-8").replace("Zoë".encode(), b"Zo\x81\x8d")
    error = refused(school, data)
    text = messages(error)[0]
    assert text.startswith("Line 4: ")
    assert "neither UTF-8 nor Windows-1252" in text
    assert "CSV UTF-8" in text


def test_csv_more_values_than_headings(school):
    text = csv_text(sample_pupils(2)).splitlines()
    text[2] += ",surplus"
    error = refused(school, "\n".join(text))
    assert error.problems[0].where == "line 3"
    assert "double quotes" in error.problems[0].message


def test_csv_contact_without_surname_column(school):
    text = (
        "UPN,Forename,Surname,DOB,Contact 1 Forename,Contact 1 Email\n"
        + f"{make_upn(1)},Ava,Khan,03/05/2015,Sara,s@example.org\n"
    )
    error = refused(school, text)
    assert "contact 1 has no surname column" in error.problems[0].message


def test_csv_empty_contact_slots_are_skipped(school):
    text = (
        "UPN,Forename,Surname,DOB,Contact 1 Surname,Contact 1 Parental Responsibility,"
        "Contact 2 Surname,Contact 2 Relationship,Contact 2 Parental Responsibility\n"
        f"{make_upn(1)},Ava,Khan,03/05/2015,Khan,Y,,Father,No\n"
    )
    parsed = parse_roster("a.csv", text.encode())
    assert [(g.surname, g.contact_order, g.parental_responsibility) for g in parsed.pupils[0].guardians] == [
        ("Khan", 1, True)
    ]


def test_csv_bad_contact_values(school):
    text = (
        "UPN,Forename,Surname,DOB,Contact 1 Surname,Contact 1 Email,Contact 1 Parental Responsibility\n"
        f"{make_upn(1)},Ava,Khan,03/05/2015,Khan,not-an-email,maybe\n"
    )
    error = refused(school, text)
    assert messages(error) == [
        "Line 2: contact 1 email 'not-an-email' is not an email address. Correct it in the MIS and export again.",
        "Line 2: contact 1 parental responsibility 'maybe' is not yes or no. Use Yes/No, Y/N, True/False or 1/0.",
    ]


# --- Size, emptiness, format ------------------------------------------------------------------------


def test_file_over_the_limit_is_refused_before_reading(school):
    with override_settings(ROSTER_MAX_BYTES=1000):
        error = refused(school, csv_text(sample_pupils(30)))
    assert "larger than the 1000 bytes saferstaff accepts" in error.problems[0].message
    assert "Export only current pupils" in error.problems[0].message


def test_a_real_50_mb_file_is_refused(school):
    data = b"UPN,Forename,Surname,DOB\n" + b"x" * (50 * 1024 * 1024)
    error = refused(school, data)
    assert error.problems[0].message.startswith("the file is 50 MB, larger than the 20 MB saferstaff accepts")


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_empty_file(school, data):
    error = refused(school, data)
    assert "the file is empty" in error.problems[0].message


def test_spreadsheets_are_refused_with_what_to_do(school):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    error = refused(school, buffer.getvalue(), "pupils.xlsx")
    assert "Excel workbook" in error.problems[0].message and "CSV UTF-8" in error.problems[0].message


def test_detect_format():
    pupils = sample_pupils(2)
    assert detect_format("x.csv", csv_text(pupils).encode()) == "csv"
    assert detect_format("x.txt", b"\xef\xbb\xbf  " + ctf_xml(pupils).encode()) == "ctf"
    assert detect_format("users.csv", oneroster_users_csv(pupils).encode()) == "oneroster"
    assert detect_format("or.zip", oneroster_zip(pupils)) == "oneroster"


# --- CTF --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", [None, "urn:dfe:ctf"])
@pytest.mark.parametrize("names_in_basic_details", [False, True])
def test_ctf_happy_path(school, namespace, names_in_basic_details):
    pupils = sample_pupils(4, siblings_every=2)
    xml = ctf_xml(pupils, namespace=namespace, names_in_basic_details=names_in_basic_details)
    plan = do_import(school, xml, "export.xml")
    assert plan.format == "ctf"
    assert plan.counts()["new"] == 4
    # The third pupil shares the second's parents (same names and emails): one Guardian each, linked to both.
    assert plan.counts()["guardians_new"] == 6
    assert plan.counts()["links_new"] == 8
    assert plan.warnings == []
    oliver = Pupil.objects.get(upn=pupils[1].upn)
    assert (oliver.legal_forename, oliver.preferred_forename, oliver.year_group) == ("Oliver", "Ollie", "2")
    sibling = Pupil.objects.get(upn=pupils[2].upn)
    assert set(oliver.guardianships.values_list("guardian", flat=True)) == set(
        sibling.guardianships.values_list("guardian", flat=True)
    )
    link = oliver.guardianships.get(contact_order=2)
    assert (link.relationship, link.guardian.title) == ("Father", "Mr")
    assert (link.guardian.phone, link.guardian.email) == (
        pupils[1].contacts[1].phone,
        pupils[1].contacts[1].email,
    )


def test_ctf_laid_out_as_mis_exports_are(school):
    """A CTF with every part a real export has: contacts' phones in Phones/Phone/PhoneNo with a type, and
    addresses, attendance, assessments and SEN, which are not kept, and the notes say so."""
    xml = (DATA / "ctf_real_structure.xml").read_text().replace("UPN_1", make_upn(1))
    parsed = parse_roster("export.xml", xml.encode())
    (pupil,) = parsed.pupils
    assert (pupil.legal_forename, pupil.preferred_forename, pupil.preferred_surname) == (
        "Zofia", "Zosia", "Nowak-Evans",
    )  # fmt: skip
    assert (pupil.date_of_birth, pupil.year_group) == (datetime.date(2018, 11, 2), "2")
    assert (pupil.middle_names, pupil.former_surname) == ("Maria Anne", "Evans")
    assert [
        (g.forename, g.relationship, g.parental_responsibility, g.phone, g.email) for g in pupil.guardians
    ] == [
        ("Agnieszka", "Mother", True, "07700 900461", "a.nowak@example.org"),  # the mobile, of three
        ("Rhys", "Father", True, "01274 496 0002", ""),  # the work number, never the fax
        ("Glenys", "Other relative", False, "", ""),
    ]
    held, phones = parsed.notes
    for words in ("addresses", "attendance", "assessment results", "SEN records", "ethnicity", "languages",
                  "school history", "free school meal", "looked-after status"):  # fmt: skip
        assert words in held
    assert "middle names" not in held and "surname" not in held
    assert "saferstaff does not keep these" in held
    assert "more than one phone number" in phones and "the mobile if there is one" in phones
    plan = do_import(school, xml, "export.xml")
    assert plan.notes == list(parsed.notes)
    assert Guardian.objects.get(forename="Agnieszka").phone == "07700 900461"
    stored = Pupil.objects.get()
    assert (stored.middle_names, stored.former_surname, stored.preferred_surname) == (
        "Maria Anne",
        "Evans",
        "Nowak-Evans",
    )


def test_partial_ctf_from_a_dfe_service_marks_nobody_as_leaving(school):
    """The DfE's services send partial CTFs (one year group's results, names in capitals, no contacts):
    pupils not in one are not leaving, and a name in capitals is not a change."""
    pupils = sample_pupils(3)
    do_import(school, csv_text(pupils))
    one = pupils[1]
    xml = (DATA / "ctf_dfe_partial.xml").read_text()
    for placeholder, value in [("UPN_1", one.upn), ("SURNAME_1", one.surname.upper()),
                               ("FORENAME_1", one.forename.upper()), ("DOB_1", one.dob.isoformat())]:  # fmt: skip
        xml = xml.replace(placeholder, value)
    plan = do_import(school, xml, "MTC_results.xml")
    assert plan.counts()["leaving"] == 0 and plan.counts()["updated"] == 0 and plan.counts()["unchanged"] == 1
    assert any("partial transfer" in note for note in plan.notes)
    assert any("assessment results" in note for note in plan.notes)
    assert Pupil.objects.current().count() == 3
    assert Pupil.objects.get(upn=one.upn).legal_forename == one.forename  # not turned into capitals


def test_ctf_responsibility_and_order(school):
    pupils = sample_pupils(2)[1:]  # both contacts have parental responsibility
    xml = ctf_xml(pupils).replace(
        "<Responsibility>true</Responsibility>", "<Responsibility>0</Responsibility>", 1
    )
    xml = xml.replace("<Order>1</Order>", "<Order>3</Order>")
    parsed = parse_roster("a.xml", xml.encode())
    contacts = parsed.pupils[0].guardians
    assert [c.contact_order for c in contacts] == [2, 3]  # sorted by the MIS's order
    assert [c.parental_responsibility for c in contacts] == [True, False]


def test_ctf_with_external_entity_is_refused(school, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE CTfile [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        "<CTfile><Header/><CTFpupilData><Pupil><UPN>&xxe;</UPN></Pupil></CTFpupilData></CTfile>"
    )
    error = refused(school, xml, "evil.xml")
    text = messages(error)[0]
    assert "DTD or entity declarations" in text and "refuses" in text and "Export the CTF again" in text
    assert "TOP-SECRET" not in text


def test_ctf_billion_laughs_is_refused_quickly(school):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    xml = f'<?xml version="1.0"?><!DOCTYPE CTfile [{entities}]><CTfile>&lol9;</CTfile>'
    started = timezone.now()
    error = refused(school, xml, "bomb.xml")
    assert (timezone.now() - started).total_seconds() < 2
    assert "DTD or entity declarations" in messages(error)[0]


def test_ctf_not_well_formed(school):
    xml = ctf_xml(sample_pupils(2)).replace("</Pupil>", "</Pupl>", 1)
    error = refused(school, xml, "cut.xml")
    assert error.problems[0].where.startswith("line ")
    assert "not well-formed XML" in error.problems[0].message


def test_xml_that_is_not_a_ctf(school):
    error = refused(school, "<?xml version='1.0'?><Census><Pupil/></Census>", "census.xml")
    assert error.problems[0].where == "<Census>"
    assert "not a DfE Common Transfer File" in error.problems[0].message


def test_ctf_problems_name_the_pupil_element(school):
    pupils = sample_pupils(3)
    xml = ctf_xml(pupils).replace(pupils[1].dob.isoformat(), "2019-02-31")
    xml = xml.replace("<Surname>Khan</Surname>", "<Surname></Surname>")
    xml = xml.replace(
        pupils[2].upn, "A" + pupils[2].upn[1:] if pupils[2].upn[0] != "A" else "B" + pupils[2].upn[1:]
    )
    error = refused(school, xml, "a.xml")
    assert error.problems[0].where == f"Pupil 2 (UPN {pupils[1].upn})"
    assert error.problems[0].message.startswith("<DOB> '2019-02-31' is not a real date")
    assert error.problems[1].where.startswith("Pupil 3 (UPN ")
    assert "<UPN>" in error.problems[1].message and "wrong check letter" in error.problems[1].message


def test_ctf_from_another_school_warns(school):
    plan = plan_import(school, parse_roster("a.xml", ctf_xml(sample_pupils(2), urn="999999").encode()))
    assert any("another school (URN 999999" in w for w in plan.warnings)


def test_ctf_former_upn_matches_a_temporary_upn(school):
    temporary = make_temporary_upn(7)
    pupil = changed(sample_pupils(1)[0], upn=temporary)
    do_import(school, ctf_xml([pupil]), "a.xml")
    permanent = make_upn(500)
    xml = ctf_xml([changed(pupil, upn=permanent)]).replace(
        "<BasicDetails>", f"<BasicDetails><FormerUPN>{temporary}</FormerUPN>", 1
    )
    plan = do_import(school, xml, "a.xml")
    assert plan.counts()["new"] == 0 and plan.counts()["updated"] == 1
    assert plan.updated[0].changed_fields == ["upn"]
    assert Pupil.objects.get().upn == permanent


# --- OneRoster --------------------------------------------------------------------------------------


def test_oneroster_users_csv(school):
    pupils = sample_pupils(4, siblings_every=2)
    plan = do_import(school, oneroster_users_csv(pupils), "users.csv")
    assert plan.format == "oneroster"
    assert (
        plan.counts()["new"] == 4 and plan.counts()["guardians_new"] == 6 and plan.counts()["links_new"] == 8
    )
    stored = Pupil.objects.get(source_id="s1")
    assert stored.upn == pupils[1].upn  # from 'identifier', which holds a UPN
    assert stored.year_group == "2"
    guardian = Guardian.objects.get(source_id="g1-0")
    assert guardian.match_key == guardian_match_key(
        parse_roster("users.csv", oneroster_users_csv(pupils).encode()).pupils[1].guardians[0], None
    )
    assert any("parental responsibility" in n for n in plan.notes)


def test_oneroster_reimport_is_keyed_by_sourced_id(school):
    pupils = sample_pupils(3)
    do_import(school, oneroster_users_csv(pupils), "users.csv")
    renamed = [changed(pupils[0], surname="Okafor")] + pupils[1:]
    text = oneroster_users_csv(renamed).replace("g0-0,", "g0-0,", 1)
    text = text.replace("Sarah,Smith", "Sarah,Okafor")  # the mother's name changes too
    plan = do_import(school, text, "users.csv")
    assert plan.counts()["new"] == 0 and plan.counts()["updated"] == 1 and plan.counts()["guardians_new"] == 0
    assert plan.counts()["guardians_updated"] == 1
    assert Pupil.objects.get(source_id="s0").legal_surname == "Okafor"
    assert Guardian.objects.get(source_id="g0-0").surname == "Okafor"


def test_oneroster_zip_with_demographics(school):
    pupils = sample_pupils(3)
    plan = do_import(school, oneroster_zip(pupils), "oneroster.zip")
    assert plan.counts()["new"] == 3
    assert Pupil.objects.get(source_id="s2").date_of_birth == pupils[2].dob


def test_oneroster_without_birth_dates(school):
    error = refused(school, oneroster_users_csv(sample_pupils(2), birth_dates=False), "users.csv")
    assert error.problems[0].where == "column headers"
    assert "whole OneRoster zip" in error.problems[0].message


def test_oneroster_1_2_zip_reads_roles_csv(school):
    pupils = sample_pupils(3, siblings_every=2)
    data = oneroster_zip(pupils, version="1.2")
    assert "role" not in oneroster_zip_member(data, "users.csv").splitlines()[0].split(",")
    plan = do_import(school, data, "oneroster-1.2.zip")
    assert (
        plan.counts()["new"] == 3 and plan.counts()["guardians_new"] == 4 and plan.counts()["links_new"] == 6
    )
    stored = Pupil.objects.get(source_id="s1")
    assert (stored.date_of_birth, stored.upn) == (pupils[1].dob, pupils[1].upn)
    assert stored.guardianships.get(contact_order=1).relationship == "Guardian"


def test_oneroster_1_2_users_csv_alone_says_what_to_upload(school):
    users = oneroster_zip_member(oneroster_zip(sample_pupils(2), version="1.2"), "users.csv")
    error = refused(school, users, "users.csv")
    (problem,) = messages(error)
    assert "OneRoster 1.2" in problem and "roles.csv" in problem
    assert "Upload the whole OneRoster zip" in problem and "export OneRoster 1.1" in problem


def test_oneroster_users_csv_with_a_roles_column(school):
    pupils = sample_pupils(2)
    text = oneroster_users_csv(pupils).replace(",role,", ",roles,", 1)
    parsed = parse_roster("users.csv", text.encode())
    assert [p.source_id for p in parsed.pupils] == ["s0", "s1"]
    assert parsed.pupils[0].guardians[0].relationship == "Guardian"
    nested = text.replace(",student,", ",primary:student@org1,")
    assert "OneRoster 1.2" in messages(refused(school, nested, "users.csv"))[0]


def test_oneroster_zip_exported_without_demographics(school):
    data = oneroster_zip(sample_pupils(2), demographics=False)
    error = refused(school, data, "oneroster.zip")
    (problem,) = messages(error)
    assert problem.startswith(
        "File: this OneRoster zip has no dates of birth: its manifest.csv says demographics"
    )
    assert "tick 'demographics'" in problem
    assert "upload the whole zip" not in problem.lower()


def test_oneroster_unknown_agent(school):
    text = oneroster_users_csv(sample_pupils(2)).replace("g1-0,g1-1", "g1-0,g9-9")
    error = refused(school, text, "users.csv")
    assert "agentSourcedIds lists 'g9-9'" in messages(error)[0]
    assert error.problems[0].where == "line 3"


def test_oneroster_zip_bomb_is_bounded(school):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.csv", "sourcedId,role,givenName,familyName\n" + "x" * 3_000_000)
    assert len(buffer.getvalue()) < 100_000
    with override_settings(ROSTER_MAX_BYTES=1_000_000):
        error = refused(school, buffer.getvalue(), "or.zip")
    assert "once unzipped" in error.problems[0].message


# --- Plan and apply ---------------------------------------------------------------------------------


def test_reimport_is_idempotent(school):
    pupils = sample_pupils(20, siblings_every=4)
    for data, name in [(csv_text(pupils, contacts=2), "a.csv"), (ctf_xml(pupils), "a.xml")]:
        do_import(school, data, name)
        state = db_state()[:3]
        plan = do_import(school, data, name)
        assert plan.counts() == {
            "new": 0, "updated": 0, "returning": 0, "leaving": 0, "unchanged": 20, "guardians_new": 0,
            "guardians_updated": 0, "links_new": 0, "links_updated": 0, "links_removed": 0,
        }  # fmt: skip
        assert not plan.has_changes
        assert db_state()[:3] == state


def test_updates_are_listed_field_by_field(school):
    pupils = sample_pupils(3)
    do_import(school, csv_text(pupils, contacts=2))
    moved = [pupils[0], changed(pupils[1], year="4", preferred_forename=""), pupils[2]]
    plan = plan_import(school, parse_roster("a.csv", csv_text(moved, contacts=2).encode()))
    assert [c.upn for c in plan.updated] == [pupils[1].upn]
    change = plan.updated[0]
    assert change.where == "line 3"
    assert {(c.field, c.old, c.new) for c in change.changes} == {
        ("year_group", "2", "4"),
        ("preferred_forename", "Ollie", ""),
    }
    assert Pupil.objects.get(upn=pupils[1].upn).year_group == "2"  # planning saves nothing
    apply_plan(plan)
    assert Pupil.objects.get(upn=pupils[1].upn).year_group == "4"
    assert Pupil.history.filter(upn=pupils[1].upn, history_type="~").count() == 1


def test_leavers_are_marked_and_can_return(school):
    pupils = sample_pupils(3)
    do_import(school, csv_text(pupils))
    plan = do_import(school, csv_text(pupils[:2]))
    assert plan.counts()["leaving"] == 1 and plan.counts()["unchanged"] == 2
    assert plan.leaving[0].upn == pupils[2].upn
    leaver = Pupil.objects.get(upn=pupils[2].upn)
    assert leaver.leaving_date == timezone.localdate() and not leaver.is_current
    assert Pupil.objects.current().count() == 2

    again = do_import(school, csv_text(pupils[:2]))
    assert again.counts()["leaving"] == 0  # already left: not marked twice

    back = do_import(school, csv_text(pupils))
    assert back.counts()["returning"] == 1 and back.counts()["updated"] == 0
    assert Pupil.objects.get(upn=pupils[2].upn).leaving_date is None


def test_dates_of_birth_that_contradict_year_groups_warn(school):
    today = datetime.date(2025, 10, 1)  # school year 2025/26
    text = (
        "UPN,Forename,Surname,DOB,Year,Contact 1 Surname\n"
        f"{make_upn(1)},Ava,Khan,03/05/2016,Reception,Khan\n"  # aged 9, turning 10: her age group is Year 5
        f"{make_upn(2)},Leo,Brown,31/08/2020,R,Brown\n"  # the youngest of this year's Reception
        f"{make_upn(3)},Isla,Evans,01/09/2020,R,Evans\n"  # a day younger: Nursery 2 by age, one year off
        f"{make_upn(4)},Noah,Jones,15/01/2012,8,Jones\n"  # Year 8 by age
        f"{make_upn(5)},Oscar,Nowak,15/01/2005,14,Nowak\n"  # post-16 provision for an older pupil
    )
    plan = plan_import(school, parse_roster("a.csv", text.encode()), today=today)
    (warning,) = plan.warnings
    assert warning.startswith("1 pupil's date of birth and year group do not fit together")
    assert "line 2: Ava Khan, Reception, born 3 May 2016 (their age group is Year 5)" in warning
    assert "You can still apply the import." in warning
    apply_plan(plan)  # a warning, not an error
    assert Pupil.objects.count() == 5


def test_pupils_left_without_contacts_warn(school):
    pupils = sample_pupils(3)
    plan = plan_import(school, parse_roster("a.csv", csv_text(pupils).encode()))
    assert any(w.startswith("This file has no contacts (parents and carers) in it") for w in plan.warnings)
    assert any("consent requests cannot be sent" in w for w in plan.warnings)

    do_import(school, csv_text(pupils, contacts=1))
    plan = plan_import(school, parse_roster("a.csv", csv_text(pupils).encode()))
    assert plan.warnings == []  # contacts already in saferstaff are kept

    without = [pupils[0], changed(pupils[1], contacts=()), pupils[2]]
    plan = plan_import(school, parse_roster("a.csv", csv_text(without, contacts=1).encode()))
    (warning,) = plan.warnings
    assert warning.startswith(
        f"1 of the 3 pupils in this file will have no contacts (parents or carers) in saferstaff (line 3: "
        f"{pupils[1].preferred_forename or pupils[1].forename} {pupils[1].surname})"
    )


def test_success_message_counts_returning_pupils(cast, client_for):
    pupils = sample_pupils(3)
    do_import(cast.school, csv_text(pupils))
    do_import(cast.school, csv_text(pupils[:2]))  # the third leaves
    client = client_for(cast.head, confirmed=True)  # applying an import asks for the password again
    upload = io.BytesIO(csv_text(pupils).encode())
    upload.name = "pupils.csv"
    response = client.post(reverse("roster_upload", kwargs={"school": cast.school.slug}), {"file": upload})
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert (
        "Returning pupils" in preview and "consent requests cannot be sent for them" in preview
    )  # no contacts
    response = client.post(response["Location"], {"action": "apply"}, follow=True)
    assert "Import applied: 0 new, 0 updated, 1 returning, 0 marked as leaving." in response.content.decode()


def test_mass_leaving_warns(school):
    pupils = sample_pupils(20)
    do_import(school, csv_text(pupils))
    plan = plan_import(school, parse_roster("a.csv", csv_text(pupils[:5]).encode()))
    assert any("15 of the school's 20 current pupils" in w for w in plan.warnings)


def test_pupils_of_other_schools_are_untouched(school):
    other = School.objects.create(
        name="Moorside", slug="moorside", urn="100002", la_number="383", establishment_number="2002"
    )
    pupils = sample_pupils(3)
    do_import(other, csv_text(pupils, contacts=1))
    plan = do_import(school, csv_text(pupils[:1], contacts=1))
    assert plan.counts()["new"] == 1 and plan.counts()["leaving"] == 0 and plan.counts()["guardians_new"] == 1
    assert Pupil.objects.filter(school=other).count() == 3
    assert Pupil.objects.filter(upn=pupils[0].upn).count() == 2


def test_contacts_changed_removed_and_relinked(school):
    pupils = sample_pupils(2)
    do_import(school, csv_text(pupils, contacts=2), "a.csv")
    first = pupils[0]
    mum = Guardian.objects.get(guardianships__pupil__upn=first.upn, email=first.contacts[0].email)
    new_mum = changed(first.contacts[0], email="new.address@example.org")
    second_contact_pr_changed = changed(
        first.contacts[1], responsibility=not first.contacts[1].responsibility
    )
    edited = [changed(first, contacts=(new_mum, second_contact_pr_changed)), pupils[1]]
    plan = do_import(school, csv_text(edited, contacts=2), "a.csv")
    counts = plan.counts()
    # A new email, the same name, already this pupil's contact: the same person, their email updated.
    assert counts["guardians_new"] == 0 and counts["links_new"] == 0 and counts["links_removed"] == 0
    assert counts["guardians_updated"] == 1 and plan.guardians_updated[0].changes[0].field == "email"
    assert (
        counts["links_updated"] == 1 and plan.links_updated[0].changes[0].field == "parental_responsibility"
    )
    mum.refresh_from_db()
    assert mum.email == "new.address@example.org"
    assert mum.match_key == guardian_match_key(
        GuardianRecord(surname=new_mum.surname, forename=new_mum.forename, email=new_mum.email), None
    )
    assert Guardianship.objects.filter(pupil__upn=first.upn).count() == 2
    assert do_import(school, csv_text(edited, contacts=2), "a.csv").counts()["guardians_updated"] == 0

    # A new name is a new person, even with a known email (another adult of the household).
    renamed = changed(new_mum, forename="Someone", surname="Else")
    plan = do_import(school, csv_text([changed(first, contacts=(renamed, second_contact_pr_changed)), pupils[1]],
                                      contacts=2), "a.csv")  # fmt: skip
    assert (plan.counts()["guardians_new"], plan.counts()["links_new"], plan.counts()["links_removed"]) == (
        1,
        1,
        1,
    )

    only_dad = [changed(first, contacts=(second_contact_pr_changed,)), pupils[1]]
    plan = do_import(school, csv_text(only_dad, contacts=2), "a.csv")
    assert plan.counts()["links_removed"] == 1
    assert Guardianship.objects.filter(pupil__upn=first.upn).count() == 1


def test_a_contact_whose_email_changes_keeps_their_consent_and_both_children(school):
    """Siblings share a parent; the MIS has the parent's new email on both records. The parent stays one
    Guardian linked to both, and the consent they gave still counts."""
    from saferstaff.consent.models import Purpose
    from saferstaff.consent.services import Answer, record_answers
    from saferstaff.consent.states import state_of

    pupils = sample_pupils(3, siblings_every=2)[1:]  # the third shares the second's contacts
    do_import(school, csv_text(pupils, contacts=1), "a.csv")
    parent = Guardian.objects.get()
    assert parent.guardianships.count() == 2
    website = Purpose.objects.get(school=school, code="website")
    children = list(Pupil.objects.order_by("pk"))
    record_answers(school, [Answer(child, website, "yes") for child in children], source="guardian",
                   method="paper", guardian=parent)  # fmt: skip
    assert all(state_of(child, website).allowed for child in children)
    moved = [changed(p, contacts=(changed(p.contacts[0], email="moved@example.org"),)) for p in pupils]
    plan = do_import(school, csv_text(moved, contacts=1), "a.csv")
    assert (plan.counts()["guardians_new"], plan.counts()["guardians_updated"]) == (0, 1)
    assert Guardian.objects.get().pk == parent.pk and parent.guardianships.count() == 2
    assert all(state_of(child, website).allowed for child in children)


def test_a_file_without_contacts_leaves_contacts_alone(school):
    pupils = sample_pupils(2)
    do_import(school, csv_text(pupils, contacts=2))
    plan = do_import(school, csv_text(pupils, contacts=0))
    assert plan.counts()["links_removed"] == 0 and Guardianship.objects.count() == 4


def test_fields_a_format_does_not_carry_are_left_alone(school):
    pupils = sample_pupils(2)
    do_import(school, ctf_xml(pupils), "a.xml")
    Pupil.objects.filter(upn=pupils[0].upn).update(adult_at_risk=True)
    plan = do_import(school, ctf_xml(pupils), "a.xml")
    assert plan.counts()["updated"] == 0
    assert Pupil.objects.get(upn=pupils[0].upn).adult_at_risk is True


def test_plan_uses_a_constant_number_of_queries(school, django_assert_max_num_queries):
    small, large = sample_pupils(5, siblings_every=2), sample_pupils(200, siblings_every=2)
    do_import(school, ctf_xml(large[:100]), "a.xml")
    for pupils in (small, large):
        parsed = parse_roster("a.xml", ctf_xml(pupils).encode())
        with django_assert_max_num_queries(3):
            plan_import(school, parsed)


def test_apply_keeps_history_and_records_one_audit_event_with_counts_only(school):
    pupils = sample_pupils(5)
    do_import(school, ctf_xml(pupils), "a.xml")
    assert Pupil.history.filter(history_type="+").count() == 5
    assert Guardian.history.filter(history_type="+").count() == 10
    assert Guardianship.history.filter(history_type="+").count() == 10
    event = AuditEvent.objects.get(action="roster.applied")
    assert event.school_id == school.pk
    assert event.detail["new"] == 5 and event.detail["links_new"] == 10
    flat = str(event.detail)
    assert not any(p.forename in flat or p.upn in flat for p in pupils)


def test_apply_is_all_or_nothing(school, monkeypatch):
    pupils = sample_pupils(5)
    do_import(school, csv_text(pupils[:2], contacts=2))
    before = db_state()
    plan = plan_import(school, parse_roster("a.csv", csv_text(pupils[1:], contacts=2).encode()))

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("saferstaff.schools.rosters.plan.record", fail)
    with pytest.raises(RuntimeError):
        apply_plan(plan)
    assert db_state() == before
    assert Pupil.objects.current().count() == 2


def test_two_records_for_one_pupil_are_refused(school):
    temporary = make_temporary_upn(3)
    pupils = sample_pupils(2)
    do_import(school, ctf_xml([changed(pupils[0], upn=temporary)]), "a.xml")
    xml = ctf_xml([changed(pupils[0], upn=make_upn(600)), changed(pupils[1], upn=temporary)])
    xml = xml.replace("<BasicDetails>", f"<BasicDetails><FormerUPN>{temporary}</FormerUPN>", 1)
    with pytest.raises(RosterError) as error:
        plan_import(school, parse_roster("a.xml", xml.encode()))
    assert "is the same pupil in saferstaff as Pupil 1" in str(error.value.problems[0])


# --- Service: preview, apply, discard ---------------------------------------------------------------


def test_stage_then_apply(school, django_user_model):
    user = django_user_model.objects.create_user(email="office@school.example")
    pupils = sample_pupils(3)
    data = ctf_xml(pupils).encode()
    roster_import, plan = stage_upload(school, "ctf.xml", data, user)
    assert db_state()[:3] == (0, 0, 0)
    assert roster_import.status == RosterImport.Status.PREVIEWED
    assert bytes(roster_import.content) == data and len(roster_import.sha256) == 64
    assert roster_import.counts["new"] == 3 and roster_import.format == "ctf"
    assert [c.display_name for c in plan.new] == [
        f"{p.preferred_forename or p.forename} {p.surname}" for p in pupils
    ]
    assert preview_import(roster_import).counts() == plan.counts()

    counts = apply_import(roster_import, user)
    assert roster_import.status == RosterImport.Status.APPLIED  # the caller's object is brought up to date
    roster_import.refresh_from_db()
    assert roster_import.status == RosterImport.Status.APPLIED
    assert roster_import.content is None and roster_import.applied_at is not None
    assert roster_import.counts == counts and counts["new"] == 3
    assert Pupil.objects.count() == 3
    assert Pupil.history.first().history_user == user
    event = AuditEvent.objects.get(action="roster.applied")
    assert (event.object_type, event.object_id, event.actor_id) == (
        "schools.rosterimport",
        str(roster_import.pk),
        user.pk,
    )

    with pytest.raises(RosterError, match="already been applied"):
        apply_import(roster_import, user)
    assert Pupil.objects.count() == 3


def test_apply_replans_against_the_records_as_they_are_now(school):
    pupils = sample_pupils(3)
    roster_import, plan = stage_upload(school, "a.csv", csv_text(pupils).encode(), None)
    assert plan.counts()["new"] == 3
    do_import(school, csv_text(pupils[:1]))  # someone else imported one of them meanwhile
    counts = apply_import(roster_import, None)
    assert counts["new"] == 2 and counts["unchanged"] == 1
    assert Pupil.objects.count() == 3


def test_discard_forgets_the_file(school):
    roster_import, _ = stage_upload(school, "a.csv", csv_text(sample_pupils(2)).encode(), None)
    discard_import(roster_import, None)
    assert roster_import.status == RosterImport.Status.DISCARDED and roster_import.content is None
    with pytest.raises(RosterError, match="already been discarded"):
        apply_import(roster_import, None)
    assert Pupil.objects.count() == 0


def test_an_upload_nobody_applies_or_discards_is_discarded_after_seven_days(school):
    other = School.objects.create(
        name="Moorside", slug="moorside", urn="100002", la_number="383", establishment_number="2002"
    )
    old = [
        stage_upload(s, "a.csv", csv_text(sample_pupils(2)).encode(), None)[0]
        for s in (school, school, other)
    ]
    fresh, _ = stage_upload(school, "b.csv", csv_text(sample_pupils(3)).encode(), None)
    applied, _ = stage_upload(school, "c.csv", csv_text(sample_pupils(1)).encode(), None)
    apply_import(applied, None)
    eight_days_ago = timezone.now() - datetime.timedelta(days=8)
    RosterImport.objects.exclude(pk=fresh.pk).update(uploaded_at=eight_days_ago)
    out = io.StringIO()
    call_command("run_daily", stdout=out)
    assert "3 roster uploads discarded" in out.getvalue()
    for staged in old:
        staged.refresh_from_db()
        assert staged.status == RosterImport.Status.DISCARDED and staged.content is None
    fresh.refresh_from_db()
    applied.refresh_from_db()
    assert fresh.status == RosterImport.Status.PREVIEWED and fresh.content is not None
    assert applied.status == RosterImport.Status.APPLIED
    counts = dict(
        AuditEvent.objects.filter(action="roster.previews_expired").values_list("school_id", "detail")
    )
    assert counts == {school.pk: {"discarded": 2}, other.pk: {"discarded": 1}}
    with pytest.raises(RosterError, match="already been discarded"):
        apply_import(old[0], None)


# --- The command ------------------------------------------------------------------------------------


def test_command_imports_and_prints_counts(school, tmp_path):
    path = tmp_path / "export.xml"
    path.write_text(ctf_xml(sample_pupils(60)))
    out = io.StringIO()
    call_command("import_roster", "--school", "westfield", str(path), stdout=out)
    text = out.getvalue()
    assert "new: 60  updated: 0  returning: 0  leaving: 0  unchanged: 0  guardians new: 120" in text
    assert Pupil.objects.count() == 60
    roster_import = RosterImport.objects.get()
    assert roster_import.status == RosterImport.Status.APPLIED and roster_import.content is None

    out = io.StringIO()
    call_command("import_roster", "--school", "westfield", str(path), stdout=out)
    assert "new: 0  updated: 0  returning: 0  leaving: 0  unchanged: 60  guardians new: 0" in out.getvalue()


def test_command_dry_run_saves_nothing(school, tmp_path):
    path = tmp_path / "pupils.csv"
    path.write_text(csv_text(sample_pupils(3)))
    out = io.StringIO()
    call_command("import_roster", "--school", "westfield", "--dry-run", str(path), stdout=out)
    assert "new: 3" in out.getvalue() and "Dry run: nothing was saved." in out.getvalue()
    assert db_state() == (0, 0, 0, 0, 0, 0)


def test_command_bad_file_lists_problems_and_saves_nothing(school, tmp_path):
    pupils = sample_pupils(3)
    text = csv_text(pupils).replace(pupils[1].dob.strftime("%d/%m/%Y"), "31/02/2019")
    text = text.replace(pupils[2].upn, pupils[0].upn)
    path = tmp_path / "pupils.csv"
    path.write_text(text)
    err = io.StringIO()
    with pytest.raises(CommandError, match="2 problems found in pupils.csv; nothing was saved"):
        call_command("import_roster", "--school", "westfield", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("Line 3: date of birth '31/02/2019' is not a real date")
    assert lines[1].startswith(f"Line 4: UPN '{pupils[0].upn}' is also used by line 2")
    assert db_state() == (0, 0, 0, 0, 0, 0)


def test_command_exit_code_is_non_zero_on_bad_input(school, tmp_path, monkeypatch, capsys):
    # run_from_argv closes database connections when it finishes; keep the test's open.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    # execute_from_command_line calls django.setup() again, which would point the logging handlers at this
    # test's captured stderr (closed afterwards: "--- Logging error ---" in every later test). It is set up.
    monkeypatch.setattr("django.setup", lambda *args, **kwargs: None)
    path = tmp_path / "pupils.csv"
    path.write_text(csv_text(sample_pupils(2), headers={"dob": None}))
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["saferstaff", "import_roster", "--school", "westfield", str(path)])
    assert exit_info.value.code != 0
    assert "Column headers: there is no column for date of birth" in capsys.readouterr().err

    good = tmp_path / "good.csv"
    good.write_text(csv_text(sample_pupils(2)))
    execute_from_command_line(
        ["saferstaff", "import_roster", "--school", "westfield", str(good)]
    )  # no SystemExit
    assert Pupil.objects.count() == 2


def test_command_unknown_school(school, tmp_path):
    path = tmp_path / "pupils.csv"
    path.write_text(csv_text(sample_pupils(1)))
    with pytest.raises(CommandError, match="no school with the slug 'nowhere'"):
        call_command("import_roster", "--school", "nowhere", str(path))


@override_settings(ROSTER_MAX_BYTES=100)
def test_command_refuses_a_large_file_without_reading_it(school, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(csv_text(sample_pupils(10)))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_roster", "--school", "westfield", str(path), stderr=err)
    assert "larger than the 100 bytes" in err.getvalue()


# --- Values -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [("Year 3", "3"), ("Y3", "3"), ("yr 3", "3"), ("03", "3"), ("3", "3"), ("R", "R"), ("Reception", "R"),
     ("YR", "R"), ("N1", "N1"), ("Nursery 2", "N2"), ("Year 14", "14"), ("X", "X"), ("", "")],
)  # fmt: skip
def test_year_groups(value, expected):
    assert normalise_year_group(value) == expected


@pytest.mark.parametrize("value", ["Year 0", "15", "Nursery", "Form 3B"])
def test_year_groups_refused(value):
    with pytest.raises(ValueError, match="is not a year group"):
        normalise_year_group(value)


@pytest.mark.parametrize(
    "value, fragment",
    [("03/05/15", "two-digit year"), ("43521", "spreadsheet's date number"), ("05/31/2019", "no month 31"),
     ("29/02/2023", "February 2023 has no day 29"), ("tomorrow", "not a date saferstaff can read")],
)  # fmt: skip
def test_dates_refused_with_reason(value, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_date(value)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31)))
def test_any_real_date_reads_the_same_in_uk_and_iso_form(day):
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(f"{day.day}/{day.month}/{day.year}") == day
    assert parse_date(day.isoformat()) == day


@settings(max_examples=50)
@given(st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2024, 12, 31)), st.booleans())
def test_csv_dates_of_birth_round_trip(day, uk):
    written = day.strftime("%d/%m/%Y") if uk else day.isoformat()
    text = f"UPN,Forename,Surname,DOB\n{make_upn(1)},Ava,Khan,{written}\n"
    assert csv_mis.parse(text.encode()).pupils[0].date_of_birth == day


@given(st.integers(1900, 2099), st.integers(1, 12), st.integers(29, 31))
def test_day_past_the_end_of_the_month_is_never_rolled_over(year, month, day):
    try:
        real = datetime.date(year, month, day)
    except ValueError:
        with pytest.raises(ValueError, match="is not a real date"):
            parse_date(f"{day:02d}/{month:02d}/{year}")
    else:
        assert parse_date(f"{day:02d}/{month:02d}/{year}") == real


def test_parsers_never_touch_the_database(school, django_assert_num_queries):
    pupils = sample_pupils(5)
    with django_assert_num_queries(0):
        csv_mis.parse(csv_text(pupils, contacts=2).encode())
        ctf.parse(ctf_xml(pupils).encode())
        oneroster.parse(oneroster_users_csv(pupils).encode())
