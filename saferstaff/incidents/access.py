"""The one way a page fetches a case, an item of evidence, an action or a note: from the page's school, and only
when the rule says the person may read it — otherwise 404, never 403 (that a case exists, above all an allegation
about a colleague, is itself sensitive). Every open of a case is audited (§8: every access recorded)."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from saferstaff.audit.log import record
from saferstaff.incidents.models import Action, Case, Evidence, Involved, Note
from saferstaff.rules.conduct import CHAIR, HEADTEACHER, is_chair
from saferstaff.rules.incidents import is_designated, may_open_evidence, may_read_case
from saferstaff.schools.roles import Actor, H, members_holding


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


def get_action(request, pk) -> Action:
    action = get_object_or_404(
        Action.objects.select_related("case", "owner__user"), school=request.school, pk=pk
    )
    if not may_read_case(request.actor, subject=action.case):
        raise Http404("No such action")
    return action


def get_note(request, pk) -> Note:
    note = get_object_or_404(Note.objects.select_related("case", "author"), school=request.school, pk=pk)
    if not may_read_case(request.actor, subject=note.case):
        raise Http404("No such note")
    return note


def cases_managed_by(actor: Actor) -> QuerySet[Case]:
    """The cases ``actor`` runs, as ``rules.incidents.manages`` says, in one query: the casework for the
    designated persons; allegations for their case manager (the Headteacher; the chair of governors for one
    about the Headteacher, or about someone who has since become one); never a case about ``actor``."""
    return _readable(actor, with_members=False)


def cases_listed_for(actor: Actor) -> QuerySet[Case]:
    """The cases ``actor`` reads as casework: those they run and those they were added to (need to know, §8).
    A reporter's own report is on their My reports page, not here."""
    return _readable(actor, with_members=True)


def _readable(actor: Actor, *, with_members: bool) -> QuerySet[Case]:
    membership = actor.membership
    if membership is None or actor.school is None:
        return Case.objects.none()
    allegation = Q(kind=Case.Kind.ALLEGATION)
    runs = Q(pk__in=[])
    if is_designated(actor):
        runs |= ~allegation
    if actor.is_head:
        runs |= allegation & Q(routed_to=HEADTEACHER)
    if is_chair(actor):
        heads = members_holding(actor.school.pk, {H}).values("pk")
        runs |= allegation & (Q(routed_to=CHAIR) | Q(routed_to=HEADTEACHER, subject__in=heads))
    if with_members:
        runs |= Q(pk__in=Case.objects.filter(members__member=membership).values("pk"))
    about = Involved.objects.filter(member=membership, role=Involved.Role.ALLEGED).values("case")
    return (
        Case.objects.filter(school=actor.school)
        .filter(runs)
        .exclude(subject=membership)
        .exclude(pk__in=about)
    )
