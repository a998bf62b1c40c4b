"""Issue 16's "Done when" walked through the pages in Chromium, as a new DPO and a new member of staff would: a
guardian's subject access request received on 31 January 2027 (due Monday 1 March: the 28th is a Sunday), paused
for identity and resumed (the date moves), its checklist (images, consent answers, incidents, draft checks), its
decisions and its bundle (another pupil's face blurred, no camera or location data left); a breach reported from a
phone without JavaScript at 17:00 on Friday 26 March 2027 (deadline Monday 29 March 18:00 BST); a legal hold that
the daily job respects, destruction confirmed in bulk with certificates naming no one; and "who saw this child's
record". Bad input a school office would try is tried on the way; every page is checked with axe and fits 390 px.

The clock: the live server runs in this process, so ``clock`` moves ``django.utils.timezone.now`` (every room reads
the time through it) to a chosen moment and lets it run on from there."""

import datetime
import io
import zipfile
import zoneinfo

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image as PILImage
from playwright.sync_api import expect

from saferstaff.accounts.models import User
from saferstaff.incidents import services as incidents
from saferstaff.incidents.models import Case
from saferstaff.incidents.services import Person
from saferstaff.photos.library import add_images
from saferstaff.photos.models import ImageTag
from saferstaff.postcheck.models import SavedCheck
from saferstaff.privacy.models import AccessRequest, Breach, DestructionCertificate, DueRecord, Found
from saferstaff.schools.models import Pupil, School
from saferstaff.schools.roles import Actor
from tests.browser.conftest import PHONE
from tests.browser.support import confirm_it_is_you, fits, follow, summary_value
from tests.image_samples import approved_activity

pytestmark = [pytest.mark.browser]

LONDON = zoneinfo.ZoneInfo("Europe/London")
SUBJECT_FACE, OTHER_FACE = (20, 60, 96, 96), (270, 60, 96, 96)


class Clock:
    """``django.utils.timezone.now`` from a chosen moment on, running at the real pace."""

    def __init__(self, real):
        self.real = real
        self.offset = datetime.timedelta(0)

    def __call__(self):
        return self.real() + self.offset

    def set(self, *args):
        self.offset = datetime.datetime(*args, tzinfo=LONDON) - self.real()


@pytest.fixture
def clock(monkeypatch):
    c = Clock(timezone.now)
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def standin(settings):
    settings.FACE_MODELS = "standin"


def shared_photo() -> bytes:
    """A JPEG from a school camera, with GPS, of two stand-in faces: the subject's and another pupil's."""
    from saferstaff.faces.standin import draw_face

    picture = np.full((240, 400, 3), 80, dtype=np.uint8)
    draw_face(picture, SUBJECT_FACE, 7)
    draw_face(picture, OTHER_FACE, 9)
    im = PILImage.fromarray(picture[:, :, ::-1])
    exif = im.getexif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon PowerShot SX740 HS"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (53.0, 52.0, 0.0), "W", (1.0, 42.0, 0.0)
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def box_pixels(data: bytes, box) -> np.ndarray:
    left, top, width, height = box
    return np.asarray(PILImage.open(io.BytesIO(data)).convert("L"), dtype=np.int16)[
        top : top + height, left : left + width
    ]


