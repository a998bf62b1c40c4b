"""The designated person's casework (§9) and the allegations tier (KCSIE Part 4): the case list and search, one
case with its two faces (the reporter's: their report, their evidence, its status and outcome; the casework's:
everything), and a page per step — triage, people involved, need to know, actions, notes, contacts, closing.

Every case, action and note is fetched through ``incidents.access`` (404 to anyone the rules do not name, every
open audited); every write goes through its door in ``incidents.services``. A page asks a rule's ``peek`` only
to decide what to offer; a step the person may not take answers 403 with the rule's reasons, nothing changed."""

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from saferstaff.audit.log import record
from saferstaff.audit.models import AuditEvent
from saferstaff.incidents import services
from saferstaff.incidents.access import cases_listed_for, get_action, get_case, get_note
from saferstaff.incidents.forms.cases import (
    ActionDoneForm,
    ActionForm,
    CaseSearchForm,
    CloseForm,
    ContactForm,
    InvolveForm,
    NoteForm,
    ShareForm,
    TriageForm,
)
from saferstaff.incidents.models import CONTACT_FIELDS, Action, Case, Contact
from saferstaff.numbers import parse_id
from saferstaff.paging import page_of
from saferstaff.rules.conduct import may_read_concern
from saferstaff.rules.engine import Refused, show_on_form
from saferstaff.rules.incidents import (
    may_add_evidence,
    may_close_case,
    may_complete_action,
    may_edit_note,
    may_export_case,
    may_manage_case,
    may_open_evidence,
    may_seal_evidence,
    may_search_cases,
    may_write_note,
    reads_as_reporter,
)
from saferstaff.schools.access import fields_for, pupil_view, pupil_views, search_pupils, sees_pupils
from saferstaff.schools.models import Pupil
from saferstaff.schools.roles import Actor

PICKER_SIZE = 60


def _listed(request, cases, what: str) -> None:
    """A page listing cases is a view of each: one audit row, ids only (never the words searched for)."""
    record(
        f"incidents.{what}", ("schools.school", request.school.pk), detail={"cases": [c.pk for c in cases]}
    )


def lado_state(case: Case, now=None) -> str:
    """The LADO clock of an allegation (KCSIE Part 4: referred within one working day): "referred" once a LADO
    contact is recorded, else "overdue" past its due moment, else "due"; "" for other cases."""
    if not case.is_allegation or case.lado_due is None:
        return ""
    referred = getattr(case, "lado_referred", None)  # annotated on the list: no query per row
    if referred if referred is not None else case.contacts.filter(kind=Contact.Kind.LADO).exists():
        return "referred"
    return "overdue" if (now or timezone.now()) > case.lado_due else "due"


# --- The list ------------------------------------------------------------------------------------------------
@require_safe
def case_list(request, school):
    actor = request.actor
    referred = Contact.objects.filter(case=OuterRef("pk"), kind=Contact.Kind.LADO)
    cases = cases_listed_for(actor).annotate(lado_referred=Exists(referred))
    search = None
    if may_search_cases.peek(actor):  # §8: searching cases is for the designated persons
        search = CaseSearchForm(request.GET or None)
        if search.is_bound and search.is_valid():
            data = search.cleaned_data
            if q := data["q"].strip():
                number = parse_id(q.lstrip("#"))
                cases = cases.filter(Q(what_happened__icontains=q) | Q(pk=number or 0))
            for name in ("kind", "status", "risk"):
                if data[name]:
                    cases = cases.filter(**{name: data[name]})
    page = page_of(request, cases.order_by("-reported_at", "-pk"), 25)
    rows = [(case, lado_state(case)) for case in page.object_list]
    mine = list(
        Action.objects.filter(
            school=request.school, owner=request.membership, done_at__isnull=True
        ).select_related("case")
        if request.membership
        else []
    )
    _listed(request, [c for c, _ in rows], "cases_listed")
    return render(
        request,
        "incidents/case_list.html",
        {"page": page, "rows": rows, "search": search, "actions": mine, "today": timezone.localdate()},
    )


