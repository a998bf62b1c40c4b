"""§5: proof that a photo came down. Each place of a taken-down publication is fetched by the worker (here the
immediate task backend) from a real web server on loopback, and every image on it compared with the copy's kept
fingerprint: "still there" names the image, "gone" only when everything was compared, anything unread is "could
not check". A takedown closes on the checks only when every place's latest check found it gone."""

# ruff: noqa: F811  (``photos`` is a fixture imported from test_publication_places)

import datetime
import io
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from saferstaff import fetching
from saferstaff.audit.models import AuditEvent
from saferstaff.notifications.models import Notification
from saferstaff.photos import checks, takedowns
from saferstaff.photos.models import PlaceCheck, Takedown
from saferstaff.rules.engine import Refused

from .conftest import signed_in

# The photos fixture, and the autouse one that runs after-commit work (the task queue) at once.
from .test_publication_places import _files, _publish, photos  # noqa: F401

R = PlaceCheck.Result


class Site:
    """A web server on loopback in a thread: ``routes[path] = (status, content type, body or callable)``."""

    def __init__(self):
        self.routes: dict[str, tuple] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                site.hits.append(self.path)
                status, kind, body = site.routes.get(self.path, (404, "text/plain", b"not here"))
                if callable(body):
                    return body(self)
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", kind)
                else:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def site(settings):
    settings.CAPTURE_ALLOW_LOOPBACK = True
    s = Site()
    yield s
    s.server.shutdown()
    s.server.server_close()


