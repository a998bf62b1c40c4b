"""§2 across a trust, in Chromium: the trust's admin opens every school's figures side by side from the trust's
page — on a phone without JavaScript (each school a block, every figure named) and on a desktop (one row per
school, one column per figure). Checked with axe-core; the phone page fits 390 px."""

import pytest
from playwright.sync_api import expect

from saferstaff.oversight.figures import FIGURES
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import fits, follow

pytestmark = pytest.mark.browser


def _open(page, sign_in, axe_check):
    sign_in(page, "trustadmin")  # a trust admin lands on the trust's page
    follow(page, axe_check, page.get_by_role("link", name="Schools side by side"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Schools side by side")


def test_the_trust_admin_sees_every_schools_figures_side_by_side(new_page, sign_in, axe_check, demo):
    from saferstaff.schools.models import School

    names = list(School.objects.filter(trust__isnull=False).values_list("name", flat=True))
    assert len(names) >= 2

    desk = new_page("trust admin, desktop")
    _open(desk, sign_in, axe_check)
    # Eleven columns scroll inside their own region, never the whole page.
    fits(desk, DESKTOP["width"])
    expect(desk.get_by_role("region", name="Figures by school")).to_be_visible()
    table = desk.get_by_role("table", name="Figures by school")
    headers = table.get_by_role("columnheader")
    expect(headers).to_have_count(2 + len(FIGURES))
    titles = headers.all_inner_texts()[2:]
    expect(table.get_by_role("row")).to_have_count(1 + len(names))
    for name in names:
        expect(table.get_by_role("link", name=name)).to_be_visible()
    # The thresholds are written on the page, behind a summary that works without JavaScript.
    desk.get_by_text("When a school needs help").click()
    expect(desk.locator(".govuk-details__text")).to_contain_text("acceptances asked of them")

    from django.core.cache import cache

    cache.clear()  # the authenticator code just used is remembered: the same person signs in again below
    phone = new_page(
        "trust admin, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    _open(phone, sign_in, axe_check)
    fits(phone)
    first = phone.get_by_role("row").nth(1)
    for title in titles:  # each figure's cell names its figure on a phone
        expect(first.locator(f'td[data-label="{title}"]')).to_have_count(1)
    for name in names:
        expect(phone.get_by_role("link", name=name)).to_be_visible()
