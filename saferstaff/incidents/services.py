"""The doors of §9: reporting, adding evidence, opening it (verified against its hash every time) and sealing
it. Each asks its rule (``rules.incidents``) with the acting person's ``Actor``, writes in one transaction,
audits ids and codes only and tells the designated persons by an email with no content."""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from saferstaff import clocks
from saferstaff.audit.context import acting_as
from saferstaff.audit.log import record
from saferstaff.fetching import FetchRefused, refuse_private_literal
from saferstaff.incidents import vault
from saferstaff.incidents.capture import capture, screenshot
from saferstaff.incidents.models import (
    Action,
    Capture,
    Case,
    CaseMember,
    Contact,
    Evidence,
    EvidenceSeal,
    Involved,
    Note,
)
from saferstaff.incidents.signals import contact_recorded
from saferstaff.notifications.models import Notification
from saferstaff.notifications.service import notify
from saferstaff.rules.conduct import CHAIR, readers, route_for
from saferstaff.rules.engine import Reason, Refused, enforce, refuse, require
from saferstaff.rules.incidents import (
    DESIGNATED,
    KCSIE,
    chair_manages,
    may_add_evidence,
    may_close_case,
    may_complete_action,
    may_edit_note,
    may_manage_case,
    may_open_evidence,
    may_read_case,
    may_report,
    may_report_allegation,
    may_seal_evidence,
    may_share_case,
    may_write_note,
)
from saferstaff.schools.models import ClosureDay, Membership, Pupil
from saferstaff.schools.roles import DSL, Actor, members_holding

# What a door says of each required field left empty (beside that field, on every form that sends it).
REQUIRED = {
    "what_happened": "Say what happened",
    "what": "Say what needs doing",
    "text": "Write the note",
    "with_whom": "Say who it was",
    "reference": "Enter the crime reference number the police gave",
    "closed_reason": "Say why the case is closed",
}


def _now(case: Case, rule, actor: Actor, **more) -> Case:
    """Inside a door's transaction: the case as it is now, locked until the write is done, and ``rule`` asked
    of it again (not audited: the door asked it first). A step sent as the case closed — two tabs, a double
    submit — is refused, never written to a closed case or reopening it."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    enforce(rule.peek(actor, subject=case, **more))
    return case


def _once(write, reason: Reason):
    """``write()`` inside a savepoint: when a request sent at the same moment wrote the one row allowed first (two
    tabs, a double submit; the unique constraint decides), refuse with ``reason`` instead of failing."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        raise Refused(refuse(reason)) from None


def _case_url(case: Case) -> str:
    return reverse("case_detail", kwargs={"school": case.school.slug, "pk": case.pk})


def _tell(members, *, kind: str, title: str, case: Case, except_user_id=None) -> None:
    """An alert with no content (§9): what kind of thing, the case number, a link; never a name."""
    for user in {m.user for m in members.select_related("user")}:
        if user.pk != except_user_id:
            notify(user, kind=kind, title=title, url=_case_url(case), school=case.school)


def not_about(members, case: Case):
    """``members`` less anyone ``case`` is about: its subject, and whoever it names as having done it."""
    alleged = case.involved.filter(role=Involved.Role.ALLEGED, member__isnull=False).values("member")
    return members.exclude(pk=case.subject_id or 0).exclude(pk__in=alleged)


def managers(case: Case):
    """The members who run ``case`` — those ``rules.incidents.manages`` names: its case manager (an allegation:
    the chair when ``chair_manages``), or the designated persons; never someone it is about."""
    if not case.is_allegation:
        members = members_holding(case.school_id, DESIGNATED)
    else:
        members = readers(case.school_id, CHAIR if chair_manages(case) else case.routed_to)
    return not_about(members, case)


def _someone_runs(case: Case) -> None:
    """A case is never left with nobody to run it: when it names every designated person as having done it,
    it is an allegation about staff, for the Headteacher or the chair of governors (KCSIE Part 4)."""
    if not case.is_allegation and not managers(case).exists():
        raise Refused(
            refuse(
                Reason(
                    "Everyone who would handle this report is named in it as having done it: report it as an "
                    "allegation about a member of staff instead, so that the Headteacher or the chair of "
                    "governors handles it",
                    KCSIE,
                    "person",
                )
            )
        )


