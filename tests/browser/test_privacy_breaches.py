"""§8 in the browser: a teacher on a 390 px phone, with JavaScript off, reports "a report sent to the wrong
parent" from the Data protection page, aware at 17:00 on the Friday before the clocks went forward (27 March
2026), and sees the deadline Monday 18:00 BST; the DPO on a desktop finds it first in the breach log, decides
and records the ICO's reference; the DSL logs a disclosure by hand; the DPO exports the DPIA. Every page is
checked with axe."""

import pytest
from playwright.sync_api import expect

from saferstaff.privacy import records
from saferstaff.privacy.models import Breach, Export, Sharing
from saferstaff.schools.models import School, SchoolSettings
from saferstaff.schools.roles import Actor
from tests.browser.conftest import PHONE
from tests.browser.support import fits, follow, summary_value

pytestmark = [pytest.mark.browser]


def test_a_breach_reported_on_a_phone_is_decided_by_the_dpo(new_page, sign_in, axe_check, demo):
    phone = new_page("teacher, phone, no JS", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "teacher")
    phone.goto(demo.url("privacy/"))
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_text("a report emailed to the wrong parent")).to_be_visible()
    follow(phone, axe_check, phone.get_by_role("button", name="Report a data breach"))
    fits(phone)
    # An error first: nothing said about what happened.
    follow(phone, axe_check, phone.get_by_role("button", name="Report the breach"))
    expect(phone.locator(".govuk-error-summary")).to_contain_text("What happened?")
    phone.get_by_label("What happened?").fill("Year 4 report for one pupil emailed to the wrong parent.")
    phone.get_by_label("When did you (or the school) find out?").fill("2026-03-27T17:00")
    phone.get_by_label("How many people's data? (optional)").fill("1")
    phone.get_by_label("Education records, reports or assessments").check()
    phone.get_by_label("What has been done about it so far? (optional)").fill("The parent deleted it.")
    follow(phone, axe_check, phone.get_by_role("button", name="Report the breach"))
    fits(phone)
    breach = Breach.objects.get(what__startswith="Year 4 report")
    assert phone.url.endswith(demo.url(f"privacy/breaches/{breach.pk}/"))
    expect(summary_value(phone, "Tell the ICO by")).to_have_text("Mon 30 Mar 2026, 18:00 (BST)")
    expect(summary_value(phone, "Status")).to_have_text("Being looked at")

    desk = new_page("dpo, desktop")
    sign_in(desk, "dpo")
    desk.goto(demo.url("privacy/"))
    axe_check(desk)
    follow(desk, axe_check, desk.get_by_role("link", name="Breach log"))
    expect(desk.get_by_text("Overdue by")).to_be_visible()
    follow(desk, axe_check, desk.get_by_role("link", name="Open").first)
    desk.get_by_label("Do not report to the ICO").check()
    follow(desk, axe_check, desk.get_by_role("button", name="Record the decision"))
    expect(desk.locator(".govuk-error-summary")).to_contain_text("Why")
    desk.get_by_label("Report to the ICO", exact=True).check()
    desk.get_by_label("Why", exact=True).fill("A pupil's assessment: a risk to the family")
    follow(desk, axe_check, desk.get_by_role("button", name="Record the decision"))
    expect(summary_value(desk, "Decision")).to_contain_text("After the 72 hours")
    desk.get_by_label("Reported to the ICO at").fill("2026-12-01T09:30")
    desk.get_by_label("ICO reference").fill("IC-2026-0042")
    follow(desk, axe_check, desk.get_by_role("button", name="Record the report"))
    expect(summary_value(desk, "Reported to the ICO")).to_contain_text("IC-2026-0042")
    breach.refresh_from_db()
    assert (breach.decision, breach.ico_reference) == ("report", "IC-2026-0042")

    # The DPIA: a page, then a PDF export kept for the next "what changed".
    desk.goto(demo.url("privacy/"))
    axe_check(desk)
    follow(desk, axe_check, desk.get_by_role("link", name="DPIA: biometric face matching"))
    expect(desk.get_by_text("Not exported yet.")).to_be_visible()
    with desk.expect_download():
        desk.get_by_role("button", name="Export as PDF").click()
    assert Export.objects.filter(kind="dpia").count() == 1


def test_the_dsl_logs_a_disclosure_on_a_phone(new_page, sign_in, axe_check, demo):
    phone = new_page("dsl, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "dsl")
    phone.goto(demo.url("privacy/sharing/"))
    axe_check(phone)
    fits(phone)
    follow(phone, axe_check, phone.get_by_role("link", name="Log a disclosure"))
    fits(phone)
    phone.get_by_label("To whom").fill("PC Ahmed")
    phone.get_by_label("Their organisation").fill("Police")
    phone.get_by_label("What data").fill("The pupil's name and the screenshots")
    phone.get_by_label("Lawful basis").select_option("public_task")
    phone.get_by_label("Why it was needed").fill("A crime report about messages sent to the pupil")
    phone.get_by_label("How it was sent").select_option("secure_email")
    phone.get_by_label("Who approved it").select_option(index=1)
    follow(phone, axe_check, phone.get_by_role("button", name="Log it"))
    fits(phone)
    entry = Sharing.objects.get(recipient="PC Ahmed")
    assert entry.status == "logged" and phone.url.endswith(demo.url(f"privacy/sharing/{entry.pk}/"))


def test_the_records_of_processing_and_the_dpia_fit_a_phone_and_show_what_changed(
    new_page, sign_in, axe_check, demo
):
    phone = new_page("dpo, phone, no JS", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "dpo")
    phone.goto(demo.url("privacy/"))
    axe_check(phone)
    follow(phone, axe_check, phone.get_by_role("link", name="Record of processing activities"))
    fits(phone)
    expect(phone.get_by_role("heading", name="Processors")).to_be_visible()
    phone.goto(demo.url("privacy/dpia/"))
    axe_check(phone)
    fits(phone)
    school = School.objects.get(slug=demo.school_slug)
    dpo = school.memberships.get(user__email=demo.email("dpo")).user
    records.export(Actor.of(dpo, school), "dpia")  # the PDF's own door (the first test downloads one)
    SchoolSettings.objects.filter(school=school).update(face_auto_threshold=0.9)
    phone.reload()
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_role("cell", name="The processing › Automatic match threshold")).to_be_visible()
    expect(phone.get_by_role("cell", name="0.90")).to_be_visible()