# --- One case ------------------------------------------------------------------------------------------------
def _involved(request, case: Case) -> list[tuple]:
    """(role, who) of each person involved; a pupil by name only for someone who sees pupils (§8)."""
    shows_pupils = sees_pupils(request)
    fields = fields_for(request)
    people = []
    for person in case.involved.select_related("member__user", "pupil"):
        if person.member_id:
            who = person.member.listed_name
        elif person.pupil_id:
            who = pupil_view(person.pupil, fields, with_guardians=False).name if shows_pupils else "A pupil"
        else:
            who = f"Outside school: {person.outsider}"
        people.append((person, who))
    return people


def _evidence(actor: Actor, case: Case, *, only_by=None) -> list[dict]:
    items = case.evidence.select_related("added_by").prefetch_related("seals")
    if only_by is not None:
        items = items.filter(added_by=only_by)
    items = list(items)
    altered = set(
        AuditEvent.objects.filter(
            action="incidents.evidence_altered", object_id__in=[str(i.pk) for i in items]
        ).values_list("object_id", flat=True)
    )
    return [
        {
            "item": item,
            "sealed": bool(item.seals.all()),
            "altered": str(item.pk) in altered,
            "may_open": bool(may_open_evidence.peek(actor, subject=item)),
            "may_seal": bool(may_seal_evidence.peek(actor, subject=item)),
        }
        for item in items
    ]


def _notes(actor: Actor, case: Case) -> list[dict]:
    """The latest version of each note, with the versions it replaced (first version first)."""
    notes = list(case.notes.select_related("author"))
    replaced = {n.replaces_id: n for n in notes if n.replaces_id}
    shown = []
    for note in notes:
        if note.pk in replaced:
            continue  # an earlier version: shown under its latest
        history, earlier = [], note
        while earlier.replaces_id:
            earlier = next(n for n in notes if n.pk == earlier.replaces_id)
            history.insert(0, earlier)
        shown.append(
            {"note": note, "history": history, "may_edit": bool(may_edit_note.peek(actor, subject=note))}
        )
    return shown


def _detail(request, case: Case):
    actor = request.actor
    if reads_as_reporter(actor, case):
        return render(
            request,
            "incidents/case_reporter.html",
            {
                "case": case,
                "evidence": _evidence(actor, case, only_by=request.user),
                "may_add_evidence": bool(may_add_evidence.peek(actor, subject=case)),
            },
        )
    may_manage = bool(may_manage_case.peek(actor, subject=case))
    actions = list(case.actions.select_related("owner__user", "done_by"))
    context = {
        "case": case,
        "lado": lado_state(case),
        "concern": case.from_concern
        if case.from_concern_id and may_read_concern.peek(actor, subject=case.from_concern)
        else None,
        "involved": _involved(request, case),
        "members": case.members.select_related("member__user", "added_by"),
        "evidence": _evidence(actor, case),
        "captures": list(case.captures.all()),
        "actions": [(a, bool(may_complete_action.peek(actor, subject=a))) for a in actions],
        "notes": _notes(actor, case),
        "contacts": [
            (c, CONTACT_FIELDS[Contact.Kind(c.kind)]) for c in case.contacts.select_related("recorded_by")
        ],
        "contact_kinds": _contact_kinds(case) if may_manage else [],
        "may_manage": may_manage,
        "may_note": bool(may_write_note.peek(actor, subject=case)),
        "may_close": bool(may_close_case.peek(actor, subject=case)),
        "may_export": bool(may_export_case.peek(actor, subject=case)),
        "may_add_evidence": bool(may_add_evidence.peek(actor, subject=case)),
        "today": timezone.localdate(),
    }
    return render(request, "incidents/case_detail.html", context)


def _contact_kinds(case: Case) -> list[tuple[str, str]]:
    kinds = Contact.Kind.choices
    if not case.is_allegation:
        kinds = [k for k in kinds if k[0] != Contact.Kind.LADO]
    return kinds


@require_safe
def case_detail(request, school, pk):
    return _detail(request, get_case(request, pk))


# --- The steps -----------------------------------------------------------------------------------------------
def _refused(request, case: Case, decision, *, title: str):
    """A step the person may not take on a case they read: the rule's reasons, 403, nothing changed."""
    return render(
        request,
        "incidents/case_refused.html",
        {"case": case, "title": title, "decision": decision},
        status=403,
    )