def _closures(school_id: int) -> list[datetime.date]:
    return list(ClosureDay.objects.filter(school_id=school_id).values_list("day", flat=True))


def lado_due(school_id: int, received: datetime.datetime) -> datetime.datetime:
    """KCSIE Part 4: referred to the LADO by the end of the first working day after the day received."""
    return clocks.due("lado", received, closures=_closures(school_id))


def recount_lado_clocks(sender, *, school_id: int, **kwargs) -> int:
    """The school's closure days changed (``schools.closures``): every allegation still waiting for its LADO
    referral is due again by the school's calendar as it is now. How many moved."""
    closures = _closures(school_id)
    waiting = (
        Case.objects.filter(school_id=school_id, kind=Case.Kind.ALLEGATION, lado_due__isnull=False)
        .exclude(status=Case.Status.CLOSED)
        .exclude(contacts__kind=Contact.Kind.LADO)
    )
    moved = 0
    for case in waiting.only("pk", "reported_at", "lado_due"):
        due = clocks.due("lado", case.reported_at, closures=closures)
        if due != case.lado_due:
            Case.objects.filter(pk=case.pk).update(lado_due=due)
            record("incidents.lado_due_changed", case, detail={"due": due.isoformat()})
            moved += 1
    return moved


def _when(section: str, happened_on: datetime.date) -> None:
    if happened_on > timezone.localdate():
        raise Refused(refuse(Reason("The date cannot be in the future", section, "happened_on")))


@dataclass(frozen=True)
class Person:
    """Someone a report involves: a member of staff, a pupil, or someone outside school described in words."""

    role: str
    member: Membership | None = None
    pupil: Pupil | None = None
    outsider: str = ""


def _involve(actor: Actor, case: Case, person: Person) -> Involved:
    if person.role not in Involved.Role.values:
        raise Refused(refuse(Reason("Say how they are involved", "§9", "role")))
    given = [x for x in (person.member, person.pupil, person.outsider.strip()) if x]
    if len(given) != 1:
        raise Refused(
            refuse(
                Reason(
                    "Choose one person: a member of staff, a pupil or someone outside school", "§9", "person"
                )
            )
        )
    if person.member is not None and (person.member.school_id != case.school_id or person.member.ended_on):
        raise Refused(refuse(Reason("Choose a member of this school's staff", "§9", "member")))
    if person.pupil is not None and person.pupil.school_id != case.school_id:
        raise Refused(refuse(Reason("Choose a pupil of this school", "§9", "pupil")))
    involved = Involved.objects.create(
        school_id=case.school_id, case=case, role=person.role, member=person.member, pupil=person.pupil,
        outsider=person.outsider.strip()[:300], added_by=actor.user,
    )  # fmt: skip
    record("incidents.involved", case, detail={"involved": involved.pk, "role": person.role})
    return involved


# A file as the page received it: its name and its bytes (the page reads each with a size cap first).
Upload = tuple[str, bytes]
MAX_FILES = 10  # files kept at once, by one report or one "add evidence"


def _file_problem(name: str, data: bytes) -> Reason | None:
    """Why one received file cannot be kept (§9), naming it; None when it can."""
    if not data:
        return Reason(f"{name} is empty: choose the file again", "§9", "file")
    if len(data) > vault.MAX_BYTES:
        return Reason(
            f"{name} is larger than 50 MB: keep it safe and tell the designated safeguarding lead",
            "§9",
            "file",
        )
    return None


def _files_fit(files: list[Upload]) -> None:
    """Refuse the lot, naming each file that cannot be kept, before anything is written."""
    if len(files) > MAX_FILES:
        raise Refused(refuse(Reason(f"Choose up to {MAX_FILES} files at once", "§9", "file")))
    problems = [reason for name, data in files if (reason := _file_problem(name, data))]
    if problems:
        raise Refused(refuse(*problems))


