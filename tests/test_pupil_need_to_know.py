"""§8 need to know: each person sees of a pupil only what their role needs, on every page that shows pupils
(README, "Who sees what of a pupil"); and a draft check is no way round it."""

import datetime

import pytest
from django.urls import reverse

from saferstaff.audit.models import AuditEvent
from saferstaff.audit.trail import Filters, events_for
from saferstaff.schools.access import EVERY_FIELD, pupil_fields
from saferstaff.schools.models import EmploymentType, Guardian, Pupil, Role
from saferstaff.schools.rosters.detect import parse_roster
from saferstaff.schools.rosters.plan import apply_plan, plan_import
from saferstaff.schools.rosters.service import stage_upload

from .conftest import make_person, signed_in
from .image_samples import pupil_with_parents
from .roster_samples import changed, csv_text, sample_pupils

# What each field looks like on a page, for a pupil made by ``pupil`` below.
UPN = "Y383210523001"
MARKERS = {
    "legal_name": ["Amelia"],  # she goes by Millie
    "date_of_birth": ["Jul 2011", "July 2011"],
    "upn": [UPN],
    "adult_at_risk": ["Adult at risk"],
    "guardians": ["Parent0"],
    "guardian_contacts": ["@home.example", "07700 900123"],
}
BASIC = {"name", "year_group", "photo_consent", "on_roll"}
# The matrix of README.md, written out again here so the code is checked against it.
EXPECTED = {
    "head": set(MARKERS) | BASIC,
    "dpo": set(MARKERS) | BASIC,
    "dsl": set(MARKERS) | BASIC,
    "office": BASIC | {"legal_name", "date_of_birth", "upn", "guardians", "guardian_contacts"},
    "slt": BASIC | {"upn", "guardians"},
    "line_manager": BASIC,
    "teacher": BASIC,
    "agency": BASIC,
    "contractor": BASIC,
    "volunteer": BASIC,
    "governor": set(),
}


@pytest.fixture
def pupil(cast):
    pupil, (mum,) = pupil_with_parents(
        cast.school, "Amelia", "Oakes", dob=datetime.date(2011, 7, 23), year="6"
    )
    Pupil.objects.filter(pk=pupil.pk).update(preferred_forename="Millie", upn=UPN, adult_at_risk=True)
    Guardian.objects.filter(pk=mum.pk).update(phone="07700 900123")
    return Pupil.objects.get(pk=pupil.pk)


def person(cast, who: str):
    if who == "agency":
        return make_person("ann.agency@school.example", cast.school, {Role.STAFF}, EmploymentType.AGENCY)
    if who == "contractor":
        return make_person(
            "cal.contractor@school.example", cast.school, {Role.STAFF}, EmploymentType.CONTRACTOR
        )
    return getattr(cast, who)


def pages(cast, pupil) -> dict[str, str]:
    s = cast.school.slug
    return {
        "pupil list": reverse("pupil_list", kwargs={"school": s}),
        "pupil page": reverse("pupil_detail", kwargs={"school": s, "pk": pupil.pk}),
        "consent register": reverse("consent_register", kwargs={"school": s}),
        "pupil's consent": reverse("pupil_consent", kwargs={"school": s, "pk": pupil.pk}),
    }


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_field_is_shown_only_to_those_who_need_it_on_every_page(cast, pupil, who):
    client = signed_in(person(cast, who))
    for page, url in pages(cast, pupil).items():
        response = client.get(url)
        if not EXPECTED[who]:
            assert response.status_code == 403, (who, page)
            continue
        html = response.content.decode()
        assert response.status_code == 200 and "Millie Oakes" in html, (who, page)
        for field, markers in MARKERS.items():
            if field not in EXPECTED[who]:
                assert not any(m in html for m in markers), f"{page} shows {field} to {who}"
    links = client.get(reverse("portal_links", kwargs={"school": cast.school.slug}))  # consent keepers only
    if links.status_code == 200:
        assert ("@home.example" in links.content.decode()) == ("guardian_contacts" in EXPECTED[who]), who
    if EXPECTED[who]:  # and the pupil's page shows all they may see
        html = client.get(pages(cast, pupil)["pupil page"]).content.decode()
        for field in EXPECTED[who] & set(MARKERS):
            assert any(m in html for m in MARKERS[field]), f"the pupil page hides {field} from {who}"


