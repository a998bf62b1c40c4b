"""§5: the weekly sweep of the school's own websites. Senior management list the sites (``add_site``,
``remove_site``; the rule ``rules.images.may_change_sites``); each week a sweep per school (``queue_due_sweeps``,
from the daily job; ``sweep_school`` on the worker) walks them with ``crawling.Sweep`` and looks every image up
in one index of what the school must not show:

- a live publication showing a pupil whose consent for its channel is not given now (``consent.states``), or
  of an image past its retention period: found, it becomes a takedown with the page and image as its places
  (``takedowns.raise_found``), so the check runs;
- an original in the library never published (fingerprinted here, at most ``SITE_SWEEP_ORIGINALS`` a sweep,
  newest first, the count left out said in the summary): found, senior management are told where — never
  taken down automatically, since someone may have had a reason.

Each sweep is a ``SiteSweep``: counts and findings (web addresses and record ids)."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.consent.models import Purpose
from saferstaff.consent.states import states_for
from saferstaff.crawling import Limits, Sweep
from saferstaff.imagematch import Fingerprint, ImageRefused, fingerprint
from saferstaff.imagematch.index import HashIndex
from saferstaff.photos import checks, takedowns
from saferstaff.photos.models import Image, PlaceCheck, Publication, PublicationPupil, SchoolSite, SiteSweep
from saferstaff.photos.places import clean_url
from saferstaff.photos.services import tell_senior_management
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.images import may_change_sites
from saferstaff.schools.models import Pupil, School
from saferstaff.schools.roles import Actor

log = logging.getLogger(__name__)

WEEK = datetime.timedelta(days=7)
EXPIRED = "Found on the school's website, past its retention period: take it down (§5, §8)"


def add_site(school: School, url: str, *, label: str = "", by) -> tuple[SchoolSite, bool]:
    """Add one of the school's websites (senior management): (the site, whether it was added now). An address
    already listed is returned as it is; a bad one is refused, naming the field, with what is wrong with it."""
    enforce(may_change_sites(Actor.of(by, school), subject=school))
    try:
        url = clean_url(url)
    except ValidationError as problem:
        raise Refused(refuse(Reason(problem.messages[0], "§5", "url"))) from None
    with transaction.atomic():
        site, created = SchoolSite.objects.get_or_create(
            school=school, url=url, defaults={"label": _label(label, url), "added_by": by}
        )
        if created:
            record("images.site.added", site, school=school.pk)
    return site, created


def _label(label: str, url: str) -> str:
    """The name as shown before the address ("School website: https://…"): without a colon typed at its end, and
    none when it only repeats the address."""
    label = label.strip().rstrip(":").strip()[:100]
    return "" if label.rstrip("/") == url.rstrip("/") else label


def check_now(site: SchoolSite, *, by) -> tuple[SiteSweep, bool]:
    """Senior management asks for one listed site to be swept now (the rule for changing the sites): (the sweep,
    whether it was queued now). A sweep of the school still running is returned instead of queuing another."""
    enforce(may_change_sites(Actor.of(by, site.school), subject=site.school))
    running = SiteSweep.objects.filter(school_id=site.school_id, finished_at__isnull=True).first()
    if running is not None:
        return running, False
    return queue_sweep(site.school_id, site=site), True


def remove_site(site: SchoolSite, *, by) -> None:
    enforce(may_change_sites(Actor.of(by, site.school), subject=site.school))
    with transaction.atomic():
        record("images.site.removed", site, school=site.school_id)
        site.delete()


# --- The sweep -------------------------------------------------------------------------------------------------


def queue_due_sweeps(now: datetime.datetime | None = None) -> int:
    """Daily: a sweep for each school with sites whose last sweep started a week ago or more (or never)."""
    now = now or timezone.now()
    last = dict(
        SiteSweep.objects.filter(
            site__isnull=True
        )  # a "Check now" of one site does not put off the weekly sweep
        .values("school_id")
        .annotate(last=Max("started_at"))
        .values_list("school_id", "last")
    )
    due = [
        s
        for s in set(SchoolSite.objects.values_list("school_id", flat=True))
        if last.get(s, now - WEEK) <= now - WEEK
    ]
    for school_id in sorted(due):
        with acting_as(school_id=school_id):
            queue_sweep(school_id)
    return len(due)


def queue_sweep(school_id: int, *, site: SchoolSite | None = None) -> SiteSweep:
    """A sweep of every site of the school (the weekly one), or of ``site`` alone (``check_now``)."""
    with transaction.atomic():
        sweep = SiteSweep.objects.create(school_id=school_id, site=site)
        detail = {"site": site.pk} if site else {}
        record("images.site_sweep.queued", sweep, school=school_id, detail=detail)
        transaction.on_commit(lambda: sweep_school.enqueue(sweep.pk))
    return sweep


@task()
def sweep_school(sweep_id: int) -> None:
    school_id = SiteSweep.objects.filter(pk=sweep_id).values_list("school_id", flat=True).first()
    with acting_as(school_id=school_id):
        run_sweep(sweep_id)


def not_to_show(school: School, *, originals: int) -> tuple[HashIndex, dict]:
    """The index of what the school must not show, keyed ("withdrawn", publication id, pupil id),
    ("expired", publication id), ("taken_down", publication id) and ("original", image id); and its counts."""
    index = HashIndex()
    live = Publication.objects.filter(school=school, taken_down_at__isnull=True).exclude(fingerprint=b"")
    shown = list(
        PublicationPupil.objects.filter(school=school, publication__in=live).values_list(
            "publication_id", "pupil_id", "publication__channel_id"
        )
    )
    states = (
        states_for(
            school,
            Pupil.objects.filter(pk__in={p for _, p, _ in shown}),
            Purpose.objects.filter(pk__in={c for _, _, c in shown}),
        )
        if shown
        else {}
    )
    keys: dict[int, tuple] = {}
    for pub, pupil, channel in shown:
        if pub not in keys and not states[(pupil, channel)].allowed:
            keys[pub] = ("withdrawn", pub, pupil)
    for pub in live.filter(image__destruction_queued_at__isnull=False).values_list("pk", flat=True):
        keys.setdefault(pub, ("expired", pub))
    # (d) copies taken down: one that comes back (put up again by hand, a page restored) must come down again.
    gone = Publication.objects.filter(school=school, taken_down_at__isnull=False).exclude(fingerprint=b"")
    for pub in gone.values_list("pk", flat=True):
        keys[pub] = ("taken_down", pub)
    fingerprints = Publication.objects.filter(school=school, pk__in=keys).values_list("pk", "fingerprint")
    for pub, data in fingerprints:
        index.add(keys[pub], Fingerprint.from_bytes(bytes(data)))
    never = Image.objects.filter(school=school, kind=Image.Kind.PHOTO, publications__isnull=True)
    total, read = never.count(), 0
    for image in never.order_by("-uploaded_at", "-pk")[:originals]:
        try:
            with image.original.open("rb") as f:
                index.add(("original", image.pk), fingerprint(f.read()))
            read += 1
        except (ImageRefused, OSError) as problem:  # ids only in the log: a file's name can name a pupil
            log.warning(
                "image %s could not be fingerprinted for the site sweep (%s)",
                image.pk,
                type(problem).__name__,
            )
    counts = {
        "withdrawn": sum(1 for k in keys.values() if k[0] == "withdrawn"),
        "expired": sum(1 for k in keys.values() if k[0] == "expired"),
        "taken_down": sum(1 for k in keys.values() if k[0] == "taken_down"),
        "originals": read,
        "originals_left_out": total - min(total, originals),
    }
    return index, counts


def run_sweep(sweep_id: int) -> SiteSweep:
    """The worker's half of ``queue_sweep``: build the index, walk the sites, act on what was found."""
    sweep = SiteSweep.objects.select_related("school").get(pk=sweep_id)
    if sweep.finished_at is not None:
        return sweep
    try:
        return _run(sweep)
    except Exception:  # noqa: BLE001  a sweep left running would show as running for ever; the worker logs why
        sweep.summary, sweep.finished_at = {"stopped": "the check failed inside saferstaff"}, timezone.now()
        sweep.save()
        raise


