"""§5: has a photo that was taken down really come down? Each place of the publication (``PublicationPlace``) is
checked by the worker, never in a request: the page is fetched by the SSRF-safe fetcher, every image it shows
(or a PDF holds) is fetched with the same limits, at most ``MAX_IMAGES`` of them, and each is compared with the
fingerprint kept on the publication. A place is "gone" only when every image found was compared and none matched;
anything not read makes it "could not check", never "gone". The page is kept as a WARC, with the hashes compared.

Checks are queued by ``queue_checks`` (taking down, a withdrawal, "Check again", the daily chase) and run by
``check_place``. Closing a takedown on their evidence is ``takedowns.finish_takedown``."""

import datetime
import hashlib
from base64 import b64decode
from urllib.parse import unquote_to_bytes, urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.fetching import Fetched, FetchRefused, fetch
from saferstaff.imagematch import (
    Fingerprint,
    ImageRefused,
    TooManyImages,
    distance,
    fingerprint,
    images_in_html,
    images_in_pdf,
    open_image,
    same_photo,
)
from saferstaff.incidents.capture import warc_of
from saferstaff.photos.models import PlaceCheck, Publication, PublicationPlace, Takedown
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.images import may_check_takedown, may_overrule_check
from saferstaff.schools.roles import Actor

MAX_IMAGES = 40  # images fetched from one page: a gallery page beyond this is "could not check", not "gone"
PAGE_BYTES = 10_000_000
IMAGE_BYTES = 15_000_000
TIMEOUT = 20.0  # seconds, for the page and for each image
HTML = ("text/html", "application/xhtml+xml")
# A place's own address (a page, or the image file itself), or an image a page names, answering one of these says
# nothing is there now: the photo is gone from it. Any other 4xx or 5xx, a time-out or a refused connection is
# "could not check" (ADR 0015).
GONE_STATUSES = (404, 410)


def queue_checks(takedown: Takedown, *, by=None) -> list[PlaceCheck]:
    """A check of each place of the takedown's publication, run by the worker. ``by`` is a person asking
    ("Check again": the rule ``may_check_takedown``); None when saferstaff asks itself (taking down, the chase)."""
    if by is not None:
        enforce(may_check_takedown(Actor.of(by, takedown.school), subject=takedown))
    with transaction.atomic():
        # One at a time per publication: a place already waiting for a check (a double click on "Check again", the
        # chase while one runs) gets no second one. A check lost by the worker is given up after GIVE_UP. Closing
        # takes the same lock (``takedowns.finish_takedown``), so no check is queued for a takedown done
        # meanwhile (the chase's list read before it closed): its result, "still there" or not, would tell nobody.
        Publication.objects.select_for_update().filter(pk=takedown.publication_id).exists()
        if Takedown.objects.filter(pk=takedown.pk, done_at__isnull=False).exists():
            return []
        waiting = PlaceCheck.objects.filter(
            place__publication_id=takedown.publication_id,
            result=PlaceCheck.Result.WAITING,
            requested_at__gte=timezone.now() - GIVE_UP,
        ).values("place_id")
        places = list(
            PublicationPlace.objects.filter(publication_id=takedown.publication_id)
            .exclude(pk__in=waiting)
            .values_list("pk", flat=True)
        )
        checks = PlaceCheck.objects.bulk_create(
            PlaceCheck(school_id=takedown.school_id, takedown=takedown, place_id=pk, requested_by=by)
            for pk in places
        )
        if checks:
            record(
                "images.takedown.check_queued", takedown, school=takedown.school_id,
                detail={"checks": [c.pk for c in checks]},
            )  # fmt: skip
        for check in checks:
            transaction.on_commit(lambda pk=check.pk: check_place.enqueue(pk))
    return checks


def check_where_placed(takedowns: list[Takedown]) -> None:
    """Takedowns just raised in bulk (a withdrawal, the keep-until date): each whose publication has places is
    checked at once; one query finds which have."""
    placed = set(
        PublicationPlace.objects.filter(publication_id__in=[t.publication_id for t in takedowns]).values_list(
            "publication_id", flat=True
        )
    )
    for takedown in takedowns:
        if takedown.publication_id in placed:
            queue_checks(takedown)


