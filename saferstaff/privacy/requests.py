"""§8, UK GDPR art. 15: the doors of a subject access request. Each asks its rule (``rules.privacy``), writes in
one transaction, recomputes the due date by the ICO's month (``clocks.due('sar', ...)``) and is audited with ids
and codes only.

The due date: the corresponding calendar date one month after the request arrived (the last day of the month
when there is none), moved on by the days the clock was paused (waiting for proof of identity or for
clarification) and by an extension of one or two further months; the next working day when that date is a
weekend or a bank holiday."""

import datetime
import hashlib
import tempfile
import zipfile
from dataclasses import dataclass

from django.apps import apps
from django.core.files import File
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from saferstaff import clocks
from saferstaff.audit.log import record
from saferstaff.biometrics import blurring
from saferstaff.faces.images import load_image
from saferstaff.faces.types import FaceError
from saferstaff.photos.files import clean_copy
from saferstaff.photos.models import Image
from saferstaff.privacy import sharing
from saferstaff.privacy.holdings import RESTRICTED_LABEL, held_about
from saferstaff.privacy.kinds import KINDS
from saferstaff.privacy.models import AccessRequest, Bundle, Exemption, Found, LawfulBasis, Pause, Sharing
from saferstaff.publishing.services import blurred_copy
from saferstaff.rules.engine import enforce, refused
from saferstaff.rules.privacy import (
    OFFICERS,
    may_extend_request,
    may_log_request,
    may_read_request,
    may_work_request,
)
from saferstaff.schools.roles import Actor, members_holding

# --- The clock ------------------------------------------------------------------------------------------------


def paused_days(req: AccessRequest) -> int:
    """Whole days the clock stood still, in the pauses that have ended (an open pause still runs)."""
    if req.pk is None:
        return 0
    return sum((p.ended_on - p.started_on).days for p in req.pauses.all() if p.ended_on is not None)


def _recompute(req: AccessRequest) -> None:
    req.due_at = clocks.due(
        "sar", req.received_at, paused_days=paused_days(req), extension_months=req.extension_months
    )


@dataclass(frozen=True)
class Why:
    """The due date of a request, in words: what the ICO's rule made of this request's dates."""

    received_on: datetime.date
    paused: int
    extension: int
    due_on: datetime.date

    @property
    def steps(self) -> list[str]:
        fmt = "%-d %B %Y"
        start = self.received_on + datetime.timedelta(days=self.paused)
        base = clocks.add_months(start, 1 + self.extension)
        said = [f"The request arrived on {self.received_on.strftime(fmt)}."]
        if self.paused:
            days = f"{self.paused} day{'s' if self.paused != 1 else ''}"
            said.append(f"The clock was paused for {days}, so the month counts from {start.strftime(fmt)}.")
        months = (
            "One calendar month" if not self.extension else f"With the extension, {1 + self.extension} months"
        )
        no_such_date = " (that month has no such date: its last day)" if base.day != start.day else ""
        said.append(f"{months} later is {base.strftime(fmt)}{no_such_date}.")
        if base != self.due_on:
            said.append(
                f"{base.strftime(fmt)} is {clocks.not_working_because(base)}, so it is due the next working day, "
                f"{self.due_on.strftime(fmt)}."
            )
        return said


def why_due(req: AccessRequest) -> Why:
    return Why(
        received_on=clocks.local(req.received_at).date(),
        paused=paused_days(req),
        extension=req.extension_months,
        due_on=clocks.local(req.due_at).date(),
    )


# --- Logging, identity, pauses, extension ---------------------------------------------------------------------