@contextmanager
def _all_or_nothing(kept: list[Evidence], refused_on, action: str):
    """One transaction for a report or a batch of evidence: if anything is refused or fails, no row is kept
    and no file either (the files stored so far are removed); a refusal is audited (fields only) after the
    rollback, so the trail keeps it."""
    try:
        with transaction.atomic():
            yield
    except Exception as problem:
        for item in kept:
            vault.discard(item.stored.name)
        if isinstance(problem, Refused):
            fields = sorted({r.field for r in problem.decision.reasons if r.field})
            record(action, refused_on, detail={"fields": fields})
        raise


def _keep(actor: Actor, case: Case, files: list[Upload], url: str, kept: list[Evidence]) -> None:
    """Inside ``_all_or_nothing``: each file kept as an item, and the page at ``url`` queued for capture."""
    for name, data in files:
        email = vault.sniff(data, name)[0] == "message/rfc822"
        kind = Evidence.Kind.EMAIL if email else Evidence.Kind.FILE
        kept.append(add_evidence(actor, case, name=name, data=data, kind=kind))
    if url.strip():
        queue_capture(actor, case, url=url)


def report(
    actor: Actor,
    *,
    kind: str,
    happened_on: datetime.date,
    what_happened: str,
    by_whom: str = "",
    channel: str = "",
    people: list[Person] = (),
    files: list[Upload] = (),
    url: str = "",
) -> Case:
    """A member of staff reports an incident (§9) with its evidence — files, and a page to capture by its
    address — in one transaction: a file refused keeps nothing of the report. The designated persons are told
    at once, with no content."""
    enforce(may_report(actor))
    if kind not in Case.Kind.values or kind == Case.Kind.ALLEGATION:
        raise Refused(refuse(Reason("Choose what kind of incident it is", "§9", "kind")))
    if by_whom and by_whom not in Case.By.values:
        raise Refused(refuse(Reason("Choose who did it", "§9", "by_whom")))
    if channel and channel not in Case.Channel.values:
        raise Refused(refuse(Reason("Choose how it happened", "§9", "channel")))
    require("§9", REQUIRED, what_happened=what_happened)
    _when("§9", happened_on)
    files = list(files)
    kept: list[Evidence] = []
    with _all_or_nothing(kept, ("schools.school", actor.school.pk), "incidents.report_refused"):
        _files_fit(files)
        case = Case.objects.create(
            school=actor.school, kind=kind, reported_by=actor.user, happened_on=happened_on,
            what_happened=what_happened.strip(), by_whom=by_whom, channel=channel,
        )  # fmt: skip
        for person in people:
            _involve(actor, case, person)
        _someone_runs(case)
        _keep(actor, case, files, url, kept)
        record(
            "incidents.reported", case, detail={"kind": kind, "files": len(files), "page": bool(url.strip())}
        )
        _tell(
            managers(case), kind="incidents.reported", title=f"A new incident has been reported: case {case.pk} (§9)",
            case=case, except_user_id=actor.pk,
        )  # fmt: skip
    return case


def add_files(actor: Actor, case: Case, *, files: list[Upload], url: str = "") -> list[Evidence]:
    """More evidence on an open case (§9: added to, never changed): the files and the page to capture kept
    together or not at all."""
    enforce(may_add_evidence(actor, subject=case))
    files = list(files)
    if not files and not url.strip():
        raise Refused(refuse(Reason("Choose a file, or give the address of a page to capture", "§9", "file")))
    kept: list[Evidence] = []
    with _all_or_nothing(kept, case, "incidents.evidence_refused"):
        _files_fit(files)
        _keep(actor, case, files, url, kept)
    return kept


