"""§5: the takedowns — a publication that must come down, for its publisher to take down and record: raised by a
withdrawal of consent (``raise_takedowns``, on the consent room's ``withdrawn`` signal), by tagging a pupil with no
consent for a live publication (``raise_for``), by consent no longer given without a "no"
(``take_down_unconsented``, daily), by hand (``take_down``), by the retention schedule (``mark_due``) and by a
sweep of the school's own sites; recorded as done (``finish_takedown``) and chased daily (``chase_takedowns``).
Where each went is checked by ``checks``."""

import datetime
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from saferstaff import scans
from saferstaff.accounts.models import User
from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.consent.models import ConsentRecord, Purpose
from saferstaff.consent.states import state_of, states_for
from saferstaff.notifications.service import notify
from saferstaff.photos import checks, places, services
from saferstaff.photos.models import (
    Image,
    PlaceCheck,
    Publication,
    PublicationPlace,
    PublicationPupil,
    Takedown,
)
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.images import may_finish_takedown, may_take_down
from saferstaff.schools.models import Pupil, School
from saferstaff.schools.roles import Actor

logger = logging.getLogger(__name__)

# --- Consent -----------------------------------------------------------------------------------------


def take_down_on_withdrawal(sender, *, withdrawal: ConsentRecord, **kwargs) -> None:
    """A "no" recorded by ``consent.services.record_answers`` (its ``withdrawn`` signal, in its transaction)."""
    raise_takedowns(withdrawal)


def raise_takedowns(withdrawal: ConsentRecord) -> int:
    """Every live publication on the withdrawn purpose in which the pupil appears (as recorded when it was
    published, or tagged since) becomes a takedown for its publisher, if the pupil's consent for that
    purpose is now not given. Set-based: one query to find, one insert, one notification per publisher."""
    state = state_of(withdrawal.pupil, withdrawal.purpose)
    if state.allowed:
        return 0
    live = Publication.objects.filter(
        school_id=withdrawal.school_id,
        channel_id=withdrawal.purpose_id,
        taken_down_at__isnull=True,
        pupils__pupil_id=withdrawal.pupil_id,
    )
    return raise_for(
        withdrawal.school, withdrawal.pupil, live, withdrawal=withdrawal, reason=str(state.reasons[0])
    )


def raise_for(school, pupil, publications, *, withdrawal=None, reason: str = "") -> int:
    with transaction.atomic():
        rows = _raise_for(school, pupil, publications, withdrawal=withdrawal, reason=reason)
        _tell_publishers(school, rows)
    return len(rows)


def _raise_for(school, pupil, publications, *, withdrawal, reason: str) -> list[Takedown]:
    _lock(publications.values("pk"))  # a sweep raising for the same pupil at once waits, or is waited for
    rows = [
        Takedown(
            school_id=school.pk,
            publication_id=pk,
            pupil_id=pupil.pk,
            consent_record=withdrawal,
            reason=reason[:300],
            assigned_to_id=publisher,
        )
        for pk, publisher in publications.exclude(takedowns__pupil_id=pupil.pk)
        .order_by()
        .values_list("pk", "published_by_id")
    ]
    Takedown.objects.bulk_create(rows, batch_size=2000)
    checks.check_where_placed(rows)
    if rows:
        record("images.takedowns.raised", pupil, school=school, detail={"count": len(rows)})
    return rows


def _tell_publishers(school, rows: list[Takedown]) -> None:
    """One notice to each publisher of how many of ``rows`` are theirs to take down."""
    if not rows:
        return
    by_publisher: dict[int, int] = defaultdict(int)
    for row in rows:
        by_publisher[row.assigned_to_id] += 1
    url = reverse("takedown_list", kwargs={"school": school.slug})
    for user in User.objects.filter(pk__in=by_publisher):
        n = by_publisher[user.pk]
        notify(
            user,
            kind="images.takedown",
            title=f"Consent is missing: take down {n} published image{'s' if n != 1 else ''} (§5)",
            url=url,
            school=school,
        )


