"""§9 and KCSIE Part 4: the chronology — one timeline built from every record of a case (reported, people involved,
evidence with its SHA-256, page captures, triage, actions set and done, notes, contacts outside school, who was
added, seals, closure), in the order things happened. One function, ``timeline``, builds it for the case's page,
its signed PDF and the timelines of a member of staff or a pupil (several cases at once, in a fixed number of
queries whatever the number of cases or events).

What a viewer is shown is decided by the caller, once (``Viewer``): pupils' names only to those who see pupils
(§8); the name and seal reason of a sealed item only to those who may still open it. The PDF leaves the school,
so it never names a sealed item (README: "The chronology")."""

import datetime
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from saferstaff.accounts.models import User
from saferstaff.audit.log import record_type
from saferstaff.audit.models import AuditEvent
from saferstaff.incidents.models import (
    CONTACT_FIELDS,
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

SEALED = "Sealed from view"
A_PUPIL = "A pupil (only staff who see pupils' records see the name, §8)"


@dataclass(frozen=True)
class Viewer:
    """What the person the timeline is for may see beyond the casework itself."""

    sees_pupils: bool = False
    sees_sealed: frozenset[int] = frozenset()  # ids of the cases whose sealed items they may still open


@dataclass
class Entry:
    at: datetime.datetime
    case_id: int
    kind: str  # a code for the page (reported, involved, evidence, capture, triage, action, done, note, …)
    what: str
    by: str = ""
    lines: list[tuple[str, str]] = field(default_factory=list)
    changed: str = ""  # for a note changed since: what the page says about its earlier versions


@dataclass(frozen=True)
class ManifestRow:
    pk: int
    case_id: int
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str
    added_by: str
    added_at: datetime.datetime
    sealed: bool


def _name(user) -> str:
    return user.display_name if user is not None else "Someone who has since left"


def _member(membership) -> str:
    return membership.listed_name if membership is not None else ""


def _reported(case: Case) -> Entry:
    if case.is_allegation:
        lines = [
            ("About", _member(case.subject)),
            ("Case manager", case.get_routed_to_display()),
            ("Happened on", f"{case.happened_on:%-d %B %Y}"),
        ]
        if case.lado_due:
            lines.append(
                ("Referral to the LADO due by", f"{timezone.localtime(case.lado_due):%-d %B %Y, %H:%M}")
            )
        if case.from_concern_id:
            lines.append(("Escalated from", f"Low-level concern {case.from_concern_id}"))
        lines.append(("What happened", case.what_happened))
        return Entry(case.reported_at, case.pk, "reported", "Allegation about a member of staff received",
                     _name(case.reported_by), lines)  # fmt: skip
    lines = [("Kind", case.get_kind_display()), ("Happened on", f"{case.happened_on:%-d %B %Y}")]
    if case.by_whom:
        lines.append(("Who did it", case.get_by_whom_display()))
    if case.channel:
        lines.append(("How", case.get_channel_display()))
    lines.append(("What happened", case.what_happened))
    return Entry(case.reported_at, case.pk, "reported", "Reported", _name(case.reported_by), lines)


def _involved(person: Involved, viewer: Viewer) -> Entry:
    if person.member_id:
        who = _member(person.member)
    elif person.pupil_id:
        who = person.pupil.display_name if viewer.sees_pupils else A_PUPIL
    else:
        who = f"Someone outside school: {person.outsider}"
    return Entry(person.added_at, person.case_id, "involved", f"Involved: {person.get_role_display().lower()}",
                 _name(person.added_by), [("Who", who)])  # fmt: skip


def _evidence(item: Evidence, seal: EvidenceSeal | None, viewer: Viewer) -> Entry:
    shown = seal is None or item.case_id in viewer.sees_sealed
    lines = [
        ("Item", f"{item.pk}: {item.original_name if shown else SEALED}"),
        ("Type", f"{item.get_kind_display()} ({item.content_type}, {filesizeformat(item.size)})"),
        ("SHA-256", item.sha256),
    ]
    if item.source_url and shown:
        lines.append(("Captured from", item.source_url))
    return Entry(item.added_at, item.case_id, "evidence", "Evidence added", _name(item.added_by), lines)


def _seal(seal: EvidenceSeal, viewer: Viewer) -> Entry:
    lines = [("Item", str(seal.evidence_id))]
    if seal.evidence.case_id in viewer.sees_sealed:
        lines.append(("Why", seal.reason))
    return Entry(seal.sealed_at, seal.evidence.case_id, "seal", "Evidence sealed from view", _name(seal.sealed_by),
                 lines)  # fmt: skip


def _capture(capture: Capture) -> Entry:
    lines = [("Address", capture.url), ("State", capture.get_state_display())]
    if capture.problem:
        lines.append(("Why not", capture.problem))
    if capture.evidence_id:
        lines.append(("Kept as item", str(capture.evidence_id)))
    return Entry(capture.requested_at, capture.case_id, "capture", "Page capture asked for",
                 _name(capture.requested_by), lines)  # fmt: skip


def _triage(case: Case, risk: str, *, handled_by: bool) -> Entry:
    lines = [("Risk", dict(Case.Risk.choices).get(risk, risk))]
    if handled_by and case.assigned_to_id:
        lines.append(("Handled by", _name(case.assigned_to)))
    return Entry(case.triaged_at, case.pk, "triage", "Triaged", _name(case.triaged_by), lines)


def _reviewed(event: AuditEvent, users: dict) -> Entry:
    risk = dict(Case.Risk.choices).get(event.detail.get("risk"), "")
    return Entry(event.at, int(event.object_id), "triage", "Risk reviewed", _name(users.get(event.actor_id)),
                 [("Risk", str(risk))])  # fmt: skip


def _triages(cases: list[Case]) -> list[Entry]:
    """The first triage is kept on the case; the risk it set, and each later review, are in the audit trail (a
    case shows its risk as it is now, which a chronology must not put at the first triage)."""
    events = AuditEvent.objects.filter(
        action="incidents.triaged", object_type=record_type(Case), object_id__in=[str(c.pk) for c in cases]
    ).order_by("at", "pk")
    first, reviews = {}, []
    for event in events:
        if event.detail.get("first") and event.object_id not in first:
            first[event.object_id] = event.detail.get("risk", "")
        else:
            reviews.append(event)
    reviewed = {e.object_id for e in reviews}
    entries = [
        _triage(c, first.get(str(c.pk), c.risk), handled_by=str(c.pk) not in reviewed)
        for c in cases
        if c.triaged_at
    ]
    users = User.objects.in_bulk({e.actor_id for e in reviews if e.actor_id}) if reviews else {}
    return entries + [_reviewed(e, users) for e in reviews]


def _action(action: Action) -> list[Entry]:
    entries = [
        Entry(action.created_at, action.case_id, "action", "Action set", _name(action.created_by),
              [("What", action.what), ("Owner", _member(action.owner)), ("Due", f"{action.due_on:%-d %B %Y}")])
    ]  # fmt: skip
    if action.done_at:
        lines = [("What", action.what)] + ([("What was done", action.done_note)] if action.done_note else [])
        entries.append(
            Entry(action.done_at, action.case_id, "done", "Action done", _name(action.done_by), lines)
        )
    return entries


def _notes(notes: list[Note]) -> list[Entry]:
    """Each note once, at the moment it was first written, with its latest words; a changed note says so (its
    earlier versions are kept, and shown on the case's page). ``notes`` oldest first."""
    root_of, chains = {}, {}
    for note in notes:  # a replacement always comes after what it replaces
        root = root_of.get(note.replaces_id, note.pk)
        root_of[note.pk] = root
        chains.setdefault(root, []).append(note)
    entries = []
    for chain in chains.values():
        first, latest = chain[0], chain[-1]
        changed = ""
        if len(chain) > 1:
            when, times = timezone.localtime(latest.written_at), len(chain) - 1
            changed = f"Changed {times} time{'s' if times > 1 else ''}, last on {when:%-d %B %Y at %H:%M}"
        entries.append(Entry(first.written_at, first.case_id, "note", "Note", _name(first.author),
                             [("Note", latest.text)], changed))  # fmt: skip
    return entries


def _contact(contact: Contact) -> Entry:
    labels = CONTACT_FIELDS[contact.kind]
    lines = [
        (label, value)
        for label, value in zip(labels, (contact.with_whom, contact.reference, contact.detail), strict=True)
        if label and value
    ]
    due = contact.case.lado_due
    if contact.kind == Contact.Kind.LADO and due:  # KCSIE Part 4: within one working day of receipt
        lines.append(
            (
                "Due by",
                f"{timezone.localtime(due):%-d %B %Y, %H:%M}: {'on time' if contact.made_at <= due else 'late'}",
            )
        )
    return Entry(contact.made_at, contact.case_id, "contact", contact.get_kind_display(),
                 _name(contact.recorded_by), lines)  # fmt: skip


def _shared(added: CaseMember) -> Entry:
    return Entry(added.added_at, added.case_id, "shared", "Added to the case (need to know)", _name(added.added_by),
                 [("Who", _member(added.member)), ("Why", added.reason)])  # fmt: skip


def _closed(case: Case) -> Entry:
    lines = [("Outcome", case.get_outcome_display())] if case.outcome else []
    lines.append(("Reason", case.closed_reason))
    return Entry(case.closed_at, case.pk, "closed", "Closed", _name(case.closed_by), lines)


ORDER = ["reported", "involved", "evidence", "capture", "triage", "shared", "action", "note", "contact", "done",
         "seal", "closed"]  # fmt: skip


def timeline(cases, viewer: Viewer) -> list[Entry]:
    """Every entry of ``cases`` (a queryset or list of cases), oldest first."""
    cases = list(
        Case.objects.filter(pk__in=[c.pk for c in cases]).select_related(
            "reported_by", "subject__user", "triaged_by", "assigned_to", "closed_by"
        )
    )
    ids = [c.pk for c in cases]
    entries = []
    for case in cases:
        entries.append(_reported(case))
        if case.closed_at:
            entries.append(_closed(case))
    for person in Involved.objects.filter(case_id__in=ids).select_related(
        "member__user", "pupil", "added_by"
    ):
        entries.append(_involved(person, viewer))
    seals = {
        s.evidence_id: s
        for s in EvidenceSeal.objects.filter(evidence__case_id__in=ids).select_related(
            "evidence", "sealed_by"
        )
    }
    for item in Evidence.objects.filter(case_id__in=ids).select_related("added_by"):
        entries.append(_evidence(item, seals.get(item.pk), viewer))
    entries += [_seal(seal, viewer) for seal in seals.values()]
    entries += [_capture(c) for c in Capture.objects.filter(case_id__in=ids).select_related("requested_by")]
    for action in Action.objects.filter(case_id__in=ids).select_related(
        "owner__user", "created_by", "done_by"
    ):
        entries += _action(action)
    entries += _notes(
        list(Note.objects.filter(case_id__in=ids).select_related("author").order_by("written_at", "pk"))
    )
    contacts = Contact.objects.filter(case_id__in=ids).select_related("recorded_by", "case")
    entries += [_contact(c) for c in contacts]
    entries += [
        _shared(m)
        for m in CaseMember.objects.filter(case_id__in=ids).select_related("member__user", "added_by")
    ]
    entries += _triages(cases)
    # By the minute first: times typed on a form (a contact's "when") keep minutes, recorded ones seconds, so
    # within one minute the order of the casework decides (the report before a contact made the same minute).
    return sorted(entries, key=lambda e: (e.at.replace(second=0, microsecond=0), ORDER.index(e.kind), e.at))


def manifest(case: Case, viewer: Viewer) -> list[ManifestRow]:
    """Every item of evidence of ``case`` with its SHA-256 — a sealed one without its name unless the viewer
    may still open it (never in the PDF: it leaves the school)."""
    rows = []
    items = Evidence.objects.filter(case=case).select_related("added_by").prefetch_related("seals")
    for item in items:
        sealed = bool(item.seals.all())
        rows.append(
            ManifestRow(
                pk=item.pk, case_id=item.case_id,
                name=SEALED if sealed and case.pk not in viewer.sees_sealed else item.original_name,
                kind=item.get_kind_display(), content_type=item.content_type, size=item.size, sha256=item.sha256,
                added_by=_name(item.added_by), added_at=item.added_at, sealed=sealed,
            )
        )  # fmt: skip
    return rows
