"""The one door for whether a school requires its staff to sign in through its own Microsoft 365 or Google
Workspace (rules.signin decides; the change is recorded with the clause it rests on)."""

from django.db import transaction

from saferstaff.audit.log import record
from saferstaff.rules.engine import enforce
from saferstaff.rules.signin import may_require_provider
from saferstaff.schools.models import School
from saferstaff.schools.roles import Actor


def set_sign_in_required(school: School, *, required: bool, by: Actor, through_provider: bool) -> None:
    """Turn the requirement on or off; raises ``Refused`` (with the reasons) when the rule says no.
    ``through_provider``: the acting person is signed in now through this school's own provider."""
    decision = enforce(
        may_require_provider(by, subject=school, required=required, through_provider=through_provider)
    )
    with transaction.atomic():
        school = School.objects.select_for_update().get(pk=school.pk)
        if school.sign_in_required == required:
            return
        school.sign_in_required = required
        school.save(update_fields=["sign_in_required"])
        record(
            "school.sign_in_required",
            school,
            school=school,
            actor=by.user,
            detail={"required": required, "sections": decision.sections},
        )