def take_down_unconsented(on: datetime.date | None = None) -> int:
    """Daily: what a "no" raises at once, where consent stopped being given without one — an answer lapsed (each
    annual one after 31 August), a guardian lost parental responsibility, a pupil reached the age of their own
    say: each live publication showing a pupil whose consent for its channel is not given on ``on`` (today), and
    who has no takedown of it yet, becomes one through ``raise_for``. How many were raised."""
    shown = (
        PublicationPupil.objects.filter(publication__taken_down_at__isnull=True)
        .exclude(
            Exists(Takedown.objects.filter(publication=OuterRef("publication"), pupil=OuterRef("pupil")))
        )
        .values_list("school_id", "publication_id", "pupil_id", "publication__channel_id")
    )
    by_school: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for school_id, pub, pupil, channel in shown:
        by_school[school_id].append((pub, pupil, channel))
    raised = 0
    for school in School.objects.filter(pk__in=by_school).order_by("pk"):
        rows = by_school[school.pk]
        pupils = Pupil.objects.in_bulk({p for _, p, _ in rows})
        uses = Purpose.objects.filter(pk__in={c for _, _, c in rows})
        states = states_for(school, pupils.values(), uses, on)
        due: dict[tuple[int, int], list[int]] = defaultdict(list)
        for pub, pupil, channel in rows:
            if not states[(pupil, channel)].allowed:
                due[(pupil, channel)].append(pub)
        # Each pupil in its own transaction; then one notice per publisher for the school's day (1 September
        # lapses hundreds of answers at once).
        raised_here: list[Takedown] = []
        with acting_as(school_id=school.pk):
            for (pupil, channel), pubs in due.items():
                with transaction.atomic():
                    raised_here += _raise_for(
                        school, pupils[pupil], Publication.objects.filter(pk__in=pubs), withdrawal=None,
                        reason=str(states[(pupil, channel)].reasons[0]),
                    )  # fmt: skip
            with transaction.atomic():
                _tell_publishers(school, raised_here)
        raised += len(raised_here)
    return raised


# --- Takedowns ------------------------------------------------------------------------------------------------


def take_down(publication: Publication, *, by, reason: str) -> Takedown:
    """The publisher or senior management takes a publication down, for a reason they give: a takedown for
    the publisher (told, unless it is them), who records that it is down (``finish_takedown``)."""
    decision = may_take_down(Actor.of(by, publication.school), subject=publication)
    enforce(decision)
    with transaction.atomic():
        takedown = Takedown.objects.create(
            school_id=publication.school_id, publication=publication, reason=reason.strip()[:300],
            assigned_to_id=publication.published_by_id, raised_by=by,
        )  # fmt: skip
        record("images.takedown.raised", takedown, detail={"publication": publication.pk, "by_hand": True})
        checks.queue_checks(takedown)  # where it went is checked as soon as it is taken down
        if publication.published_by_id != by.pk:
            school = takedown.school
            notify(
                publication.published_by,
                kind="images.takedown",
                title="Take down a published image (§5)",
                url=reverse("takedown_done", kwargs={"school": school.slug, "pk": takedown.pk}),
                school=school,
            )
    return takedown


