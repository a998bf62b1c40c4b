"""Helpers for the browser tests (the fixtures are in conftest.py)."""

import os

from saferstaff.schools.models import Guardianship, Pupil
from tests.conftest import current_totp as totp_code
from tests.roster_samples import SampleContact, SamplePupil, changed, csv_text, make_upn, sample_pupils

PHONE_WIDTH = 390  # px: every page fits a phone this wide (conftest.PHONE)


def page_width(page) -> int:
    """How wide the page is laid out, in px (wider than the window when something overflows it)."""
    return page.evaluate("() => document.documentElement.scrollWidth")


def fits(page, width: int = PHONE_WIDTH) -> None:
    """The page fits a window ``width`` px wide (a phone's unless said) without scrolling sideways."""
    laid_out = page_width(page)
    assert laid_out <= width, f"{page.url} is {laid_out}px wide on a {width}px screen"


def submit(page, field_name: str):
    """Submit the form that holds the field ``field_name`` with its own submit button; wait for the page."""
    form = page.locator("form", has=page.locator(f'[name="{field_name}"]'))
    with page.expect_navigation():
        form.locator('button[type="submit"], input[type="submit"]').first.click()


def screenshot_wanted() -> bool:
    return os.environ.get("SAFERSTAFF_SCREENSHOT") == "1"


def pupil_search(school_slug: str, q: str):
    """What the pupil list shows the Headteacher for the search ``q`` (current pupils), the way the view
    searches."""
    return Pupil.objects.filter(school__slug=school_slug).current().search(q, by_upn=True, by_legal_name=True)


def roster_csv(school_slug: str, *, new: int) -> tuple[bytes, list[SamplePupil]]:
    """A CSV export from the school's MIS: every current pupil with their contacts as saferstaff holds them,
    plus ``new`` pupils who have just joined Reception (UPNs of this school: LA 383, establishment 2999)."""
    current = []
    for p in Pupil.objects.filter(school__slug=school_slug).current().order_by("pk"):
        links = Guardianship.objects.filter(pupil=p).select_related("guardian").order_by("contact_order")
        contacts = tuple(
            SampleContact(
                forename=link.guardian.forename,
                surname=link.guardian.surname,
                title=link.guardian.title,
                relationship=link.relationship,
                responsibility=link.parental_responsibility,
                email=link.guardian.email,
                phone=link.guardian.phone,
                order=link.contact_order,
            )
            for link in links
        )
        current.append(
            SamplePupil(
                upn=p.upn,
                forename=p.legal_forename,
                surname=p.legal_surname,
                dob=p.date_of_birth,
                year=p.year_group,
                preferred_forename=p.preferred_forename,
                contacts=contacts,
            )
        )
    joiners = [
        changed(p, upn=make_upn(500 + i, la=383, estab=2999), year="R")
        for i, p in enumerate(sample_pupils(new, contacts=2, start=500))
    ]
    return csv_text(current + joiners, contacts=2).encode(), joiners


# --- A real SMTP server for the browser tests ---------------------------------------------------------