def history(takedown: Takedown):
    """Every check of the publication's places (for this takedown or another of the same publication: a
    place is checked for whichever pupil's withdrawal), newest first."""
    return PlaceCheck.objects.filter(
        school_id=takedown.school_id, place__publication_id=takedown.publication_id
    ).order_by("-requested_at", "-pk")


def latest(takedown: Takedown) -> dict[int, PlaceCheck]:
    """Each place's newest check, by place id (places never checked are absent)."""
    found: dict[int, PlaceCheck] = {}
    for check in history(takedown):
        found.setdefault(check.place_id, check)
    return found


def standing(takedown: Takedown) -> dict[int, tuple[PlaceCheck, PlaceCheck | None]]:
    """Each checked place's newest check, by place id, with the overrule that covers it (or None): one query."""
    checks = list(history(takedown))
    found: dict[int, tuple[PlaceCheck, PlaceCheck | None]] = {}
    for check in checks:
        if check.place_id not in found:
            found[check.place_id] = (check, covering(check, checks))
    return found


def covering(check: PlaceCheck, checks) -> PlaceCheck | None:
    """The overrule, among ``checks`` (of the same publication), that covers ``check``: a "still there" that
    senior management said is not the withdrawn photo — this check, or an earlier one of the same place that
    found the same image (``overrule_of``). The photo found again at another address is not."""
    if check.result != PlaceCheck.Result.STILL_THERE:
        return None
    earlier = [o for o in checks if o.place_id == check.place_id and o.requested_at <= check.requested_at]
    return overrule_of(earlier, check.found_url, _found_hashes(check))


def overrule_of(overrules, url: str, hashes: tuple[str, str] | None) -> PlaceCheck | None:
    """Whether the image at ``url`` with these hashes (pHash, dHash in hex) no longer counts as the withdrawn
    photo: the overrule among ``overrules`` (checks of the same publication) of a check that found the same
    image — the same image address and the same hashes — or None. The one rule, for the checks and the weekly
    sweep: a changed image at that address, or the photo at another address, is a new finding."""
    if hashes is None:
        return None
    for other in overrules:
        if other.overruled_at is not None and other.found_url == url and _found_hashes(other) == hashes:
            return other
    return None


def _found_hashes(check: PlaceCheck) -> tuple[str, str] | None:
    for image in check.compared:
        if image.get("url") == check.found_url and "phash" in image:
            return image["phash"], image["dhash"]
    return None


def all_gone(takedown: Takedown) -> bool:
    """True when the publication has places and every one's newest check found the copy gone, or found an
    image senior management said is not the withdrawn photo (``overrule``)."""
    places = set(
        PublicationPlace.objects.filter(publication_id=takedown.publication_id).values_list("pk", flat=True)
    )
    newest = standing(takedown)
    return bool(places) and all(
        pk in newest and (newest[pk][0].result == PlaceCheck.Result.GONE or newest[pk][1] is not None)
        for pk in places
    )


def still_there(takedown: Takedown) -> list[PlaceCheck]:
    """The places whose newest check found the photo, and no overrule covers it."""
    return [
        c
        for c, overrule in standing(takedown).values()
        if c.result == PlaceCheck.Result.STILL_THERE and not overrule
    ]


def overrule(check: PlaceCheck, *, by, reason: str) -> PlaceCheck:
    """Senior management says the image a check found ("still there") is not the withdrawn photo — another shot
    of the same scene, or a photo the school may show — and why (rule ``may_overrule_check``). The place then
    counts as gone for closing the takedown; the overrule is kept on the check as its evidence (who, when, why)
    and covers later checks that find the same image at the same address, not the photo found elsewhere."""
    with transaction.atomic():
        check = PlaceCheck.objects.select_for_update().select_related("takedown").get(pk=check.pk)
        newest = PlaceCheck.objects.filter(place_id=check.place_id).order_by("-requested_at", "-pk").first()
        enforce(
            may_overrule_check(Actor.of(by, check.takedown.school), subject=check, newest=newest == check)
        )
        if not reason.strip():
            raise Refused(
                refuse(Reason("Enter why the image found is not the withdrawn photo", "§5", "reason"))
            )
        check.overruled_by, check.overruled_at = by, timezone.now()
        check.overrule_reason = reason.strip()[:500]
        check.save(update_fields=["overruled_by", "overruled_at", "overrule_reason"])
        record(
            "images.takedown.check_overruled", check.takedown, school=check.school_id,
            detail={"check": check.pk, "place": check.place_id, "publication": check.takedown.publication_id},
        )  # fmt: skip
    return check