def raise_found(
    publication: Publication, urls: list[str], *, pupil=None, reason: str
) -> tuple[Takedown, bool]:
    """A sweep of the school's own sites found the publication, which must not be shown (``reason``): each of
    ``urls`` (the page, the image) becomes a place of it, and its open takedown — raised now for its publisher,
    who is told, when it has none — checks them. (The takedown, whether it was raised now.) The pupil's own
    takedown of it, closed (by its publisher while the sweep ran, or before), is opened again: the photo is still
    there. The publication is locked first, so two sweeps, or a sweep and a withdrawal, raise one takedown."""
    with transaction.atomic():
        _lock([publication.pk])
        for url in urls:
            try:
                places.add_place(publication, url, by=None)
            except Refused:  # an address that cannot be kept as a place: the takedown is raised all the same
                logger.warning("sweep: found address not kept as a place of publication %s", publication.pk)
        takedown = Takedown.objects.filter(publication=publication, done_at__isnull=True).first()
        raised = takedown is None
        if raised:
            takedown = _reopened(publication, pupil, reason) or Takedown.objects.create(
                school_id=publication.school_id, publication=publication, pupil=pupil, reason=reason[:300],
                assigned_to_id=publication.published_by_id,
            )  # fmt: skip
            record("images.takedown.raised", takedown, detail={"publication": publication.pk, "found": True})
            school = takedown.school
            notify(
                publication.published_by,
                kind="images.takedown",
                title="Found on the school's website: take down a published image (§5)",
                url=reverse("takedown_done", kwargs={"school": school.slug, "pk": takedown.pk}),
                school=school,
            )
        checks.queue_checks(takedown)
    return takedown, raised


def _lock(publication_ids) -> None:
    """Lock the publications' rows (in order of id) until the transaction ends: whoever raises a takedown for one
    of them first, the other raiser then sees it."""
    list(
        Publication.objects.select_for_update()
        .filter(pk__in=publication_ids)
        .order_by("pk")
        .values_list("pk")
    )


def _reopened(publication: Publication, pupil, reason: str) -> Takedown | None:
    """The pupil's closed takedown of the publication, opened again (one takedown per publication and pupil):
    the close is kept in the audit log, with who closed it and when."""
    if pupil is None:
        return None
    takedown = Takedown.objects.filter(publication=publication, pupil=pupil).first()
    if takedown is None:
        return None
    closed = {
        "closed_at": takedown.done_at.isoformat() if takedown.done_at else None,
        "closed_by": takedown.done_by_id,
    }
    takedown.done_at = takedown.done_by = takedown.last_chased_at = None
    takedown.evidence_note, takedown.closed_on_checks = "", False
    takedown.reason, takedown.assigned_to_id = reason[:300], publication.published_by_id
    takedown.save()
    record("images.takedown.reopened", takedown, detail={"publication": publication.pk, **closed})
    return takedown


def finish_takedown(
    takedown: Takedown, *, by, note: str = "", evidence=None, on_checks: bool = False
) -> None:
    """The publisher has removed the copy: record how, and when every takedown of that publication is done,
    mark the publication taken down and delete our published copy. ``on_checks``: closed with the checks as
    its evidence, allowed only when every place's latest check found it gone. A place whose latest check found
    it still there keeps the takedown open, whatever the note says (§5), unless senior management overruled
    that check (``checks.overrule``): then the place counts as gone, by either path. Only the publisher or senior
    management closes it (the rule ``may_finish_takedown``)."""
    enforce(may_finish_takedown(Actor.of(by, takedown.school), subject=takedown))
    with transaction.atomic():
        if Takedown.objects.select_for_update().get(pk=takedown.pk).done_at is not None:
            raise Refused(refuse(Reason("It has been marked as taken down already", "§5")))
        # Checks are queued under this lock too (``checks.queue_checks``): none starts while this reads them.
        Publication.objects.select_for_update().filter(pk=takedown.publication_id).exists()
        newest = checks.standing(takedown)
        _refuse_unless_checks_allow(takedown, newest, note=note, evidence=evidence, on_checks=on_checks)
        overruled = sorted(o.pk for _, o in newest.values() if o is not None)
        if on_checks:
            note = note or _checked_note(len(newest) - len(overruled), len(overruled))
        if not note.strip():
            raise Refused(refuse(Reason("Say what you did", "§5", "note")))
        takedown.done_at = timezone.now()
        takedown.done_by = by
        takedown.evidence_note = note[:500]
        takedown.closed_on_checks = on_checks
        replaced = (
            takedown.evidence.name if evidence is not None else ""
        )  # a reopened takedown's first screenshot
        if evidence is not None:
            takedown.evidence.save(scans.stored_name(evidence), evidence, save=False)
        takedown.save()
        if replaced:
            transaction.on_commit(lambda: services.delete_files([replaced], school_id=takedown.school_id))
        pub = takedown.publication
        if pub.taken_down_at is None:
            pub.taken_down_at = takedown.done_at
            name = pub.copy.name
            pub.copy = ""
            pub.save(update_fields=["taken_down_at", "copy"])
            if name:
                transaction.on_commit(lambda: services.delete_files([name], school_id=pub.school_id))
        # A publication comes down once, whoever's withdrawal caused it.
        Takedown.objects.filter(publication=pub, done_at__isnull=True).update(
            done_at=takedown.done_at, done_by=by, evidence_note=note[:500], closed_on_checks=on_checks
        )
        detail = {"publication": pub.pk}
        if on_checks:
            detail["checks"] = sorted(c.pk for c, _ in newest.values())
        if overruled:
            detail["overruled"] = overruled  # the checks whose overrule let it close
        record("images.takedown.done", takedown, detail=detail)


