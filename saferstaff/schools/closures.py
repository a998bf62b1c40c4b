"""The school's closure days (INSET days, a snow day): not working days for the clocks the guidance keeps —
KCSIE Part 4's one working day to refer an allegation to the LADO (``saferstaff.clocks``). One door each way,
asking ``rules.policies.may_change_closure_days``; each change is audited and announced (``closure_days_changed``)
so the clocks of what is already running are counted again."""

import datetime

from django.db import IntegrityError, transaction
from django.dispatch import Signal

from saferstaff.audit.log import record
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.policies import may_change_closure_days
from saferstaff.schools.models import ClosureDay
from saferstaff.schools.roles import Actor

# Sent with ``school_id`` after a closure day is added or removed (incidents recounts its LADO clocks).
closure_days_changed = Signal()


def add_closure_day(actor: Actor, *, day: datetime.date, reason: str) -> ClosureDay:
    decision = may_change_closure_days(actor, day=day, adding=True)
    enforce(decision)
    if not reason.strip():
        raise Refused(refuse(Reason("Say why the school is closed", "KCSIE Part 4", "reason")))
    try:
        with transaction.atomic():
            closure = ClosureDay.objects.create(school=actor.school, day=day, reason=reason.strip()[:100])
            record("school.closure_day_added", closure, detail={"day": day.isoformat()})
            closure_days_changed.send(ClosureDay, school_id=actor.school.pk)
    except IntegrityError:
        raise Refused(refuse(Reason("That day is already a closure day", "KCSIE Part 4", "day"))) from None
    return closure


def remove_closure_day(actor: Actor, closure: ClosureDay) -> None:
    decision = may_change_closure_days(actor, day=closure.day, adding=False)
    enforce(decision)
    with transaction.atomic():
        record("school.closure_day_removed", closure, detail={"day": closure.day.isoformat()})
        closure.delete()
        closure_days_changed.send(ClosureDay, school_id=actor.school.pk)