def test_the_dpo_answers_a_guardians_request_received_on_31_january(
    new_page, sign_in, axe_check, demo, clock, standin
):
    school = School.objects.get(slug=demo.school_slug)
    # An incident a pupil is involved in; a saved draft check that names them; a photo of them with another.
    subject, other = Pupil.objects.filter(school=school).order_by("pk")[:2]
    teacher = User.objects.get(email=demo.email("teacher"))
    deputy = User.objects.get(email=demo.email("deputy"))
    incidents.report(
        Actor.of(teacher, school), kind=Case.Kind.PUPILS_ONLINE, happened_on=timezone.localdate(),
        what_happened="Unkind messages in a class group chat", people=[Person("target", pupil=subject)],
    )  # fmt: skip
    SavedCheck.objects.create(
        school=school, author=teacher, text=f"Well done {subject.display_name} at sports day!", verdict="ok"
    )
    activity = approved_activity(school, teacher, deputy, pupils=[subject, other])
    original = shared_photo()
    (image,) = add_images(activity, [("together.jpg", original)], by=teacher)
    for pupil in (subject, other):
        ImageTag.objects.get_or_create(school=school, image=image, pupil=pupil)

    clock.set(2027, 2, 12, 10, 0)
    page = new_page("dpo, desktop")
    sign_in(page, "dpo")
    page.goto(demo.url("privacy/"))
    axe_check(page)
    follow(page, axe_check, page.get_by_role("link", name="Subject access requests"))
    follow(page, axe_check, page.get_by_role("link", name="Log a request"))
    page.get_by_label("About a pupil").check()  # with JavaScript: only the pupil's questions show
    expect(page.get_by_label("The member of staff")).to_be_hidden()
    page.get_by_label("Find a pupil").fill(subject.legal_surname)
    follow(page, axe_check, page.get_by_role("button", name="Find"))
    page.get_by_label("A pupil at the school").select_option(value=str(subject.pk))
    page.get_by_label("A parent or carer, for their child").check()
    page.get_by_label("Their name", exact=True).fill("Mrs Guardian")
    page.get_by_label("When did the request arrive?").fill("2027-01-31")
    follow(page, axe_check, page.get_by_role("button", name="Log the request"))
    req = AccessRequest.objects.get(requester_name="Mrs Guardian")
    expect(page.locator(".govuk-inset-text")).to_contain_text("Due by Monday 1 March 2027")
    page.get_by_text("Why this date").click()
    expect(page.locator(".govuk-details__text")).to_contain_text("28 February 2027 is a Sunday")

    # Paused for identity (since 5 February: a week the session would not survive), resumed on the 12th: the
    # date moves on a week.
    follow(page, axe_check, page.get_by_role("link", name="Pause the clock"))
    page.get_by_label("Proof of identity", exact=False).first.check()
    follow(page, axe_check, page.get_by_role("button").last)
    expect(page.locator(".govuk-inset-text")).to_contain_text("Paused")
    req.pauses.update(started_on=datetime.date(2027, 2, 5))
    follow(page, axe_check, page.get_by_role("link", name="Start the clock again"))
    follow(page, axe_check, page.get_by_role("button").last)
    expect(page.locator(".govuk-inset-text")).to_contain_text("Due by Monday 8 March 2027")

    # The checklist finds the pupil's photo, consent answers, the incident and the draft check.
    follow(page, axe_check, page.get_by_role("link", name="Open the checklist"))
    kinds = set(req.found.values_list("record_type", flat=True))
    assert {"images", "consent_answers", "incident_cases", "draft_checks"} <= kinds, kinds
    # Withhold without an exemption is refused beside its field.
    row = req.found.get(record_type="draft_checks")
    card = page.locator(f"#row-{row.pk}")
    card.get_by_label("Withhold", exact=True).check()
    card.get_by_label("Exemption (to redact or withhold)").select_option(label="Choose the exemption")
    follow(page, axe_check, card.get_by_role("button", name="Save"))
    assert page.title().startswith("Error: ")
    card = page.locator(f"#row-{row.pk}")
    expect(card.locator(".govuk-error-message")).to_be_visible()
    expect(page.locator(".govuk-error-summary a")).to_have_attribute("href", f"#row{row.pk}-exemption")
    expect(page.locator(f"#row{row.pk}-exemption")).to_have_count(1)
    for f in req.found.order_by("pk"):
        card = page.locator(f"#row-{f.pk}")
        card.get_by_label("Disclose", exact=True).check()
        follow(page, axe_check, card.get_by_role("button", name="Save"))
    assert not req.found.filter(decision=Found.Decision.UNDECIDED).exists()

    # The bundle: the other pupil's face blurred, no camera or location data.
    follow(page, axe_check, page.get_by_role("link", name="Make the bundle"))
    confirm_it_is_you(page, axe_check, demo, "dpo", "making a subject access bundle")
    follow(page, axe_check, page.get_by_role("button", name="Make the bundle"))
    with page.expect_download() as download:
        page.get_by_role("link", name="Bundle of").first.click()
    with zipfile.ZipFile(download.value.path()) as bundle:
        names = bundle.namelist()
        assert "index.pdf" in names, names
        photos = [n for n in names if n.lower().endswith((".jpg", ".jpeg", ".png"))]
        assert photos, names
        copy = bundle.read(photos[0])
    diff = np.abs(box_pixels(copy, OTHER_FACE) - box_pixels(original, OTHER_FACE)).mean()
    assert diff > 10, f"the other pupil's face is not blurred (mean difference {diff:.1f})"
    exif = PILImage.open(io.BytesIO(copy)).getexif()
    assert not exif.get_ifd(0x8825) and 0x010F not in exif, dict(exif)

    # A forged id: not found.
    response = page.goto(demo.url("privacy/requests/999999/"))
    axe_check(page)
    assert response.status == 404


