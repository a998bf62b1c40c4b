"""The designated person's casework (§9) and the allegations tier (KCSIE Part 4): the case list and search, and
one case with its two faces — the reporter's (their report, their evidence, its status and outcome) and the
casework's (everything). The steps on a case are in ``views.casework``.

A case is fetched through ``incidents.access`` (404 to anyone the rules do not name, every open audited). A page
asks a rule's ``peek`` only to decide what to offer."""

import hashlib
from functools import lru_cache

from django.core.paginator import Page
from django.db.models import Q
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from saferstaff.audit.log import kept, record
from saferstaff.audit.models import AuditEvent
from saferstaff.incidents.access import get_case
from saferstaff.incidents.chronology import SEALED
from saferstaff.incidents.forms.cases import (
    CaseSearchForm,
)
from saferstaff.incidents.models import CONTACT_FIELDS, Action, Case, Contact
from saferstaff.incidents.registers import case_list_of
from saferstaff.incidents.status import lado_state
from saferstaff.links import school_urls
from saferstaff.numbers import parse_id
from saferstaff.paging import kept_page, page_of
from saferstaff.rows import draw
from saferstaff.rules.conduct import may_read_concern
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
from saferstaff.schools.access import fields_for, pupil_view, sees_pupils
from saferstaff.schools.roles import Actor

PICKER_SIZE = 60


def _listed(request, cases, what: str) -> None:
    """A page listing cases is a view of each: one audit row, ids only (never the words searched for)."""
    record(
        f"incidents.{what}", ("schools.school", request.school.pk), detail={"cases": [c.pk for c in cases]}
    )


def _search_form(search: CaseSearchForm) -> str:
    """The search form drawn: a blank one (every plain visit to the list) is the same for everyone, so drawn
    once per process; one with a search in it is drawn each time."""
    return _blank_search() if not search.is_bound else _draw_search(search)


@lru_cache(maxsize=1)
def _blank_search() -> str:
    return _draw_search(CaseSearchForm())


def _draw_search(search: CaseSearchForm) -> str:
    return render_to_string("incidents/includes/case_search.html", {"search": search})


# --- The list ------------------------------------------------------------------------------------------------
@require_safe
def case_list(request, school):
    actor = request.actor
    search = None
    if may_search_cases.peek(actor):  # §8: searching cases is for the designated persons
        search = CaseSearchForm(request.GET or None)
    wanted = {}  # what is searched for: nothing on a plain visit
    if search is not None and search.is_bound and search.is_valid():
        data = {**search.cleaned_data, "q": search.cleaned_data["q"].strip()}
        wanted = {name: data[name] for name in ("q", "kind", "status", "risk") if data[name]}
    page, rows, mine = _kept_page(request, actor, wanted)
    _listed(request, page.object_list, "cases_listed")
    return render(
        request,
        "incidents/case_list.html",
        {
            "page": page,
            "rows": rows,
            "search": search,
            "search_html": search and _search_form(search),
            "actions": mine,
            "today": timezone.localdate(),
        },
    )


def _kept_page(request, actor: Actor, wanted: dict) -> tuple[Page, str, list]:
    """The page of cases asked for (``?page=``), its rows drawn and the actor's actions still to do, kept
    (``paging.kept_page``) with the same key as the ids (``_kept_lists``) and the page asked for: a visit after
    the first reads nothing of the cases; a row's LADO clock is as of the minute it was drawn (the key holds the
    minute). A search for words is worked out each time; the kinds, statuses and risks are fixed lists."""
    typed = bool(wanted.get("q"))

    def work_out():
        listed, action_ids, referred = _kept_lists(request, actor, wanted, keep=not typed)
        page = page_of(request, listed, 25)
        found = Case.objects.in_bulk(page.object_list)
        cases = [found[pk] for pk in page.object_list if pk in found]
        for case in cases:
            case.lado_referred = case.pk in referred  # read by lado_state: no query per row
        link = school_urls("case_detail", request.school.slug)
        rows = draw(
            "incidents/case_rows.jinja", rows=[(case, link(case.pk), lado_state(case)) for case in cases]
        )
        # The page shows each action's case by its number: the case itself is not read.
        mine = list(Action.objects.filter(pk__in=action_ids)) if action_ids else []
        return page, cases, rows, mine

    page, (rows, mine) = kept_page(
        request,
        25,
        work_out,
        lambda fn, number: kept(
            "case-list-page", request.school.pk, fn, *_who_and_what(request, actor, wanted), number
        ),
        worth_keeping=not typed,
    )
    return page, rows, mine


def _kept_lists(
    request, actor: Actor, wanted: dict, *, keep: bool
) -> tuple[list[int], list[int], frozenset[int]]:
    """The ids of the cases listed (newest first, searched for ``wanted``), of the actor's actions still to do
    and of the listed cases whose LADO referral is recorded, from one reading of the rule
    (``registers.case_list_of``), kept per state of the school, person, place, roles and search
    (``audit.log.kept``, ADR 0014; not when ``keep`` is false, for words searched for): building the rule's
    querysets was most of the page. Ids only. Every case, action, LADO contact, person added and role is written
    through a door that records an event."""

    def work_out() -> tuple[list[int], list[int], frozenset[int]]:
        cases, actions = case_list_of(actor)
        if q := wanted.get("q"):
            number = parse_id(q.lstrip("#"))
            cases = cases.filter(Q(what_happened__icontains=q) | Q(pk=number or 0))
        cases = cases.filter(**{name: wanted[name] for name in ("kind", "status", "risk") if name in wanted})
        referred = Contact.objects.filter(case__in=cases, kind=Contact.Kind.LADO).values_list(
            "case_id", flat=True
        )
        return (
            list(cases.order_by("-reported_at", "-pk").values_list("pk", flat=True)),
            list(actions.values_list("pk", flat=True)),
            frozenset(referred),
        )

    if not keep:
        return work_out()
    return kept("case-list", request.school.pk, work_out, *_who_and_what(request, actor, wanted))


def _who_and_what(request, actor: Actor, wanted: dict) -> tuple:
    """What the case list's kept values are kept per, besides the school's state and the minute: the person,
    their place, whether they chair the governors, their roles, and what was searched for (as a digest: the
    words themselves are not kept in a key)."""
    membership = actor.membership
    return (
        request.user.pk,
        membership.pk if membership is not None else "-",
        membership is not None and membership.is_chair_of_governors,
        ",".join(sorted(actor.roles)),
        hashlib.sha256(repr(sorted(wanted.items())).encode()).hexdigest() if wanted else "",
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
    rows = []
    for item in items:
        sealed, may_open = bool(item.seals.all()), bool(may_open_evidence.peek(actor, subject=item))
        # A file's name often says what it shows (a pupil's name, §8): only who may open the item reads it.
        name = item.original_name if may_open else f"Item {item.pk}" + (f": {SEALED}" if sealed else "")
        rows.append(
            {
                "item": item,
                "name": name,
                "sealed": sealed,
                "altered": str(item.pk) in altered,
                "may_open": may_open,
                "may_seal": bool(may_seal_evidence.peek(actor, subject=item)),
            }
        )
    return rows


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
                "captures": list(
                    case.captures.filter(requested_by=request.user)
                ),  # told of each, by a notice
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