def _step(request, case: Case, form, *, title: str, button: str, extra=None, status=200):
    context = {"case": case, "form": form, "title": title, "button": button} | (extra or {})
    status = 400 if form.is_bound and form.errors else status
    return render(request, "incidents/case_step.html", context, status=status)


def _done(request, case: Case, message: str):
    messages.success(request, message)
    return redirect("case_detail", school=request.school.slug, pk=case.pk)


def _sent(request):
    """What was posted (even nothing at all: an empty POST is checked, and its errors shown), or None."""
    return request.POST if request.method == "POST" else None


def _run(form, door) -> bool:
    """Call ``door`` when the form is valid; a refusal lands beside the fields it names. True when done."""
    if not form.is_valid():
        return False
    try:
        door(form.cleaned_data)
    except Refused as exc:
        show_on_form(form, exc.decision)
        return False
    return True


def _managing(request, pk, title: str):
    """The case, and a refusal page when the person may not work on it (closed, or not its manager)."""
    case = get_case(request, pk)
    decision = may_manage_case.peek(request.actor, subject=case)
    return case, (None if decision else _refused(request, case, decision, title=title))


@require_http_methods(["GET", "POST"])
def case_triage(request, school, pk):
    title = "Triage the case"
    case, refused = _managing(request, pk, title)
    if refused:
        return refused
    managers = services.managers(case)
    initial = {"risk": case.risk, "assigned_to": managers.filter(user=case.assigned_to_id).first()}
    form = TriageForm(_sent(request), managers=managers, initial=initial)
    if request.method == "POST" and _run(
        form,
        lambda d: services.triage(
            request.actor,
            case,
            risk=d["risk"],
            assigned_to=d["assigned_to"].user if d["assigned_to"] else None,
        ),
    ):
        return _done(request, case, "The case is triaged.")
    return _step(request, case, form, title=title, button="Save the triage")


def _pupil_choices(request, q: str, chosen) -> list | None:
    """The pupils the picker lists: those matching ``q`` (or all of a small school) and the one chosen; None
    for someone who may not see pupils (§8)."""
    if not sees_pupils(request):
        return None
    current = Pupil.objects.filter(school=request.school).current()
    found = []
    if q:
        found = list(search_pupils(current, q, fields_for(request))[:PICKER_SIZE])
        record("pupil.listed", ("schools.school", request.school.pk), detail={"found": len(found)})
    elif current.count() <= PICKER_SIZE:
        found = list(current)
    if (chosen := parse_id(str(chosen or ""))) and all(p.pk != chosen for p in found):
        found += list(Pupil.objects.filter(school=request.school, pk=chosen))
    return pupil_views(request, found)


@require_http_methods(["GET", "POST"])
def case_involve(request, school, pk):
    title = "Add someone involved"
    case, refused = _managing(request, pk, title)
    if refused:
        return refused
    post = request.POST if request.method == "POST" else None
    finding = post is not None and "find" in post
    source = post or {}
    pupils = _pupil_choices(request, (source.get("pupil_q") or "").strip()[:100], source.get("pupil"))
    if finding:  # the Find button: the form again as typed, with the pupils found; nothing checked or saved
        typed = {name: post.get(name, "") for name in InvolveForm.base_fields}
        form = InvolveForm(initial=typed, school=request.school, pupils=pupils)
    else:
        form = InvolveForm(post, school=request.school, pupils=pupils)
    if (
        post is not None
        and not finding
        and _run(
            form,
            lambda d: services.involve(
                request.actor,
                case,
                services.Person(
                    role=d["role"], member=d["member"], pupil=d.get("pupil"), outsider=d["outsider"]
                ),
            ),  # fmt: skip
        )
    ):
        return _done(request, case, "They are linked to the case.")
    return _step(request, case, form, title=title, button="Add them", extra={"picker": pupils is not None})