def log_request(
    actor,
    *,
    requester_kind: str,
    requester_name: str,
    received_at: datetime.datetime,
    requester_contact: str = "",
    about_pupil=None,
    about_member=None,
    about_other: str = "",
    what_asked: str = "",
) -> AccessRequest:
    """A request as it arrived. It may be about someone saferstaff has no record of: the checklist then finds
    nothing, which is the answer."""
    enforce(may_log_request(actor, about_member=about_member))
    if received_at > timezone.now():
        raise refused("The date the request arrived cannot be in the future", "§8", "received_at")
    if sum(bool(x) for x in (about_pupil, about_member, about_other.strip())) != 1:
        raise refused("Choose one person the request is about", "§8", "about_kind")
    for person, field in ((about_pupil, "about_pupil"), (about_member, "about_member")):
        if person is not None and person.school_id != actor.school.pk:
            raise refused("Choose one person the request is about", "§8", field)
    with transaction.atomic():
        req = AccessRequest(
            school=actor.school,
            requester_kind=requester_kind,
            requester_name=requester_name,
            requester_contact=requester_contact,
            about_pupil=about_pupil,
            about_member=about_member,
            about_other=about_other.strip(),
            received_at=received_at,
            what_asked=what_asked,
            handled_by=actor.membership,
            logged_by=actor.user,
        )
        _recompute(req)
        req.save()
        record(
            "privacy.sar.logged",
            req,
            detail={"requester": requester_kind, "pupil": req.about_pupil_id, "member": req.about_member_id},
        )
    return req


def _working(actor, req: AccessRequest) -> AccessRequest:
    """The request again, locked, once the rule says the actor may work on it."""
    locked = AccessRequest.objects.select_for_update().get(pk=req.pk)
    enforce(may_work_request(actor, subject=locked))
    return locked


def check_identity(actor, req: AccessRequest, *, how: str) -> AccessRequest:
    """Identity is checked: an identity pause ends (the clock runs again from today)."""
    if not how.strip():
        raise refused("Say how their identity was checked", "§8", "how")
    with transaction.atomic():
        req = _working(actor, req)
        req.identity_checked_at, req.identity_checked_by, req.identity_how = (
            timezone.now(),
            actor.user,
            how.strip(),
        )
        open_pause = req.pauses.filter(ended_on__isnull=True, why=Pause.Why.IDENTITY).first()
        if open_pause is not None:
            open_pause.ended_on = timezone.localdate()
            open_pause.save(update_fields=["ended_on"])
            req.status = AccessRequest.Status.OPEN
        _recompute(req)
        req.save()
        record("privacy.sar.identity_checked", req, detail={"pause_ended": open_pause is not None})
    return req


def pause_request(actor, req: AccessRequest, *, why: str) -> AccessRequest:
    """The clock stops while the school waits for proof of identity or for clarification: one pause at a time."""
    if why not in Pause.Why.values:
        raise refused("Choose why the clock stops", "§8", "why")
    with transaction.atomic():
        req = _working(actor, req)
        if req.pauses.filter(ended_on__isnull=True).exists():
            raise refused("The clock is paused already: resume it first", "§8", "why")
        Pause.objects.create(
            school_id=req.school_id, request=req, why=why, started_on=timezone.localdate(), by=actor.user
        )
        req.status = AccessRequest.Status.PAUSED
        req.save(update_fields=["status"])
        record("privacy.sar.paused", req, detail={"why": why})
    return req


def resume_request(actor, req: AccessRequest) -> AccessRequest:
    with transaction.atomic():
        req = _working(actor, req)
        pause = req.pauses.filter(ended_on__isnull=True).first()
        if pause is None:
            raise refused("The clock is not paused", "§8")
        pause.ended_on = timezone.localdate()
        pause.save(update_fields=["ended_on"])
        req.status = AccessRequest.Status.OPEN
        _recompute(req)
        req.save(update_fields=["status", "due_at"])
        record("privacy.sar.resumed", req, detail={"days": (pause.ended_on - pause.started_on).days})
    return req


