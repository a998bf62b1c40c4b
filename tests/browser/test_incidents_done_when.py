"""Issue 15's "Done when", walked in Chromium as one story through the pages, the way new users would (§9, KCSIE
Part 4). A teacher reports a parent's abusive posts from a phone with three screenshots (real PNGs) and the page
the posts are on (served by a local test server; the live server's worker may fetch loopback because the test
sets ``CAPTURE_ALLOW_LOOPBACK`` — the live server runs in this process, so the setting reaches it). The DSL gets
the email (a real SMTP server), follows its link, triages, records the platform report, the police crime
reference and the support offered, and closes with a reason (refused without one first, beside the field). The
chronology lists each item's SHA-256; its signed PDF lists them too and its signature verifies (pyHanko). A
download re-verifies the hash: a stored file altered behind saferstaff's back is refused with a clear page, and
``manage.py verify_evidence`` names it. The school office, on a phone with JavaScript off, tries what a busy
office would — an empty report, a 51 MB file, a private address to capture, a forged case id — and each error
names its field; then it reports. An allegation about the Headteacher, made at 16:00 on the Friday before the
late-May bank holiday, reaches only the chair of governors, whose page shows the LADO referral due on the
Tuesday; the Headteacher and the DSL get "page not found". Every page is checked with axe; phone pages fit 390 px.

Only time is arranged from the test (the reporting door's clock, for the allegation); everything else is done
by clicking."""

import datetime
import io
import re
import subprocess
import types
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.incidents import services
from saferstaff.incidents.models import Capture, Case, Contact, Evidence
from tests.browser.conftest import PHONE
from tests.browser.support import fits, follow, menu, success
from tests.browser.test_images_walkthrough import mailbox  # noqa: F401  (a real SMTP server)
from tests.test_fetching import site  # noqa: F401  (the loopback page server)

pytestmark = [pytest.mark.browser, pytest.mark.smtp]

UK = ZoneInfo("Europe/London")
POSTS = "Mr Ackroyd's parent has posted about him on the class page every night this week, calling him a liar"


def errors(page) -> str:
    return page.locator(".govuk-error-summary").inner_text()


def named_errors(page) -> dict[str, str]:
    """Each link of the error summary: its words, and the id of the field it points at (which must exist)."""
    found = {}
    for link in page.locator(".govuk-error-summary a").all():
        target = link.get_attribute("href")
        assert target and target.startswith("#"), f"an error that names no field: {link.inner_text()!r}"
        assert page.locator(f"[id='{target[1:]}']").count() == 1, f"{target} points at nothing"
        found[target[1:]] = link.inner_text()
    return found


