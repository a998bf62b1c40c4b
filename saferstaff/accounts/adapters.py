import logging
from collections import Counter
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.account.signals import password_reset
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.db import transaction
from django.dispatch import receiver
from django.shortcuts import render

from saferstaff.audit.log import record
from saferstaff.rules.policies import may_sign_in
from saferstaff.rules.signin import may_sign_in_with_password, schools_requiring_provider
from saferstaff.schools.models import Membership, School

log = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are made by a school or trust (an invitation), never by signing up on the open web."""

    def is_open_for_signup(self, request):
        return False

    def pre_login(self, request, user, **kwargs):
        # After the password (so the page says nothing to someone who only knows an address).
        decision = may_sign_in(user)
        if not decision:
            clear_login(request)
            return render(request, "account/no_school.html", {"decision": decision}, status=403)
        # A password (or a password reset) is not enough for the staff of a school that requires its own
        # sign-in; a sign-in through a school's provider carries the sociallogin.
        if "sociallogin" not in (kwargs.get("signal_kwargs") or {}):
            decision = may_sign_in_with_password(user)
            if not decision:
                clear_login(request)
                return render(
                    request,
                    "account/sign_in_with_school.html",
                    {"decision": decision, "buttons": sign_in_buttons(user)},
                    status=403,
                )
        return super().pre_login(request, user, **kwargs)

    def set_password(self, user, password):
        """Every password set through the account pages — an invitation taken up through its link, a reset, a
        change — is in the trail (ids only), like every other write: the Overview counts the people who have
        not taken up an invitation by whether they have a password yet."""
        with transaction.atomic():
            super().set_password(user, password)
            record("user.password_set", user)

    def send_mail(self, template_prefix, email, context):
        """Emails name the service ("Hello from saferstaff!"), not the placeholder Site of a new database."""
        service = SimpleNamespace(name="saferstaff", domain=urlsplit(settings.SITE_URL).netloc)
        super().send_mail(template_prefix, email, {"current_site": service, **context})

    def reauthenticate(self, user, password):
        """ "Confirm it is you" with a password: not for the staff of a school that requires its own sign-in
        (they confirm through the school's button on the same page)."""
        decision = may_sign_in_with_password(user)
        if not decision:
            raise forms.ValidationError(
                f"{decision.reasons[0]}: confirm it is you with the school's account button below instead"
            )
        return super().reauthenticate(user, password)


# Connected when allauth first loads this adapter, which its password reset does before sending the signal.
@receiver(password_reset)
def remember_whether_the_new_password_works(sender, request, user, **kwargs):
    """The "Password changed" page says whether the new password signs this person in: not when one of their
    schools requires its own sign-in (account/password_reset_from_key_done.html)."""
    request.session["password_refused_here"] = not may_sign_in_with_password(user)


def school_requires_its_own_sign_in(provider_id: str) -> bool:
    """Does a school that signs in through ``provider_id`` require it (so its staff's passwords are refused)?
    For the pages that do not know who came back from the provider."""
    return School.objects.filter(sign_in_provider=provider_id, sign_in_required=True).exists()


def sign_in_choices() -> list[dict]:
    """The buttons on the sign-in page, one per sign-in app: ``provider_id`` and ``label`` (the app's name).
    When two apps share a name (several schools of a trust, each with its own Microsoft 365 tenant), each
    label adds the schools that use it, so every button says, and is announced as, something different."""
    apps = list(
        SocialApp.objects.filter(provider="openid_connect", sites=Site.objects.get_current())
        .order_by("name", "provider_id")
        .values_list("provider_id", "name")
    )
    clash = Counter(name for _, name in apps)
    schools: dict[str, list[str]] = {}
    if any(count > 1 for count in clash.values()):
        for provider_id, school in School.objects.filter(
            sign_in_provider__in=[p for p, _ in apps]
        ).values_list("sign_in_provider", "name"):
            schools.setdefault(provider_id, []).append(school)
    return [
        {
            "provider_id": provider_id,
            "label": name
            if clash[name] == 1
            else f"{name} — {', '.join(schools.get(provider_id, [provider_id]))}",
        }
        for provider_id, name in apps
    ]


def sign_in_buttons(user) -> list[dict]:
    """The school sign-in buttons for ``user`` (the page saying a password is not enough here, and "Confirm it is
    you"): one per provider of a school of theirs that requires it, labelled with the app's name."""
    schools = list(schools_requiring_provider(user))
    names = dict(
        SocialApp.objects.filter(provider_id__in=[s.sign_in_provider for s in schools]).values_list(
            "provider_id", "name"
        )
    )
    buttons: dict[str, dict] = {}
    for school in schools:
        if school.sign_in_provider in names:
            button = buttons.setdefault(
                school.sign_in_provider,
                {
                    "provider_id": school.sign_in_provider,
                    "label": names[school.sign_in_provider],
                    "schools": [],
                },
            )
            button["schools"].append(school.name)
    return list(buttons.values())


def school_account_for(provider_id: str, claims: dict):
    """The saferstaff account a Microsoft 365 / Google Workspace sign-in belongs to, or None (see
    ``match_school_account``)."""
    return match_school_account(provider_id, claims)[0]


def match_school_account(provider_id: str, claims: dict) -> tuple[object, str, int | None]:
    """``(user, "", school id)`` for the saferstaff account a Microsoft 365 / Google Workspace sign-in belongs
    to, else ``(None, reason code, school id or None)``: the code tells IT why (``REFUSALS``).

    Each school that turns this on has its own OpenID Connect app (``School.sign_in_provider``) whose issuer
    is the school's own tenant, so a token from any other tenant fails allauth's issuer check. On top of that
    the address must be one the provider has verified, in the school's own domain (Google's ``hd`` claim
    names the Workspace domain: a personal Google account can verify any address, so it is required there),
    and belong to someone on that school's staff now. Matching on an address alone, from any tenant, would
    let anyone who can put a colleague's address on an account of their own sign in as them."""
    email = str(claims.get("email") or "").strip().lower()
    verified = claims.get("email_verified") is True or claims.get("xms_edov") is True
    if not email or not verified:
        return None, "unverified", None
    domain = email.rpartition("@")[2]
    refusal = ("outside_domain", None)
    for school in School.objects.filter(sign_in_provider=provider_id, sign_in_domain__iexact=domain):
        if "tid" not in claims and str(claims.get("hd") or "").lower() != domain:
            refusal = ("not_the_schools_workspace", school.pk)  # personal Google account, or another tenant
            continue
        places = Membership.objects.filter(school=school, user__email__iexact=email).select_related("user")
        membership = places.active().first()
        if membership is not None:
            return membership.user, "", school.pk
        if places.current().exists():
            refusal = ("invitation_not_accepted", school.pk)
        elif places.exists():
            refusal = ("left", school.pk)
        else:
            refusal = ("no_such_staff", school.pk)
    return None, *refusal


# Why a sign-in through a school's provider was refused, as logged (ids and these codes only, never an address).
REFUSALS = {
    "unverified": "the provider did not vouch for the email address (or sent none)",
    "outside_domain": "no school signs in through this provider for the address's domain",
    "not_the_schools_workspace": "not the school's own Workspace (Google hd) or tenant",
    "no_such_staff": "nobody on the school's staff has that address",
    "invitation_not_accepted": "invited, but the invitation is not accepted yet",
    "left": "has left the school",
    "another_account": "this provider account is linked to someone else",
    "provider_error": "the sign-in at the provider failed (allauth's error code follows)",
}


def log_refusal(provider_id: str, code: str, school_id=None, **more) -> None:
    extra = "".join(f" {key}={value}" for key, value in more.items())
    log.warning(
        "school sign-in refused: provider=%s school=%s reason=%s%s", provider_id, school_id, code, extra
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Microsoft/Google sign-in only for people on a school's staff, from that school's own tenant."""

    def is_open_for_signup(self, request, sociallogin):
        return False

    def is_auto_signup_allowed(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        data = sociallogin.account.extra_data or {}
        claims = {**data.get("userinfo", {}), **data.get("id_token", {})} if "id_token" in data else data
        provider_id = sociallogin.account.provider
        user, code, school_id = match_school_account(provider_id, claims)
        if user is not None and sociallogin.is_existing and sociallogin.user.pk != user.pk:
            code = "another_account"
        if code:
            log_refusal(provider_id, code, school_id)
            raise ImmediateHttpResponse(
                render(
                    request,
                    "socialaccount/not_on_the_staff.html",
                    {"password_refused": school_requires_its_own_sign_in(sociallogin.account.provider)},
                    status=403,
                )
            )
        if not sociallogin.is_existing:
            sociallogin.connect(request, get_user_model().objects.get(pk=user.pk))

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        log_refusal(getattr(provider, "sub_id", ""), "provider_error", error=error)
        # The "did not work" page offers the password only where it works.
        if extra_context is not None:
            extra_context["password_refused"] = school_requires_its_own_sign_in(
                getattr(provider, "sub_id", "")
            )
        super().on_authentication_error(request, provider, error, exception, extra_context)