def report_allegation(
    actor: Actor, *, about: Membership, happened_on: datetime.date, what_happened: str
) -> Case:
    """An allegation about a member of staff (KCSIE Part 4): its case manager — the Headteacher, or the chair of
    governors when it is about the Headteacher — is told at once, and the LADO clock starts."""
    enforce(may_report_allegation(actor, about=about))
    require(KCSIE, REQUIRED, what_happened=what_happened)
    _when(KCSIE, happened_on)
    with transaction.atomic():
        return _open_allegation(
            actor,
            about=about,
            happened_on=happened_on,
            what_happened=what_happened.strip(),
            received=timezone.now(),
        )


def _open_allegation(actor: Actor, *, about, happened_on, what_happened, received, concern=None) -> Case:
    case = Case.objects.create(
        school_id=about.school_id, kind=Case.Kind.ALLEGATION, reported_by=actor.user, reported_at=received,
        happened_on=happened_on, what_happened=what_happened, subject=about,
        routed_to=route_for(about.school_id, about.user_id), from_concern=concern,
        lado_due=lado_due(about.school_id, received),
    )  # fmt: skip
    record("incidents.allegation_reported", case, detail={"routed_to": case.routed_to})
    _tell(
        managers(case), kind="incidents.allegation",
        title=f"An allegation about a member of staff needs you as case manager: case {case.pk} (KCSIE Part 4)",
        case=case, except_user_id=actor.pk,
    )  # fmt: skip
    return case


def open_from_concern(sender, *, concern, actor, **kwargs) -> None:
    """A low-level concern met the harm threshold (``conduct.signals.concern_escalated``): the allegation opens,
    linked to the concern and its history, and the LADO clock starts from the moment it was escalated."""
    _open_allegation(
        actor, about=concern.subject, happened_on=concern.happened_on,
        what_happened=f"Escalated from low-level concern {concern.pk}.\n\n{concern.rationale}",
        received=concern.escalated_at, concern=concern,
    )  # fmt: skip


def involve(actor: Actor, case: Case, person: Person) -> Involved:
    """Link another person to the case (its manager, while it is open)."""
    enforce(may_manage_case(actor, subject=case))
    with transaction.atomic():
        involved = _involve(actor, _now(case, may_manage_case, actor), person)
        _someone_runs(case)
        return involved


def triage(actor: Actor, case: Case, *, risk: str, assigned_to=None) -> Case:
    """The designated person (or case manager) sets the risk and who is handling it: the case is open."""
    enforce(may_manage_case(actor, subject=case))
    if risk not in Case.Risk.values:
        raise Refused(refuse(Reason("Choose the risk", "§9", "risk")))
    if assigned_to is not None and not managers(case).filter(user=assigned_to).exists():
        raise Refused(refuse(Reason("Choose someone who manages this case", "§9", "assigned_to")))
    with transaction.atomic():
        case = _now(case, may_manage_case, actor)
        first = case.triaged_at is None
        case.risk, case.assigned_to = risk, assigned_to
        if first:  # the first triage stays on the case (time to first action); later reviews are in the trail
            case.triaged_by, case.triaged_at = actor.user, timezone.now()
        case.status = Case.Status.OPEN
        case.save(update_fields=["risk", "assigned_to", "triaged_by", "triaged_at", "status"])
        record("incidents.triaged", case, detail={"risk": risk, "first": first})
        if assigned_to is not None and assigned_to.pk != actor.pk:
            notify(
                assigned_to, kind="incidents.assigned", title=f"A case has been assigned to you: case {case.pk} (§9)",
                url=_case_url(case), school=case.school,
            )  # fmt: skip
    return case