# A check fetches a page and at most MAX_IMAGES images, each within TIMEOUT: one still waiting after this long was
# lost by the worker (it stopped, or never ran) and is given up, so the takedown page does not wait for ever.
GIVE_UP = datetime.timedelta(hours=1)


def give_up_lost_checks(now: datetime.datetime | None = None) -> int:
    """Daily: each check waiting longer than ``GIVE_UP`` becomes "could not check". How many."""
    now = now or timezone.now()
    lost = list(PlaceCheck.objects.filter(result=PlaceCheck.Result.WAITING, requested_at__lt=now - GIVE_UP))
    for check in lost:
        with acting_as(school_id=check.school_id), transaction.atomic():
            if PlaceCheck.objects.filter(pk=check.pk, result=PlaceCheck.Result.WAITING).update(
                result=PlaceCheck.Result.NOT_CHECKED,
                checked_at=now,
                why="It was not checked in time: check again",
            ):
                record("images.takedown.checked", ("images.takedown", check.takedown_id), school=check.school_id,
                       detail={"check": check.pk, "place": check.place_id, "result": PlaceCheck.Result.NOT_CHECKED})  # fmt: skip
    return len(lost)


# A check is short (a page and at most MAX_IMAGES images) and someone may be waiting for it on the takedown's page:
# it goes on its own queue, which every worker takes before its other jobs and one worker takes alone.
CHECK_PRIORITY = 50


@task(queue_name=settings.CHECKS_QUEUE, priority=CHECK_PRIORITY)
def check_place(check_id: int) -> None:
    school_id = PlaceCheck.objects.filter(pk=check_id).values_list("school_id", flat=True).first()
    with acting_as(school_id=school_id):
        run_check(check_id)


def run_check(check_id: int) -> PlaceCheck:
    """The worker's half of ``queue_checks``: fetch, compare, keep the evidence. A check always ends."""
    check = PlaceCheck.objects.select_related("place", "takedown__publication").get(pk=check_id)
    if check.result != PlaceCheck.Result.WAITING:
        return check
    try:
        _compare(check)
    except Exception:  # noqa: BLE001  a check left waiting would never end; the worker's log says what broke
        check.result, check.why = PlaceCheck.Result.NOT_CHECKED, "The check failed inside saferstaff"
        _finish(check)
        raise
    _finish(check)
    return check


def _finish(check: PlaceCheck) -> None:
    check.checked_at = timezone.now()
    check.save()
    record(
        "images.takedown.checked", check.takedown, school=check.school_id,
        detail={"check": check.pk, "place": check.place_id, "result": check.result},
    )  # fmt: skip


def _not_checked(check: PlaceCheck, why: str) -> None:
    check.result, check.why = PlaceCheck.Result.NOT_CHECKED, why[:300]


def _compare(check: PlaceCheck) -> None:
    kept = bytes(check.takedown.publication.fingerprint or b"")
    if not kept:
        return _not_checked(
            check, "No fingerprint of the published copy was kept, so it cannot be recognised"
        )
    published = Fingerprint.from_bytes(kept)
    try:
        page = _fetch(check.place.url, PAGE_BYTES)
    except FetchRefused as problem:
        return _not_checked(check, str(problem))
    check.http_status, check.final_url = page.status, page.final_url[:2000]
    warc = warc_of(page)
    check.page_sha256 = hashlib.sha256(warc).hexdigest()
    host = urlsplit(page.final_url).hostname or "page"
    check.page.save(f"{check.school_id}-{host}.warc", ContentFile(warc), save=False)
    if page.status in GONE_STATUSES:
        check.result, check.why = (
            PlaceCheck.Result.GONE,
            f"The address answered {page.status}: nothing is there now",
        )
        return None
    if page.status >= 400:
        return _not_checked(
            check, f"The page answered {page.status}: whether the photo is gone cannot be seen"
        )
    complete, why = _images(check, page, published)
    if check.result == PlaceCheck.Result.STILL_THERE:
        return None
    if not complete:
        return _not_checked(check, why)
    check.result = PlaceCheck.Result.GONE
    return None