def _run(sweep: SiteSweep) -> SiteSweep:
    school = sweep.school
    index, counts = not_to_show(school, originals=settings.SITE_SWEEP_ORIGINALS)
    sites = SchoolSite.objects.filter(school=school)
    if sweep.site_id is not None:
        sites = sites.filter(pk=sweep.site_id)
    starts = list(sites.values_list("url", flat=True))
    limits = Limits(**settings.SITE_SWEEP_LIMITS, allow_loopback=settings.CAPTURE_ALLOW_LOOPBACK)
    walk = Sweep(starts, index, limits)
    found: dict[tuple, list] = {}
    for finding in walk:
        found.setdefault(finding.key, []).append(finding)
    raised = flags = failed = overruled = 0
    told = _told(sweep)
    for key, findings in found.items():
        if key[0] != "original":
            shown = _not_overruled(key[1], findings)
            overruled, findings = overruled + len(findings) - len(shown), shown
            if not findings:
                continue
        for f in findings:
            entry = {"kind": key[0], "page": f.page_url[:2000], "image": f.image_url[:2000]}
            entry["image_id" if key[0] == "original" else "publication"] = key[1]
            if key[0] == "original" and f.hashes:
                entry["hashes"] = list(f.hashes)  # what senior management were told of, so told once
            sweep.findings.append(entry)
        try:
            if key[0] == "original":
                flags += _tell(school, key[1], findings, told)
            else:
                raised += _take_down(key, findings)
        except Exception:  # noqa: BLE001  one finding failing never loses the others; the log says which (ids)
            failed += 1
            log.exception("sweep %s: acting on finding %s %s failed", sweep.pk, key[0], key[1])
    s = walk.summary
    sweep.summary = {
        **counts, "pages": s.pages, "images": s.images, "findings": s.findings, "takedowns_raised": raised,
        "flags": flags, "failed": failed, "overruled": overruled, "refused": dict(s.refused), "stopped": s.stopped,
    }  # fmt: skip
    sweep.finished_at = timezone.now()
    sweep.save()
    record(
        "images.site_sweep.done",
        sweep,
        school=school.pk,
        detail={k: v for k, v in sweep.summary.items() if k != "refused"},
    )
    return sweep