def add_action(actor: Actor, case: Case, *, what: str, owner: Membership, due_on: datetime.date) -> Action:
    enforce(may_manage_case(actor, subject=case))
    require("§9", REQUIRED, what=what)
    if owner.school_id != case.school_id or owner.ended_on is not None:
        raise Refused(refuse(Reason("Choose a member of this school's staff", "§9", "owner")))
    if owner.pk == case.subject_id or case.involved.filter(member=owner, role=Involved.Role.ALLEGED).exists():
        raise Refused(refuse(Reason("The person a case is about is never given its actions", KCSIE, "owner")))
    if due_on < timezone.localdate():
        raise Refused(refuse(Reason("The date it is due cannot be in the past", "§9", "due_on")))
    with transaction.atomic():
        case = _now(case, may_manage_case, actor)
        action = Action.objects.create(
            school_id=case.school_id,
            case=case,
            what=what.strip(),
            owner=owner,
            due_on=due_on,
            created_by=actor.user,
        )
        record("incidents.action_added", case, detail={"action": action.pk})
        if not managers(case).filter(pk=owner.pk).exists() and not case.members.filter(member=owner).exists():
            CaseMember.objects.create(
                school_id=case.school_id, case=case, member=owner, added_by=actor.user,
                reason="Given an action on this case",
            )  # fmt: skip
        if owner.user_id != actor.pk:
            notify(
                owner.user, kind="incidents.action", title=f"An action on case {case.pk} is yours (§9)",
                url=_case_url(case), school=case.school,
            )  # fmt: skip
    return action


def complete_action(actor: Actor, action: Action, *, note: str = "") -> Action:
    with transaction.atomic():
        action = Action.objects.select_for_update().select_related("case").get(pk=action.pk)
        enforce(may_complete_action(actor, subject=action))
        action.done_by, action.done_at, action.done_note = actor.user, timezone.now(), note.strip()[:500]
        action.save(update_fields=["done_by", "done_at", "done_note"])
        record("incidents.action_done", action.case, detail={"action": action.pk})
    return action


def write_note(actor: Actor, case: Case, *, text: str) -> Note:
    enforce(may_write_note(actor, subject=case))
    require("§9", REQUIRED, text=text)
    with transaction.atomic():
        case = _now(case, may_write_note, actor)
        note = Note.objects.create(school_id=case.school_id, case=case, author=actor.user, text=text.strip())
        record("incidents.note_written", case, detail={"note": note.pk})
    return note


def edit_note(actor: Actor, note: Note, *, text: str) -> Note:
    """A changed note is a new note replacing the old one: the first version is kept and shown as changed."""
    note = Note.objects.select_related("case").get(pk=note.pk)  # as it is now: not one changed meanwhile
    enforce(may_edit_note(actor, subject=note))
    require("§9", REQUIRED, text=text)
    with transaction.atomic():
        _now(note.case, may_write_note, actor)  # the case locked: one change of a note at a time
        note = Note.objects.get(pk=note.pk)
        enforce(may_edit_note.peek(actor, subject=note))  # changed meanwhile: change its latest version
        new = _once(
            lambda: Note.objects.create(
                school_id=note.school_id, case=note.case, author=actor.user, text=text.strip(), replaces=note
            ),
            Reason("This note has just been changed: change its latest version", "§9"),
        )
        record("incidents.note_changed", note.case, detail={"note": new.pk, "replaces": note.pk})
    return new


def record_contact(
    actor: Actor,
    case: Case,
    *,
    kind: str,
    made_at: datetime.datetime,
    with_whom: str,
    reference: str = "",
    detail: str = "",
) -> Contact:
    """The platform told, the police, the LADO, parents, support offered, a disciplinary referral (§9, KCSIE)."""
    enforce(may_manage_case(actor, subject=case))
    if kind not in Contact.Kind.values:
        raise Refused(refuse(Reason("Choose what was done", "§9", "kind")))
    section = KCSIE if kind in (Contact.Kind.LADO, Contact.Kind.DISCIPLINARY) else "§9"
    require(section, REQUIRED, with_whom=with_whom)
    if kind == Contact.Kind.POLICE:
        require(section, REQUIRED, reference=reference)  # a report to the police has a crime reference
    if made_at > timezone.now():
        raise Refused(refuse(Reason("The date cannot be in the future", section, "made_at")))
    with transaction.atomic():
        case = _now(case, may_manage_case, actor)
        contact = Contact.objects.create(
            school_id=case.school_id, case=case, kind=kind, made_at=made_at, with_whom=with_whom.strip()[:200],
            reference=reference.strip()[:100], detail=detail.strip()[:2000], recorded_by=actor.user,
        )  # fmt: skip
        record("incidents.contact", case, detail={"contact": contact.pk, "kind": kind})
        contact_recorded.send(sender=Contact, contact=contact, actor=actor)
    return contact