def extend_request(actor, req: AccessRequest, *, months: int, reason: str) -> AccessRequest:
    """One or two further months, with the reason, told to the requester within the first month."""
    if not reason.strip():
        raise refused("Say why the request needs longer (it is told to the requester)", "§8", "reason")
    with transaction.atomic():
        req = AccessRequest.objects.select_for_update().get(pk=req.pk)
        enforce(may_extend_request(actor, subject=req, months=months))
        req.extension_months, req.extension_reason = months, reason.strip()
        req.extension_told_at = timezone.now()
        _recompute(req)
        req.save()
        record("privacy.sar.extended", req, detail={"months": months})
    return req


def close_request(actor, req: AccessRequest, *, status: str, reason: str = "") -> AccessRequest:
    closing = {AccessRequest.Status.ANSWERED, AccessRequest.Status.REFUSED, AccessRequest.Status.WITHDRAWN}
    if status not in closing:
        raise refused("Choose how the request ended", "§8", "status")
    if status == AccessRequest.Status.REFUSED and not reason.strip():
        raise refused(
            "Say why the request is refused (the requester is told, and may complain to the ICO)",
            "§8",
            "reason",
        )
    with transaction.atomic():
        req = _working(actor, req)
        req.pauses.filter(ended_on__isnull=True).update(ended_on=timezone.localdate())
        req.status, req.closed_at, req.closed_reason = status, timezone.now(), reason.strip()
        req.save(update_fields=["status", "closed_at", "closed_reason"])
        record("privacy.sar.closed", req, detail={"status": status})
    return req


# --- The checklist --------------------------------------------------------------------------------------------

# What a row says of a record its reader may not open: not even its kind or its room (the subject of an
# allegation, an officer of the request, learns nothing of it here, KCSIE Part 4).
ROUTED_KIND = "A record reviewed by the person it is routed to"


def readers(req: AccessRequest) -> list[Actor]:
    """Everyone who reads the request, and so its checklist and its bundles: its officers, bar anyone it is
    about."""
    members = members_holding(req.school_id, OFFICERS).select_related("user")
    actors = [Actor.of(m.user, req.school) for m in members]
    return [a for a in actors if may_read_request.peek(a, subject=req)]


def routed_elsewhere(req: AccessRequest, actors) -> set[tuple[str, str]]:
    """The (kind, id) of the records held about the person that one of ``actors`` may not open. Judged for
    whoever reads, never taken from the row: a row found by the case manager says nothing more to the others."""
    if req.about_pupil_id is None and req.about_member_id is None:
        return set()
    hidden = set()
    for actor in actors:
        held = held_about(req.school, pupil=req.about_pupil, member=req.about_member, reader=actor)
        hidden |= {(h.kind, str(h.record_id)) for h in held if h.restricted}
    return hidden


def refresh_checklist(actor, req: AccessRequest) -> int:
    """Add a row for everything held about the person that is not on the checklist yet; decisions already made
    stay. A row with other people's data in it is proposed for redaction (their data is not the requester's,
    DPA 2018 Sch. 2 para. 16) until someone decides. Returns how many rows were added."""
    with transaction.atomic():
        req = _working(actor, req)
        if req.about_pupil_id is None and req.about_member_id is None:
            held = []  # someone saferstaff has no record of: nothing is held
        else:
            held = held_about(req.school, pupil=req.about_pupil, member=req.about_member, reader=actor)
        hidden = routed_elsewhere(req, {actor, *readers(req)})
        have = set(req.found.values_list("record_type", "record_id"))
        new = [
            Found(
                school_id=req.school_id,
                request=req,
                record_type=h.kind,
                record_id=str(h.record_id),
                room=h.room,
                label=RESTRICTED_LABEL if (h.kind, str(h.record_id)) in hidden else h.label[:300],
                recorded_on=h.on,
                others_in_it=h.others_in_it,
                decision=Found.Decision.REDACT if h.others_in_it else Found.Decision.UNDECIDED,
                exemption=Exemption.THIRD_PARTY if h.others_in_it else "",
            )
            for h in held
            if (h.kind, str(h.record_id)) not in have
        ]
        Found.objects.bulk_create(new)
        record("privacy.sar.checklist", req, detail={"held": len(held), "added": len(new)})
    return len(new)