# A place saferstaff could not check (or has not checked yet) is never counted as gone: closing with a note then
# needs the note to say what was done there (this many characters at least) or a screenshot.
UNCHECKED_NOTE_MIN = 30


def _refuse_unless_checks_allow(takedown, newest, *, note: str, evidence, on_checks: bool) -> None:
    """What the checks of the publication's places say about closing, by either path: a check still waiting
    (queued or running) and a place still there (not overruled) keep it open; closing on the checks needs every
    place gone; closing with a note over a place not checked needs the note to say what was done there."""
    waiting = [c for c, _ in newest.values() if c.result == PlaceCheck.Result.WAITING]
    if waiting:
        raise Refused(
            refuse(Reason(f"A check of {waiting[0].place.url} is still running: wait for its result", "§5"))
        )
    there = [c for c, o in newest.values() if c.result == PlaceCheck.Result.STILL_THERE and o is None]
    if there:
        found = ", ".join(dict.fromkeys(c.found_url for c in there))  # each image address once, as found
        raise Refused(refuse(Reason(f"The latest check found it still there at {found}", "§5")))
    if on_checks:
        if not checks.all_gone(takedown):
            raise Refused(
                refuse(Reason("Not every place's latest check found it gone: check again first", "§5"))
            )
        return
    unchecked = [
        url
        for pk, url in PublicationPlace.objects.filter(publication_id=takedown.publication_id).values_list(
            "pk", "url"
        )
        if pk not in newest or newest[pk][0].result == PlaceCheck.Result.NOT_CHECKED
    ]
    if unchecked and evidence is None and len(note.strip()) < UNCHECKED_NOTE_MIN:
        raise Refused(
            refuse(
                Reason(
                    f"saferstaff could not check {unchecked[0]}"
                    + (f" and {len(unchecked) - 1} more" if len(unchecked) > 1 else "")
                    + ": say what you did there (how it was removed and how you know it is gone), or add a screenshot",
                    "§5",
                    "note",
                )
            )
        )


def _checked_note(gone: int, overruled: int) -> str:
    parts = [f"gone from {gone} web address{'es' if gone != 1 else ''}"] if gone else []
    if overruled:
        where = f"{overruled} {'more ' if gone else ''}web address{'es' if overruled != 1 else ''}"
        parts.append(f"at {where}, senior management said the image found is not the withdrawn photo")
    return "Checked by saferstaff: " + "; ".join(parts)