class Mailbox:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it receives (see tests/test_smtp.py)."""

    def __init__(self):
        from tests.test_smtp import Collector

        self.collector = Collector()
        self.controller = None

    @property
    def received(self):
        return self.collector.received

    def start(self) -> int:
        """Start on a free port; return the port, or raise the last error after three tries."""
        import socket

        from aiosmtpd.controller import Controller

        error = None
        for _attempt in range(3):  # a free port can be taken between choosing it and binding it
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            candidate = Controller(self.collector, hostname="127.0.0.1", port=port, ready_timeout=10)
            try:
                candidate.start()
            except Exception as exc:  # noqa: BLE001 - aiosmtpd raises several kinds when it cannot bind
                error = exc
                continue
            self.controller = candidate
            return port
        raise RuntimeError(f"could not start an SMTP server on 127.0.0.1: {error!r}")

    def stop(self):
        if self.controller is not None:
            self.controller.stop()

    def wait_until(self, found, what: str, timeout: float = 15.0):
        """Wait for ``found(messages)`` to return something true (the messages received so far); return it."""
        import time

        deadline = time.monotonic() + timeout
        while not (result := found(list(self.received))):
            if time.monotonic() > deadline:
                seen = [(m.recipients, m.message["Subject"]) for m in self.received][-10:]
                raise AssertionError(f"no email {what} within {timeout} s; the last received: {seen}")
            time.sleep(0.1)
        return result

    def wait_for(self, to: str, subject: str = "", timeout: float = 15.0):
        """The first message to ``to`` whose subject contains ``subject``; waits for it to arrive."""

        def first(messages):
            return next(
                (
                    m
                    for m in messages
                    if to.lower() in (r.lower() for r in m.recipients) and subject in m.message["Subject"]
                ),
                None,
            )

        return self.wait_until(first, f"to {to} with {subject!r} in its subject", timeout)


class ImageLoads:
    """The image requests of a page still under way. Thumbnails load lazily as they scroll into view, and
    leaving the page cuts short those still loading: the browser checks count that as a broken file. Call
    ``settle()`` before leaving a page of thumbnails."""

    def __init__(self, page):
        self.page = page
        self.pending = set()
        page.on("request", lambda r: self.pending.add(r) if r.resource_type == "image" else None)
        page.on("requestfinished", lambda r: self.pending.discard(r))
        page.on("requestfailed", lambda r: self.pending.discard(r))

    def settle(self, quiet_ms: int = 300, timeout_ms: int = 15_000):
        """Wait until no image has been loading for ``quiet_ms``."""
        waited = quiet = 0
        while quiet < quiet_ms:
            if waited > timeout_ms:
                raise AssertionError(
                    f"images still loading after {timeout_ms} ms: {[r.url for r in self.pending]}"
                )
            self.page.wait_for_timeout(50)
            waited += 50
            quiet = 0 if self.pending else quiet + 50


# --- Navigating the pages (the way test_images_walkthrough.py does) ----------------------------------------


def follow(page, axe_check, locator, *, timeout: float | None = None):
    """Click a link or button that loads a new page; check that page. Returns the navigation's response.
    ``timeout`` (ms): for a step whose worker job runs inside the request in tests (the immediate backend)."""
    with page.expect_navigation(timeout=timeout) as navigation:
        locator.click(timeout=timeout)
    axe_check(page)
    return navigation.value


def menu(page, label: str):
    return page.get_by_role("navigation", name="Menu").get_by_role("link", name=label, exact=True)


def photo_nav(page, label: str):
    return page.get_by_role("navigation", name="Photos").get_by_role("link", name=label, exact=True)


def summary_value(page, key: str):
    return page.locator(".govuk-summary-list__row", has=page.get_by_text(key, exact=True)).locator(
        ".govuk-summary-list__value"
    )


def success(page):
    return page.locator(".govuk-notification-banner--success")


# --- Stand-in faces (saferstaff.faces.standin) -------------------------------------------------------------


def standin_png(faces: dict[int, tuple], size=(400, 240), colour: int = 80) -> bytes:
    """A PNG of ``size`` (width, height) in a flat grey ``colour`` with a stand-in face for each
    ``{person: (left, top, width, height)}``: the stand-in detector finds them, and the person's number sets
    who they are. The arrays are BGR, as the faces library reads photos; PIL wants RGB."""
    import io

    import numpy as np
    from PIL import Image as PILImage

    from saferstaff.faces.standin import draw_face

    width, height = size
    image = np.full((height, width, 3), colour, dtype=np.uint8)
    for person, box in faces.items():
        draw_face(image, box, person)
    out = io.BytesIO()
    PILImage.fromarray(image[:, :, ::-1]).save(out, "PNG")
    return out.getvalue()


def faces_in(data: bytes) -> list:
    """The faces the stand-in detector finds in a photo (a published JPEG copy, say)."""
    from saferstaff.faces.images import load_image
    from saferstaff.faces.standin import StandInDetector

    return StandInDetector().detect(load_image(data))


def request_photo_activity(teacher, axe_check, title: str, place: str, on: str) -> None:
    """From the photo activities page: ask for a Year 1 activity for learning records and the school
    website, on the demo school's camera, and check it went to senior management."""
    from playwright.sync_api import expect

    follow(teacher, axe_check, teacher.get_by_role("link", name="Request a photo activity"))
    fill_photo_activity_request(teacher, title, place, on)
    follow(teacher, axe_check, teacher.get_by_role("button", name="Send for approval"))
    expect(success(teacher)).to_contain_text("Sent to senior management for approval.")


def fill_photo_activity_request(teacher, title: str, place: str, on: str) -> None:
    """On the "Request a photo activity" page: fill in a Year 1 activity for learning records and the school
    website, on the demo school's camera (not sent)."""
    from playwright.sync_api import expect

    from saferstaff.photos.demo import CAMERA
    from saferstaff.photos.models import make_and_model

    expect(teacher.get_by_role("heading", level=1)).to_have_text("Request a photo activity")
    teacher.get_by_label("What is happening").fill(title)
    teacher.get_by_label("Date").fill(on)
    teacher.get_by_label("Where").fill(place)
    teacher.get_by_label("Which school device").select_option(
        label=f"CAM-001 — {make_and_model(*CAMERA[:2])}"
    )
    teacher.get_by_label("Learning records (in school only)").check()
    teacher.get_by_label("School website", exact=True).check()
    teacher.get_by_label("Year 1", exact=True).check()
    teacher.get_by_label("What happens to the images afterwards").fill(
        "Uploaded to saferstaff, then deleted from the camera"
    )
    teacher.get_by_label("No pupil will be photographed one-to-one (§5)").check()


def confirm_it_is_you(page, axe_check, demo, local: str, doing: str) -> None:
    """The step-up page: it names what ``local`` is about to do; they give their password (or, with an
    authenticator, its code) and return to the page they asked for."""
    assert "/reauthenticate" in page.url, f"{doing} did not ask to confirm it is you (now on {page.url})"
    sentence = f"You are signed in, but {doing} needs you to confirm who you are first."
    assert sentence in page.locator("main").inner_text(), page.locator("main").inner_text()
    if page.locator('input[name="password"]').count():
        page.locator('input[name="password"]').fill(demo.password(local))
        submit(page, "password")
    else:  # the authenticator-code flavour of the same step
        page.locator('input[name="code"]').fill(totp_code(demo.totp_secret(local)))
        submit(page, "code")
    axe_check(page)