def copy_as_found(pub) -> bytes:
    """The published copy as a website would show it: resized and re-encoded."""
    with pub.copy.open("rb") as f:
        im = PILImage.open(io.BytesIO(f.read())).convert("RGB")
    out = io.BytesIO()
    im.resize((im.width * 3 // 5, im.height * 3 // 5)).save(out, "JPEG", quality=70)
    return out.getvalue()


def other_photo() -> bytes:
    out = io.BytesIO()
    PILImage.effect_mandelbrot((400, 300), (-2, -1.2, 1, 1.2), 60).convert("RGB").save(out, "JPEG")
    return out.getvalue()


def page(*images: str) -> bytes:
    tags = "".join(f'<img src="{u}" alt="">' for u in images)
    return f"<!doctype html><html><body><h1>News</h1>{tags}</body></html>".encode()


@pytest.fixture
def published(cast, photos, site):
    """Image 1 published at /news (which shows it, re-encoded, beside another photo)."""
    pub = _publish(cast, photos[0], places=[f"{site.base}/news"])
    site.routes["/img/ours.jpg"] = (200, "image/jpeg", copy_as_found(pub))
    site.routes["/img/other.jpg"] = (200, "image/jpeg", other_photo())
    site.routes["/news"] = (200, "text/html; charset=utf-8", page("/img/other.jpg", "/img/ours.jpg"))
    return pub


def take_down(cast, pub) -> Takedown:
    return takedowns.take_down(pub, by=cast.teacher, reason="A parent asked")


def latest(takedown) -> PlaceCheck:
    (check,) = checks.latest(takedown).values()
    return check


# --- The check ------------------------------------------------------------------------------------------


def test_taking_down_checks_at_once_and_finds_the_copy_still_there_resized(cast, published, site):
    takedown = take_down(cast, published)
    check = latest(takedown)
    assert check.result == R.STILL_THERE
    assert check.found_url == f"{site.base}/img/ours.jpg"
    assert check.distance[0] <= 10 and check.distance[1] <= 5
    assert check.http_status == 200 and check.checked_at is not None
    assert [c["url"].rsplit("/", 1)[1] for c in check.compared] == ["other.jpg", "ours.jpg"]
    assert all(len(c["phash"]) == 16 for c in check.compared)
    with check.page.open("rb") as f:
        warc = f.read()
    assert warc.startswith(b"WARC/1.") and b"<h1>News</h1>" in warc
    assert len(check.page_sha256) == 64
    event = AuditEvent.objects.filter(action="images.takedown.checked").latest("seq")
    assert event.detail == {"check": check.pk, "place": check.place_id, "result": "still_there"}


def test_the_page_a_check_kept_downloads_from_the_takedown_for_who_may_see_it(cast, photos, published, site):
    """The WARC is the evidence: linked from the takedown's history, downloaded whole, the download recorded; a
    member of staff who may not see the takedown, and another takedown's address for the check, get nothing."""
    takedown = take_down(cast, published)
    check = latest(takedown)
    url = reverse(
        "takedown_check_page", kwargs={"school": cast.school.slug, "pk": takedown.pk, "check": check.pk}
    )
    teacher = signed_in(cast.teacher)
    assert (
        url
        in teacher.get(
            reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
        ).content.decode()
    )
    response = teacher.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/warc"
    assert f'filename="takedown-{takedown.pk}-check-{check.pk}.warc"' in response["Content-Disposition"]
    with check.page.open("rb") as f:
        assert b"".join(response.streaming_content) == f.read()
    assert AuditEvent.objects.filter(
        action="images.takedown.check_page_viewed", object_id=str(takedown.pk)
    ).exists()
    assert signed_in(cast.other_teacher).get(url).status_code in (403, 404)
    other = takedowns.take_down(_publish(cast, photos[1]), by=cast.teacher, reason="Another")
    wrong = reverse(
        "takedown_check_page", kwargs={"school": cast.school.slug, "pk": other.pk, "check": check.pk}
    )
    assert teacher.get(wrong).status_code == 404


def test_a_publication_with_an_open_takedown_says_it_must_come_down(cast, published, site):
    detail = reverse("publication_detail", kwargs={"school": cast.school.slug, "pk": published.pk})
    assert "Must come down" not in signed_in(cast.teacher).get(detail).content.decode()
    takedown = take_down(cast, published)
    page = signed_in(cast.teacher).get(detail).content.decode()
    link = reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    assert "Must come down" in page and f'href="{link}"' in page
    dsl = signed_in(cast.dsl).get(detail).content.decode()  # sees the register, not the publisher's takedown
    assert "Must come down" in dsl and f'href="{link}"' not in dsl


def test_the_publisher_is_told_every_address_it_is_still_at(cast, photos, site):
    """Both pages show the copy: the takedown names both as where to remove it from, and closing is refused
    naming both images found (not only the first)."""
    pub = _publish(cast, photos[0], places=[f"{site.base}/news", f"{site.base}/about"])
    site.routes["/img/ours.jpg"] = (200, "image/jpeg", copy_as_found(pub))
    site.routes["/img/big.jpg"] = (200, "image/jpeg", copy_as_found(pub))
    site.routes["/news"] = (200, "text/html", page("/img/ours.jpg"))
    site.routes["/about"] = (200, "text/html", page("/img/big.jpg"))
    takedown = take_down(cast, pub)
    shown = signed_in(cast.teacher).get(
        reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    )
    text = shown.content.decode()
    assert "every address where it was last found" in text
    assert f"{site.base}/news</strong>" in text and f"{site.base}/about</strong>" in text
    with pytest.raises(Refused) as refused:
        takedowns.finish_takedown(
            takedown, by=cast.teacher, note="Removed it from the news page and about page"
        )
    said = str(refused.value.decision.reasons[0])
    assert f"{site.base}/img/ours.jpg" in said and f"{site.base}/img/big.jpg" in said


def test_a_page_without_the_copy_is_gone(cast, published, site):
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    check = latest(take_down(cast, published))
    assert (check.result, check.found_url, check.why) == (R.GONE, "", "")
    assert len(check.compared) == 1


def test_a_withdrawal_of_consent_checks_its_takedown_too(cast, published):
    from saferstaff.schools.models import Guardian

    from .test_images_flows import consent

    noah = published.pupils.get().pupil
    consent(noah, Guardian.objects.get(school=cast.school, surname="Reed"), "website", "no", "portal")
    takedown = Takedown.objects.get(publication=published, pupil=noah)
    assert latest(takedown).result == R.STILL_THERE


@pytest.mark.parametrize(
    "route, words",
    [
        ((500, "text/html", b"broken"), "answered 500"),
        ((503, "text/html", b"busy"), "answered 503"),
        ((403, "text/html", b"members only"), "answered 403"),
        ((200, "application/zip", b"PK"), "not a web page"),
    ],
)
def test_a_page_that_cannot_be_read_is_could_not_check_never_gone(cast, published, site, route, words):
    site.routes["/news"] = route
    check = latest(take_down(cast, published))
    assert check.result == R.NOT_CHECKED and words in check.why


@pytest.mark.parametrize("status", [404, 410])
def test_a_place_whose_address_answers_404_or_410_is_gone(cast, photos, site, status):
    """The school deleted the page, or the image file itself: nothing is at that address now, so the photo is not
    there (a 5xx, a time-out or a refused connection stays "could not check")."""
    image = f"{site.base}/img/copy2.jpg"
    pub = _publish(cast, photos[0], places=[f"{site.base}/news", image])
    site.routes["/news"] = (status, "text/html", b"not here")
    site.routes["/img/copy2.jpg"] = (status, "text/html", b"not here")
    takedown = take_down(cast, pub)
    found = checks.latest(takedown).values()
    assert {c.result for c in found} == {R.GONE} and all(f"answered {status}" in c.why for c in found)
    assert checks.all_gone(takedown)
    takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)


def test_a_refused_connection_is_could_not_check(cast, photos, site):
    pub = _publish(cast, photos[0], places=["http://127.0.0.1:9/news"])  # nothing listens on port 9
    check = latest(take_down(cast, pub))
    assert check.result == R.NOT_CHECKED and "could not be fetched" in check.why


def test_a_page_that_never_answers_is_could_not_check_within_the_limit(cast, published, site, monkeypatch):
    monkeypatch.setattr(checks, "TIMEOUT", 1.0)
    site.routes["/news"] = (200, "", lambda h: time.sleep(3))
    started = time.monotonic()
    check = latest(take_down(cast, published))
    assert time.monotonic() - started < 2.5
    assert check.result == R.NOT_CHECKED and "did not answer within 1 seconds" in check.why


def test_an_image_that_cannot_be_fetched_makes_the_page_could_not_check(cast, published, site):
    site.routes["/img/broken.jpg"] = (500, "text/html", b"broken")
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg", "/img/broken.jpg"))
    check = latest(take_down(cast, published))
    assert check.result == R.NOT_CHECKED and "answered 500" in check.why


def test_an_image_deleted_from_the_site_but_still_named_by_the_page_is_gone(cast, published, site):
    """The site's editor deleted the file from its media library and left the <img>: nobody can see the photo."""
    site.routes.pop("/img/ours.jpg")  # 404 from now on
    check = latest(take_down(cast, published))
    assert check.result == R.GONE, check.why
    assert {"url": f"{site.base}/img/ours.jpg", "status": 404} in check.compared


def test_a_redirect_to_loopback_is_refused_when_loopback_is_not_allowed(
    cast, photos, site, settings, monkeypatch
):
    """``site.example`` stands for a public site (its address taken as checked) that redirects to 127.0.0.1."""
    real = fetching.resolve
    monkeypatch.setattr(
        fetching,
        "resolve",
        lambda host, port, **kw: "127.0.0.1" if host == "site.example" else real(host, port, **kw),
    )
    site.routes["/away"] = (302, f"{site.base}/news", b"")
    site.routes["/news"] = (200, "text/html", page())
    pub = _publish(cast, photos[0], places=[f"http://site.example:{site.server.server_port}/away"])
    settings.CAPTURE_ALLOW_LOOPBACK = False
    check = latest(take_down(cast, pub))
    assert check.result == R.NOT_CHECKED and "not on the public internet" in check.why
    assert site.hits == ["/away"]  # the loopback address was never asked


def test_an_endless_page_is_cut_at_its_limit(cast, published, site, monkeypatch):
    monkeypatch.setattr(checks, "PAGE_BYTES", 1_000_000)

    def endless(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        try:
            while True:
                h.wfile.write(b"<p>more news</p>" * 4096)
        except OSError:
            pass

    site.routes["/news"] = (200, "", endless)
    check = latest(take_down(cast, published))
    assert check.result == R.NOT_CHECKED and "larger than 1 MB" in check.why


def huge_png(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` × ``height`` pixels (a decompression bomb), with no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def test_a_huge_image_is_not_decoded_and_the_page_is_could_not_check(cast, published, site):
    site.routes["/img/huge.png"] = (200, "image/png", huge_png(40_000, 40_000))
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg", "/img/huge.png"))
    check = latest(take_down(cast, published))
    assert check.result == R.NOT_CHECKED and "could not be read" in check.why
    assert "larger than any photo" in check.compared[-1]["problem"]


def test_a_page_with_more_images_than_the_limit_fetches_no_more_than_it(cast, published, site, monkeypatch):
    monkeypatch.setattr(checks, "MAX_IMAGES", 3)
    site.routes["/news"] = (200, "text/html", page(*[f"/img/other.jpg?{i}" for i in range(10)]))
    site.routes.update({f"/img/other.jpg?{i}": site.routes["/img/other.jpg"] for i in range(10)})
    check = latest(take_down(cast, published))
    assert check.result == R.NOT_CHECKED and "more than 3 images" in check.why
    assert len([h for h in site.hits if h.startswith("/img/")]) == 3


def test_a_copy_with_no_fingerprint_is_could_not_check(cast, published):
    type(published).objects.filter(pk=published.pk).update(fingerprint=b"")
    published.refresh_from_db()
    check = latest(take_down(cast, published))
    assert check.result == R.NOT_CHECKED and "No fingerprint" in check.why


# --- Closing on the checks -------------------------------------------------------------------------------


def _done(cast, takedown):
    return reverse("takedown_done", kwargs={"school": cast.school.slug, "pk": takedown.pk})


def test_still_there_keeps_it_open_by_every_path(cast, published, site):
    takedown = take_down(cast, published)
    client = signed_in(cast.teacher)
    page_ = client.get(_done(cast, takedown)).content.decode()
    assert "Still there" in page_ and f"{site.base}/img/ours.jpg" in page_ and "Check again" in page_
    assert "Close: the check shows" not in page_
    response = client.post(_done(cast, takedown), {"action": "on_checks"})
    assert response.status_code == 409
    response = client.post(_done(cast, takedown), {"note": "Removed it"})
    assert response.status_code == 409 and "still there at" in response.content.decode()
    for kwargs in ({"on_checks": True}, {"note": "Removed it"}):
        with pytest.raises(Refused):
            takedowns.finish_takedown(takedown, by=cast.teacher, **kwargs)
    takedown.refresh_from_db()
    assert takedown.done_at is None


def test_removed_then_checked_again_is_gone_and_closes_on_the_check(cast, published, site):
    takedown = take_down(cast, published)
    client = signed_in(cast.teacher)
    site.routes["/news"] = (200, "text/html", page("/img/other.jpg"))
    check_url = reverse("takedown_check", kwargs={"school": cast.school.slug, "pk": takedown.pk})
    assert client.get(check_url).status_code == 405  # asking is a POST
    assert client.post(check_url).status_code == 302
    assert latest(takedown).result == R.GONE and takedown.checks.count() == 2
    page_ = client.get(_done(cast, takedown)).content.decode()
    assert "Every check of this address (2)" in page_ and "Close: the check shows" in page_
    response = client.post(_done(cast, takedown), {"action": "on_checks"})
    assert response.status_code == 302
    takedown.refresh_from_db()
    published.refresh_from_db()
    assert (
        takedown.done_at and takedown.closed_on_checks and "gone from 1 web address" in takedown.evidence_note
    )
    assert published.taken_down_at is not None
    done = AuditEvent.objects.filter(action="images.takedown.done").latest("seq")
    assert done.detail["checks"] == [latest(takedown).pk]
    assert client.post(check_url).status_code == 302  # refused: it is done
    assert takedown.checks.count() == 2


def test_could_not_check_is_not_enough_to_close_on(cast, published, site):
    site.routes["/news"] = (500, "text/html", b"down")
    takedown = take_down(cast, published)
    assert not checks.all_gone(takedown)
    with pytest.raises(Refused):
        takedowns.finish_takedown(takedown, by=cast.teacher, on_checks=True)
    takedowns.finish_takedown(takedown, by=cast.teacher, note="Removed; the site was down when checked")
    takedown.refresh_from_db()
    assert takedown.done_at and not takedown.closed_on_checks


def test_only_the_person_taking_it_down_or_senior_management_asks_for_a_check(cast, published):
    takedown = take_down(cast, published)
    with pytest.raises(Refused):
        checks.queue_checks(takedown, by=cast.other_teacher)
    assert len(checks.queue_checks(takedown, by=cast.slt)) == 1


# --- The daily chase -------------------------------------------------------------------------------------


def test_the_chase_checks_again_and_says_where_it_is_still_there(cast, published, site):
    takedown = take_down(cast, published)
    Takedown.objects.filter(pk=takedown.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert takedowns.chase_takedowns() == 1
    assert takedown.checks.count() == 2
    note = Notification.objects.filter(user=cast.teacher, kind="images.takedown.chase").get()
    assert note.title.endswith(f"still there at {site.base}/img/ours.jpg")


def test_a_place_still_there_keeps_every_takedown_of_the_publication_open(cast, published, site):
    from saferstaff.schools.models import Guardian

    from .test_images_flows import consent

    by_hand = take_down(cast, published)  # checked: still there
    site.routes["/news"] = (503, "text/html", b"busy")  # the withdrawal's own check could not read the page
    noah = published.pupils.get().pupil
    consent(noah, Guardian.objects.get(school=cast.school, surname="Reed"), "website", "no", "portal")
    withdrawal = Takedown.objects.get(publication=published, pupil=noah)
    assert latest(withdrawal).result == R.NOT_CHECKED
    site.routes["/news"] = (200, "text/html", page("/img/ours.jpg"))
    checks.queue_checks(by_hand, by=cast.teacher)
    with pytest.raises(Refused, match="still there"):
        takedowns.finish_takedown(withdrawal, by=cast.teacher, note="Removed it")


def test_a_check_the_worker_lost_is_given_up_daily_never_counted_as_gone(cast, published, site):
    takedown = take_down(cast, published)
    lost = PlaceCheck.objects.create(
        school=cast.school, takedown=takedown, place=published.places.get(),
        requested_at=timezone.now() - datetime.timedelta(hours=2),
    )  # fmt: skip
    fresh = PlaceCheck.objects.create(school=cast.school, takedown=takedown, place=published.places.get())
    assert checks.give_up_lost_checks() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.result == R.NOT_CHECKED and "not checked in time" in lost.why
    assert fresh.result == R.WAITING
    assert not checks.all_gone(takedown)


def test_a_check_in_progress_says_so_with_a_plain_refresh_link(cast, published, site):
    takedown = take_down(cast, published)
    PlaceCheck.objects.filter(takedown=takedown).update(result=R.WAITING)  # the worker has not run it yet
    shown = signed_in(cast.teacher).get(_done(cast, takedown)).content.decode()
    assert "Checking now" in shown and f'href="{_done(cast, takedown)}">Refresh</a>' in shown
    PlaceCheck.objects.filter(takedown=takedown).update(result=R.GONE)
    assert "Refresh</a>" not in signed_in(cast.teacher).get(_done(cast, takedown)).content.decode()
