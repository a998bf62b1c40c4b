"""The chronology, trends and closure days (§9, KCSIE Part 4) clicked through in Chromium on the demo school: the
DSL reads a case's chronology on a desktop and downloads its signed PDF after confirming their password; the
Headteacher reads it on a phone; the chair of governors reads the trends (numbers only) on a phone; the school
office, with JavaScript off, adds a closure day (an error first, named beside its field) and removes it. Every page
is checked with axe-core."""

import datetime
import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.clocks import next_working_day
from saferstaff.incidents import services
from saferstaff.incidents.models import Case
from saferstaff.schools.models import ClosureDay, School
from saferstaff.schools.roles import Actor
from tests.browser.conftest import PHONE
from tests.browser.support import page_width, submit

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x07" * 80


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "signing" / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = tmp_path / "signing" / "cert.pem"


def _case(demo) -> Case:
    school = School.objects.get(slug=demo.school_slug)
    teacher = Actor.of(User.objects.get(email=demo.email("teacher")), school)
    dsl = Actor.of(User.objects.get(email=demo.email("dsl")), school)
    case = services.report(
        teacher, kind=Case.Kind.BULLYING_OF_STAFF, happened_on=timezone.localdate(), by_whom="parents",
        channel="social", what_happened="A parent posted abusive comments about me on the school's page",
    )  # fmt: skip
    for n in range(2):
        services.add_evidence(teacher, case, name=f"screenshot-{n}.png", data=PNG + bytes([n]))
    services.triage(dsl, case, risk="medium")
    services.record_contact(dsl, case, kind="police", made_at=timezone.now(), with_whom="West Yorkshire Police",
                            reference="13/123456/26")  # fmt: skip
    services.write_note(dsl, case, text="Support offered; the teacher will keep screenshots of anything new")
    return case


def test_the_dsl_reads_and_exports_a_chronology_and_governors_see_numbers_only(
    new_page, sign_in, axe_check, demo, settings
):
    case = _case(demo)
    url = demo.url(f"incidents/cases/{case.pk}/chronology/")
    desk = new_page("DSL, desktop")
    sign_in(desk, "dsl")
    desk.goto(url)
    axe_check(desk)
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"Chronology of case {case.pk}")
    main = desk.locator("main")
    for item in case.evidence.all():
        expect(main).to_contain_text(item.sha256)
    expect(main).to_contain_text("13/123456/26")
    desk.get_by_role("link", name=f"Download the signed PDF of the chronology of case {case.pk}").click()
    axe_check(desk)  # confirm who you are first
    expect(desk.locator("main")).to_contain_text("downloading a case's chronology")
    desk.locator('input[name="password"]').fill(demo.password("dsl"))
    with desk.expect_download() as info:
        desk.locator("form", has=desk.locator('input[name="password"]')).locator(
            'button[type="submit"]'
        ).click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    trust = ValidationContext(trust_roots=[load_cert_from_pemder(str(settings.EVIDENCE_SIGNING_CERT))])
    # Playwright's event loop runs in this thread; pyHanko's validator runs its own, so in another thread.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(validate_pdf_signature, signature, trust).result().bottom_line

    phone = new_page("Headteacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "head")  # a designated person too (the DSL's one-time code is spent for 30 seconds)
    phone.goto(url)
    axe_check(phone)
    assert page_width(phone) <= PHONE["width"], f"the chronology is {page_width(phone)}px wide on a phone"

    chair = new_page("chair of governors, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(chair, "governor")
    chair.goto(demo.url("incidents/trends/"))
    axe_check(chair)
    expect(chair.get_by_role("heading", level=1)).to_have_text("Incident trends")
    expect(chair.locator("main")).to_contain_text("fewer than 3")
    expect(chair.locator("main")).not_to_contain_text("abusive comments")
    assert page_width(chair) <= PHONE["width"], f"the trends are {page_width(chair)}px wide on a phone"
    response = chair.goto(url)  # a case the chair does not manage: not found
    axe_check(chair)
    assert response.status == 404


def test_the_office_keeps_the_closure_days_without_javascript(new_page, sign_in, axe_check, demo):
    office = new_page("office, no JavaScript", java_script_enabled=False)
    sign_in(office, "office")
    office.goto(demo.url("settings/closures/"))
    axe_check(office)
    expect(office.get_by_role("heading", level=1)).to_have_text("Closure days")
    day = next_working_day(timezone.localdate() + datetime.timedelta(days=1))
    office.get_by_label("Day the school is closed").fill(day.isoformat())
    submit(office, "reason")
    axe_check(office)
    assert office.title().startswith("Error: ")
    expect(office.locator(".govuk-error-summary")).to_contain_text("Why is the school closed?: Say why")
    office.get_by_label("Why is the school closed?").fill("INSET day")
    submit(office, "reason")
    axe_check(office)
    expect(office.locator(".govuk-notification-banner--success")).to_contain_text("is a closure day")
    assert ClosureDay.objects.filter(day=day, reason="INSET day").exists()
    with office.expect_navigation():
        office.get_by_role("button", name=f"Remove {day:%-d %B %Y}").click()
    axe_check(office)
    assert not ClosureDay.objects.filter(day=day).exists()