def _not_overruled(publication_id: int, findings) -> list:
    """The findings of a publication's photo that still count as it: not an image senior management said is not
    the withdrawn photo (``checks.overrule_of``: the same image address and hashes as the overruled check)."""
    overrules = list(
        PlaceCheck.objects.filter(place__publication_id=publication_id, overruled_at__isnull=False)
    )
    if not overrules:
        return list(findings)
    return [
        f
        for f in findings
        if checks.overrule_of(
            overrules, f.image_url if f.in_pdf is None else f"{f.image_url}#image-{f.in_pdf}", f.hashes
        )
        is None
    ]


def _take_down(key: tuple, findings) -> int:
    pub = Publication.objects.select_related("school", "published_by").get(pk=key[1])
    urls = list(dict.fromkeys(u for f in findings for u in (f.page_url, f.image_url)))
    if key[0] == "withdrawn":
        pupil = Pupil.objects.get(pk=key[2])
        state = states_for(pub.school, [pupil], [pub.channel])[(pupil.pk, pub.channel_id)]
        reason = f"Found on the school's website: {state.reasons[0]}"
    elif key[0] == "taken_down":
        pupil, reason = None, "Found on the school's website again after it was taken down"
    else:
        pupil, reason = None, EXPIRED
    _takedown, raised = takedowns.raise_found(pub, urls, pupil=pupil, reason=reason)
    return int(raised)


# What a finding's key says, for the page (a sweep's findings keep the key's kind).
FOUND = {
    "withdrawn": "published, but its pupils' consent for it is no longer given (withdrawn, lapsed or refused)",
    "expired": "published, but past its retention period",
    "taken_down": "taken down, but back on the site",
    "original": "a photo from the library never published through saferstaff",
}


def by_image(findings: list[dict], refs: dict[int, str]) -> list[dict]:
    """A sweep's findings as the page shows them: one entry per image address found, with the pages it is on and
    what it matched — each kind of match and library image once, in the order found (``refs``: each publication's
    image number; an original's is its id), with the publications or image behind it. One image matching three
    publications of the same photo, on two pages, is one entry with one line, not six."""
    grouped: dict[str, dict] = {}
    for f in findings:
        entry = grouped.setdefault(f["image"], {"image": f["image"], "pages": [], "matches": []})
        if f["page"] not in entry["pages"]:
            entry["pages"].append(f["page"])
        original = f["kind"] == "original"
        pk = f["image_id"] if original else f["publication"]
        ref = pk if original else refs.get(pk, pk)
        match = next((m for m in entry["matches"] if (m["kind"], m["ref"]) == (f["kind"], ref)), None)
        if match is None:
            match = {"kind": f["kind"], "what": FOUND.get(f["kind"], ""), "ref": ref, "ids": []}
            entry["matches"].append(match)
        if pk not in match["ids"]:
            match["ids"].append(pk)
    return list(grouped.values())


def _told(sweep: SiteSweep) -> set[tuple[int, tuple]]:
    """The library photos never published that senior management were told of by an earlier sweep of the school:
    (image id, the hashes of the image found)."""
    earlier = SiteSweep.objects.filter(school_id=sweep.school_id).exclude(pk=sweep.pk)
    return {
        (f["image_id"], tuple(f["hashes"]))
        for findings in earlier.values_list("findings", flat=True)
        for f in findings
        if f.get("kind") == "original" and f.get("hashes")
    }


def _tell(school: School, image_id: int, findings, told: set) -> int:
    """Senior management told where a photo never published was found: one notice per image found (by its
    hashes), naming where, and none for an image they were told of by an earlier sweep until it changes."""
    new: dict[tuple, list] = {}
    for f in findings:
        if (image_id, f.hashes) not in told:
            new.setdefault(f.hashes, []).append(f)
    for found in new.values():
        first, more = found[0], len({(f.page_url, f.image_url) for f in found}) - 1
        also = f" and {more} more place{'s' if more != 1 else ''}" if more else ""
        title = (
            f"Image {image_id} from the library, never published through saferstaff, is at {first.image_url} "
            f"on {first.page_url}{also} (§5)"
        )
        tell_senior_management(
            school,
            title=title if len(title) <= 200 else title[:199] + "…",
            url=reverse("image_detail", kwargs={"school": school.slug, "pk": image_id}),
            kind="images.site_sweep.found",
        )
    return len(new)
