"""The termly governors' report (§2) in Chromium on the demo school: the Headteacher, on a phone without
JavaScript, makes this term's report from the menu; the chair of governors, on a desktop and at a phone's width,
opens the reports page from the menu and downloads the PDF: the bytes kept in the file storage when it was made,
whose hash is the one kept with them. Every page is checked with axe-core and fits a 390 px phone."""

import hashlib
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import PHONE
from tests.browser.support import fits, menu

pytestmark = pytest.mark.browser


def test_the_head_makes_the_report_and_the_chair_downloads_it(new_page, sign_in, axe_check, demo):
    from saferstaff.oversight.models import GovernorsReport

    phone = new_page("head, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "head")
    phone.goto(demo.url())
    with phone.expect_navigation():
        menu(phone, "Governors' reports").click()
    axe_check(phone)
    fits(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Governors' reports")
    expect(phone.locator("main")).to_contain_text("No report made yet.")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Make this term's report").click()
    axe_check(phone)
    fits(phone)
    expect(phone.locator(".govuk-notification-banner--success")).to_contain_text(
        "the chair of governors is told"
    )
    report = GovernorsReport.objects.get()
    term = report.context["term"]["label"]
    with report.pdf.open("rb") as handle:
        kept = handle.read()

    # The chair signs in once (a second sign-in within the same 30 seconds would reuse the authenticator's
    # code, which is refused): on a desktop first, then the same page at a phone's 390 px.
    page = new_page("chair of governors, desktop then phone width")
    sign_in(page, "governor")
    page.goto(demo.url())
    axe_check(page)
    with page.expect_navigation():
        menu(page, "Governors' reports").click()
    for width in ("desktop", "phone"):
        if width == "phone":
            page.set_viewport_size(PHONE)
            page.reload()
        axe_check(page)
        if width == "phone":
            fits(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Governors' reports")
        expect(page.get_by_role("button", name=re.compile("Make this term"))).to_have_count(0)
        with page.expect_download() as info:
            page.get_by_role("link", name=re.compile(rf"^Download the PDF\W+{term}$")).click()
        data = open(info.value.path(), "rb").read()
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == report.pdf_sha256
        assert data == kept
        first_page = " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())
        assert "Online safety: report to the governing body" in first_page and term in first_page