def chase_takedowns(now: datetime.datetime | None = None) -> int:
    """Daily: check again the places of each open takedown due a reminder, and remind each publisher of their
    open takedowns (at most once a day), saying where the latest check found one still there."""
    now = now or timezone.now()
    due = Takedown.objects.filter(done_at__isnull=True).filter(
        Q(last_chased_at__isnull=True, created_at__lte=now - datetime.timedelta(days=1))
        | Q(last_chased_at__lte=now - datetime.timedelta(days=1))
    )
    grouped: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, school_id, user_id in due.values_list("pk", "school_id", "assigned_to_id"):
        grouped[(school_id, user_id)].append(pk)
    placed = due.filter(Exists(PublicationPlace.objects.filter(publication=OuterRef("publication"))))
    for takedown in placed.select_related("school"):
        with acting_as(school_id=takedown.school_id):
            checks.queue_checks(takedown)  # run by the worker; the reminder says what the latest one found

    for (school_id, user_id), pks in grouped.items():
        school = School.objects.get(pk=school_id)
        there = [c for t in Takedown.objects.filter(pk__in=pks) for c in checks.still_there(t)]
        where = f": still there at {there[0].found_url}" if there else ""
        title = f"Still to take down: {len(pks)} published image{'s' if len(pks) != 1 else ''} (§5){where}"
        notify(
            User.objects.get(pk=user_id),
            kind="images.takedown.chase",
            title=title if len(title) <= 200 else title[:199] + "…",
            url=reverse("takedown_list", kwargs={"school": school.slug}),
            school=school,
        )
        Takedown.objects.filter(pk__in=pks).update(last_chased_at=now)
    return sum(len(v) for v in grouped.values())


# --- Retention ---------------------------------------------------------------------------------------------


def mark_due(listed) -> int:
    """The retention schedule's due list says which images are due for destruction (``listed``: a queryset
    of image ids, from the privacy room, which this room does not import). Mark them (they are not published
    again), unmark those no longer listed (a legal hold, a longer period), and raise a takedown for each live
    publication of a marked image, so that it can then be destroyed (§5). Three set-based statements, whatever
    the size of the library; returns the images newly marked."""
    now = timezone.now()
    Image.objects.filter(destruction_queued_at__isnull=False).exclude(pk__in=listed).update(
        destruction_queued_at=None
    )
    marked = Image.objects.filter(destruction_queued_at__isnull=True, pk__in=listed).update(
        destruction_queued_at=now
    )
    _take_down_expired()
    return marked


def _take_down_expired() -> int:
    """A takedown (no pupil: the date, not a withdrawal) for each live publication of a queued image that has
    no open takedown yet; one notice per publisher."""
    live = (
        Publication.objects.filter(taken_down_at__isnull=True, image__destruction_queued_at__isnull=False)
        .exclude(Exists(Takedown.objects.filter(publication=OuterRef("pk"), done_at__isnull=True)))
        .order_by()
    )
    rows = [
        Takedown(school_id=school_id, publication_id=pk, assigned_to_id=publisher, reason=EXPIRED)
        for pk, school_id, publisher in live.values_list("pk", "school_id", "published_by_id")
    ]
    Takedown.objects.bulk_create(rows, batch_size=2000)
    checks.check_where_placed(rows)
    grouped: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        grouped[(row.school_id, row.assigned_to_id)] += 1
    if rows:
        schools = School.objects.in_bulk({s for s, _ in grouped})
        users = User.objects.in_bulk({u for _, u in grouped})
        for (school_id, user_id), count in grouped.items():
            school = schools[school_id]
            notify(
                users[user_id],
                kind="images.takedown",
                title=f"Past its retention period: take down {count} published image{'s' if count != 1 else ''} (§5)",
                url=reverse("takedown_list", kwargs={"school": school.slug}),
                school=school,
            )
        for school_id in {s for s, _ in grouped}:
            count = sum(n for (s, _), n in grouped.items() if s == school_id)
            record(
                "images.takedowns.raised", None, school=school_id, detail={"count": count, "expired": True}
            )
    return len(rows)


EXPIRED = "The image is past its retention period: take it down so that it can be destroyed (§5, §8)"