@require_http_methods(["GET", "POST"])
def case_share(request, school, pk):
    title = "Add someone who needs to know"
    case, refused = _managing(request, pk, title)
    if refused:
        return refused
    form = ShareForm(_sent(request), school=request.school)
    if request.method == "POST" and _run(
        form, lambda d: services.share_case(request.actor, case, member=d["member"], reason=d["reason"])
    ):
        return _done(request, case, "They can now read the case, and have been told.")
    return _step(request, case, form, title=title, button="Add them")


@require_http_methods(["GET", "POST"])
def action_add(request, school, pk):
    title = "Add an action"
    case, refused = _managing(request, pk, title)
    if refused:
        return refused
    form = ActionForm(_sent(request), school=request.school)
    if request.method == "POST" and _run(
        form,
        lambda d: services.add_action(
            request.actor, case, what=d["what"], owner=d["owner"], due_on=d["due_on"]
        ),
    ):
        return _done(request, case, "The action is added, and its owner has been told.")
    return _step(request, case, form, title=title, button="Add the action")


@require_http_methods(["GET", "POST"])
def action_done(request, school, pk):
    action = get_action(request, pk)
    case, title = action.case, "Mark the action done"
    decision = may_complete_action.peek(request.actor, subject=action)
    if not decision:
        return _refused(request, case, decision, title=title)
    form = ActionDoneForm(_sent(request))
    if request.method == "POST" and _run(
        form, lambda d: services.complete_action(request.actor, action, note=d["note"])
    ):
        return _done(request, case, "The action is marked done.")
    return _step(request, case, form, title=title, button="Mark it done", extra={"action": action})


@require_http_methods(["GET", "POST"])
def note_add(request, school, pk):
    case, title = get_case(request, pk), "Add a note"
    decision = may_write_note.peek(request.actor, subject=case)
    if not decision:
        return _refused(request, case, decision, title=title)
    form = NoteForm(_sent(request))
    if request.method == "POST" and _run(
        form, lambda d: services.write_note(request.actor, case, text=d["text"])
    ):
        return _done(request, case, "The note is added.")
    return _step(request, case, form, title=title, button="Add the note")


@require_http_methods(["GET", "POST"])
def note_edit(request, school, pk):
    note = get_note(request, pk)
    case, title = note.case, "Change a note"
    if not may_edit_note.peek(request.actor, subject=note):
        # Asked again, not peeked: someone trying to change another person's note is on the audit trail.
        return _refused(request, case, may_edit_note(request.actor, subject=note), title=title)
    form = NoteForm(_sent(request), initial={"text": note.text})
    if request.method == "POST" and _run(
        form, lambda d: services.edit_note(request.actor, note, text=d["text"])
    ):
        return _done(request, case, "The note is changed. Its first version is kept.")
    return _step(request, case, form, title=title, button="Save the change", extra={"note": note})


@require_http_methods(["GET", "POST"])
def contact_add(request, school, pk, kind):
    if kind not in Contact.Kind.values:
        raise Http404("No such kind of contact")
    label = Contact.Kind(kind).label
    case, refused = _managing(request, pk, label)
    if refused:
        return refused
    form = ContactForm(_sent(request), kind=kind)
    if request.method == "POST" and _run(
        form,
        lambda d: services.record_contact(
            request.actor,
            case,
            kind=kind,
            made_at=d["made_at"],
            with_whom=d["with_whom"],
            reference=d.get("reference", ""),
            detail=d["detail"],
        ),  # fmt: skip
    ):
        return _done(request, case, f"Recorded: {label.lower()}.")
    return _step(request, case, form, title=label, button="Record it")


@require_http_methods(["GET", "POST"])
def case_close(request, school, pk):
    case, title = get_case(request, pk), "Close the case"
    decision = may_close_case.peek(request.actor, subject=case)
    if not decision:
        return _refused(request, case, decision, title=title)
    form = CloseForm(_sent(request), case=case)
    if request.method == "POST" and _run(
        form,
        lambda d: services.close_case(
            request.actor, case, reason=d["closed_reason"], outcome=d.get("outcome", "")
        ),
    ):
        return _done(request, case, "The case is closed. The person who reported it has been told.")
    waiting = case.actions.filter(done_at__isnull=True).count()
    return _step(request, case, form, title=title, button="Close the case", extra={"waiting": waiting})