def _decide(actor, found: Found, *, decision: str, exemption: str = "", note: str = "", bulk=False) -> None:
    """One row's decision, checked and written (the request is locked and open: the caller's ``_working``)."""
    if decision not in Found.Decision.values or decision == Found.Decision.UNDECIDED:
        raise refused("Choose disclose, redact or withhold", "§8", "decision")
    if decision in (Found.Decision.REDACT, Found.Decision.WITHHOLD) and exemption not in Exemption.values:
        raise refused("Choose the exemption that allows redacting or withholding it", "§8", "exemption")
    if exemption == Exemption.OTHER and not note.strip():
        raise refused("Name the exemption in the note", "§8", "note")
    found.decision = decision
    found.exemption = exemption if decision != Found.Decision.DISCLOSE else ""
    found.note = note.strip()[:500]
    found.decided_by, found.decided_at = actor.user, timezone.now()
    found.save(update_fields=["decision", "exemption", "note", "decided_by", "decided_at"])
    detail = {"found": found.pk, "decision": decision} | ({"bulk": True} if bulk else {})
    record("privacy.sar.decided", found.request, detail=detail)


def decide_found(actor, found: Found, *, decision: str, exemption: str = "", note: str = "") -> Found:
    with transaction.atomic():
        _working(actor, found.request)
        _decide(actor, found, decision=decision, exemption=exemption, note=note)
    return found


@dataclass(frozen=True)
class Disclosed:
    """What "disclose everything not yet decided" did: rows disclosed, and rows left for a decision one by one."""

    disclosed: int
    others_in_it: int  # other people's data in them: redacted unless they agree, never disclosed in bulk
    routed: int  # read only by the person they are routed to: theirs to review


def one_by_one(req: AccessRequest, actor) -> set[tuple[str, str]]:
    """The (kind, id) of the rows that are never disclosed in bulk because someone reading the request may not
    open them (their reviewer answers for them)."""
    return routed_elsewhere(req, {actor, *readers(req)})


def in_bulk(found: Found, routed: set[tuple[str, str]]) -> bool:
    """Whether "disclose everything not yet decided" discloses this row: nobody has decided it, it holds no one
    else's data, and every reader of the request may open it."""
    return (
        found.decision == Found.Decision.UNDECIDED
        and not found.others_in_it
        and (found.record_type, found.record_id) not in routed
        and found.label != RESTRICTED_LABEL
    )


def disclose_undecided(actor, req: AccessRequest) -> Disclosed:
    """Every row nobody has decided yet, disclosed by the same checks and writes as one row's decision. Left as
    they are, for a decision one by one: a row with other people's data in it (DPA 2018 Sch. 2 para. 16), and
    a row a reader of the request may not open (its reviewer answers for it)."""
    with transaction.atomic():
        req = _working(actor, req)
        hidden = one_by_one(req, actor)
        done = others = routed = 0
        for found in req.found.select_for_update().filter(decided_by__isnull=True).order_by("pk"):
            if in_bulk(found, hidden):
                found.request = req
                _decide(actor, found, decision=Found.Decision.DISCLOSE, bulk=True)
                done += 1
            elif found.others_in_it:
                others += 1
            elif found.decision == Found.Decision.UNDECIDED:
                routed += 1
        record("privacy.sar.disclosed_undecided", req, detail={"disclosed": done, "left": others + routed})
    return Disclosed(done, others, routed)


# --- The bundle -----------------------------------------------------------------------------------------------


@dataclass
class Item:
    found: Found
    file: str = ""  # the file's name in the zip, if it has one
    faces_blurred: int = 0
    faces_unknown: int = 0
    problem: str = ""
    restricted: bool = False  # a reader of the request may not open it: its reviewer answers for it

    @property
    def title(self) -> str:
        """What the index calls it: a record listed without its content is not described, nor its kind named."""
        return ROUTED_KIND if self.restricted else self.found.label

    @property
    def room(self) -> str:
        return "" if self.restricted else self.found.room