def test_a_request_about_someone_not_in_saferstaff_without_javascript(
    new_page, sign_in, axe_check, demo, clock
):
    clock.set(2027, 2, 12, 10, 0)
    phone = new_page("head, phone, no JS", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "head")
    phone.goto(demo.url("privacy/requests/add/"))
    axe_check(phone)
    fits(phone)
    phone.get_by_label("A former pupil").check()
    phone.get_by_label("Their name", exact=True).fill("Mr Former")
    phone.get_by_label("About someone saferstaff has no record of").check()
    phone.get_by_label("Their name, as the requester gave it").fill("Mr Former")
    phone.get_by_label("When did the request arrive?").fill("2027-02-13")  # tomorrow
    follow(phone, axe_check, phone.get_by_role("button", name="Log the request"))
    fits(phone)
    assert phone.title().startswith("Error: ")
    expect(phone.locator(".govuk-error-summary a")).to_have_attribute("href", "#id_received_at")
    phone.get_by_label("When did the request arrive?").fill("2027-01-05")  # found in a pile of post
    follow(phone, axe_check, phone.get_by_role("button", name="Log the request"))
    fits(phone)
    expect(phone.locator(".govuk-inset-text")).to_contain_text("Due by Friday 5 February 2027")
    req = AccessRequest.objects.get(requester_name="Mr Former")
    follow(phone, axe_check, phone.get_by_role("link", name="Open the checklist"))
    fits(phone)
    expect(phone.locator("main")).to_contain_text("the person is not in saferstaff")

    # After the first month there is no Extend link, and the page by its address says why, with no form.
    phone.goto(demo.url(f"privacy/requests/{req.pk}/"))
    axe_check(phone)
    expect(phone.get_by_role("link", name="Extend the time to answer")).to_have_count(0)
    phone.goto(demo.url(f"privacy/requests/{req.pk}/extend/"))
    axe_check(phone)
    fits(phone)
    expect(phone.locator("main")).to_contain_text(
        "within the first month: it has passed (UK GDPR art. 12(3))"
    )
    expect(phone.locator("main form")).to_have_count(0)
    follow(phone, axe_check, phone.locator("main").get_by_role("link", name=f"Back to request {req.pk}").last)
    req.refresh_from_db()
    assert req.extension_months == 0


def test_a_breach_at_17_00_on_the_friday_before_the_clocks_change(new_page, sign_in, axe_check, demo, clock):
    clock.set(2027, 3, 26, 17, 0, 30)
    phone = new_page("teacher, phone, no JS", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "teacher")
    phone.goto(demo.url("privacy/"))
    axe_check(phone)
    fits(phone)
    follow(phone, axe_check, phone.get_by_role("button", name="Report a data breach"))
    fits(phone)
    form = phone.locator("main form")
    fields = form.locator("textarea, input:not([type=hidden]):not([type=checkbox]), select").count()
    assert fields <= 6, f"{fields} fields"
    aware = phone.get_by_label("When did you (or the school) find out?")
    expect(aware).to_have_value("2027-03-26T17:00")
    # Found out "tomorrow": refused beside the field.
    phone.get_by_label("What happened?").fill("A pupil's report was emailed to the wrong parent.")
    aware.fill("2027-03-27T09:00")
    follow(phone, axe_check, phone.get_by_role("button", name="Report the breach"))
    assert phone.title().startswith("Error: ")
    expect(phone.locator(".govuk-error-summary a")).to_have_attribute("href", "#id_aware_at")
    fits(phone)
    phone.get_by_label("When did you (or the school) find out?").fill("2027-03-26T17:00")
    follow(phone, axe_check, phone.get_by_role("button", name="Report the breach"))
    fits(phone)
    expect(summary_value(phone, "Tell the ICO by")).to_have_text("Mon 29 Mar 2027, 18:00 (BST)")
    breach = Breach.objects.get(what__startswith="A pupil's report")
    assert timezone.localtime(breach.ico_due, LONDON) == datetime.datetime(2027, 3, 29, 18, 0, tzinfo=LONDON)

    # A forged id: not found.
    response = phone.goto(demo.url("privacy/breaches/999999/"))
    axe_check(phone)
    assert response.status == 404

    desk = new_page("dpo, desktop")
    sign_in(desk, "dpo")
    desk.goto(demo.url("privacy/breaches/"))
    axe_check(desk)
    expect(desk.locator("main")).to_contain_text("29 Mar 2027")