def _images(check: PlaceCheck, page: Fetched, published: Fingerprint) -> tuple[bool, str]:
    """Compare what the page shows with the copy; set "still there" on the first match. (complete, why not)."""
    kind = page.content_type
    if kind.startswith("image/"):
        return _one(check, page.final_url, page.status, page.body, published), "The image could not be read"
    if kind == "application/pdf":
        try:
            found, complete, why = images_in_pdf(page.body, max_images=MAX_IMAGES), True, ""
        except TooManyImages as many:
            found, complete, why = many.first, False, str(many)
        except ImageRefused as problem:
            return False, str(problem)
        for number, im in enumerate(found, 1):
            if _match(check, f"{page.final_url}#image-{number}", page.status, im, published):
                return True, ""
        return complete, why
    if kind not in HTML:
        return False, f"The page is not a web page, a PDF or an image ({kind or 'no type'})"
    try:
        urls, complete, why = (
            images_in_html(page.body, page.final_url, limit=MAX_IMAGES, inline=True),
            True,
            "",
        )
    except TooManyImages as many:
        urls, complete, why = (
            many.first,
            False,
            f"The page shows more than {MAX_IMAGES} images; the first were checked",
        )
    for number, url in enumerate(urls, 1):
        if (
            url[:5].lower() == "data:"
        ):  # written into the page itself: compared when it can be read as a photo
            url, data = f"{page.final_url}#inline-image-{number}", _written(url)
            if not _one(check, url, page.status, data, published, quiet=True):
                continue  # a placeholder (a 1-pixel GIF, an SVG shape while the real image loads): no photo
            if check.result == PlaceCheck.Result.STILL_THERE:
                return True, ""
            continue
        try:
            image = _fetch(url, IMAGE_BYTES)
        except FetchRefused as problem:
            check.compared.append({"url": url[:2000], "problem": str(problem)[:200]})
            complete, why = False, f"An image on the page could not be fetched: {problem}"
            continue
        if image.status >= 400:
            check.compared.append({"url": url[:2000], "status": image.status})
            if image.status not in GONE_STATUSES:  # a 404 or 410: a file deleted from the site, shown nowhere
                complete, why = False, f"An image on the page answered {image.status}"
            continue
        if not _one(check, url, image.status, image.body, published):
            complete, why = False, "An image on the page could not be read"
        if check.result == PlaceCheck.Result.STILL_THERE:
            return True, ""
    return complete, why


def _written(url: str) -> bytes:
    """The bytes of a ``data:`` address (b"" when they cannot be decoded)."""
    head, _, payload = url.partition(",")
    try:
        return b64decode(payload) if head.lower().endswith(";base64") else unquote_to_bytes(payload)
    except ValueError:
        return b""


def _one(check, url: str, status: int, data: bytes, published: Fingerprint, *, quiet: bool = False) -> bool:
    """Compare one fetched image; False when it could not be read (kept in ``compared`` unless ``quiet``)."""
    try:
        image = open_image(data)
    except ImageRefused as problem:
        if not quiet:
            check.compared.append({"url": url[:2000], "status": status, "problem": str(problem)[:200]})
        return False
    _match(check, url, status, image, published)
    return True


def _match(check, url: str, status: int, image, published: Fingerprint) -> bool:
    found = fingerprint(image)
    phash, dhash = found.variants[0]
    near = list(distance(published, found))
    check.compared.append(
        {
            "url": url[:2000],
            "status": status,
            "phash": f"{phash:016x}",
            "dhash": f"{dhash:016x}",
            "distance": near,
        }
    )
    if same_photo(published, found):
        check.result, check.found_url, check.distance = PlaceCheck.Result.STILL_THERE, url[:2000], near
        return True
    return False


def _fetch(url: str, max_bytes: int) -> Fetched:
    return fetch(url, max_bytes=max_bytes, timeout=TIMEOUT, allow_loopback=settings.CAPTURE_ALLOW_LOOPBACK)
