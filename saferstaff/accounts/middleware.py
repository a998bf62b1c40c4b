from allauth.mfa.models import Authenticator
from django.shortcuts import redirect

from saferstaff.rules.policies import may_sign_in_without_mfa

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


def needs_mfa_setup(user) -> bool:
    if not user.is_authenticated:
        return False
    roles_by_school: dict[int, frozenset[str]] = {}
    for school_id, role in user.memberships.active().values_list("school_id", "role_grants__role"):
        if role:
            roles_by_school[school_id] = roles_by_school.get(school_id, frozenset()) | {role}
    is_chair = user.memberships.active().filter(is_chair_of_governors=True).exists()
    decision = may_sign_in_without_mfa(roles_by_school, user.trust_admin_of.exists(), is_chair)
    if decision.allowed:
        return False
    second_factors = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    return not Authenticator.objects.filter(user=user, type__in=second_factors).exists()


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
        if match.url_name in {"account_login", "healthz"}:
            return None
        if needs_mfa_setup(request.user):
            return redirect("mfa_activate_totp")
        return None
