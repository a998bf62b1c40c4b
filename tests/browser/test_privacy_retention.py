"""Retention (§8, issue 16) clicked through in Chromium on the demo school: the DPO reads the one schedule and
changes a period on a phone without JavaScript (an error first, named beside its field); a pupil who left three
years ago is due; the DPO finds them by name and puts a legal hold on them, and the nightly sweep then skips
every record about them; the DPO confirms the notices due in bulk after confirming it is them, and reads the
certificates. Every page is checked with axe-core and fits a 390 px phone."""

import datetime
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.notifications.models import Notification
from saferstaff.privacy.models import DestructionCertificate, DueRecord, LegalHold
from saferstaff.privacy.sweep import sweep
from saferstaff.schools.models import Pupil, School
from tests.browser.conftest import PHONE
from tests.browser.support import confirm_it_is_you, fits, submit

pytestmark = pytest.mark.browser


def test_the_dpo_keeps_the_schedule_holds_a_leaver_and_destroys_what_is_due(
    new_page, sign_in, axe_check, demo
):
    school = School.objects.get(slug=demo.school_slug)
    leaver = Pupil.objects.filter(school=school).order_by("pk").first()
    Pupil.objects.filter(pk=leaver.pk).update(
        leaving_date=timezone.localdate() - datetime.timedelta(days=1100)
    )
    old = timezone.now() - datetime.timedelta(days=800)
    dpo_user = school.memberships.get(user__email=demo.email("dpo")).user
    for n in range(3):
        Notification.objects.create(
            school=school, user=dpo_user, kind="demo", title=f"Old notice {n}", created_at=old
        )

    # On a phone, without JavaScript: the schedule, and a period changed (an error first).
    phone = new_page("dpo, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "dpo")
    phone.goto(demo.url("privacy/retention/"))
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Retention schedule")
    expect(phone.locator("main")).to_contain_text("The guidance (§5): images are kept for about two years")
    phone.get_by_role("link", name="Change how long notifications are kept").click()
    axe_check(phone)
    phone.get_by_label("Keep for (months)").fill("6")
    submit(phone, "months")
    axe_check(phone)
    assert phone.title().startswith("Error: ")
    expect(phone.locator(".govuk-error-summary")).to_contain_text("Say why the school keeps it for this long")
    phone.get_by_label("Why the school keeps it for this long").fill("The trust's records policy")
    submit(phone, "months")
    axe_check(phone)
    expect(phone.locator("main")).to_contain_text("6 months from when it was taken or made")
    fits(phone)

    # The night: the leaver is due; then a hold on them, placed on the phone, takes them off the list.
    sweep()
    assert DueRecord.objects.filter(record_type="pupils", record_id=str(leaver.pk)).exists()
    phone.goto(demo.url("privacy/holds/add/"))
    axe_check(phone)
    fits(phone)
    phone.get_by_role("radio", name="Everything about a pupil").check()  # its questions show under it
    phone.get_by_label("Find a pupil").fill(leaver.legal_surname)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Find").click()
    axe_check(phone)
    phone.locator(f'input[name="pupil"][value="{leaver.pk}"]').check()
    phone.get_by_label("Why the records must be kept").fill("A claim from the family's solicitor")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Place the hold").click()
    axe_check(phone)
    fits(phone)
    expect(phone.locator("main")).to_contain_text("In force")
    assert LegalHold.objects.filter(pupil=leaver).exists()
    assert not DueRecord.objects.filter(record_type="pupils", record_id=str(leaver.pk)).exists()
    sweep()
    assert not DueRecord.objects.filter(record_type="pupils", record_id=str(leaver.pk)).exists()

    # On a desktop: the due list, grouped by kind; every notice due confirmed at once, after the password.
    desk = new_page("dpo, desktop")
    time.sleep(30 - time.time() % 30 + 1)  # a new authenticator code: a used one is refused
    sign_in(desk, "dpo")
    desk.goto(demo.url("privacy/due/"))
    axe_check(desk)
    expect(desk.get_by_role("heading", level=1)).to_have_text("Due for destruction")
    due = DueRecord.objects.filter(school=school, record_type="notifications").count()
    assert due >= 3
    desk.get_by_role("button", name=f"Destroy all {due} notifications").click()
    confirm_it_is_you(desk, axe_check, demo, "dpo", "destroying records")
    desk.get_by_role("button", name=f"Destroy all {due} notifications").click()
    axe_check(desk)
    expect(desk.locator(".govuk-notification-banner--success")).to_contain_text(f"Confirmed {due} records")
    assert not Notification.objects.filter(title__startswith="Old notice").exists()
    desk.goto(demo.url("privacy/destroyed/"))
    axe_check(desk)
    expect(desk.locator("main")).to_contain_text(f"{due} destroyed")
    assert DestructionCertificate.objects.filter(record_type="notifications").count() == due
