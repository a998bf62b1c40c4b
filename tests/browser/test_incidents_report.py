"""§9 in the browser: a teacher on a 390 px phone reports a parent's abusive posts with three screenshots and
the page the posts are on (served by a local test server and captured by the worker); the designated
safeguarding lead is emailed (a real SMTP server) with no content, and on a desktop reads who handled each
item and downloads one, its hash checked (an altered one is refused). Without JavaScript the teacher finds the
report on My reports, adds evidence, and the allegation form shows its errors. Every page is checked with axe."""

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from saferstaff.incidents.models import Capture, Case, Evidence
from saferstaff.notifications.models import Notification
from tests.browser.conftest import PHONE
from tests.browser.support import fits, follow, menu
from tests.browser.test_images_walkthrough import mailbox  # noqa: F401  (a real SMTP server)
from tests.test_fetching import site  # noqa: F401  (the loopback page server)

pytestmark = [pytest.mark.browser, pytest.mark.smtp]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def screenshot(n: int) -> dict:
    return {"name": f"post-{n}.png", "mimeType": "image/png", "buffer": PNG + bytes([n])}


def test_a_teacher_reports_a_parents_posts_and_the_dsl_is_told(
    new_page,
    sign_in,
    axe_check,
    demo,
    mailbox,  # noqa: F811
    site,  # noqa: F811
    settings,
):
    settings.CAPTURE_ALLOW_LOOPBACK = True  # the page server is on loopback

    phone = new_page("teacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "teacher")
    phone.goto(demo.url())
    axe_check(phone)
    phone.get_by_role("button", name="Menu").click()
    follow(phone, axe_check, menu(phone, "Incidents"))
    fits(phone)
    expect(phone.get_by_role("heading", level=1)).to_have_text("My reports")
    follow(phone, axe_check, phone.get_by_role("link", name="Report an incident"))
    fits(phone)
    expect(phone.get_by_text("Do not retaliate or reply")).to_be_visible()
    expect(phone.get_by_text("Education Support Partnership")).to_be_visible()
    phone.get_by_label("Cyberbullying or harassment of me or a colleague").check()
    phone.get_by_label("Parents or carers").check()
    phone.get_by_label("Social media").check()
    phone.get_by_label("What happened?").fill("A parent has posted about me every night this week.")
    phone.get_by_label("It was aimed at me").check()
    phone.get_by_label("Someone outside school (optional)").fill("A parent, posting as @angry_parent")
    phone.get_by_label("Screenshots, saved emails").set_input_files([screenshot(n) for n in range(3)])
    phone.get_by_label("The address of a web page to capture").fill(site + "/ok")
    follow(phone, axe_check, phone.get_by_role("button", name="Send the report"), timeout=30_000)

    case = Case.objects.get(what_happened__startswith="A parent has posted")
    assert phone.url.endswith(
        demo.url(f"incidents/cases/{case.pk}/")
    )  # the case page, as its reporter sees it
    assert case.evidence.filter(kind=Evidence.Kind.FILE).count() == 3
    capture = Capture.objects.get(case=case)
    assert capture.state == Capture.State.KEPT and capture.evidence.extension == "warc"
    assert case.evidence.filter(
        kind=Evidence.Kind.PAGE, extension="png"
    ).exists()  # its picture, drawn offline
    assert case.involved.filter(outsider="A parent, posting as @angry_parent", role="alleged").exists()
    alert = Notification.objects.get(
        user__email=demo.email("dsl"), kind="incidents.reported", url__endswith=f"/incidents/cases/{case.pk}/"
    )  # the demo's own report told the DSL too
    assert str(case.pk) in alert.title
    mail = mailbox.wait_until(
        lambda got: next((m for m in got if f"/notifications/{alert.pk}/" in m.body), None), "of the report"
    )
    assert mail.recipients == [demo.email("dsl")]
    assert "angry" not in mail.body and "posted" not in mail.body  # no content in an alert (§9)

    # The DSL, on a desktop: who handled an item, and a download whose hash is checked first.
    item = case.evidence.filter(kind=Evidence.Kind.FILE).order_by("pk").first()
    desk = new_page("dsl, desktop")
    sign_in(desk, "dsl")
    desk.goto(demo.url(f"incidents/evidence/{item.pk}/custody/"))
    axe_check(desk)
    expect(desk.get_by_role("cell", name="Tom Ackroyd")).to_be_visible()
    expect(desk.get_by_text(item.sha256)).to_be_visible()
    with desk.expect_download() as download:
        desk.get_by_role("link", name=f"Download evidence {item.pk}").click()
    assert download.value.suggested_filename == f"case-{case.pk}-evidence-{item.pk}.png"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == PNG + bytes([0])
    desk.reload()
    axe_check(desk)
    expect(desk.get_by_role("cell", name="Opened (downloaded), hash checked")).to_be_visible()
    altered = case.evidence.filter(kind=Evidence.Kind.FILE).order_by("pk").last()
    with default_storage.open(altered.stored.name, "wb") as handle:  # changed behind saferstaff's back
        handle.write(b"not what was received")
    response = desk.goto(demo.url(f"incidents/evidence/{altered.pk}/"))
    axe_check(desk)
    assert response.status == 409
    expect(desk.get_by_role("heading", level=1)).to_have_text("This evidence cannot be opened")
    desk.goto(demo.url(f"incidents/evidence/{item.pk}/seal/"))
    axe_check(desk)
    follow(desk, axe_check, desk.get_by_role("button", name="Seal it from view"))
    expect(desk.locator(".govuk-error-summary")).to_contain_text("Say why it is sealed")

    # The teacher, on a phone without JavaScript: My reports, more evidence, and the allegation form.
    plain = new_page(
        "teacher, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    sign_in(plain, "teacher")
    plain.goto(demo.url("incidents/"))
    axe_check(plain)
    fits(plain)
    expect(plain.get_by_role("link", name=f"Case {case.pk}", exact=True)).to_be_visible()
    follow(plain, axe_check, plain.get_by_role("link", name=f"Add evidence to case {case.pk}"))
    fits(plain)
    follow(plain, axe_check, plain.get_by_role("button", name="Add the evidence"))
    expect(plain.locator(".govuk-error-summary")).to_contain_text("Choose a file")
    fits(plain)
    plain.get_by_label("Screenshots, saved emails").set_input_files([screenshot(9)])
    follow(plain, axe_check, plain.get_by_role("button", name="Add the evidence"))
    assert case.evidence.filter(kind=Evidence.Kind.FILE).count() == 4
    plain.goto(demo.url("incidents/allegation/"))
    axe_check(plain)
    fits(plain)
    expect(plain.get_by_text("will never see it")).to_be_visible()
    follow(plain, axe_check, plain.get_by_role("button", name="Send the allegation"))
    expect(plain.locator(".govuk-error-summary")).to_contain_text("Choose who it is about")
    fits(plain)
