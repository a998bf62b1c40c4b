"""Signing in through the school's own Microsoft 365 or Google Workspace: when a school may require it, and
whose password alone is then refused. Every caller asks these functions rather than re-deciding."""

import re

from allauth.socialaccount.models import SocialApp

from saferstaff.rules.engine import Decision, Reason, allow, refuse, rule
from saferstaff.schools.models import Membership, School
from saferstaff.schools.roles import Actor

S7_LOGINS = Reason(
    "Logins must be kept secret and never shared: the school's own accounts add its tenant's protections "
    "(its second factor, and an account closed the day someone leaves)",
    "§7",
)


# A bare email domain: labels of letters, digits and inner hyphens, a dot between them, no scheme, @ or path.
_DOMAIN = re.compile(
    r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$"
)


def normalise_domain(value: str) -> str:
    """The email domain a school's tenant vouches for, lower-case and stripped (``School.sign_in_domain``);
    raises ValueError saying what is wrong when it is not a bare domain such as ``school.example``."""
    domain = str(value or "").strip().lower()
    if not domain:
        raise ValueError("no domain is given (such as school.example)")
    if "://" in domain or domain.startswith(("http:", "https:")):
        raise ValueError(f"the domain {domain!r} has a scheme: give the bare domain, such as school.example")
    if "@" in domain:
        raise ValueError(f"the domain {domain!r} has an @: give only what follows it, such as school.example")
    if "/" in domain:
        raise ValueError(f"the domain {domain!r} has a path: give the bare domain, such as school.example")
    if not _DOMAIN.match(domain):
        raise ValueError(f"{domain!r} is not an email domain such as school.example")
    return domain


@rule("signin.set_up", audited=False)
def sign_in_set_up(school: School) -> Decision:
    """Is ``school``'s own sign-in set up, so that its staff can use it? Its provider id names an OpenID
    Connect app that exists, and its domain is a bare email domain. (Shown on the settings page; checked before
    the school may require it. Not audited.)"""
    provider_id, domain = school.sign_in_provider, school.sign_in_domain
    reasons = []
    if not provider_id:
        reasons.append(Reason("The school's sign-in has no provider id yet", "§7", "required"))
    elif not SocialApp.objects.filter(provider="openid_connect", provider_id=provider_id).exists():
        reasons.append(
            Reason(
                f"The provider id “{provider_id}” names no sign-in app set up in saferstaff", "§7", "required"
            )
        )
    try:
        if normalise_domain(domain) != domain:
            raise ValueError(f"the domain {domain!r} is not written lower-case without spaces")
    except ValueError as problem:
        reasons.append(Reason(f"The school's sign-in domain is wrong: {problem}", "§7", "required"))
    return refuse(*reasons) if reasons else allow()


def schools_requiring_provider(user):
    """The schools where ``user`` has a place now and which ask their staff to sign in through their own
    provider, whose app exists (a provider id that names none would lock everyone out: it does not count)."""
    return School.objects.filter(
        pk__in=Membership.objects.current().filter(user=user).values("school_id"),
        sign_in_required=True,
        sign_in_provider__in=SocialApp.objects.filter(provider="openid_connect").values("provider_id"),
    )


@rule("signin.password", audited=False)
def may_sign_in_with_password(user) -> Decision:
    """May this person sign in (or confirm it is them) with their saferstaff password? Not while one of their
    schools requires its own sign-in: a person at two schools signs in through that school's button, which
    opens both (any school's provider vouches that the address is verified and on that school's staff).
    Trust and Local Authority admins keep their password (with its required second factor): they lift the
    requirement when a school's tenant is down. (Checked at each sign-in; not audited.)"""
    if user.trust_admin_of.exists():
        return allow()
    names = [school.name for school in schools_requiring_provider(user)]
    if names:
        return refuse(
            Reason(f"{' and '.join(names)} asks its staff to sign in with the school's account", "§7")
        )
    return allow()


@rule("signin.require_provider")
def may_require_provider(
    actor: Actor, *, subject: School, required: bool, through_provider: bool
) -> Decision:
    """May ``actor`` turn on (or off) ``subject``'s requirement that its staff sign in through its own
    provider? The Headteacher turns it on, only once the provider is set up and they are signed in through it
    themselves now (so it works, and they are not locked out); the Headteacher or the trust's admin turns it
    off (the way back when the tenant is down)."""
    actor = actor.at(subject.pk)
    if not (actor.is_head or actor.is_trust_admin):
        return refuse(Reason("Only the Headteacher (or the trust's admin) changes how staff sign in", "§2"))
    if not required:
        return allow(S7_LOGINS)
    if not actor.is_head:
        return refuse(
            Reason("The Headteacher turns this on, signed in with the school's account", "§2", "required")
        )
    set_up = sign_in_set_up.peek(subject)
    if not set_up:
        return refuse(
            Reason(
                "The school's own sign-in is not set up yet: ask your IT team to add it first",
                "§7",
                "required",
            ),
            *set_up.reasons,
        )
    if not through_provider:
        return refuse(
            Reason(
                "Sign out, sign in with the school's account button, then turn this on: that shows it works "
                "for you before it is the only way in",
                "§7",
                "required",
            )
        )
    return allow(S7_LOGINS)