def close_case(actor: Actor, case: Case, *, reason: str, outcome: str = "") -> Case:
    """Closed with a reason (and, for an allegation, KCSIE's outcome); never with an action still to do."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        enforce(may_close_case(actor, subject=case))
        section = KCSIE if case.is_allegation else "§9"
        require(section, REQUIRED, closed_reason=reason)
        if case.is_allegation and outcome not in Case.Outcome.values:
            raise Refused(refuse(Reason("Choose the outcome", KCSIE, "outcome")))
        if not case.is_allegation and outcome:
            raise Refused(refuse(Reason("Only an allegation has one of KCSIE's outcomes", "§9", "outcome")))
        waiting = case.actions.filter(done_at__isnull=True).count()
        if waiting:
            raise Refused(
                refuse(
                    Reason(f"{waiting} action(s) still to do: mark each done first", section, "closed_reason")
                )
            )
        if case.captures.filter(state=Capture.State.WAITING).exists():
            raise Refused(
                refuse(
                    Reason(
                        "A page is still being captured: wait for it first (one not captured within an hour is "
                        "given up by the next daily run)",
                        section,
                        "closed_reason",
                    )
                )
            )
        case.status, case.outcome = Case.Status.CLOSED, outcome
        case.closed_reason, case.closed_by, case.closed_at = reason.strip(), actor.user, timezone.now()
        case.save(update_fields=["status", "outcome", "closed_reason", "closed_by", "closed_at"])
        record("incidents.closed", case, detail={"outcome": outcome})
        reporter = Actor.of(case.reported_by, case.school)
        if case.reported_by_id != actor.pk and may_read_case.peek(reporter, subject=case):
            notify(
                case.reported_by, kind="incidents.closed", title=f"The case you reported has been closed: case {case.pk}",
                url=_case_url(case), school=case.school,
            )  # fmt: skip
    return case


def queue_capture(actor: Actor, case: Case, *, url: str) -> Capture:
    """Ask for the page at ``url`` to be captured (the worker fetches it: ``tasks.capture_page``)."""
    enforce(may_add_evidence(actor, subject=case))
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (a port no server can have is refused here, not in the worker)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(refuse(Reason("Give the page's full address, starting https://", "§9", "url")))
    try:  # an address typed as numbers is checked now; a name only when the worker resolves it
        refuse_private_literal(parts.hostname, allow_loopback=settings.CAPTURE_ALLOW_LOOPBACK)
    except FetchRefused as problem:
        raise Refused(refuse(Reason(str(problem), "§9", "url"))) from None
    with transaction.atomic():
        case = _now(case, may_add_evidence, actor)  # closing checks for captures waiting under this lock
        pending = Capture.objects.create(
            school_id=case.school_id, case=case, url=url.strip(), requested_by=actor.user
        )
        record("incidents.capture_queued", case, detail={"capture": pending.pk})
        transaction.on_commit(lambda: capture_page.enqueue(pending.pk))
    return pending


def share_case(actor: Actor, case: Case, *, member, reason: str) -> CaseMember:
    """A designated person adds a member of staff who needs to know (§8); they are told."""
    enforce(may_share_case(actor, subject=case, member=member))
    if not reason.strip():
        raise Refused(refuse(Reason("Say why they need to know", "§8", "reason")))
    with transaction.atomic():
        case = _now(case, may_share_case, actor, member=member)
        added = CaseMember.objects.create(
            school_id=case.school_id, case=case, member=member, added_by=actor.user, reason=reason.strip()
        )
        record("incidents.case_shared", case, detail={"member": member.pk})
        notify(
            member.user, kind="incidents.shared", title=f"You have been added to case {case.pk}: you need to know (§8)",
            url=_case_url(case), school=case.school,
        )  # fmt: skip
    return added


def add_evidence(
    actor: Actor, case: Case, *, name: str, data: bytes, kind: str = Evidence.Kind.FILE, source_url: str = ""
) -> Evidence:
    """Keep one item: hashed on receipt, stored once, the row and the file together or neither."""
    enforce(may_add_evidence(actor, subject=case))
    if problem := _file_problem(name, data):
        raise Refused(refuse(problem))
    content_type, extension = vault.sniff(data, name)
    stored = vault.store(f"evidence/{case.school_id}", data)
    try:
        with transaction.atomic():
            case = _now(case, may_add_evidence, actor)
            item = Evidence(
                school_id=case.school_id, case=case, kind=kind, original_name=name[:200],
                content_type=content_type, extension=extension, size=len(data), sha256=vault.digest(data),
                source_url=source_url[:2000], added_by=actor.user,
            )  # fmt: skip
            item.stored.name = stored
            item.save()
            record("incidents.evidence_added", item, detail={"sha256": item.sha256, "size": item.size})
    except Exception:
        vault.discard(stored)  # no file without its row
        raise
    return item


def add_page(actor: Actor, case: Case, *, url: str) -> Evidence:
    """Capture the page at ``url`` as one WARC item (``incidents.capture``). Run by the worker
    (``run_capture``), never in a request: a page may take its whole time limit."""
    enforce(may_add_evidence.peek(actor, subject=case))
    try:
        warc = capture(url, allow_loopback=settings.CAPTURE_ALLOW_LOOPBACK)
    except FetchRefused as problem:
        record("incidents.capture_refused", case)
        raise Refused(refuse(Reason(str(problem), "§9", "url"))) from None
    host = urlsplit(url).hostname or "page"
    return add_evidence(actor, case, name=f"{host}.warc", data=warc, kind=Evidence.Kind.PAGE, source_url=url)


def _picture(actor: Actor, case: Case, page: Evidence) -> Evidence | None:
    """A PNG of a captured page, drawn offline from the copy just kept (``capture.screenshot``), kept as an item
    of its own when Chromium is there to draw it. A picture is a help, not the evidence: none is no failure."""
    try:
        png = screenshot(vault.read(page.stored.name), chromium=settings.CAPTURE_CHROMIUM)
        if png is None:
            return None
        name = page.original_name.removesuffix(".warc") + ".png"
        return add_evidence(
            actor, case, name=name, data=png, kind=Evidence.Kind.PAGE, source_url=page.source_url
        )
    except (OSError, Refused):
        return None


def run_capture(capture_id: int) -> Capture:
    """The worker's half of ``queue_capture``: fetch, keep, and mark the request kept or refused (with why);
    the person who asked is told either way."""
    pending = Capture.objects.select_related("case__school", "requested_by").get(pk=capture_id)
    if pending.state != Capture.State.WAITING:
        return pending
    actor = Actor.of(pending.requested_by, pending.case.school)
    try:
        item = add_page(actor, pending.case, url=pending.url)
    except Exception as problem:  # noqa: BLE001  a capture always ends: one left waiting keeps its case open
        why = "; ".join(r.text for r in problem.decision.reasons) if isinstance(problem, Refused) else ""
        pending.state, pending.problem = Capture.State.REFUSED, (why or "The page could not be kept")[:300]
        pending.save(update_fields=["state", "problem"])
        notify(
            pending.requested_by, kind="incidents.capture", url=_case_url(pending.case), school=pending.case.school,
            title=f"A page could not be captured for case {pending.case_id} (§9)",
        )  # fmt: skip
        if not isinstance(problem, Refused):
            raise  # the worker's log says what broke
        return pending
    else:
        pending.state, pending.evidence = Capture.State.KEPT, item
        pending.save(update_fields=["state", "evidence"])
        _picture(actor, pending.case, item)
    notify(
        pending.requested_by, kind="incidents.capture", url=_case_url(pending.case), school=pending.case.school,
        title=f"A page has been captured for case {pending.case_id} (§9)",
    )  # fmt: skip
    return pending


# A fetch has a limit of seconds (saferstaff.fetching); a capture still waiting after this long was lost by the
# worker (it stopped, or never ran): it is given up, so that its case can close.
CAPTURE_GIVE_UP = datetime.timedelta(hours=1)


def give_up_lost_captures(now: datetime.datetime | None = None) -> int:
    """Mark each capture waiting longer than ``CAPTURE_GIVE_UP`` not captured, and tell whoever asked for it
    (run by ``run_daily``). How many were given up."""
    now = now or timezone.now()
    lost = list(
        Capture.objects.filter(
            state=Capture.State.WAITING, requested_at__lt=now - CAPTURE_GIVE_UP
        ).select_related("case__school", "requested_by")
    )
    for pending in lost:
        with acting_as(school_id=pending.school_id), transaction.atomic():
            if not Capture.objects.filter(pk=pending.pk, state=Capture.State.WAITING).update(
                state=Capture.State.REFUSED,
                problem="It was not captured in time: ask again, or add a screenshot of it instead",
            ):
                continue  # the worker finished it meanwhile
            record("incidents.capture_given_up", pending.case, detail={"capture": pending.pk})
            notify(
                pending.requested_by, kind="incidents.capture", url=_case_url(pending.case),
                school=pending.case.school, title=f"A page could not be captured for case {pending.case_id} (§9)",
            )  # fmt: skip
    return len(lost)


@task()
def capture_page(capture_id: int) -> None:
    with acting_as(
        school_id=Capture.objects.filter(pk=capture_id).values_list("school_id", flat=True).first()
    ):
        run_capture(capture_id)


def open_evidence(actor: Actor, item: Evidence) -> bytes:
    """The item's bytes, re-hashed first: a mismatch is refused, recorded and raised to the DSL (§9)."""
    enforce(may_open_evidence(actor, subject=item))
    try:
        data = vault.read(item.stored.name)
    except OSError:  # gone from the storage: as altered as a changed byte
        data = None
    if data is None or vault.digest(data) != item.sha256:
        altered(item)
        raise vault.EvidenceProblem(
            "This item no longer matches what was received, so it is not opened. The school's designated "
            "safeguarding lead has a notice about it in saferstaff."
        )
    record("incidents.evidence_opened", item)  # the chain of custody: who opened what, when
    return data


