from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from saferstaff.policy.rules import may_sign_in


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
        return super().pre_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """No provider is installed yet (see settings.INSTALLED_APPS); should one be, nobody signs up through it."""

    def is_open_for_signup(self, request, sociallogin):
        return False

    def is_auto_signup_allowed(self, request, sociallogin):
        return False
