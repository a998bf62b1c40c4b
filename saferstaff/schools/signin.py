"""The doors for a school's own Microsoft 365 or Google Workspace sign-in: which app and email domain it uses,
and whether it requires its staff to sign in through it (rules.signin decides; each change is recorded)."""

from allauth.socialaccount.models import SocialApp
from django.db import transaction

from saferstaff.audit.log import record
from saferstaff.rules.engine import Reason, Refused, enforce, refuse
from saferstaff.rules.signin import may_require_provider, normalise_domain
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


def set_school_sign_in(school: School, *, provider_id: str, domain: str, by=None) -> School:
    """Point ``school``'s sign-in at the OpenID Connect app ``provider_id`` for addresses ``@domain``
    (lower-cased and stripped). Raises ``Refused``, naming the field, when no app has that id or the domain
    is not a bare email domain. Recorded (the provider id and which fields changed; ``by``: None from the
    command line)."""
    provider_id = provider_id.strip()
    reasons = []
    if not SocialApp.objects.filter(provider="openid_connect", provider_id=provider_id).exists():
        reasons.append(Reason(f"No sign-in app has the provider id {provider_id!r}", "§7", "provider"))
    try:
        domain = normalise_domain(domain)
    except ValueError as problem:
        reasons.append(Reason(str(problem)[:1].upper() + str(problem)[1:], "§7", "domain"))
    if reasons:
        raise Refused(refuse(*reasons))
    with transaction.atomic():
        school = School.objects.select_for_update().get(pk=school.pk)
        changed = [
            name
            for name, value in (("sign_in_provider", provider_id), ("sign_in_domain", domain))
            if getattr(school, name) != value
        ]
        if changed:
            school.sign_in_provider, school.sign_in_domain = provider_id, domain
            school.save(update_fields=changed)
            record(
                "school.sign_in_set",
                school,
                school=school,
                actor=by,
                detail={"provider_id": provider_id, "fields": changed},
            )
    return school