def altered(item: Evidence) -> None:
    """Record that a stored item no longer matches its hash, and tell the DSLs (once a day at most)."""
    record("incidents.evidence_altered", item)
    case = item.case
    tell = managers(case) if case.is_allegation else not_about(members_holding(item.school_id, {DSL}), case)
    told_today = Notification.objects.filter(
        kind="incidents.evidence_altered", url=_case_url(case), created_at__date=timezone.localdate()
    ).values("user_id")
    _tell(
        tell.exclude(user_id__in=told_today),
        kind="incidents.evidence_altered",
        case=case,
        title=f"An item of evidence no longer matches its hash: case {item.case_id} (§9)",
    )


def seal_evidence(actor: Actor, item: Evidence, *, reason: str) -> EvidenceSeal:
    enforce(may_seal_evidence(actor, subject=item))
    if not reason.strip():
        raise Refused(refuse(Reason("Say why it is sealed", "§9", "reason")))
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=item.case_id)  # one seal of the case's items at a time
        enforce(may_seal_evidence.peek(actor, subject=item))
        seal = _once(
            lambda: EvidenceSeal.objects.create(
                school_id=item.school_id, evidence=item, reason=reason.strip(), sealed_by=actor.user
            ),
            Reason("This item has just been sealed", "§9"),
        )
        record("incidents.evidence_sealed", item)
    return seal


def verify_all(school=None) -> list[Evidence]:
    """Re-hash every stored item (of ``school``, or of every school): those that no longer match, or are gone."""
    items = Evidence.objects.select_related("case__school")
    if school is not None:
        items = items.filter(school=school)
    bad = []
    for item in items.iterator():
        try:
            matches = vault.digest(vault.read(item.stored.name)) == item.sha256
        except (OSError, FileNotFoundError):
            matches = False
        if not matches:
            bad.append(item)
    return bad