def screenshot_png(n: int) -> bytes:
    """A real PNG, as a phone's screenshot would be (small, but decodable), different for each ``n``."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (390, 200), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10 + 20 * n, 380, 60 + 20 * n), fill=(30 * n, 80, 160))
    draw.text((20, 20 + 20 * n), f"Post {n + 1}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def pdf_text(data: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return done.stdout.decode()


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "signing" / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = tmp_path / "signing" / "cert.pem"


def test_a_teachers_report_from_the_phone_to_a_closed_case_and_its_signed_chronology(
    new_page,
    sign_in,
    axe_check,
    demo,
    mailbox,  # noqa: F811
    site,  # noqa: F811
    settings,
):
    settings.CAPTURE_ALLOW_LOOPBACK = True  # the page server is on loopback (this test only)
    shots = [screenshot_png(n) for n in range(3)]

    # The teacher, on a phone: Overview, the menu, My reports, Report an incident.
    phone = new_page("teacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "teacher")
    phone.goto(demo.url())
    axe_check(phone)
    phone.get_by_role("button", name="Menu").click()
    follow(phone, axe_check, menu(phone, "Incidents"))
    fits(phone)
    follow(phone, axe_check, phone.get_by_role("link", name="Report an incident"))
    fits(phone)
    main = phone.locator("main")
    for advice in (
        "Do not retaliate",
        "Keep the evidence",
        "Report it promptly",
        "Education Support Partnership",
    ):
        expect(main).to_contain_text(advice)
    phone.get_by_label("Cyberbullying or harassment of me or a colleague").check()
    phone.get_by_label("Parents or carers").check()
    phone.get_by_label("Social media").check()
    phone.get_by_label("What happened?").fill(POSTS)
    phone.get_by_label("It was aimed at me").check()
    phone.get_by_label("Someone outside school (optional)").fill(
        "A parent in Year 4, posting as @angry_parent"
    )
    phone.get_by_label("Screenshots, saved emails").set_input_files(
        [
            {"name": f"post-{n + 1}.png", "mimeType": "image/png", "buffer": data}
            for n, data in enumerate(shots)
        ]
    )
    phone.get_by_label("The address of a web page to capture").fill(site + "/ok")
    follow(phone, axe_check, phone.get_by_role("button", name="Send the report"), timeout=60_000)
    fits(phone)
    case = Case.objects.get(what_happened=POSTS)
    expect(success(phone)).to_contain_text(f"Your report is case {case.pk}")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your report")
    for n in range(3):
        expect(phone.get_by_role("link", name=f"post-{n + 1}.png")).to_be_visible()
    files = list(case.evidence.filter(kind=Evidence.Kind.FILE).order_by("pk"))
    assert [item.content_type for item in files] == ["image/png"] * 3
    assert Capture.objects.get(case=case).state == Capture.State.KEPT
    expect(phone.locator("main")).to_contain_text(
        f"{site}/ok — Captured and kept"
    )  # the reporter reads it too

    # The DSL's email: a real SMTP message with no content; its link leads to the case.
    mail = mailbox.wait_for(demo.email("dsl"))
    for secret in ("angry", "liar", "Ackroyd", "posted"):
        assert secret not in mail.message.as_string(), f"{secret!r} must not be in the DSL's email"
    link = re.search(r"https?://\S+/notifications/\d+/", mail.body).group(0)

    desk = new_page("DSL, desktop")
    sign_in(desk, "dsl")
    desk.goto(link)
    axe_check(desk)
    assert desk.url.endswith(demo.url(f"incidents/cases/{case.pk}/")), desk.url
    expect(desk.locator("main")).to_contain_text(POSTS)
    expect(desk.locator("main")).to_contain_text("A parent in Year 4, posting as @angry_parent")

    # Triage.
    follow(desk, axe_check, desk.get_by_role("link", name="Triage the case"))
    desk.get_by_label("High").check()
    desk.get_by_label("Who is handling it").select_option(
        label="Dawn Sutcliffe, Designated Safeguarding Lead"
    )
    follow(desk, axe_check, desk.get_by_role("button", name="Save the triage"))
    expect(success(desk)).to_contain_text("The case is triaged")

    # The platform report, the police report and the support offered.
    follow(desk, axe_check, desk.get_by_role("link", name="Reported to the platform"))
    desk.get_by_label("Which platform").fill("Facebook")
    desk.get_by_label("The platform's reference").fill("FB-55501")
    desk.get_by_label("What was reported").fill("Three posts on the class page, reported as harassment")
    follow(desk, axe_check, desk.get_by_role("button", name="Record it"))
    expect(success(desk)).to_contain_text("Recorded: reported to the platform")
    follow(desk, axe_check, desk.get_by_role("link", name="Reported to the police"))
    desk.get_by_label("Police force").fill("West Yorkshire Police")
    desk.get_by_label("Crime reference number").fill("13/998877/26")
    follow(desk, axe_check, desk.get_by_role("button", name="Record it"))
    follow(desk, axe_check, desk.get_by_role("link", name="Support offered to the person targeted"))
    desk.get_by_label("Support offered by").fill("Dawn Sutcliffe, DSL")
    desk.get_by_label("What was offered, and whether it was taken up").fill(
        "Time out of class, and the Education Support Partnership's helpline; taken up"
    )
    follow(desk, axe_check, desk.get_by_role("button", name="Record it"))
    assert set(case.contacts.values_list("kind", flat=True)) == {
        Contact.Kind.PLATFORM,
        Contact.Kind.POLICE,
        Contact.Kind.SUPPORT,
    }
    for words in ("FB-55501", "13/998877/26", "taken up"):
        expect(desk.locator("main")).to_contain_text(words)

    # A download re-verifies the hash.
    with desk.expect_download() as download:
        desk.get_by_role("link", name="post-1.png", exact=True).click()
    assert download.value.suggested_filename == f"case-{case.pk}-evidence-{files[0].pk}.png"
    assert open(download.value.path(), "rb").read() == shots[0]

    # The chronology: every item's hash; the signed PDF lists them too, and its signature verifies.
    follow(desk, axe_check, desk.get_by_role("link", name="Chronology", exact=True))
    items = list(case.evidence.order_by("pk"))
    assert len(items) >= 4  # three screenshots and the captured page (and its picture)
    for item in items:
        expect(desk.locator("main")).to_contain_text(item.sha256)
    follow(
        desk,
        axe_check,
        desk.get_by_role("link", name=f"Download the signed PDF of the chronology of case {case.pk}"),
    )
    desk.locator('input[name="password"]').fill(demo.password("dsl"))
    with desk.expect_download() as info:
        desk.locator("form", has=desk.locator('input[name="password"]')).locator(
            'button[type="submit"]'
        ).click()
    data = open(info.value.path(), "rb").read()
    text = re.sub(r"\s+", "", pdf_text(data))
    for item in items:
        assert item.sha256 in text, f"the PDF does not list evidence {item.pk}'s hash"
    assert "13/998877/26" in text and "FB-55501" in text
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    (signature,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    trust = ValidationContext(trust_roots=[load_cert_from_pemder(str(settings.EVIDENCE_SIGNING_CERT))])
    with ThreadPoolExecutor(1) as pool:  # pyHanko runs its own event loop: not on Playwright's thread
        status = pool.submit(validate_pdf_signature, signature, trust).result()
    assert status.bottom_line and status.coverage.name == "ENTIRE_FILE", status.pretty_print_details()

    # A stored file altered behind saferstaff's back: its download is refused, and verify_evidence names it.
    altered = files[2]
    with default_storage.open(altered.stored.name, "wb") as handle:
        handle.write(b"not what was received")
    desk.goto(demo.url(f"incidents/cases/{case.pk}/"))
    axe_check(desk)
    with desk.expect_navigation() as refused:
        desk.get_by_role("link", name="post-3.png", exact=True).click()
    axe_check(desk)
    assert refused.value.status == 409
    expect(desk.get_by_role("heading", level=1)).to_have_text("This evidence cannot be opened")
    expect(desk.locator("main")).to_contain_text(altered.sha256)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_evidence", "--school", demo.school_slug, stdout=out)
    assert exit_status.value.code == 1
    assert f"evidence {altered.pk} of case {case.pk} does not match" in out.getvalue()
    assert "1 item of evidence not matching" in out.getvalue()
    follow(desk, axe_check, desk.get_by_role("link", name=f"Back to case {case.pk}"))
    expect(desk.locator("main")).to_contain_text("Altered: not opened")

    # Closing: without a reason the error names its field; with one, the case closes.
    follow(desk, axe_check, desk.get_by_role("button", name="Close the case"))  # a link styled as a button
    follow(desk, axe_check, desk.get_by_role("button", name="Close the case"))
    assert desk.title().startswith("Error: ")
    assert "closed_reason" in " ".join(named_errors(desk)), named_errors(desk)
    desk.get_by_label("Why it is closed").fill("The posts were taken down and the parent was spoken to")
    follow(desk, axe_check, desk.get_by_role("button", name="Close the case"))
    expect(success(desk)).to_contain_text("The case is closed")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED

    # The DSL's pages fit a phone too: the case, its chronology, the refusal of the altered item.
    desk.set_viewport_size(PHONE)
    for path in (f"incidents/cases/{case.pk}/", f"incidents/cases/{case.pk}/chronology/", "incidents/cases/"):
        desk.goto(demo.url(path))
        axe_check(desk)
        fits(desk)
    desk.goto(demo.url(f"incidents/evidence/{altered.pk}/"))
    axe_check(desk)
    fits(desk)

    # The teacher sees the outcome on My reports and on the report, and none of the casework.
    phone.goto(demo.url("incidents/"))
    axe_check(phone)
    fits(phone)
    expect(phone.locator("main")).to_contain_text("The posts were taken down and the parent was spoken to")
    follow(phone, axe_check, phone.get_by_role("link", name=f"Case {case.pk}", exact=True))
    fits(phone)
    for casework in ("13/998877/26", "FB-55501", "High"):
        expect(phone.locator("main")).not_to_contain_text(casework)


def test_the_office_without_javascript_tries_bad_input_then_reports(
    new_page,
    sign_in,
    axe_check,
    demo,
    tmp_path,
):
    office = new_page(
        "office, phone, no JavaScript", viewport=PHONE, is_mobile=True, java_script_enabled=False
    )
    sign_in(office, "office")
    before = Case.objects.count()  # the demo school has cases of its own
    office.goto(demo.url("incidents/report/"))
    axe_check(office)
    fits(office)

    # An empty report: each error names its field.
    follow(office, axe_check, office.get_by_role("button", name="Send the report"))
    fits(office)
    assert office.title().startswith("Error: ")
    found = named_errors(office)
    for field in ("kind", "by_whom", "channel", "what_happened"):
        assert any(field in target for target in found), f"no error for {field}: {found}"
    assert Case.objects.count() == before

    def fill_in():
        office.get_by_label("Cyberbullying or harassment of me or a colleague").check()
        office.get_by_label("Members of the public").check()
        office.get_by_label("Phone calls or texts").check()
        office.get_by_label("What happened?").fill("A caller shouted abuse at the office for ten minutes")

    # A file too large: refused by name, beside the file field, and nothing kept.
    huge = tmp_path / "recording.wav"
    with open(huge, "wb") as out:
        out.truncate(51_000_000)
    fill_in()
    office.get_by_label("Screenshots, saved emails").set_input_files(str(huge))
    follow(office, axe_check, office.get_by_role("button", name="Send the report"), timeout=60_000)
    fits(office)
    found = named_errors(office)
    assert any("file" in target and "recording.wav" in words for target, words in found.items()), found
    assert Case.objects.count() == before
    expect(office.get_by_label("What happened?")).to_have_value(
        "A caller shouted abuse at the office for ten minutes"
    )

    # A private address to capture: refused beside the address field, nothing kept.
    office.get_by_label("The address of a web page to capture").fill("http://192.168.1.1/admin")
    follow(office, axe_check, office.get_by_role("button", name="Send the report"))
    fits(office)
    found = named_errors(office)
    assert any("url" in target for target in found), found
    assert Case.objects.count() == before

    # Now the report, with no page to capture, sent with the Enter key (a phone keyboard's Go) from a text box.
    office.get_by_label("The address of a web page to capture").fill("")
    office.get_by_label("Someone outside school (optional)").fill("A caller who gave no name")
    with office.expect_navigation():
        office.get_by_label("Someone outside school (optional)").press("Enter")
    axe_check(office)
    fits(office)
    case = Case.objects.get(what_happened__startswith="A caller shouted")
    expect(office.get_by_role("heading", level=1)).to_have_text("Your report")

    # A forged case id: "page not found", never an error page or somebody else's case.
    for path in (
        f"incidents/cases/{case.pk + 1000}/",
        f"incidents/cases/{case.pk + 1000}/evidence/",
        "incidents/cases/0x1/",
        "incidents/evidence/99999/",
    ):
        response = office.goto(demo.url(path))
        axe_check(office)
        assert response.status == 404, f"{path}: {response.status}"
        fits(office)


class _Clock(types.SimpleNamespace):
    """``django.utils.timezone`` as the reporting door sees it, but with ``now`` fixed (the rest is the real one)."""

    def __getattr__(self, name):
        return getattr(timezone, name)


def test_an_allegation_about_the_headteacher_reaches_only_the_chair_with_the_lado_clock(
    new_page, sign_in, axe_check, demo, monkeypatch
):
    # 16:00 on Friday 28 May 2027, before the late-May bank holiday (Monday 31 May): due by the end of Tuesday.
    friday = datetime.datetime(2027, 5, 28, 16, 0, tzinfo=UK)
    monkeypatch.setattr(services, "timezone", _Clock(now=lambda: friday, localdate=lambda *a: friday.date()))

    teacher = new_page("teacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(teacher, "teacher")
    teacher.goto(demo.url("incidents/"))
    axe_check(teacher)
    follow(
        teacher, axe_check, teacher.get_by_role("link", name="Report an allegation about a member of staff")
    )
    fits(teacher)
    teacher.get_by_label("Who is it about?").select_option(label="Helen Hartley, Headteacher")
    teacher.get_by_label("What happened?").fill("Messaged a Year 6 pupil from a personal account")
    follow(teacher, axe_check, teacher.get_by_role("button", name="Send the allegation"))
    fits(teacher)
    expect(success(teacher)).to_contain_text("the chair of governors")
    case = Case.objects.get(what_happened__startswith="Messaged a Year 6 pupil")
    assert case.routed_to == "chair"
    detail = demo.url(f"incidents/cases/{case.pk}/")

    chair = new_page("chair of governors, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(chair, "governor")
    chair.goto(demo.url())
    axe_check(chair)
    follow(chair, axe_check, chair.get_by_role("link", name="1 new case waits for triage (§9)"))
    fits(chair)
    follow(chair, axe_check, chair.get_by_role("link", name=f"Case {case.pk}", exact=True))
    fits(chair)
    expect(chair.locator("#lado-clock")).to_contain_text("Tuesday 1 June 2027")
    expect(chair.locator("main")).to_contain_text("Messaged a Year 6 pupil")
    # The trends, found from the Incidents menu's page: numbers only.
    chair.goto(demo.url("incidents/"))
    axe_check(chair)
    follow(chair, axe_check, chair.get_by_role("link", name="Incident trends (counts only)"))
    fits(chair)
    expect(chair.get_by_role("heading", level=1)).to_have_text("Incident trends")
    expect(chair.locator("main")).not_to_contain_text("Messaged a Year 6 pupil")
    expect(chair.locator("main")).not_to_contain_text("Helen Hartley")

    for local in ("head", "dsl"):
        page = new_page(f"{local}, desktop")
        sign_in(page, local)
        for path in (detail, detail + "chronology/", detail + "evidence/", detail + "triage/"):
            response = page.goto(path)
            axe_check(page)
            assert response.status == 404, f"{local} got {response.status} on {path}"
            expect(page.locator("main")).not_to_contain_text("Messaged a Year 6 pupil")
        page.goto(demo.url("incidents/cases/"))
        axe_check(page)
        expect(page.get_by_role("link", name=f"Case {case.pk}", exact=True)).to_have_count(0)
