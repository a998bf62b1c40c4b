import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect

from saferstaff.rules.policies import may_sign_in_without_mfa
from saferstaff.schools.models import Membership
from saferstaff.schools.roles import SHORT_IDLE, TRUST_ADMIN, Standing, standing_of

# Pages a person who still has to set up a second factor may use meanwhile.
_SETUP_PAGES = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
    "mfa_edit_webauthn",
    "mfa_remove_webauthn",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "mfa_reauthenticate_webauthn",
    "account_logout",
    "account_reauthenticate",
    "account_change_password",
}


def needs_mfa_setup(standing: Standing) -> bool:
    """Must the signed-in person whose ``standing`` this is set up a second factor before anything else?"""
    roles_by_school = {school_id: roles for school_id, roles in standing.roles_by_school.items() if roles}
    decision = may_sign_in_without_mfa(roles_by_school, bool(standing.trust_ids), standing.is_chair)
    if decision.allowed:
        return False
    return not standing.has_second_factor


class RequireMFAMiddleware:
    """Those who see every pupil's photos, consent and face enrolment (schools.roles.SECOND_FACTOR) and trust admins
    must set up a second factor (an authenticator app or a security key) before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.url_name in _SETUP_PAGES or not request.user.is_authenticated:
            return None
        if match.url_name in {"account_login", "healthz", "readyz"}:
            return None
        if needs_mfa_setup(standing_of(request)):
            return redirect("mfa_activate_totp")
        return None


def _now() -> float:
    return time.time()


def holds_short_idle_role(user) -> bool:
    """Does ``user`` hold a role in schools.roles.SHORT_IDLE at any school, or admin a trust?"""
    if TRUST_ADMIN in SHORT_IDLE and user.trust_admin_of.exists():
        return True
    return Membership.objects.active().filter(user=user, role_grants__role__in=SHORT_IDLE).exists()


class PrivilegedIdleMiddleware:
    """Signs out someone holding a role in schools.roles.SHORT_IDLE after PRIVILEGED_IDLE_MINUTES without a
    request, and sends them to sign in with a message saying why; everyone else keeps SESSION_COOKIE_AGE.

    Whether the person holds such a role is asked once per session (two queries, at their first request after
    signing in) and kept in the session with their id: a role given during a session counts from the next sign-in.
    The time of their last request is written to the session at most once a minute, not on every page."""

    ROLE_KEY = "_saferstaff_short_idle"
    SEEN_KEY = "_saferstaff_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        session = request.session
        asked = session.get(self.ROLE_KEY)
        if not asked or asked[0] != user.pk:
            asked = [user.pk, holds_short_idle_role(user)]
            session[self.ROLE_KEY] = asked
        if not asked[1]:
            return self.get_response(request)
        now = _now()
        limit = settings.PRIVILEGED_IDLE_MINUTES * 60
        seen = session.get(self.SEEN_KEY)
        if seen is not None and now - seen > limit:
            logout(request)
            messages.info(
                request,
                f"You were signed out after {settings.PRIVILEGED_IDLE_MINUTES} minutes without activity: "
                "your role sees safeguarding records or every pupil's, so an unattended screen is closed "
                "sooner. Sign in again to carry on.",
            )
            return redirect_to_login(request.get_full_path())
        if seen is None or now - seen >= 60:
            session[self.SEEN_KEY] = int(now)
        return self.get_response(request)
