"""§5 images of pupils, the issue's "Done when" clicked through in Chromium on the demo school: the office
emails guardians their consent links (a real SMTP server on loopback receives them), a guardian refuses the
school website in the portal, a teacher asks for a photo activity that a senior leader approves, uploads 20
photos in one go (one from a personal phone), tags pupils, is refused publishing the refused child and
publishes the other; the other child's guardian withdraws, and the takedown reaches the teacher and the
Headteacher; two years on, the images wait to be destroyed. Every page is checked with axe-core."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from saferstaff.clocks import add_months
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.states import GIVEN, NOT_ASKED, state_of
from saferstaff.photos.demo import CAMERA
from saferstaff.photos.models import Activity, Image, Publication, Takedown
from saferstaff.privacy.models import DueRecord
from saferstaff.privacy.sweep import sweep
from saferstaff.schools.models import Guardianship, Pupil
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import (
    ImageLoads,
    Mailbox,
    confirm_it_is_you,
    follow,
    menu,
    photo_nav,
    request_photo_activity,
    success,
    summary_value,
)
from tests.conftest import skip_or_fail
from tests.image_samples import PERSONAL_PHONE, jpeg

pytestmark = [pytest.mark.browser, pytest.mark.smtp]

DEMO_CAMERA = {"make": CAMERA[0], "model": CAMERA[1], "serial": CAMERA[2]}
LINK_SUBJECT = "photos of your child"
WEBSITE = "School website"


def open_image(page, loads: ImageLoads, axe_check, image):
    """Click an image's thumbnail, once the thumbnails around it have loaded (see ImageLoads)."""
    link = page.get_by_role("link", name=f"Image {image.pk}", exact=True)
    link.scroll_into_view_if_needed()
    loads.settle()
    follow(page, axe_check, link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Image {image.pk}")


@pytest.fixture
def mailbox(settings, live_server):
    """A real SMTP server; Django's default mailer sends to it, and portal links point at the live server."""
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        skip_or_fail("aiosmtpd is not installed: run `make setup`")
    box = Mailbox()
    try:
        port = box.start()
    except RuntimeError as exc:
        skip_or_fail(str(exc))
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    settings.SITE_URL = live_server.url
    try:
        yield box
    finally:
        box.stop()


def portal_link(mail, live_server) -> str:
    match = re.search(rf"{re.escape(live_server.url)}/portal/\S+/", mail.body)
    assert match, f"no portal link in the email:\n{mail.body}"
    return match.group(0)


def guardian_with_email(pupil):
    link = (
        Guardianship.objects.filter(pupil=pupil, parental_responsibility=True)
        .exclude(guardian__email="")
        .select_related("guardian")
        .order_by("contact_order")
        .first()
    )
    return link.guardian if link else None


def choose_pupils(school_slug: str):
    """Two Year 1 pupils: one nobody has answered for yet (their guardian will refuse the website), and one
    whose website consent is given (by the guardian who will withdraw it)."""
    website = Purpose.objects.get(school__slug=school_slug, code="website")
    year1 = Pupil.objects.filter(school__slug=school_slug, year_group="1").current().order_by("pk")
    refused = next(p for p in year1 if state_of(p, website).status == NOT_ASKED and guardian_with_email(p))
    consented = next(p for p in year1 if state_of(p, website).status == GIVEN)
    yes = (
        ConsentRecord.objects.filter(pupil=consented, purpose=website, answer=ConsentRecord.Answer.YES)
        .exclude(guardian=None)
        .latest("recorded_at")
    )
    assert yes.guardian.email, "the consented child's guardian has no email address"
    return website, (refused, guardian_with_email(refused)), (consented, yes.guardian)


def choose_in_portal(page, axe_check, child, answer: str):
    """In the guardian portal: answer ``answer`` for the school website for ``child``, save, see the receipt."""
    forename = child.preferred_forename or child.legal_forename
    expect(page.get_by_role("heading", level=1)).to_have_text("Photos and videos of your child")
    expect(page.get_by_role("heading", level=2, name=child.display_name)).to_be_visible()
    question = page.get_by_role("group", name=f"{WEBSITE} for {forename}")
    question.get_by_label(answer, exact=True).check()
    follow(page, axe_check, page.get_by_role("button", name="Save my choices"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your choices were saved")
    row = page.locator("tbody tr", has=page.get_by_role("cell", name=WEBSITE, exact=True))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell")).to_have_text([forename, WEBSITE, answer])


def test_images_walkthrough(new_page, sign_in, axe_check, demo, mailbox, live_server):
    website, (refused, refused_guardian), (consented, consented_guardian) = choose_pupils(demo.school_slug)
    today = timezone.localdate()

    # 1. The office emails every guardian their own consent link.
    office = new_page("office")
    sign_in(office, "office")
    follow(office, axe_check, menu(office, "Consent"))
    expect(office.get_by_role("heading", level=1)).to_have_text("Consent register")
    follow(office, axe_check, office.get_by_role("link", name="Send guardians their consent links"))
    confirm_it_is_you(office, axe_check, demo, "office", "sending consent links to guardians")
    expect(office.get_by_role("heading", level=1)).to_have_text("Consent links for guardians")
    follow(office, axe_check, office.get_by_role("button", name="Send to everyone without a working link"))
    banner = success(office)
    expect(banner).to_contain_text(re.compile(r"Sent \d+ links by email\."))
    sent = int(re.search(r"Sent (\d+) links", banner.inner_text()).group(1))
    assert sent > 50, sent
    first_link = mailbox.wait_for(refused_guardian.email, LINK_SUBJECT)
    mailbox.wait_until(
        lambda messages: sum(LINK_SUBJECT in m.message["Subject"] for m in messages) >= sent,
        f"with a link for each of the {sent} guardians",
    )
    links = [m for m in mailbox.received if LINK_SUBJECT in m.message["Subject"]]
    assert len(links) == sent and len({m.recipients[0] for m in links}) == sent
    assert refused.legal_forename not in first_link.message.as_string(), "the email must not name the child"

    # 2. The refused child's guardian opens the link (no account, no sign-in) and says no to the website.
    guardian = new_page("guardian refusing")
    guardian.goto(portal_link(first_link, live_server))
    axe_check(guardian)
    choose_in_portal(guardian, axe_check, refused, "No")
    assert state_of(refused, website).status == "refused"
    mailbox.wait_for(refused_guardian.email, "your choices were recorded")
    # The office sees it in the register.
    follow(office, axe_check, office.get_by_role("link", name="Back to the consent register"))
    office.get_by_label("Pupil's name or UPN").fill(refused.upn)
    follow(office, axe_check, office.get_by_role("button", name="Show"))
    follow(office, axe_check, office.get_by_role("link", name=refused.display_name))
    expect(office.get_by_role("heading", level=1)).to_have_text(refused.display_name)
    expect(summary_value(office, WEBSITE)).to_contain_text("No")
    refusal_text = (
        f"{refused.short_name} — guardian consent for '{WEBSITE}' refused on {today:%-d %B %Y} (§5)"
    )
    expect(summary_value(office, WEBSITE)).to_contain_text(refusal_text)

    # 3. A teacher asks for a photo activity; a senior leader approves it.
    teacher = new_page("teacher")
    teacher_loads = ImageLoads(teacher)
    sign_in(teacher, "teacher")
    follow(teacher, axe_check, menu(teacher, "Photos"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Photo activities")
    follow(teacher, axe_check, photo_nav(teacher, "School devices"))
    expect(teacher.get_by_role("row", name=re.compile(r"CAM-001 .*DEMO-CN-0001"))).to_be_visible()
    follow(teacher, axe_check, photo_nav(teacher, "Photo activities"))
    request_photo_activity(teacher, axe_check, "Year 1 science week", "Year 1 classroom", today.isoformat())
    activity = Activity.objects.get(school__slug=demo.school_slug, title="Year 1 science week")
    assert activity.status == Activity.Status.REQUESTED
    assert activity.pupils.filter(pk__in=[refused.pk, consented.pk]).count() == 2
    expect(summary_value(teacher, "Status")).to_have_text("Waiting for approval")
    expect(teacher.get_by_role("link", name="Add photos and videos")).to_have_count(0)

    # The printable check-list: the refused child must not be photographed, and why.
    follow(teacher, axe_check, teacher.get_by_role("link", name="check-list of who must not be photographed"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Do not photograph")
    row = teacher.get_by_role("row", name=re.compile(re.escape(refused.display_name)))
    expect(row).to_contain_text(refusal_text)
    expect(teacher.get_by_text("This activity is not approved yet: take no photos.")).to_be_visible()

    deputy = new_page("senior leader")
    sign_in(deputy, "deputy")
    follow(deputy, axe_check, menu(deputy, "Photos"))
    follow(deputy, axe_check, deputy.get_by_role("link", name="Year 1 science week").first)
    expect(deputy.get_by_role("heading", level=1)).to_have_text("Year 1 science week")
    deputy.get_by_label("Approve", exact=True).check()
    follow(deputy, axe_check, deputy.get_by_role("button", name="Save the decision"))
    expect(success(deputy)).to_contain_text("Approved.")
    expect(summary_value(deputy, "Status")).to_contain_text("Approved — Samir Lodge")

    # 4. The teacher uploads 20 photos in one go; one is from a personal phone. The form is sent by XHR (with
    # a progress bar) and the page then follows the redirect.
    follow(teacher, axe_check, teacher.get_by_role("link", name="Back to the activity"))
    expect(summary_value(teacher, "Status")).to_contain_text("Approved")
    follow(teacher, axe_check, teacher.get_by_role("link", name="Add photos and videos"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Add photos and videos")
    upload_url = teacher.url
    files = [
        {
            "name": f"IMG_{2000 + i}.JPG",
            "mimeType": "image/jpeg",
            "buffer": jpeg(**DEMO_CAMERA, colour=(12 * i, 100 + 5 * i, 250 - 12 * i)),
        }
        for i in range(19)
    ]
    files.insert(7, {"name": "IMG_PHONE.JPG", "mimeType": "image/jpeg", "buffer": jpeg(**PERSONAL_PHONE)})
    teacher.get_by_label("Photos, videos or a zip").set_input_files(files=files)
    posts = []
    teacher.on("request", lambda r: posts.append((r.resource_type, r.url)) if r.method == "POST" else None)
    with teacher.expect_navigation(url=re.compile(rf"/activities/{activity.pk}/$"), timeout=60_000):
        teacher.get_by_role("button", name="Upload").click()
    axe_check(teacher)
    assert posts == [("xhr", upload_url)], f"the upload was not sent by XHR: {posts}"
    expect(success(teacher)).to_contain_text(
        "Added 20 images. 1 came from a camera not in the device register: senior management has been told (§6)."
    )
    expect(teacher.get_by_role("heading", name="Images (20)")).to_be_visible()
    expect(teacher.locator(".app-image-grid__item")).to_have_count(20)
    expect(teacher.locator(".app-image-grid .govuk-tag", has_text="Flagged")).to_have_count(1)
    images = Image.objects.filter(activity=activity)
    assert images.count() == 20
    assert images.exclude(flag="").count() == 1
    assert images.get(original_name="IMG_PHONE.JPG").flag == Image.Flag.UNREGISTERED
    first, second = images.filter(flag="").order_by("pk")[:2]

    # 5. The teacher tags the refused child on one photo and the consented child on another.
    def tag(image, pupil):
        open_image(teacher, teacher_loads, axe_check, image)
        value = teacher.locator(f'#pupil-names option[value$="#{pupil.pk}"]').get_attribute("value")
        assert value and value.startswith(pupil.display_name), value
        teacher.get_by_label("Add a pupil").fill(value)
        follow(teacher, axe_check, teacher.get_by_role("button", name="Tag", exact=True))
        expect(teacher.locator("#tags + ul")).to_contain_text(pupil.display_name)
        assert list(image.tags.values_list("pupil_id", flat=True)) == [pupil.pk]

    tag(first, refused)
    follow(teacher, axe_check, teacher.get_by_role("link", name="Back to Year 1 science week"))
    tag(second, consented)

    # 6. Publishing the refused child's photo on the website is refused, naming the child and §5; the other
    # photo is published.
    def publish(image, *, refused_at_once=False):
        follow(teacher, axe_check, teacher.get_by_role("link", name="Publish a copy"))
        expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Publish a copy of image {image.pk}")
        teacher.get_by_label("Where", exact=True).select_option(label=WEBSITE)
        teacher.get_by_label("Web address, newsletter issue or display board").fill(
            f"https://westfield.example/news/science-week#{image.pk}"
        )
        # Faces are blurred unless the publisher unticks it: the worker finds them, then the page lists them.
        expect(teacher.get_by_label("Blur every face that is unknown or has no consent")).to_be_checked()
        response = follow(teacher, axe_check, teacher.get_by_role("button", name="Check", exact=True))
        if refused_at_once:  # refused whatever faces are found: said on the form at once, nothing queued
            return response
        expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Publishing image {image.pk}")
        expect(teacher.get_by_role("heading", name="Faces found")).to_be_visible()
        return response

    teacher.goto(f"{demo.url('images/')}{first.pk}/")
    axe_check(teacher)
    response = publish(first, refused_at_once=True)
    assert response.status == 409, response.status
    expect(teacher.get_by_role("button", name="Publish", exact=True)).to_have_count(0)
    refusal = teacher.locator(".govuk-error-summary")
    expect(refusal).to_contain_text("Refused: this image cannot be published there")
    expect(refusal).to_contain_text(refusal_text)
    assert not Publication.objects.filter(image=first).exists()

    follow(teacher, axe_check, menu(teacher, "Photos"))
    follow(teacher, axe_check, photo_nav(teacher, "Image library"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Image library")
    open_image(teacher, teacher_loads, axe_check, second)
    response = publish(second)
    assert response.status == 200, response.status
    expect(teacher.get_by_text("Ready to publish", exact=True)).to_be_visible()
    response = follow(teacher, axe_check, teacher.get_by_role("button", name="Publish", exact=True))
    assert response.status == 200, response.status
    expect(success(teacher)).to_contain_text(
        "Published. The copy carries no camera or location data, and is in the register."
    )
    expect(teacher.get_by_role("link", name=re.compile("download the clean copy"))).to_be_visible()
    publication = Publication.objects.get(image=second)
    assert publication.channel == website
    follow(teacher, axe_check, menu(teacher, "Photos"))
    follow(teacher, axe_check, photo_nav(teacher, "Publication register"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Publication register")
    expect(teacher.get_by_role("row", name=re.compile(rf"Image {second.pk} .*Published$"))).to_be_visible()

    # 7. The consented child's guardian withdraws the website through their own link; the publisher and the
    # Headteacher see the takedown.
    second_link = mailbox.wait_for(consented_guardian.email, LINK_SUBJECT)
    other = new_page("guardian withdrawing")
    other.goto(portal_link(second_link, live_server))
    axe_check(other)
    forename = consented.preferred_forename or consented.legal_forename
    expect(
        other.get_by_role("group", name=f"{WEBSITE} for {forename}").get_by_label("Yes", exact=True)
    ).to_be_checked()
    choose_in_portal(other, axe_check, consented, "No")
    assert state_of(consented, website).status == "withdrawn"
    takedown = Takedown.objects.get(publication=publication)
    assert takedown.pupil == consented and takedown.done_at is None

    follow(teacher, axe_check, menu(teacher, "Photos"))
    follow(teacher, axe_check, photo_nav(teacher, "Takedowns"))
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Takedowns")
    expect(teacher.get_by_role("table")).to_contain_text("1 open")
    row = teacher.locator("tbody tr", has_text=publication.where)
    expect(row).to_contain_text(consented.display_name)
    expect(row).to_contain_text("Tom Ackroyd")

    head = new_page("head")
    sign_in(head, "head")
    follow(head, axe_check, menu(head, "Photos"))
    follow(head, axe_check, photo_nav(head, "Takedowns"))
    expect(head.get_by_role("table")).to_contain_text("1 open")
    row = head.locator("tbody tr", has_text=publication.where)
    expect(row).to_contain_text(consented.display_name)
    expect(row).to_contain_text("Tom Ackroyd")
    # On a phone the rows stack: nothing scrolls sideways and "Mark as taken down" is on screen.
    phone = head  # the same person, on a phone-sized screen (a second sign-in would reuse the TOTP code)
    phone.set_viewport_size(PHONE)
    phone.reload()
    axe_check(phone)
    wide = phone.evaluate(
        """(limit) => [...document.querySelectorAll('main *')]
             .filter(e => e.getBoundingClientRect().right > limit)
             .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""",
        PHONE["width"],
    )
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], wide
    mark = phone.get_by_role("link", name=re.compile("Mark as taken down"))
    expect(mark).to_be_visible()
    box = mark.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    head.set_viewport_size(DESKTOP)

    # The teacher takes it down and says how.
    follow(teacher, axe_check, teacher.get_by_role("link", name=re.compile("Mark as taken down")))
    expect(teacher.get_by_role("heading", level=1)).to_have_text(f"Take down image {second.pk}")
    teacher.get_by_label("What you did").fill("Removed from the science week news page")
    follow(teacher, axe_check, teacher.get_by_role("button", name="It has been taken down"))
    expect(success(teacher)).to_contain_text("Marked as taken down. Thank you.")
    expect(teacher.get_by_role("table")).to_contain_text("0 open")
    publication.refresh_from_db()
    assert publication.taken_down_at is not None

    # 8. Two years on, the nightly sweep lists every image past its period in the one retention schedule
    # (§5, §8); the Headteacher sees them due for destruction, from the photos pages.
    later = add_months(today, 24) + datetime.timedelta(days=1)
    sweep(later)
    school_due = DueRecord.objects.filter(school__slug=demo.school_slug, record_type="images")
    assert school_due.count() >= 20
    follow(head, axe_check, menu(head, "Photos"))
    follow(head, axe_check, photo_nav(head, "Retention"))
    expect(head.get_by_role("heading", level=1)).to_have_text("Due for destruction")
    n = school_due.count()
    expect(head.get_by_role("button", name=f"Destroy all {n} images and videos of pupils")).to_be_visible()
    expect(head.get_by_role("checkbox")).to_have_count(min(n, 100))


# --- Without JavaScript ------------------------------------------------------------------------------------


def test_portal_works_without_javascript(new_page, axe_check, demo, settings, live_server):
    from saferstaff.accounts.models import User
    from saferstaff.consent.models import PortalLink
    from saferstaff.consent.services import send_portal_links

    settings.SITE_URL = live_server.url
    website, (refused, refused_guardian), _ = choose_pupils(demo.school_slug)
    office = User.objects.get(email=demo.email("office"))
    assert send_portal_links(refused.school, [refused_guardian], by=office) == 1
    link = PortalLink.objects.get(guardian=refused_guardian, revoked_at=None)

    page = new_page("guardian, JavaScript off", java_script_enabled=False)
    page.goto(link.url())
    axe_check(page)
    assert page.evaluate("() => document.body.classList.contains('js-enabled')") is False
    choose_in_portal(page, axe_check, refused, "No")
    assert state_of(refused, website).status == "refused"


def test_upload_works_without_javascript(new_page, sign_in, axe_check, demo):
    page = new_page("teacher, JavaScript off", java_script_enabled=False)
    sign_in(page, "teacher")
    harvest = Activity.objects.get(school__slug=demo.school_slug, title="Harvest festival assembly")
    before = harvest.images.count()
    page.goto(demo.url(f"activities/{harvest.pk}/"))
    axe_check(page)
    follow(page, axe_check, page.get_by_role("link", name="Add photos and videos"))
    upload_url = page.url
    page.get_by_label("Photos, videos or a zip").set_input_files(
        files=[
            {"name": f"IMG_{3000 + i}.JPG", "mimeType": "image/jpeg", "buffer": jpeg(**DEMO_CAMERA, colour=c)}
            for i, c in enumerate([(250, 200, 10), (10, 200, 250), (120, 10, 120)])
        ]
    )
    posts = []
    page.on("request", lambda r: posts.append((r.resource_type, r.url)) if r.method == "POST" else None)
    follow(page, axe_check, page.get_by_role("button", name="Upload"))
    assert posts == [("document", upload_url)], posts
    assert page.url.endswith(demo.url(f"activities/{harvest.pk}/")), page.url
    expect(success(page)).to_have_text(re.compile(r"^\s*Success\s*Added 3 images\.\s*$"))
    expect(page.get_by_role("heading", name=f"Images ({before + 3})")).to_be_visible()
    assert harvest.images.count() == before + 3
    assert not harvest.images.exclude(flag="").exists()


def test_face_finding_progress_checks_again_without_javascript_and_updates_itself_with_it(
    new_page, sign_in, axe_check, demo
):
    from saferstaff.biometrics.models import ScreeningRun

    harvest = Activity.objects.get(school__slug=demo.school_slug, title="Harvest festival assembly")
    run = ScreeningRun.objects.create(
        school=harvest.school, activity=harvest, started_by=harvest.requested_by, total=4, done=1,
        status=ScreeningRun.Status.RUNNING,
    )  # fmt: skip
    url = demo.url(f"screenings/{run.pk}/")

    plain = new_page("teacher, JavaScript off", java_script_enabled=False)
    sign_in(plain, "teacher")
    plain.goto(url)
    axe_check(plain)
    assert plain.locator('meta[http-equiv="refresh" i]').count() == 0
    ScreeningRun.objects.filter(pk=run.pk).update(done=2, moved_at=timezone.now())
    follow(plain, axe_check, plain.get_by_role("button", name="Check again"))
    expect(plain.get_by_text("Screening: 2 of 4 photos")).to_be_visible()

    live = new_page("teacher, JavaScript on")
    sign_in(live, "teacher")
    live.goto(url)
    axe_check(live)
    expect(live.get_by_role("button", name="Check again")).to_be_hidden()
    expect(live.get_by_text("This page updates itself")).to_be_visible()
    loads = []
    live.on("load", lambda: loads.append(live.url))
    ScreeningRun.objects.filter(pk=run.pk).update(done=4, status=ScreeningRun.Status.DONE)
    expect(live.locator("#screening").get_by_text("Finished: 4 of 4 photos")).to_be_visible(timeout=10_000)
    assert loads == []  # updated in place, not reloaded
    axe_check(live)
