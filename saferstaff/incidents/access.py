"""The one way a page fetches a case, an item of evidence, an action or a note: from the page's school, and only
when the rule says the person may read it — otherwise 404, never 403 (that a case exists, above all an allegation
about a colleague, is itself sensitive). Every open of a case is audited (§8: every access recorded)."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from saferstaff.audit.log import record, record_type
from saferstaff.audit.trail import withhold
from saferstaff.incidents.models import Action, Case, Evidence, Note
from saferstaff.incidents.registers import cases_readable_by
from saferstaff.rules.incidents import may_open_evidence, may_read_case, reads_as_reporter


def get_case(request, pk) -> Case:
    case = get_object_or_404(
        Case.objects.select_related(
            "reported_by", "subject__user", "assigned_to", "closed_by", "from_concern"
        ),
        school=request.school,
        pk=pk,
    )
    if not may_read_case(request.actor, subject=case):
        raise Http404("No such case")
    record("incidents.case_viewed", case)
    return case


def get_evidence(request, pk) -> Evidence:
    """An item whose case the person may read and which they may open (the download re-checks its hash)."""
    item = get_object_or_404(
        Evidence.objects.select_related("case", "added_by"), school=request.school, pk=pk
    )
    if not may_open_evidence.peek(request.actor, subject=item):
        raise Http404("No such item")
    return item


def _reads_casework(request, case) -> bool:
    """Does the person read the casework of ``case`` (not only their own report in it, §9)?"""
    return bool(may_read_case(request.actor, subject=case)) and not reads_as_reporter(request.actor, case)


def get_action(request, pk) -> Action:
    action = get_object_or_404(
        Action.objects.select_related("case", "owner__user"), school=request.school, pk=pk
    )
    if not _reads_casework(request, action.case):
        raise Http404("No such action")
    return action


def get_note(request, pk) -> Note:
    note = get_object_or_404(Note.objects.select_related("case", "author"), school=request.school, pk=pk)
    if not _reads_casework(request, note.case):
        raise Http404("No such note")
    return note


@withhold
def case_events(reader, school, rows):
    """§9, KCSIE Part 4 in the audit trail: its reader learns nothing there of a case they may not read — not its
    report, its views, its evidence, nor the rule asked before reporting an allegation (who reported one, when).
    A member of staff reading the trail would otherwise learn of an allegation about themselves."""
    cases = Case.objects.filter(school=school)
    readable = set(cases_readable_by(reader).values_list("pk", flat=True)) if reader is not None else set()
    hidden = set(cases.values_list("pk", flat=True)) - readable
    items = Evidence.objects.filter(school=school, case_id__in=hidden).values_list("pk", flat=True)
    asked = rows.filter(action="policy.decision", detail__rule="incidents.allegation.report")
    if reader is not None:
        asked = asked.exclude(actor_id=reader.pk)
    # A page listing cases (My reports, the case list, a person's or a pupil's timeline) is one row with their
    # ids: one naming a hidden case says it exists, and who listed it (its reporter, or its case manager).
    listing = rows.filter(action__startswith="incidents.", detail__has_key="cases").values_list(
        "pk", "detail"
    )
    naming = (
        [pk for pk, detail in listing.iterator() if hidden & set(detail.get("cases") or ())] if hidden else []
    )
    parts = {
        Evidence: items,
        Action: Action.objects.filter(school=school, case_id__in=hidden).values_list("pk", flat=True),
        Note: Note.objects.filter(school=school, case_id__in=hidden).values_list("pk", flat=True),
    }
    rows = rows.exclude(object_type=record_type(Case), object_id__in=[str(pk) for pk in hidden])
    for model, pks in parts.items():
        rows = rows.exclude(object_type=record_type(model), object_id__in=[str(pk) for pk in pks])
    return rows.exclude(pk__in=asked.values_list("pk")).exclude(pk__in=naming)