def _image_copy(image: Image, pupil_id: int | None, item: Item) -> bytes | None:
    """A clean copy (no camera or location data) of a photo with every face but the subject's blurred; a video
    is copied whole only when nobody else is known to be in it and the DPO, having watched it, chose disclose
    (a video's faces are neither screened nor blurred here, so "redact" keeps it out)."""
    if image.kind == Image.Kind.VIDEO:
        if item.found.others_in_it or item.found.decision != Found.Decision.DISCLOSE:
            item.problem = "A video with other people in it: it can be watched at school with the requester"
            return None
        return clean_copy(image)
    if pupil_id is None:
        return clean_copy(image)
    try:
        with image.original.open("rb") as f:
            picture = load_image(f.read())
    except (FaceError, OSError):
        item.problem = "The photo could not be read to blur other faces: it is not included"
        return None
    plan = blurring.plan_for_subject(image, pupil_id, picture)
    item.faces_blurred = len(plan.blur)
    item.faces_unknown = sum(1 for f in plan.faces if f["why"] == blurring.UNKNOWN)
    return blurred_copy(image, plan)


# People a record may name besides its subject: shown when disclosed, redacted (as are its words) when the
# row says redact. Redaction here is deliberately broad; the DPO reads the bundle before sending it.
PEOPLE = {"accounts.User", "schools.Membership", "schools.Guardian", "schools.Pupil"}
REDACTED = "[redacted: another person's data]"


def _value(obj, f, *, redact: bool, subject) -> str | None:
    """One field of a record as the bundle shows it; None leaves it out (files go as files or not at all, ids
    and encrypted or structured values say nothing to the reader)."""
    if (
        f.primary_key
        or f.name == "school"
        or isinstance(f, (models.FileField, models.BinaryField, models.JSONField))
    ):
        return None
    if f.is_relation:
        related = getattr(obj, f.name)
        if related is None:
            return None
        if related == subject:
            return str(related)
        if f.related_model._meta.label in PEOPLE and redact:
            return REDACTED
        return str(getattr(related, "display_name", related))
    value = getattr(obj, f.attname)
    if value in (None, ""):
        return None
    if redact and isinstance(f, (models.CharField, models.TextField)) and not f.choices:
        return REDACTED  # words may name or describe others: the DPO discloses them by choosing "disclose"
    if f.choices:
        return str(getattr(obj, f"get_{f.name}_display")())
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%-d %B %Y, %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%-d %B %Y")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def record_pages(given: list[Item], subject) -> list[dict]:
    """A page per record disclosed (not images: they are files): its fields, others' data redacted when its
    row says redact. A record one of the request's readers may not open (read only by whoever it is routed to)
    is not described here: that reader reviews it."""
    wanted: dict[str, list[Item]] = {}
    for item in given:
        f = item.found
        if f.record_type == "images" or f.record_type not in KINDS or item.restricted:
            continue
        wanted.setdefault(f.record_type, []).append(item)
    pages = []
    for kind, items in wanted.items():
        model = apps.get_model(KINDS[kind].model)
        relations = [f.name for f in model._meta.concrete_fields if f.is_relation and f.name != "school"]
        rows = model.objects.select_related(*relations) if relations else model.objects
        objects = rows.in_bulk([i.found.record_id for i in items])
        for item in items:
            obj = objects.get(int(item.found.record_id))
            if obj is None:
                continue
            redact = item.found.decision == Found.Decision.REDACT
            fields = [
                (str(f.verbose_name).capitalize(), v)
                for f in model._meta.concrete_fields
                if (v := _value(obj, f, redact=redact, subject=subject)) is not None
            ]
            pages.append({"title": item.found.label, "kind": KINDS[kind].label, "fields": fields})
    return pages


