"""What the Overview lists as things to do in the incidents room (§9, KCSIE Part 4), for the person looking:
new cases they run that wait for triage, actions of theirs not yet done, allegations they manage whose LADO
referral is not recorded. Each stays until it is actioned — opening a notice, or the case, takes nothing off."""

from django.db.models import Count, Q
from django.utils import timezone

from saferstaff.incidents.models import Case, Contact
from saferstaff.incidents.registers import actions_of, cases_managed_by
from saferstaff.numbers import counted
from saferstaff.schools.roles import Actor


def lado_waiting(cases):
    """Allegations still open whose LADO referral is not recorded (the clock runs until it is)."""
    referred = Contact.objects.filter(kind=Contact.Kind.LADO).values("case")
    return (
        cases.filter(kind=Case.Kind.ALLEGATION, lado_due__isnull=False)
        .exclude(status=Case.Status.CLOSED)
        .exclude(pk__in=referred)
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


def things_to_do(actor: Actor, school) -> list[tuple[str, str]]:
    if actor.membership is None:
        return []
    now, out = timezone.now(), []
    managed = cases_managed_by(actor)
    new = managed.filter(status=Case.Status.NEW).count()
    if new:
        out.append((counted(new, "new case waits", "new cases wait") + " for triage (§9)", "case_list"))
    # Each count and its overdue part in one query (conditional aggregation).
    actions = actions_of(actor).aggregate(
        open=Count("pk"), late=Count("pk", filter=Q(due_on__lt=timezone.localdate(now)))
    )
    open_actions, late = actions["open"], actions["late"]
    if open_actions:
        out.append(
            (
                counted(open_actions, "action on a case is", "actions on cases are") + " yours to do"
                + (f" ({late} overdue)" if late else "") + " (§9)",
                "case_list",
            )
        )  # fmt: skip
    lado = lado_waiting(managed).aggregate(waiting=Count("pk"), late=Count("pk", filter=Q(lado_due__lt=now)))
    waiting, late = lado["waiting"], lado["late"]
    if waiting:
        out.append(
            (
                counted(waiting, "allegation needs", "allegations need") + " referring to the LADO"
                + (f" ({late} overdue)" if late else "") + " (KCSIE Part 4: within one working day)",
                "case_list",
            )
        )  # fmt: skip
    return out