@pytest.mark.parametrize("who", sorted(set(EXPECTED) - {"governor"}))
def test_searching_by_upn_or_legal_name_finds_a_pupil_only_for_those_who_may_see_them(cast, pupil, who):
    client = signed_in(person(cast, who))
    for page in ("pupil list", "consent register"):
        for field, q in (("upn", UPN), ("legal_name", "Amelia")):
            html = client.get(pages(cast, pupil)[page], {"q": q}).content.decode()
            assert ("Millie Oakes" in html) == (field in EXPECTED[who]), (who, page, field)
        assert "Millie Oakes" in client.get(pages(cast, pupil)[page], {"q": "millie"}).content.decode()


README_ROWS = {
    "name they go by, year group, photo consent, on roll": BASIC,
    "legal name": {"legal_name"},
    "date of birth": {"date_of_birth"},
    "UPN": {"upn"},
    "adult at risk (§1.2)": {"adult_at_risk"},
    "guardians (name, relationship, parental responsibility)": {"guardians"},
    "guardians' email and phone": {"guardian_contacts"},
}
README_COLUMNS = {
    "Headteacher": [({Role.HEADTEACHER}, EmploymentType.EMPLOYEE)],
    "DPO": [({Role.DPO}, EmploymentType.CONTRACTOR)],
    "DSL": [({Role.DSL}, EmploymentType.EMPLOYEE)],
    "Office": [({Role.OFFICE, Role.STAFF}, EmploymentType.EMPLOYEE)],
    "Senior leader": [({Role.SENIOR_LEADER}, EmploymentType.EMPLOYEE)],
    "Line manager": [({Role.LINE_MANAGER}, EmploymentType.EMPLOYEE)],
    "Staff": [({Role.STAFF}, kind) for kind in EmploymentType.values if kind != EmploymentType.VOLUNTEER],
    # whatever role they were given
    "Volunteer": [
        ({Role.STAFF}, EmploymentType.VOLUNTEER),
        ({Role.OFFICE, Role.DSL}, EmploymentType.VOLUNTEER),
    ],
    "Governor": [({Role.GOVERNOR}, EmploymentType.VOLUNTEER), ({Role.GOVERNOR}, EmploymentType.EMPLOYEE)],
}


def test_the_table_in_the_readme_is_the_one_in_the_code():
    readme = open("README.md", encoding="utf-8").read()
    table = (
        readme.split("### Who sees what of a pupil (§8)", 1)[1].split("\n| field |", 1)[1].split("\n\n", 1)[0]
    )
    header, _rule, *rows = ("| field |" + table).splitlines()
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    assert set(columns) == set(README_COLUMNS) and len(rows) == len(README_ROWS)
    assert set().union(*README_ROWS.values()) == EVERY_FIELD
    for row in rows:
        label, *marks = [c.strip() for c in row.strip("|").split("|")]
        for column, mark in zip(columns, marks, strict=True):
            for roles, kind in README_COLUMNS[column]:
                shown = README_ROWS[label] <= pupil_fields(roles, kind)
                assert shown == (mark == "✓"), f"{label!r} for {column} ({kind}): README {mark}, code {shown}"


# --- §8 and §4: the draft check is not a roll lookup ------------------------------------------------------