def test_a_hold_the_daily_job_respects_destruction_and_who_saw_a_record(new_page, sign_in, axe_check, demo):
    school = School.objects.get(slug=demo.school_slug)
    # Pupils no request, case or sharing entry keeps (those keep a leaver's record until they go themselves).
    kept = AccessRequest.objects.filter(about_pupil__isnull=False).values("about_pupil")
    held, gone, seen = Pupil.objects.filter(school=school).exclude(pk__in=kept).order_by("pk")[:3]
    left = timezone.localdate() - datetime.timedelta(days=1100)
    Pupil.objects.filter(pk__in=[held.pk, gone.pk]).update(leaving_date=left)

    # A teacher opens a pupil's page.
    teacher = new_page("teacher, desktop")
    sign_in(teacher, "teacher")
    teacher.goto(demo.url(f"pupils/{seen.pk}/"))
    axe_check(teacher)

    phone = new_page("dpo, phone, no JS", viewport=PHONE, is_mobile=True, java_script_enabled=False)
    sign_in(phone, "dpo")
    phone.goto(demo.url("privacy/"))
    axe_check(phone)
    follow(phone, axe_check, phone.get_by_role("link", name="Legal holds"))
    fits(phone)
    follow(phone, axe_check, phone.get_by_role("link", name="Place a legal hold"))
    fits(phone)
    # Without JavaScript too, a scope's questions show under it once chosen; Find keeps what was typed.
    expect(phone.get_by_label("Find a pupil")).to_be_hidden()
    phone.get_by_role("radio", name="Everything about a pupil").check()
    phone.get_by_label("Why the records must be kept").fill("An inquiry asked that nothing be destroyed")
    phone.get_by_label("Find a pupil").fill(held.legal_surname)
    follow(phone, axe_check, phone.get_by_role("button", name="Find"))
    fits(phone)
    expect(phone.get_by_label("Why the records must be kept")).to_have_value(
        "An inquiry asked that nothing be destroyed"
    )
    expect(phone.get_by_role("radio", name="Everything about a pupil")).to_be_checked()
    phone.locator(f'input[name="pupil"][value="{held.pk}"]').check()
    phone.get_by_label("Until (optional)").fill(
        (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    )
    follow(phone, axe_check, phone.get_by_role("button", name="Place the hold"))
    assert phone.title().startswith("Error: ")
    expect(phone.locator(".govuk-error-summary a")).to_have_attribute("href", "#id_ends_on")
    phone.get_by_label("Until (optional)").fill("")
    phone.locator(f'input[name="pupil"][value="{held.pk}"]').check()
    follow(phone, axe_check, phone.get_by_role("button", name="Place the hold"))
    fits(phone)
    expect(phone.locator("main")).to_contain_text("In force")

    call_command("run_daily", stdout=io.StringIO())
    assert DueRecord.objects.filter(record_type="pupils", record_id=str(gone.pk)).exists()
    assert not DueRecord.objects.filter(record_type="pupils", record_id=str(held.pk)).exists()
    phone.goto(demo.url("privacy/due/"))
    axe_check(phone)
    fits(phone)
    # The leaver's consent answers and guardians first: the pupil's record waits while they refer to it.
    for kind in ("consent_answers", "guardians", "pupils"):
        destroy_all = phone.locator(f'form:has(input[name="kind"][value="{kind}"]) button[name="all"]')
        follow(phone, axe_check, destroy_all)
        if "/reauthenticate" in phone.url:
            confirm_it_is_you(phone, axe_check, demo, "dpo", "destroying records")
            follow(phone, axe_check, destroy_all)
        fits(phone)
    assert not Pupil.objects.filter(pk=gone.pk).exists()
    assert Pupil.objects.filter(pk=held.pk).exists()
    assert DestructionCertificate.objects.filter(record_type="pupils", record_id=str(gone.pk)).exists()
    phone.goto(demo.url("privacy/destroyed/"))
    axe_check(phone)
    fits(phone)
    text = phone.locator("main").inner_text()
    for name in (gone.legal_forename, gone.legal_surname):
        assert name not in text

    # Who saw this child's record?
    phone.goto(demo.url("privacy/"))
    axe_check(phone)
    follow(phone, axe_check, phone.get_by_role("link", name="Who saw a person's record?"))
    fits(phone)
    phone.get_by_label("Name of a pupil or a member of staff").fill(seen.legal_surname)
    follow(phone, axe_check, phone.locator("main").get_by_role("button", name="Find"))
    follow(phone, axe_check, phone.locator(f'a[href$="/privacy/seen/pupils/{seen.pk}/"]'))
    fits(phone)
    teacher_user = User.objects.get(email=demo.email("teacher"))
    expect(phone.locator("main")).to_contain_text(teacher_user.get_full_name())
    expect(phone.locator("main")).to_contain_text("Opened a pupil's record")
