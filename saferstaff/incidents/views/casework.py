"""The steps of the casework on one case (§9, KCSIE Part 4), a page each: triage, people involved, need to know,
actions, notes, contacts, closing. GET shows the step's form; POST calls its door in ``incidents.services``,
whose refusal lands beside the field it names. A step the person may not take on a case they read answers 403
with the rule's reasons, nothing changed; a case, action or note they may not read is 404 (``incidents.access``)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from saferstaff.audit.log import record
from saferstaff.incidents import services
from saferstaff.incidents.access import get_action, get_case, get_note
from saferstaff.incidents.forms.cases import (
    ActionDoneForm,
    ActionForm,
    CloseForm,
    ContactForm,
    InvolveForm,
    NoteForm,
    ShareForm,
    TriageForm,
)
from saferstaff.incidents.models import Case, Contact
from saferstaff.numbers import parse_id
from saferstaff.rules.engine import run_form
from saferstaff.rules.incidents import (
    may_close_case,
    may_complete_action,
    may_edit_note,
    may_manage_case,
    may_write_note,
)
from saferstaff.schools.access import fields_for, pupil_views, search_pupils, sees_pupils
from saferstaff.schools.models import Pupil

PICKER_SIZE = 60


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
    if request.method == "POST" and run_form(
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
    source = post or {}
    q = (source.get("pupil_q") or "").strip()[:100]
    # Find with nothing to find is Enter pressed in a text box (the form's first button is Find): an addition.
    finding = post is not None and "find" in post and bool(q)
    pupils = _pupil_choices(request, q, source.get("pupil"))
    if finding:  # the Find button: the form again as typed, with the pupils found; nothing checked or saved
        typed = {name: post.get(name, "") for name in InvolveForm.base_fields}
        form = InvolveForm(initial=typed, school=request.school, pupils=pupils)
    else:
        form = InvolveForm(post, school=request.school, pupils=pupils)
    if (
        post is not None
        and not finding
        and run_form(
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
    if request.method == "POST" and run_form(
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
    if request.method == "POST" and run_form(
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
    if request.method == "POST" and run_form(
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
    if request.method == "POST" and run_form(
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
    if request.method == "POST" and run_form(
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
    if request.method == "POST" and run_form(
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
    if request.method == "POST" and run_form(
        form,
        lambda d: services.close_case(
            request.actor, case, reason=d["closed_reason"], outcome=d.get("outcome", "")
        ),
    ):
        return _done(request, case, "The case is closed. The person who reported it has been told.")
    waiting = case.actions.filter(done_at__isnull=True).count()
    return _step(request, case, form, title=title, button="Close the case", extra={"waiting": waiting})