def make_bundle(actor, req: AccessRequest) -> Bundle:
    """A zip of what is disclosed: index.pdf (every item disclosed or redacted, with its decision; what is
    withheld counted by exemption, never described), records.pdf (a page per record) and the images as clean
    copies with other pupils' faces blurred. Every decision must be made first. Opens its entry in the sharing log.
    The same decisions give back the bundle already made from them."""
    from weasyprint import HTML  # heavy, and only for the PDFs: as in policies' dashboard_pdf

    with transaction.atomic():
        req = _working(actor, req)
        rows = list(req.found.all())
        if any(f.decision == Found.Decision.UNDECIDED for f in rows):
            raise refused("Decide every row of the checklist first: disclose, redact or withhold", "§8")
        decisions = hashlib.sha256(
            repr(sorted((f.record_type, f.record_id, f.decision, f.exemption, f.note) for f in rows)).encode()
        ).hexdigest()
        if made := req.bundles.filter(decisions=decisions).first():
            return made
        hidden = routed_elsewhere(req, {actor, *readers(req)})
        given = [
            Item(f, restricted=(f.record_type, f.record_id) in hidden or f.label == RESTRICTED_LABEL)
            for f in rows
            if f.decision in (Found.Decision.DISCLOSE, Found.Decision.REDACT)
        ]
        withheld: dict[str, int] = {}
        for f in rows:
            if f.decision == Found.Decision.WITHHOLD:
                label = Exemption(f.exemption).label if f.exemption in Exemption.values else f.exemption
                withheld[label] = withheld.get(label, 0) + 1
        images = {
            str(i.pk): i
            for i in Image.objects.filter(
                school=req.school,
                pk__in=[i.found.record_id for i in given if i.found.record_type == "images"],
            )
        }
        spool = tempfile.TemporaryFile()
        with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as zf:
            for item in given:
                image = images.get(item.found.record_id) if item.found.record_type == "images" else None
                if image is None:
                    continue
                data = _image_copy(image, req.about_pupil_id, item)
                if data is not None:
                    item.file = (
                        f"images/{'video' if image.kind == Image.Kind.VIDEO else 'photo'}-{image.pk}."
                        + ("mp4" if image.kind == Image.Kind.VIDEO else "jpg")
                    )
                    zf.writestr(item.file, data)
            html = render_to_string(
                "privacy/sar_bundle_pdf.html",
                {
                    "req": req,
                    "school": req.school,
                    "items": given,
                    "kinds": KINDS,
                    "withheld": sorted(withheld.items()),
                    "now": timezone.now(),
                },
            )
            zf.writestr("index.pdf", HTML(string=html).write_pdf())
            subject = req.about_pupil or req.about_member
            if pages := record_pages(given, subject):
                html = render_to_string(
                    "privacy/sar_records_pdf.html", {"req": req, "school": req.school, "pages": pages}
                )
                zf.writestr("records.pdf", HTML(string=html).write_pdf())
        spool.seek(0)
        digest = hashlib.file_digest(spool, "sha256").hexdigest()
        spool.seek(0)
        bundle = Bundle(
            school_id=req.school_id,
            request=req,
            sha256=digest,
            items=len(given),
            decisions=decisions,
            made_by=actor.user,
        )
        bundle.file.save(f"request-{req.pk}-{digest[:12]}.zip", File(spool), save=False)
        try:
            bundle.save()
            record(
                "privacy.sar.bundle_made",
                bundle,
                school=req.school_id,
                detail={"request": req.pk, "items": len(given)},
            )
            sharing.open_prefilled(
                school_id=req.school_id,
                source=Sharing.Source.ACCESS_REQUEST,
                source_ref=bundle.pk,
                actor=actor,
                pupils=[req.about_pupil_id] if req.about_pupil_id else [],
                members=[req.about_member_id] if req.about_member_id else [],
                recipient=req.requester_name,
                organisation="",
                what=f"Subject access bundle for request {req.pk}: {len(given)} items",
                lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
                why="UK GDPR art. 15: the right of access",
            )
        except BaseException:  # nothing made: no file left behind without its row
            bundle.file.delete(save=False)
            raise
    return bundle
