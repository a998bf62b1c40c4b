"""The cases a person may read, as ONE query (for lists, counts, searches and the audit trail's withholding):
the same answer as ``rules.incidents.may_read_case`` for each case — ``tests/test_incidents_rules.py`` checks
that the two agree for every role and kind of case."""

from django.db.models import Q, QuerySet

from saferstaff.incidents.models import Action, Case, CaseMember, Involved
from saferstaff.rules.conduct import CHAIR, HEADTEACHER, is_chair
from saferstaff.rules.incidents import is_designated
from saferstaff.schools.roles import Actor, H, members_holding


def about(membership) -> Q:
    """The cases a member of staff is the subject of, or named in as having done it: never theirs to read."""
    # The alleged as a subquery on the member's own rows (an index), not a join through every case's people.
    alleged = Involved.objects.filter(member=membership, role=Involved.Role.ALLEGED).values("case_id")
    return Q(subject=membership) | Q(pk__in=alleged)


def shared_with(membership) -> Q:
    """The cases a member of staff was added to (need to know, §8): a subquery on their own rows, so a list
    needs no DISTINCT over a join through every case's members."""
    return Q(pk__in=CaseMember.objects.filter(member=membership).values("case_id"))


def managed_by(actor: Actor) -> Q:
    """The cases ``actor`` runs (before leaving out those about them): casework for the designated persons; an
    allegation for the Headteacher, unless it is about a Headteacher (then the chair of governors)."""
    runs = Q(pk__in=[])
    if is_designated(actor):
        runs |= ~Q(kind=Case.Kind.ALLEGATION)
    heads = members_holding(actor.school.pk, {H})
    if actor.is_head:
        runs |= Q(kind=Case.Kind.ALLEGATION, routed_to=HEADTEACHER) & ~Q(subject__in=heads)
    if is_chair(actor):
        runs |= Q(kind=Case.Kind.ALLEGATION, routed_to=CHAIR)
        runs |= Q(kind=Case.Kind.ALLEGATION, routed_to=HEADTEACHER, subject__in=heads)
    return runs


def _school_cases(actor: Actor) -> QuerySet[Case] | None:
    if actor.school is None or actor.membership is None:
        return None
    # Scoped to the school, and its "about them" part reads the member's own rows (an index): unscoped, it read
    # every case of every school (benchmarks/load.py).
    return Case.objects.filter(school=actor.school).exclude(about(actor.membership))


def cases_managed_by(actor: Actor) -> QuerySet[Case]:
    cases = _school_cases(actor)
    return Case.objects.none() if cases is None else cases.filter(managed_by(actor))


def cases_readable_by(actor: Actor) -> QuerySet[Case]:
    cases = _school_cases(actor)
    return Case.objects.none() if cases is None else _readable(actor, cases, managed_by(actor))


def cases_listed_for(actor: Actor) -> QuerySet[Case]:
    """The cases ``actor`` reads as casework: those they run and those they were added to (need to know, §8).
    A reporter's own report is on their My reports page, not in the case list."""
    cases = _school_cases(actor)
    return Case.objects.none() if cases is None else _listed(actor, cases, managed_by(actor))


def actions_of(actor: Actor) -> QuerySet[Action]:
    """The actions ``actor`` still has to do, on cases they may read: never one on a case that has since named
    them as having done it, nor on one they no longer read (a role taken away)."""
    cases = _school_cases(actor)
    return Action.objects.none() if cases is None else _open_actions(actor, cases, managed_by(actor))


def case_list_of(actor: Actor) -> tuple[QuerySet[Case], QuerySet[Action]]:
    """The case list's two registers, ``cases_listed_for`` and ``actions_of``, from one reading of the rule (the
    school's cases less those about them, and what they run): building it twice was a fifth of the page."""
    cases = _school_cases(actor)
    if cases is None:
        return Case.objects.none(), Action.objects.none()
    runs = managed_by(actor)
    return _listed(actor, cases, runs), _open_actions(actor, cases, runs)


def _readable(actor: Actor, cases: QuerySet[Case], runs: Q) -> QuerySet[Case]:
    return cases.filter(runs | Q(reported_by=actor.user) | shared_with(actor.membership))


def _listed(actor: Actor, cases: QuerySet[Case], runs: Q) -> QuerySet[Case]:
    return cases.filter(runs | shared_with(actor.membership))


def _open_actions(actor: Actor, cases: QuerySet[Case], runs: Q) -> QuerySet[Action]:
    readable = _readable(actor, cases, runs)
    return Action.objects.filter(
        school=actor.school, owner=actor.membership, done_at__isnull=True, case__in=readable
    )