@pytest.mark.parametrize("who, finds", [("governor", False), ("teacher", True), ("volunteer", True)])
def test_a_draft_check_names_no_pupil_to_someone_who_may_not_see_pupils(cast, pupil, who, finds):
    client = signed_in(person(cast, who))
    draft = "So proud of Amelia Oakes today"
    api = reverse("draft_check_api", kwargs={"school": cast.school.slug})
    body = client.post(api, {"text": draft}, content_type="application/json").json()
    assert any(f["kind"] == "pupil" for f in body["findings"]) is finds
    page = reverse("draft_check", kwargs={"school": cast.school.slug})
    html = client.post(page, {"text": draft, "form": "post"}).content.decode()
    assert ("Names a pupil" in html) is finds
    # a made-up name is never a pupil, for anyone: what the governor sees tells nothing about the roll
    body = client.post(
        api, {"text": "So proud of Zebedee Quill today"}, content_type="application/json"
    ).json()
    assert not any(f["kind"] == "pupil" for f in body["findings"])


def test_those_who_see_pupil_fields_are_those_the_access_map_lets_open_pupil_pages():
    from saferstaff.access import ACCESS_MAP, WORKS_WITH_PUPILS
    from saferstaff.schools.access import NAME, PUPIL_FIELDS

    assert set(PUPIL_FIELDS) == set(Role.values), "give every role its pupil fields in PUPIL_FIELDS"
    assert {role for role, fields in PUPIL_FIELDS.items() if NAME in fields} == WORKS_WITH_PUPILS
    assert ACCESS_MAP["pupil_list"] == ACCESS_MAP["pupil_detail"] == WORKS_WITH_PUPILS


# --- The roster import preview (§8): each changed detail only to those who may see it -------------------


def _preview_of_forged_birth_dates(cast):
    """The school's pupils, then an upload of their UPNs with a made-up date of birth and a new year group."""
    pupils = sample_pupils(2, contacts=0)
    apply_plan(plan_import(cast.school, parse_roster("a.csv", csv_text(pupils).encode())))
    forged = [changed(p, dob=datetime.date(2000, 1, 1), year="4") for p in pupils]
    staged, _plan = stage_upload(cast.school, "b.csv", csv_text(forged).encode(), cast.head)
    url = reverse("roster_preview", kwargs={"school": cast.school.slug, "pk": staged.pk})
    return url, list(Pupil.objects.filter(school=cast.school).order_by("pk"))


@pytest.mark.parametrize("who", ["head", "dpo"])
def test_the_roster_preview_shows_every_change_to_those_who_see_every_field(cast, who):
    url, pupils = _preview_of_forged_birth_dates(cast)
    page = signed_in(getattr(cast, who)).get(url).content.decode()
    assert page.count("Date of birth:") == 2 and page.count("Year group:") == 2
    assert "other detail" not in page and pupils[0].display_name in page


def test_the_roster_preview_hides_changes_a_senior_leader_may_not_see_and_counts_them(cast):
    url, pupils = _preview_of_forged_birth_dates(cast)
    last = AuditEvent.objects.order_by("-pk").first().pk
    response = signed_in(cast.slt).get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Date of birth" not in page and "2000" not in page
    assert page.count("Year group:") == 2 and page.count("1 other detail changes") == 2
    assert pupils[0].display_name in page and pupils[0].upn in page
    (row,) = AuditEvent.objects.filter(pk__gt=last)
    assert (row.action, row.actor_id, row.school_id) == ("roster.previewed", cast.slt.pk, cast.school.pk)
    assert row.detail == {"pupils": [p.pk for p in pupils]}
    # The audit trail of either pupil finds the preview that showed them.
    found = events_for(cast.school, Filters(record_type="schools.pupil", record_id=str(pupils[1].pk)))
    assert row in found


def test_a_trust_admin_sees_only_the_numbers_of_a_roster_preview(cast):
    url, pupils = _preview_of_forged_birth_dates(cast)
    last = AuditEvent.objects.order_by("-pk").first().pk
    response = signed_in(cast.trust_admin).get(url)
    page = response.content.decode()
    assert response.status_code == 200 and "Check what will change" in page
    assert "Date of birth:" not in page and "Year group:" not in page and "2000" not in page
    assert all(p.upn not in page for p in pupils)
    assert "only the numbers are shown (§8)" in page
    (row,) = AuditEvent.objects.filter(pk__gt=last)
    assert (row.action, row.detail) == ("roster.previewed", {"pupils": []})
