"""The inspection evidence pack (§2) in Chromium on the demo school: a senior leader opens the pack's page on a
phone; the Headteacher, on a desktop, makes the pack with one click and downloads it; the signature of the PDF in the zip
verifies against the school's certificate (downloaded from the same page). Each first confirms it is them (the
step-up a case's chronology asks for too). With JavaScript off the button still makes the pack. Every page is
checked with axe-core."""

import io
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.support import confirm_it_is_you, fits

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _signing_key(settings, tmp_path):
    settings.EVIDENCE_SIGNING_KEY = tmp_path / "signing" / "key.pem"
    settings.EVIDENCE_SIGNING_CERT = tmp_path / "signing" / "cert.pem"


def _verifies(pdf: bytes, cert: bytes, folder) -> bool:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from saferstaff.oversight.pack import CERT_NAME

    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    path = folder / CERT_NAME
    path.write_bytes(cert)
    trust = ValidationContext(trust_roots=[load_cert_from_pemder(str(path))])
    # Playwright's event loop runs in this thread; pyHanko's validator runs its own, so in another thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(validate_pdf_signature, signature, trust).result().bottom_line


def _download(page, control) -> bytes:
    with page.expect_download() as info:
        control.click()
    return open(info.value.path(), "rb").read()


def test_the_headteacher_downloads_the_pack_and_its_signature_verifies(
    new_page, sign_in, axe_check, demo, tmp_path
):
    # A senior leader on a phone (a second sign-in as the Headteacher would wait 30 s for a fresh one-time code).
    phone = new_page("deputy Headteacher, phone", viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(phone, "deputy")
    phone.goto(demo.url("self-review/"))
    phone.get_by_role("link", name="Inspection evidence pack").click()
    # The pack holds staff names and case dates: its page asks the person to confirm it is them first.
    confirm_it_is_you(phone, axe_check, demo, "deputy", "making the evidence pack")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Inspection evidence pack")
    expect(phone.locator("main")).to_contain_text("How to check the signature")
    fits(phone)

    desk = new_page("Headteacher, desktop, no JavaScript", java_script_enabled=False)
    sign_in(desk, "head")
    desk.goto(demo.url("evidence-pack/"))
    confirm_it_is_you(
        desk, axe_check, demo, "head", "making the evidence pack"
    )  # a plain form, no JavaScript
    cert = _download(desk, desk.get_by_role("link", name="Download the signing certificate"))
    data = _download(desk, desk.get_by_role("button", name="Make the evidence pack"))
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "evidence-pack.pdf" in names and "csv/acceptances.csv" in names and "csv/cases.csv" in names
    assert archive.read("signing-certificate.pem") == cert
    assert _verifies(archive.read("evidence-pack.pdf"), cert, tmp_path)
    fingerprint = desk.locator("code").first.inner_text()
    assert (
        fingerprint.count(":") == 31
    )  # the SHA-256 fingerprint the page shows, to confirm by another channel
